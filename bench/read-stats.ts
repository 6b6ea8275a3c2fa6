/**
 * Small helpers of the read benchmark (bench/read.ts): percentiles, the machine, table printing.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending list (p in (0, 100]). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, mean: sorted.length > 0 ? sum / sorted.length : Number.NaN };
}

/** Milliseconds, rounded for printing (0.1 ms below 100 ms, whole ms above). */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return v < 100 ? v.toFixed(1) : v.toFixed(0);
}

/** Rounded for the JSON line: 0.01 ms. */
export const round2 = (v: number): number => Math.round(v * 100) / 100;

/** A plain text table, columns padded; numbers right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNum = (s: string) => /^[-+]?[0-9.,]+( ?[a-zA-Z%]*)?$/.test(s) || s === '-';
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i > 0 && isNum(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
  } catch {
    return '(unavailable)';
  }
}

export interface Machine {
  nproc: number;
  cpu: string;
  memTotalGiB: number;
  memFreeGiB: number;
  load: [number, number, number];
  uptime: string;
  node: string;
}

export function machine(): Machine {
  const l = loadavg();
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memTotalGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    memFreeGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    load: [l[0]!, l[1]!, l[2]!].map((x) => Math.round(x * 100) / 100) as [number, number, number],
    uptime: run('uptime', []),
    node: process.version,
  };
}

/** `free -g` as printed by the system (for the record). */
export const freeG = (): string => run('free', ['-g']);

export const load1 = (): number => Math.round(loadavg()[0]! * 100) / 100;

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
