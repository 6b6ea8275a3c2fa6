/**
 * Small helpers of the read benchmark (bench/read.ts): percentiles, the machine, table printing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';

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

/** CPU ticks of the whole machine (/proc/stat): the share stolen by the hypervisor between two readings. */
export interface CpuTicks {
  steal: number;
  total: number;
}

export function cpuTicks(): CpuTicks {
  if (!existsSync('/proc/stat')) return { steal: Number.NaN, total: Number.NaN };
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
}

/** Percent of CPU time stolen between two readings (NaN where /proc/stat is not there). */
export function stealPercent(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? Math.round(((after.steal - before.steal) / total) * 1000) / 10 : Number.NaN;
}

/** Garbage-collection pauses of this process (the server's), collected while `start` ... `stop` runs. */
export function gcPauses(): { stop: () => { count: number; totalMs: number; maxMs: number } } {
  const pauses: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      obs.disconnect();
      return { count: pauses.length, totalMs: pauses.reduce((a, b) => a + b, 0), maxMs: pauses.length > 0 ? Math.max(...pauses) : 0 };
    },
  };
}
