/**
 * The one SQL statement of the query layer: load merged measures of one tenant (optional workspace)
 * over a read plan, optionally grouped by a local time unit. No metric knowledge here (the caller
 * names the measures, from `measuresFor` / `measuresOf`), and no user value in the SQL text: every
 * value travels as a query parameter. The database name is the only name put into the text, and only
 * after `checkDatabaseName`. The embedded engine ignores the client's `database`, hence `db.table`.
 */
import type { MeasureAggregate } from '../metrics/store.js';
import type { IdHashSet } from './id-set.js';
import { GRAINS, dailyRange, type GrainTable, type ReadPlan } from './plan.js';
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
  /**
   * How the caller reads distinct counts (formula.ts `distinctReads`): measure -> true per dim value,
   * false total only. Only these measures merge their id sets; every other measure is summed.
   */
  readonly distinct: ReadonlyMap<string, boolean>;
  readonly plan: ReadPlan;
  readonly groupBy?: LocalGrouping | undefined;
  /** Distinct totals of the plan's whole days from pre-merged states (distinct-cache.ts); totals only, not grouped. */
  readonly cached?: CachedDays | undefined;
  /**
   * Not grouped: count and sum rows are also split at this instant (key 1 from it on, 0 before), so
   * one statement answers a range and its last hour (the overview and its trends). No bucket of the
   * plan may straddle it (`joinPlans`).
   */
  readonly recentFromMs?: number | undefined;
  /**
   * Distinct totals come back as merged states (`ids` of the total row, id-set.ts), not counted: the
   * caller counts them against member sets it holds. With `cached`, the cached days are left out of
   * the states and no entry is read (the caller holds the entries' members). Grouped: one state per
   * key and measure (the open tail's minutes). Distinct counts per dim come back as states per dim and
   * in total.
   */
  readonly states?: boolean | undefined;
}

/** Which pre-merged states to read for the whole days of a plan. */
export interface CachedDays {
  /** The plan's `rollup_1d` range, exactly: its days are read from the cache for the distinct totals. */
  readonly days: TimeRange;
  /** Measure -> the `count` of its entry (an entry's identity). A measure without data has no entry: 0. */
  readonly entries: ReadonlyMap<string, number>;
}

export interface SqlQuery {
  readonly query: string;
  readonly query_params: Record<string, string | number | readonly string[]>;
}

/**
 * A merged measure row with its group key (0 when not grouped). `dim` absent: the measure's total.
 * `covered`: with `cached`, the count of the cached days' rows: as read now on a dim row, as recorded
 * in the cache entry on a total row (the two agree exactly when the entry is current).
 */
export type KeyedAggregate = MeasureAggregate & {
  readonly key: number;
  readonly covered: number;
  /** With `states`, on a total row: the serialized uniqExact state of the rows read (outside the cached days). */
  readonly ids?: Uint8Array;
  /** On a total row read in parts (open-tail.ts): the states of the parts, whose union is its ids. */
  readonly idParts?: readonly Uint8Array[];
  /** On a total row, when the caller keeps sets: its distinct elements as disjoint sets held in this process. */
  readonly members?: readonly IdHashSet[];
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function checkDatabaseName(database: string): string {
  if (!IDENTIFIER.test(database)) throw new Error(`database name ${JSON.stringify(database)} is not a plain identifier`);
  return database;
}

/** Epoch seconds of an instant: how every instant travels as a query parameter (`UInt32`). */
export const seconds = (ms: number): number => Math.floor(ms / 1000);
/** The SQL of a `UInt32` seconds parameter as a UTC DateTime. */
export const at = (param: string): string => `toDateTime({${param}:UInt32}, 'UTC')`;
/** Parameter prefix per table (names must be plain identifiers). */
const PREFIX: Record<GrainTable, string> = { rollup_1d: 'd', rollup_1h: 'h', rollup_15m: 'q', rollup_1m: 'm' };
const GRAIN_MS = Object.fromEntries(GRAINS.map((g) => [g.table, g.ms])) as Record<GrainTable, number>;

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

/**
 * Builds the load statement; undefined when the plan reads nothing or no measure is asked for.
 * Up to three aggregations over the same tables, because merging id sets is what a read costs (at
 * 10 million events a month, 30 days of one tenant's conversation ids take ten times longer to merge
 * than every count and sum; docs/benchmarks.md): count and sum per (measure, dim), summed into totals
 * by the caller's store; id sets merged into totals only for a distinct read as a total; merged per
 * dim and in total only for a distinct read per dim.
 */
export function buildLoadQuery(req: LoadRequest): SqlQuery | undefined {
  const { plan } = req;
  if (req.measures.length === 0 || plan.pieces.length === 0) return undefined;
  const db = checkDatabaseName(req.database);
  const params: Record<string, string | number | readonly string[]> = { org: req.orgId };
  let scope = 'org_id = {org:String}';
  if (req.workspaceId !== undefined) {
    scope += ' AND workspace_id = {ws:String}';
    params.ws = req.workspaceId;
  }
  const when = plan.pieces.map((p) => {
    const conds = p.ranges.map((r, i) => {
      const name = `${PREFIX[p.table]}${i}`;
      params[`${name}_from`] = seconds(r.fromMs);
      params[`${name}_to`] = seconds(r.toMs);
      return `(bucket >= ${at(`${name}_from`)} AND bucket < ${at(`${name}_to`)})`;
    });
    return { table: p.table, cond: conds.length === 1 ? conds[0]! : `(${conds.join(' OR ')})` };
  });
  const cached = req.cached;
  if (cached !== undefined) {
    const r = dailyRange(plan);
    if (req.groupBy !== undefined || r?.fromMs !== cached.days.fromMs || r.toMs !== cached.days.toMs) {
      throw new Error('cached days must be the daily range of an ungrouped plan');
    }
  }
  /** `cv`: the count of the rows of the cached days (the daily table's rows, when the cache is used). */
  const cv = (table: GrainTable): string => (cached !== undefined && table === 'rollup_1d' ? 'count' : 'toUInt64(0)');
  const union = (cols: string, list: string, skip?: GrainTable): string =>
    when
      .filter((w) => w.table !== skip)
      .map((w) => `SELECT bucket, ${cols}, ${cv(w.table)} AS cv FROM ${db}.${w.table} WHERE ${scope} AND measure IN {${list}:Array(String)} AND ${w.cond}`)
      .join(' UNION ALL ');

  const recent = req.recentFromMs;
  if (recent !== undefined) {
    const straddles = plan.pieces.some((p) => {
      const g = GRAIN_MS[p.table];
      return p.ranges.some((r) => r.fromMs < recent && r.toMs > recent && (recent - r.fromMs) % g !== 0);
    });
    if (req.groupBy !== undefined || straddles) throw new Error('a recent split needs an ungrouped plan with no bucket across it');
    params.recent = seconds(recent);
  }

  const keyed = req.groupBy !== undefined;
  const states = req.states === true;
  // Every part of the UNION ALL has the same columns: the states column only in that mode.
  const noIds = states ? ", '' AS b" : '';
  const perDim = req.measures.filter((m) => req.distinct.get(m) === true);
  const totalOnly = req.measures.filter((m) => req.distinct.get(m) === false);
  const plain = req.measures.filter((m) => req.distinct.get(m) !== true);
  const key = keyed ? `${keyExpression(req.groupBy!, params)} AS k, ` : recent !== undefined ? 'toInt64(0) AS k, ' : '';
  const k = keyed ? 'k, ' : '';
  const splitKey = recent !== undefined ? `toInt64(bucket >= ${at('recent')}) AS k, ` : key;
  const splitK = recent !== undefined ? 'k, ' : k;
  const parts: string[] = [];
  if (plain.length > 0) {
    params.mp = plain;
    parts.push(
      `SELECT ${splitKey}measure, dim, 0 AS is_total, sum(cnt) AS c, sum(val) AS s, toUInt64(0) AS d, sum(cv) AS v${noIds} ` +
        `FROM (${union('measure, dim, count AS cnt, sum AS val', 'mp')}) GROUP BY ${splitK}measure, dim`,
    );
  }
  if (totalOnly.length > 0 && states) {
    params.mt = totalOnly;
    const from = union('measure, count AS cnt, sum AS val, ids AS st', 'mt', cached === undefined ? undefined : 'rollup_1d');
    // Nothing outside the cached days: the caller's entries are the whole answer.
    if (from !== '') {
      parts.push(
        `SELECT ${key}measure, '' AS dim, 1 AS is_total, sum(cnt) AS c, sum(val) AS s, toUInt64(0) AS d, toUInt64(0) AS v, ` +
          `base64Encode(toString(uniqExactMergeState(st))) AS b FROM (${from}) GROUP BY ${k}measure`,
      );
    }
  } else if (totalOnly.length > 0) {
    params.mt = totalOnly;
    const cols = 'measure, count AS cnt, sum AS val, ids AS st';
    let from = union(cols, 'mt', cached === undefined ? undefined : 'rollup_1d');
    if (cached !== undefined) {
      // The entry of each measure is named by its count; duplicates of one entry (two readers built it
      // at once) hold the same state, hence LIMIT 1 BY.
      params.cws = req.workspaceId ?? '';
      params.c_from = seconds(cached.days.fromMs);
      params.c_to = seconds(cached.days.toMs);
      const which = totalOnly.map((m, i) => {
        params[`cm${i}`] = m;
        params[`cc${i}`] = cached.entries.get(m) ?? 0;
        return `(measure = {cm${i}:String} AND count = {cc${i}:UInt64})`;
      });
      const entry =
        `(SELECT to_day AS bucket, ${cols}, count AS cv FROM ${db}.distinct_cache WHERE org_id = {org:String} AND workspace_id = {cws:String} ` +
        `AND from_day = ${at('c_from')} AND to_day = ${at('c_to')} AND (${which.join(' OR ')}) LIMIT 1 BY measure)`;
      from = from === '' ? entry : `${entry} UNION ALL ${from}`;
    }
    parts.push(
      `SELECT ${key}measure, '' AS dim, 1 AS is_total, sum(cnt) AS c, sum(val) AS s, uniqExactMerge(st) AS d, sum(cv) AS v ` +
        `FROM (${from}) GROUP BY ${k}measure`,
    );
  }
  if (perDim.length > 0) {
    params.md = perDim;
    // With `states`, per dim and in total as states: the caller keeps them as sets (settled blocks).
    const d = states ? 'toUInt64(0) AS d, toUInt64(0) AS v, base64Encode(toString(uniqExactMergeState(st))) AS b' : 'uniqExactMerge(st) AS d, toUInt64(0) AS v';
    parts.push(
      `SELECT ${key}measure, dim, grouping(dim) AS is_total, sum(cnt) AS c, sum(val) AS s, ${d} ` +
        `FROM (${union('measure, dim, count AS cnt, sum AS val, ids AS st', 'md')}) ` +
        `GROUP BY GROUPING SETS ((${k}measure, dim), (${k}measure))`,
    );
  }
  return { query: `${parts.join(' UNION ALL ')} SETTINGS force_grouping_standard_compatibility = 1`, query_params: params };
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
      covered: r.v === undefined ? 0 : num(r.v, 'covered count'),
      ...(typeof r.b === 'string' && r.b !== '' ? { ids: Buffer.from(r.b, 'base64') } : {}),
    };
    // grouping(dim) = 1: dim was aggregated away, this is the measure's total row.
    return num(r.is_total, 'grouping') === 1 ? base : { ...base, dim: String(r.dim) };
  });
}
