#!/usr/bin/env node
// Completes package-lock.json with entries for platform-specific optional packages that the npm
// registry reachable from our machines does not serve (e.g. chdb's macOS engines, some rollup
// binaries). npm drops those from the lock when it cannot fetch their metadata, and `npm ci` then
// refuses the lock as out of sync. An entry marked optional, with the package's os/cpu, is skipped on
// every other platform and fetched on its own, as npm would have written it.
//
// Run after any `npm install` that changes the lock:  node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'riscv64', 'ppc64', 's390x', 'loong64', 'mips64el', 'wasm32'];

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    // npm resolves a dependency next to its dependent first, then at the top level.
    const nested = `${key ? `${key}/` : ''}node_modules/${name}`;
    const top = `node_modules/${name}`;
    if (packages[nested] || packages[top]) continue;
    const parts = name.split(/[/-]/);
    const os = OS.filter((o) => parts.includes(o));
    const cpu = CPU.filter((c) => parts.includes(c));
    if (os.length === 0 && cpu.length === 0) continue; // not a platform package: leave it to npm
    packages[top] = { version, optional: true, ...(os.length ? { os } : {}), ...(cpu.length ? { cpu } : {}) };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
