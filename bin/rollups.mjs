#!/usr/bin/env node
// Runs the TypeScript sources through tsx in a checkout (no build step between `npm ci` and
// `npx rollups demo`); a packaged install without src/ runs the compiled dist/.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
