/**
 * Experiments of the read benchmark (bench/read.ts): not the API's path, but the same reads written
 * two other ways, on the same data, to size the improvements proposed in docs/benchmarks-read.md.
 *
 *  - "kind-aware" statement: measures the section never reads as a distinct count (every count and sum
 *    measure, and a distinct measure read only as a count, as the trends do) are grouped by
 *    (measure, dim) without touching the `ids` column (their totals are the sum of their dims, which
 *    AggregateMeasureStore already does); a distinct measure merges its id sets per dim only when the
 *    section reads it per dim (channels, cohorts), otherwise only its total (overview). Same numbers,
 *    checked against the current statement through the same evaluator.
 *  - a daily grain: `exp_rollup_1d`, built here once from `rollup_15m` (whole UTC days), read for the
 *    whole days of a range, with quarter hours and minutes at the edges.
 */
import type { ClickHouseClient } from '../src/clickhouse/client.js';
import { evaluateSection, evaluateSpec } from '../src/metrics/evaluate.js';
import { isExpr, measuresOf, type Spec } from '../src/metrics/formula.js';
import { METRICS, TRENDS, compileMapping, type MeasureKind, type MetricSection } from '../src/metrics/mapping.js';
import { AggregateMeasureStore } from '../src/metrics/store.js';
import { resolveTimeSelection } from '../src/query/range.js';
import { readLoadedRows, type SqlQuery } from '../src/query/sql.js';
import { trendsRange } from '../src/query/trends.js';
import { DAY_MS, QUARTER_MS, type TimeRange } from '../src/query/zone.js';
import { cpuSince, loadSql } from './read-profile.js';
import { summarize, type Summary } from './read-stats.js';

export const DAILY_TABLE = 'exp_rollup_1d';

/** Creates and fills the daily table from rollup_15m once; returns its row count and the seconds it took (0 when present). */
export async function ensureDailyTable(client: ClickHouseClient, db: string): Promise<{ rows: number; seconds: number }> {
  const count = async (): Promise<number> => {
    const rs = await client.query({ query: `SELECT count() AS n FROM ${db}.${DAILY_TABLE}`, format: 'JSONEachRow' });
    return Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0);
  };
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.${DAILY_TABLE} AS ${db}.rollup_15m ENGINE = AggregatingMergeTree ORDER BY (org_id, measure, bucket, workspace_id, dim)`,
  });
  const have = await count();
  if (have > 0) return { rows: have, seconds: 0 };
  const t = performance.now();
  await client.command({
    query:
      `INSERT INTO ${db}.${DAILY_TABLE} SELECT org_id, measure, toStartOfDay(bucket) AS day, workspace_id, dim, ` +
      `sum(count), sum(sum), uniqExactMergeState(ids) FROM ${db}.rollup_15m GROUP BY org_id, measure, day, workspace_id, dim`,
  });
  await client.command({ query: `OPTIMIZE TABLE ${db}.${DAILY_TABLE} FINAL` });
  return { rows: await count(), seconds: (performance.now() - t) / 1000 };
}

interface Sources {
  days: TimeRange[];
  quarters: TimeRange[];
  minutes: TimeRange[];
}

/** A minute-aligned range as whole UTC days (daily grain), quarter hours and minutes. */
function splitRange(r: TimeRange, daily: boolean): Sources {
  const q0 = Math.ceil(r.fromMs / QUARTER_MS) * QUARTER_MS;
  const q1 = Math.floor(r.toMs / QUARTER_MS) * QUARTER_MS;
  if (q0 >= q1) return { days: [], quarters: [], minutes: r.fromMs < r.toMs ? [r] : [] };
  const minutes: TimeRange[] = [];
  if (r.fromMs < q0) minutes.push({ fromMs: r.fromMs, toMs: q0 });
  if (q1 < r.toMs) minutes.push({ fromMs: q1, toMs: r.toMs });
  const d0 = Math.ceil(q0 / DAY_MS) * DAY_MS;
  const d1 = Math.floor(q1 / DAY_MS) * DAY_MS;
  if (!daily || d0 >= d1) return { days: [], quarters: [{ fromMs: q0, toMs: q1 }], minutes };
  const quarters: TimeRange[] = [];
  if (q0 < d0) quarters.push({ fromMs: q0, toMs: d0 });
  if (d1 < q1) quarters.push({ fromMs: d1, toMs: q1 });
  return { days: [{ fromMs: d0, toMs: d1 }], quarters, minutes };
}

/** How the spec reads distinct counts: measure -> true when per dim value, false when only as the total. */
function distinctReads(spec: Spec, into = new Map<string, boolean>()): Map<string, boolean> {
  if (!isExpr(spec)) {
    for (const sub of Object.values(spec)) distinctReads(sub, into);
    return into;
  }
  switch (spec.op) {
    case 'distinct':
      into.set(spec.measure, (into.get(spec.measure) ?? false) || spec.dim !== undefined);
      break;
    case 'ratio':
      distinctReads(spec.num, into);
      distinctReads(spec.den, into);
      break;
    case 'groups':
    case 'groupsFrom':
      distinctReads(spec.each, into);
      break;
    default:
      break;
  }
  return into;
}

let kinds: Map<string, MeasureKind> | undefined;
function kindOf(measure: string): MeasureKind {
  if (kinds === undefined) {
    const m = compileMapping();
    kinds = new Map(m.measures.map((name, i) => [name, m.kinds[i]!]));
  }
  const k = kinds.get(measure);
  if (k === undefined) throw new Error(`unknown measure ${measure}`);
  return k;
}

export type Shape = 'current' | 'kind-aware';

/** The load statement of `spec`'s measures over `range`, with or without the daily grain, in one of two shapes. */
export function experimentSql(db: string, orgId: string, spec: Spec, range: TimeRange, daily: boolean, shape: Shape): SqlQuery {
  const measures = [...measuresOf(spec)].sort();
  const src = splitRange(range, daily);
  const params: Record<string, string | number | readonly string[]> = { org: orgId };
  const at = (p: string) => `toDateTime({${p}:UInt32}, 'UTC')`;
  let n = 0;
  const between = (rs: TimeRange[]) =>
    `(${rs
      .map((r) => {
        const i = n++;
        params[`f${i}`] = r.fromMs / 1000;
        params[`t${i}`] = r.toMs / 1000;
        return `(bucket >= ${at(`f${i}`)} AND bucket < ${at(`t${i}`)})`;
      })
      .join(' OR ')})`;
  const tables: Array<[string, TimeRange[]]> = [
    [DAILY_TABLE, src.days],
    ['rollup_15m', src.quarters],
    ['rollup_1m', src.minutes],
  ];
  const union = (cols: string, list: string) =>
    tables
      .filter(([, rs]) => rs.length > 0)
      .map(([t, rs]) => `SELECT ${cols} FROM ${db}.${t} WHERE org_id = {org:String} AND measure IN {${list}:Array(String)} AND ${between(rs)}`)
      .join(' UNION ALL ');
  const parts: string[] = [];
  if (shape === 'current') {
    params.m = measures;
    parts.push(
      `SELECT measure, dim, grouping(dim) AS is_total, sum(cnt) AS c, sum(val) AS s, uniqExactMerge(st) AS d ` +
        `FROM (${union('measure, dim, count AS cnt, sum AS val, ids AS st', 'm')}) GROUP BY GROUPING SETS ((measure, dim), (measure))`,
    );
  } else {
    // A measure the spec never reads as a distinct count needs no id sets, whatever its kind (the
    // trends read escalated_conversations as a count).
    const reads = distinctReads(spec);
    const plain = measures.filter((m) => kindOf(m) !== 'distinct' || !reads.has(m));
    const dTotals = measures.filter((m) => kindOf(m) === 'distinct' && reads.get(m) === false);
    const dDims = measures.filter((m) => kindOf(m) === 'distinct' && reads.get(m) === true);
    if (plain.length > 0) {
      params.mp = plain;
      parts.push(
        `SELECT measure, dim, 0 AS is_total, sum(cnt) AS c, sum(val) AS s, toUInt64(0) AS d ` +
          `FROM (${union('measure, dim, count AS cnt, sum AS val', 'mp')}) GROUP BY measure, dim`,
      );
    }
    if (dTotals.length > 0) {
      params.mt = dTotals;
      parts.push(
        `SELECT measure, '' AS dim, 1 AS is_total, sum(cnt) AS c, sum(val) AS s, uniqExactMerge(st) AS d ` +
          `FROM (${union('measure, count AS cnt, sum AS val, ids AS st', 'mt')}) GROUP BY measure`,
      );
    }
    if (dDims.length > 0) {
      params.md = dDims;
      parts.push(
        `SELECT measure, dim, grouping(dim) AS is_total, sum(cnt) AS c, sum(val) AS s, uniqExactMerge(st) AS d ` +
          `FROM (${union('measure, dim, count AS cnt, sum AS val, ids AS st', 'md')}) GROUP BY GROUPING SETS ((measure, dim), (measure))`,
      );
    }
  }
  return { query: `${parts.join(' UNION ALL ')} SETTINGS force_grouping_standard_compatibility = 1`, query_params: params };
}

async function run(client: ClickHouseClient, sql: SqlQuery): Promise<{ engineMs: number; cpuMs: number; rows: Record<string, unknown>[] }> {
  const cpu = process.cpuUsage();
  const rs = await client.query({ query: sql.query, query_params: sql.query_params, format: 'JSON' });
  const j = await rs.json<Record<string, unknown>>();
  return { engineMs: (j.statistics?.elapsed ?? Number.NaN) * 1000, cpuMs: cpuSince(cpu), rows: j.data };
}

export interface ExperimentCase {
  label: string;
  /** A section, or 'trends' (the overview's last hour). */
  what: MetricSection | 'trends';
  period: '30d' | 'today';
  tz: string;
}

export interface ExperimentResult {
  label: string;
  variants: Array<{ name: string; engine: Summary; cpu: Summary; same: boolean }>;
}

/** The evaluated answer, numbers to 12 significant digits (sums may be added in another order). */
function answer(what: MetricSection | 'trends', rows: Record<string, unknown>[]): string {
  const store = new AggregateMeasureStore(readLoadedRows(rows));
  const value: unknown = what === 'trends' ? evaluateSpec(TRENDS, store) : evaluateSection(what, store);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v));
}

/** Engine time of the current statement and of the variants, and whether each gives the same answer. */
export async function runExperiment(client: ClickHouseClient, db: string, orgId: string, nowMs: number, c: ExperimentCase, n: number): Promise<ExperimentResult> {
  const range = c.what === 'trends' ? trendsRange(nowMs) : (({ fromMs, toMs }) => ({ fromMs, toMs }))(resolveTimeSelection({ period: c.period, tz: c.tz }, nowMs));
  const spec: Spec = c.what === 'trends' ? TRENDS : METRICS[c.what];
  const reference = answer(c.what, (await run(client, loadSql(db, orgId, [...measuresOf(spec)].sort(), range))).rows);
  const variants: Array<[string, SqlQuery]> = [
    ['15m + 1m, current shape', experimentSql(db, orgId, spec, range, false, 'current')],
    ['15m + 1m, kind-aware', experimentSql(db, orgId, spec, range, false, 'kind-aware')],
    ['1d + 15m + 1m, current shape', experimentSql(db, orgId, spec, range, true, 'current')],
    ['1d + 15m + 1m, kind-aware', experimentSql(db, orgId, spec, range, true, 'kind-aware')],
  ];
  // Interleaved rounds (one warm-up round, then n), so load drift hits every variant alike.
  const times = variants.map((): number[] => []);
  const cpus = variants.map((): number[] => []);
  const same = variants.map(() => true);
  for (let round = 0; round <= n; round++) {
    for (let v = 0; v < variants.length; v++) {
      const r = await run(client, variants[v]![1]);
      if (round === 0) same[v] = answer(c.what, r.rows) === reference;
      else {
        times[v]!.push(r.engineMs);
        cpus[v]!.push(r.cpuMs);
      }
    }
  }
  return { label: c.label, variants: variants.map(([name], v) => ({ name, engine: summarize(times[v]!), cpu: summarize(cpus[v]!), same: same[v]! })) };
}
