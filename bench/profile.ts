/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and lists where the main thread spent its time: self time per
 * function (name and file:line), and self time per source area (kafkajs, avsc, our decode/validate/window/
 * sink, the ClickHouse client, GC, idle). Usable alone: `tsx bench/profile.ts FILE.cpuprofile [top]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, outside JS)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  const s = /\/(src|bench|test)\/(.+?)(?:\.[jt]s)?$/.exec(url);
  if (s) return `${s[1]}/${s[2]!.split('/').slice(0, 2).join('/')}`;
  if (url.startsWith('node:')) return url;
  return url === '' ? 'native / builtins' : url;
}

export function summarizeProfile(path: string, top = 25): string[] {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1');
    const key = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + t);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + t);
  }
  const busy = total - (areas.get('idle') ?? 0);
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  const out = [`main thread: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time)`, 'by area:'];
  for (const [k, t] of [...areas].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]).slice(0, 14)) out.push(`  ${pct(t)}  ${k}`);
  out.push('by function (self time):');
  for (const [k, t] of [...fn].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${pct(t)}  ${k}`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/profile.ts FILE.cpuprofile [top]');
    process.exit(2);
  }
  for (const line of summarizeProfile(file, Number(process.argv[3] ?? 30))) console.log(line);
}
