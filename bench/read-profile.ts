/**
 * Where the time of a range endpoint goes (bench/read.ts): the same read as the route, timed at three
 * levels: the query service in process (no HTTP), the one SQL statement through the client, and
 * ClickHouse's own `statistics.elapsed` for it (chDB has no system.query_log). Variants of the
 * statement show what part of the engine's work costs: without the exact distinct merge, and reading
 * the rows only.
 */
import type { ClickHouseClient } from '../src/clickhouse/client.js';
import { distinctReads, measuresOf, type Spec } from '../src/metrics/formula.js';
import { METRICS, TRENDS, measuresFor, type MetricSection } from '../src/metrics/mapping.js';
import { planTotals } from '../src/query/plan.js';
import { resolveTimeSelection } from '../src/query/range.js';
import { createQueryService, type QueryService } from '../src/query/service.js';
import type { RollupChanges } from '../src/sink/changes.js';
import { buildLoadQuery, type SqlQuery } from '../src/query/sql.js';
import { trendsRange } from '../src/query/trends.js';
import type { TimeRange } from '../src/query/zone.js';
import { recordingClickHouse } from '../test/support/recording-clickhouse.js';
import { summarize, type Summary } from './read-stats.js';

export interface ProfileCase {
  label: string;
  section: MetricSection;
  period: '30d' | 'today';
  tz: string;
}

export interface SqlStats {
  /** Client round trip (query + JSON parse), ms. */
  wall: Summary;
  /** ClickHouse's own elapsed, ms. */
  engine: Summary;
  /** CPU time of this process (the engine runs in it) during the statement, ms: less sensitive to other load. */
  cpu: Summary;
  rowsRead: number;
  bytesRead: number;
  resultRows: number;
}

export interface ProfileResult {
  label: string;
  measures: number;
  /** The service call as the route makes it (overview: with its trends). */
  service: Summary;
  serviceCpu: Summary;
  /**
   * The last statement a service of its own sent in two calls (captured from a recording client): with
   * the distinct cache and its member sets, the trends folded in for the overview; with settled blocks
   * the second call sends none, and this is the first call's read of the open tail (what a warm service
   * sends again after each write).
   */
  sent: SqlStats;
  /** The section's load statement without the distinct cache (what the variants below vary). */
  load: SqlStats;
  /** The same statement with the exact distinct merge left out. */
  noDistinct: SqlStats;
  /** Only reading the selected rows (count of them). */
  scanOnly: SqlStats;
  /** The load statement on one thread (max_threads = 1). */
  oneThread: SqlStats;
  /** Planning only: EXPLAIN PLAN of the load statement (parse, analyze, plan; no row read). */
  planOnly: SqlStats;
  /** The same read over HTTP, when measured (client and server are this process: CPU covers both). */
  http?: Summary;
  httpCpu?: Summary;
  /** Overview only: the trends statement. */
  trends?: SqlStats;
}

interface Timed {
  wallMs: number;
  cpuMs: number;
  engineMs: number;
  rowsRead: number;
  bytesRead: number;
  resultRows: number;
}

/** CPU time (user + system) of this process since `from`, ms. */
export const cpuSince = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

async function timeSql(client: ClickHouseClient, sql: SqlQuery): Promise<Timed> {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const rs = await client.query({ query: sql.query, query_params: sql.query_params, format: 'JSON' });
  const j = await rs.json<Record<string, unknown>>();
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const cpuMs = cpuSince(cpu);
  const s = j.statistics;
  return { wallMs, cpuMs, engineMs: (s?.elapsed ?? Number.NaN) * 1000, rowsRead: s?.rows_read ?? 0, bytesRead: s?.bytes_read ?? 0, resultRows: j.data.length };
}

function toStats(runs: readonly Timed[]): SqlStats {
  const last = runs[runs.length - 1]!;
  return {
    wall: summarize(runs.map((r) => r.wallMs)),
    engine: summarize(runs.map((r) => r.engineMs)),
    cpu: summarize(runs.map((r) => r.cpuMs)),
    rowsRead: last.rowsRead,
    bytesRead: last.bytesRead,
    resultRows: last.resultRows,
  };
}

async function repeat(client: ClickHouseClient, sql: SqlQuery, n: number): Promise<SqlStats> {
  await timeSql(client, sql);
  const runs: Timed[] = [];
  for (let i = 0; i < n; i++) runs.push(await timeSql(client, sql));
  return toStats(runs);
}

/** The load statement of a section over a range, as the query service builds it. */
export function loadSql(database: string, orgId: string, spec: Spec, range: TimeRange): SqlQuery {
  const measures = [...measuresOf(spec)].sort();
  const sql = buildLoadQuery({ database, orgId, workspaceId: undefined, measures, distinct: distinctReads(spec), plan: planTotals(range) });
  if (sql === undefined) throw new Error('empty plan');
  return sql;
}

/**
 * The last statement a service of its own sends for the case in two calls (the first builds or loads
 * what its caches hold): what a warm API process runs per request, or, with settled blocks (no
 * statement on the second call), the open tail's read that it repeats after each write.
 */
async function sentStatement(client: ClickHouseClient, database: string, c: ProfileCase, orgId: string, range: TimeRange, nowMs: number, changes?: RollupChanges): Promise<SqlQuery> {
  const { client: recording, sent } = recordingClickHouse(client);
  const probe = createQueryService({ client: recording, database, changes });
  for (let i = 0; i < 2; i++) {
    if (c.section === 'overview') await probe.overview({ orgId, ...range }, nowMs);
    else await probe.sections({ orgId, ...range }, [c.section]);
  }
  const last = sent.at(-1);
  if (last === undefined) throw new Error(`no statement sent for ${c.label}`);
  return { query: last.query, query_params: last.query_params as SqlQuery['query_params'] };
}

/** The floor: `SELECT 1` through the same client. */
export async function floor(client: ClickHouseClient, n: number): Promise<SqlStats> {
  return repeat(client, { query: 'SELECT 1 AS one', query_params: {} }, n);
}

export function withoutDistinct(sql: SqlQuery): SqlQuery {
  // A statement without distinct reads is its own variant.
  return { ...sql, query: sql.query.replaceAll('uniqExactMerge(st)', 'toUInt64(0)') };
}

export function scanOnly(sql: SqlQuery): SqlQuery {
  const from = sql.query.indexOf('FROM (');
  const group = sql.query.indexOf(' GROUP BY');
  if (from < 0 || group < 0) throw new Error('the load statement has changed');
  return { ...sql, query: `SELECT count() AS n, sum(cnt) AS c ${sql.query.slice(from, group)}` };
}

/**
 * Every variant once per round, in rotation, `n` rounds after one warm-up round: load drift on a shared
 * machine then affects all of them alike. `http` (optional) is the same read over HTTP, for comparison.
 */
export async function profileCase(
  client: ClickHouseClient,
  query: QueryService,
  database: string,
  orgId: string,
  nowMs: number,
  c: ProfileCase,
  n: number,
  http?: () => Promise<unknown>,
  changes?: RollupChanges,
): Promise<ProfileResult> {
  const sel = resolveTimeSelection({ period: c.period, tz: c.tz }, nowMs);
  const range = { fromMs: sel.fromMs, toMs: sel.toMs };
  const measures = measuresFor(c.section);
  const serviceCall = async (): Promise<void> => {
    if (c.section === 'overview') {
      await query.overview({ orgId, ...range }, nowMs);
    } else {
      await query.sections({ orgId, ...range }, [c.section]);
    }
  };
  const sql = loadSql(database, orgId, METRICS[c.section], range);
  const statements: Array<[keyof Pick<ProfileResult, 'sent' | 'load' | 'noDistinct' | 'scanOnly' | 'oneThread' | 'planOnly' | 'trends'>, SqlQuery]> = [
    ['sent', await sentStatement(client, database, c, orgId, range, nowMs, changes)],
    ['load', sql],
    ['noDistinct', withoutDistinct(sql)],
    ['scanOnly', scanOnly(sql)],
    ['oneThread', { ...sql, query: `${sql.query}, max_threads = 1` }],
    ['planOnly', { ...sql, query: `EXPLAIN PLAN ${sql.query}` }],
  ];
  if (c.section === 'overview') statements.push(['trends', loadSql(database, orgId, TRENDS, trendsRange(nowMs))]);
  const timed = new Map<string, Timed[]>(statements.map(([k]) => [k, []]));
  const service: number[] = [];
  const serviceCpu: number[] = [];
  const overHttp: number[] = [];
  const httpCpu: number[] = [];
  for (let round = 0; round <= n; round++) {
    const keep = round > 0;
    let cpu = process.cpuUsage();
    let t = process.hrtime.bigint();
    await serviceCall();
    if (keep) {
      service.push(Number(process.hrtime.bigint() - t) / 1e6);
      serviceCpu.push(cpuSince(cpu));
    }
    if (http !== undefined) {
      cpu = process.cpuUsage();
      t = process.hrtime.bigint();
      await http();
      if (keep) {
        overHttp.push(Number(process.hrtime.bigint() - t) / 1e6);
        httpCpu.push(cpuSince(cpu));
      }
    }
    for (const [k, q] of statements) {
      const r = await timeSql(client, q);
      if (keep) timed.get(k)!.push(r);
    }
  }
  const stats = (k: string): SqlStats => toStats(timed.get(k)!);
  const out: ProfileResult = {
    label: c.label,
    measures: measures.length,
    service: summarize(service),
    serviceCpu: summarize(serviceCpu),
    sent: stats('sent'),
    load: stats('load'),
    noDistinct: stats('noDistinct'),
    scanOnly: stats('scanOnly'),
    oneThread: stats('oneThread'),
    planOnly: stats('planOnly'),
  };
  if (http !== undefined) {
    out.http = summarize(overHttp);
    out.httpCpu = summarize(httpCpu);
  }
  if (c.section === 'overview') out.trends = stats('trends');
  return out;
}
