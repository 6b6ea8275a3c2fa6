/**
 * The one SQL statement of the query layer: load merged measures of one tenant (optional workspace)
 * over a read plan, optionally grouped by a local time unit. No metric knowledge here (the caller
 * names the measures, from `measuresFor` / `measuresOf`), and no user value in the SQL text: every
 * value travels as a query parameter. The database name is the only name put into the text, and only
 * after `checkDatabaseName`. The embedded engine ignores the client's `database`, hence `db.table`.
 */
import type { MeasureAggregate } from '../metrics/store.js';
import type { ReadPlan } from './plan.js';
import type { OffsetSegment, TimeRange } from './zone.js';

/** Groups rows by `floor((utc seconds + offset in force) / unitSeconds)`: local days or local hours. */
export interface LocalGrouping {
  /** The zone's offsets over the plan's range (zone.ts `offsetSegments`). */
  readonly segments: readonly OffsetSegment[];
  /** 86 400 for local days (key = epoch day), 3 600 for local hours (key mod 24 = hour). */
  readonly unitSeconds: number;
}

export interface LoadRequest {
  readonly database: string;
  readonly orgId: string;
  readonly workspaceId: string | undefined;
  readonly measures: readonly string[];
  readonly plan: ReadPlan;
  readonly groupBy?: LocalGrouping | undefined;
}

export interface SqlQuery {
  readonly query: string;
  readonly query_params: Record<string, string | number | readonly string[]>;
}

/** A merged measure row with its group key (0 when not grouped). `dim` absent: the measure's total. */
export type KeyedAggregate = MeasureAggregate & { readonly key: number };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function checkDatabaseName(database: string): string {
  if (!IDENTIFIER.test(database)) throw new Error(`database name ${JSON.stringify(database)} is not a plain identifier`);
  return database;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const at = (param: string): string => `toDateTime({${param}:UInt32}, 'UTC')`;

/** The local-key expression over `bucket`, adding its parameters to `params`. */
function keyExpression(g: LocalGrouping, params: Record<string, string | number | readonly string[]>): string {
  if (g.segments.length === 0) throw new Error('a local grouping needs at least one offset segment');
  g.segments.forEach((s, i) => {
    params[`o${i}`] = Math.round(s.offsetMs / 1000);
    if (i > 0) params[`s${i}`] = seconds(s.fromMs);
  });
  params.unit = g.unitSeconds;
  let offset = `{o${g.segments.length - 1}:Int32}`;
  if (g.segments.length > 1) {
    const arms = g.segments.slice(1).map((_, j) => `bucket < ${at(`s${j + 1}`)}, {o${j}:Int32}`);
    offset = `multiIf(${arms.join(', ')}, ${offset})`;
  }
  return `intDiv(toInt64(toUnixTimestamp(bucket)) + ${offset}, {unit:UInt32})`;
}

/** Builds the load statement; undefined when the plan reads nothing or no measure is asked for. */
export function buildLoadQuery(req: LoadRequest): SqlQuery | undefined {
  const { plan } = req;
  if (req.measures.length === 0 || (plan.coarse === undefined && plan.fine.length === 0)) return undefined;
  const db = checkDatabaseName(req.database);
  const params: Record<string, string | number | readonly string[]> = { org: req.orgId, measures: [...req.measures] };
  let filter = 'org_id = {org:String} AND measure IN {measures:Array(String)}';
  if (req.workspaceId !== undefined) {
    filter += ' AND workspace_id = {ws:String}';
    params.ws = req.workspaceId;
  }
  const between = (name: string, r: TimeRange): string => {
    params[`${name}_from`] = seconds(r.fromMs);
    params[`${name}_to`] = seconds(r.toMs);
    return `(bucket >= ${at(`${name}_from`)} AND bucket < ${at(`${name}_to`)})`;
  };
  const source = (table: string, when: string): string =>
    `SELECT bucket, measure, dim, count AS cnt, sum AS val, ids AS st FROM ${db}.${table} WHERE ${filter} AND ${when}`;
  const parts: string[] = [];
  if (plan.coarse !== undefined) parts.push(source('rollup_15m', between('c', plan.coarse)));
  if (plan.fine.length > 0) parts.push(source('rollup_1m', `(${plan.fine.map((r, i) => between(`f${i}`, r)).join(' OR ')})`));

  const keyed = req.groupBy !== undefined;
  const key = keyed ? `${keyExpression(req.groupBy!, params)} AS k, ` : '';
  const sets = keyed ? '(k, measure, dim), (k, measure)' : '(measure, dim), (measure)';
  const query =
    `SELECT ${key}measure, dim, grouping(dim) AS is_total, sum(cnt) AS c, sum(val) AS s, uniqExactMerge(st) AS d ` +
    `FROM (${parts.join(' UNION ALL ')}) ` +
    `GROUP BY GROUPING SETS (${sets}) ` +
    `SETTINGS force_grouping_standard_compatibility = 1`;
  return { query, query_params: params };
}

function num(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`unexpected ${what} in a rollup answer: ${JSON.stringify(v)}`);
  return n;
}

/** Reads the rows of the load statement (JSONEachRow; 64-bit integers as numbers or strings). */
export function readLoadedRows(rows: readonly Record<string, unknown>[]): KeyedAggregate[] {
  return rows.map((r) => {
    const measure = String(r.measure);
    const base = {
      key: r.k === undefined ? 0 : num(r.k, 'key'),
      measure,
      count: num(r.c, 'count'),
      sum: num(r.s, 'sum'),
      distinct: num(r.d, 'distinct'),
    };
    // grouping(dim) = 1: dim was aggregated away, this is the measure's total row.
    return num(r.is_total, 'grouping') === 1 ? base : { ...base, dim: String(r.dim) };
  });
}
