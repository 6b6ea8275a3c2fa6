/**
 * The data of the read benchmark (bench/read.ts): rollups of N generated events for one measured tenant
 * over the 30 days before a fixed `now`, plus two smaller tenants, written through the real window
 * (TumblingWindows) and the real writer (writeRollups) into the embedded engine. Nothing is held whole:
 * events are generated and written one day at a time. A marker table records what was built (N, seed,
 * the tenants, the clock), so a later run with the same arguments reuses the data and only measures.
 */
import type { ClickHouseClient } from '../src/clickhouse/client.js';
import { migrate } from '../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../src/contract/catalog.js';
import { writeRollups } from '../src/sink/rollup-writer.js';
import { TumblingWindows } from '../src/window/tumbling.js';
import { generateEvents } from '../test/support/generator.js';
import { fmtInt } from './read-stats.js';

export const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface DataSpec {
  database: string;
  events: number;
  seed: number;
  days: number;
  /** The API's clock: the data covers [nowMs - days, nowMs) (conversations may run a little past it). */
  nowMs: number;
  tenant: string;
  workspaces: number;
  /** The two other tenants, together `otherShare` x N events. */
  others: readonly [string, string];
  otherShare: number;
  /** Flush the window every this many recorded events. */
  flushEvery: number;
}

/** What the marker table holds about the built data. */
export interface BuildRecord {
  events: number;
  seed: number;
  days: number;
  now_ms: number;
  tenant: string;
  others: string;
  other_events: number;
  build_seconds: number;
  generate_seconds: number;
  window_seconds: number;
  write_wait_seconds: number;
  inserts: number;
  partial_rows: number;
  optimize_seconds: number;
  built_at: string;
}

const META = 'bench_read_meta';

/** The marker of the data in `database` when it matches the spec; undefined otherwise (or absent). */
export async function findBuilt(client: ClickHouseClient, spec: DataSpec): Promise<BuildRecord | undefined> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}`,
    query_params: { db: spec.database, t: META },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: number | string }>();
  if (Number(row?.n ?? 0) === 0) return undefined;
  const q = await client.query({ query: `SELECT * FROM ${spec.database}.${META} ORDER BY built_at DESC LIMIT 1`, format: 'JSONEachRow' });
  const [rec] = await q.json<BuildRecord>();
  if (rec === undefined) return undefined;
  const same =
    Number(rec.events) === spec.events && Number(rec.seed) === spec.seed && Number(rec.days) === spec.days &&
    Number(rec.now_ms) === spec.nowMs && rec.tenant === spec.tenant && rec.others === spec.others.join(',');
  if (!same) return undefined;
  const num = (v: unknown) => Number(v);
  return {
    ...rec,
    events: num(rec.events), seed: num(rec.seed), days: num(rec.days), now_ms: num(rec.now_ms), other_events: num(rec.other_events),
    build_seconds: num(rec.build_seconds), generate_seconds: num(rec.generate_seconds), window_seconds: num(rec.window_seconds),
    write_wait_seconds: num(rec.write_wait_seconds), inserts: num(rec.inserts), partial_rows: num(rec.partial_rows),
    optimize_seconds: num(rec.optimize_seconds),
  };
}

export async function dropDatabase(client: ClickHouseClient, database: string): Promise<void> {
  await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
}

export async function writeMarker(client: ClickHouseClient, spec: DataSpec, rec: BuildRecord): Promise<void> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${spec.database}.${META} (
      events UInt64, seed UInt32, days UInt32, now_ms Int64, tenant String, others String, other_events UInt64,
      build_seconds Float64, generate_seconds Float64, window_seconds Float64, write_wait_seconds Float64,
      inserts UInt32, partial_rows UInt64, optimize_seconds Float64, built_at String
    ) ENGINE = MergeTree ORDER BY built_at`,
  });
  await client.insert({ table: `${spec.database}.${META}`, values: [rec], format: 'JSONEachRow' });
}

/** Events per day: `total` split over `days` as evenly as whole numbers allow. */
const share = (total: number, days: number, d: number): number => Math.floor(total / days) + (d < total % days ? 1 : 0);

export function renameOrgs(events: AnalyticsEvent[], names: Map<string, string>): void {
  for (const e of events) {
    const to = names.get(e.org_id);
    if (to === undefined) throw new Error(`generator produced an unexpected tenant ${e.org_id}`);
    e.org_id = to;
  }
}

export type BuildResult = Omit<BuildRecord, 'optimize_seconds' | 'built_at'>;

/**
 * Migrates `spec.database` and writes the rollups of the spec's events, day by day. The day's events of
 * the measured tenant and of the two others are recorded into one window, flushed every
 * `flushEvery` events; each flush is one insert with a token of its own. The next flush's events are
 * generated while the previous insert runs in the engine's threads.
 */
export async function buildRollups(client: ClickHouseClient, spec: DataSpec, log: (line: string) => void): Promise<BuildResult> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${spec.database}` });
  await migrate(client, spec.database);
  const startMs = spec.nowMs - spec.days * DAY_MS;
  const otherTotal = Math.round(spec.events * spec.otherShare);
  // The window's clock is the end of the data: nothing of the last 30 days may count as too late.
  const windows = new TumblingWindows({ now: () => spec.nowMs, allowedLatenessMs: (spec.days + 2) * DAY_MS });
  const t0 = performance.now();
  let genMs = 0;
  let windowMs = 0;
  let waitMs = 0;
  let recorded = 0;
  let sinceFlush = 0;
  let inserts = 0;
  let partialRows = 0;
  let pending: Promise<void> | undefined;

  const flush = async (): Promise<void> => {
    const a = performance.now();
    const rows = windows.flush();
    windowMs += performance.now() - a;
    const w = performance.now();
    if (pending !== undefined) await pending;
    waitMs += performance.now() - w;
    sinceFlush = 0;
    if (rows.length === 0) return;
    partialRows += rows.length;
    const token = `bench-read-n${spec.events}-s${spec.seed}-${inserts++}`;
    pending = writeRollups(client, spec.database, rows, token);
    // An unobserved rejection would crash the process before the next await reports it.
    pending.catch(() => undefined);
  };

  const record = async (events: AnalyticsEvent[]): Promise<void> => {
    let i = 0;
    while (i < events.length) {
      const start = i;
      const end = Math.min(events.length, i + (spec.flushEvery - sinceFlush));
      const a = performance.now();
      for (; i < end; i++) {
        const outcome = windows.record(events[i]!);
        if (outcome.outcome === 'too_late') throw new Error('the bench window refused an event as too late');
      }
      windowMs += performance.now() - a;
      sinceFlush += end - start;
      if (sinceFlush >= spec.flushEvery) await flush();
    }
  };

  for (let d = 0; d < spec.days; d++) {
    const dayStart = startMs + d * DAY_MS;
    const g = performance.now();
    const main = generateEvents({ seed: spec.seed * 1000 + d, tenants: 1, workspacesPerTenant: spec.workspaces, days: 1, startMs: dayStart, count: share(spec.events, spec.days, d) });
    renameOrgs(main, new Map([[`org-${spec.seed * 1000 + d}-1`, spec.tenant]]));
    const otherSeed = spec.seed * 1000 + 500 + d;
    const other = generateEvents({ seed: otherSeed, tenants: 2, workspacesPerTenant: 2, days: 1, startMs: dayStart, count: share(otherTotal, spec.days, d) });
    renameOrgs(other, new Map([[`org-${otherSeed}-1`, spec.others[0]], [`org-${otherSeed}-2`, spec.others[1]]]));
    genMs += performance.now() - g;
    await record(main);
    await record(other);
    recorded += main.length + other.length;
    const s = (performance.now() - t0) / 1000;
    log(
      `  day ${String(d + 1).padStart(2)}/${spec.days}  ${fmtInt(recorded)} events (${fmtInt(main.length)} + ${fmtInt(other.length)} others)  ` +
        `${inserts} inserts, ${fmtInt(partialRows)} partial rows  ${s.toFixed(0)} s  ${fmtInt(recorded / s)} events/s`,
    );
  }
  await flush();
  const w = performance.now();
  await pending;
  waitMs += performance.now() - w;
  return {
    events: spec.events,
    seed: spec.seed,
    days: spec.days,
    now_ms: spec.nowMs,
    tenant: spec.tenant,
    others: spec.others.join(','),
    other_events: otherTotal,
    build_seconds: (performance.now() - t0) / 1000,
    generate_seconds: genMs / 1000,
    window_seconds: windowMs / 1000,
    write_wait_seconds: waitMs / 1000,
    inserts,
    partial_rows: partialRows,
  };
}

export { MINUTE_MS };
