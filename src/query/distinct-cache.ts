/**
 * Pre-merged distinct states of whole days (docs/query.md, "The distinct cache"). An exact distinct
 * total over a month merges every daily id set of it, per element: 750,000 conversation ids cost
 * ~100 ms however they are split. One state holding the union of the month's whole days merges about
 * twice as fast, and whole days are what a `30d` or `7d` period is made of besides today.
 *
 * An entry is (tenant, workspace or '' for the whole tenant, measure, [from_day, to_day)) with the
 * union of the daily states and the sum of their `count`s when it was built. Rollup rows are only ever
 * added (a replay is deduplicated, merges keep sums), and every row of a distinct measure counts at
 * least one event, so the days are unchanged exactly when the count read now equals the entry's: the
 * load statement reads both and the service checks them (`staleMeasures`) before trusting a number. A
 * late event into a cached day makes the entry stale; it is rebuilt, at most once a minute per entry,
 * and the read runs without the cache meanwhile. Correctness never depends on lateness settings.
 */
import type { ClickHouseClient } from '../clickhouse/client.js';
import { toSinkError } from '../sink/rollup-writer.js';
import type { CachedDays, KeyedAggregate } from './sql.js';
import { DAY_MS, type TimeRange } from './zone.js';

export interface DistinctCacheOptions {
  client: ClickHouseClient;
  database: string;
  /** Fewer whole days than this are merged from the daily table directly. Default 3. */
  minDays?: number;
  /** A stale entry is rebuilt at most this often; in between, reads skip it. Default 60,000 ms. */
  rebuildAfterMs?: number;
  /** Entries remembered in memory (least recently built dropped first). Default 10,000. */
  maxEntries?: number;
  /** Clock for `rebuildAfterMs`. Default Date.now. */
  now?: () => number;
}

export interface CacheScope {
  readonly orgId: string;
  readonly workspaceId: string | undefined;
}

export interface DistinctCache {
  /**
   * The entries to read for `measures` over `days` (whole UTC days), built first where none exists;
   * undefined when the cache is not worth it for this range.
   */
  entries(scope: CacheScope, measures: readonly string[], days: TimeRange): Promise<Map<string, number> | undefined>;
  /** Rebuilds the entries of measures a read found stale; false when one was rebuilt too recently. */
  refresh(scope: CacheScope, measures: readonly string[], days: TimeRange): Promise<boolean>;
}

/**
 * The measures whose cache entry does not match the days as read now: the count of their dim rows over
 * the cached days differs from the count recorded in the entry (on the total row).
 */
export function staleMeasures(rows: readonly KeyedAggregate[], measures: readonly string[]): string[] {
  const now = new Map<string, number>();
  const recorded = new Map<string, number>();
  for (const r of rows) {
    if (r.dim === undefined) recorded.set(r.measure, (recorded.get(r.measure) ?? 0) + r.covered);
    else now.set(r.measure, (now.get(r.measure) ?? 0) + r.covered);
  }
  return measures.filter((m) => (now.get(m) ?? 0) !== (recorded.get(m) ?? 0));
}

/**
 * Runs a read with the cache entries of `measures` over `days`, and checks them: when some cached day
 * changed since its entry was built (a late event), rebuilds and reads again, or, when it was rebuilt
 * a moment ago or changes again meanwhile, reads without the cache.
 */
export async function readThroughCache(
  cache: DistinctCache,
  scope: CacheScope,
  measures: readonly string[],
  days: TimeRange,
  run: (cached?: CachedDays) => Promise<KeyedAggregate[]>,
): Promise<KeyedAggregate[]> {
  const entries = await cache.entries(scope, measures, days);
  if (entries === undefined) return run();
  const rows = await run({ days, entries });
  const stale = staleMeasures(rows, measures);
  if (stale.length === 0) return rows;
  if (await cache.refresh(scope, stale, days)) {
    const again = await run({ days, entries: (await cache.entries(scope, measures, days)) ?? new Map() });
    if (staleMeasures(again, measures).length === 0) return again;
  }
  return run();
}

interface Known {
  count: number;
  /** When this process built it (0: found in the table, age unknown). */
  builtAt: number;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function createDistinctCache(options: DistinctCacheOptions): DistinctCache {
  const { client, database: db } = options;
  const minDays = options.minDays ?? 3;
  const rebuildAfterMs = options.rebuildAfterMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const clock = options.now ?? Date.now;
  const known = new Map<string, Known>();

  const keyOf = (s: CacheScope, measure: string, days: TimeRange): string =>
    JSON.stringify([s.orgId, s.workspaceId ?? '', measure, days.fromMs, days.toMs]);
  const remember = (key: string, k: Known): void => {
    known.delete(key);
    known.set(key, k);
    if (known.size > maxEntries) known.delete(known.keys().next().value!);
  };
  const entryParams = (s: CacheScope, measures: readonly string[], days: TimeRange) => ({
    org: s.orgId,
    cws: s.workspaceId ?? '',
    ms: [...measures],
    from: seconds(days.fromMs),
    to: seconds(days.toMs),
  });
  const entryWhere =
    `org_id = {org:String} AND workspace_id = {cws:String} AND measure IN {ms:Array(String)} ` +
    `AND from_day = toDateTime({from:UInt32}, 'UTC') AND to_day = toDateTime({to:UInt32}, 'UTC')`;

  /** The newest entry per measure in the table (the largest count is the newest: counts only grow). */
  async function lookup(s: CacheScope, measures: readonly string[], days: TimeRange): Promise<Map<string, number>> {
    try {
      const rs = await client.query({
        query: `SELECT measure, max(count) AS n FROM ${db}.distinct_cache WHERE ${entryWhere} GROUP BY measure`,
        query_params: entryParams(s, measures, days),
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ measure: string; n: number | string }>();
      return new Map(rows.map((r) => [String(r.measure), Number(r.n)]));
    } catch (err) {
      throw toSinkError('distinct cache lookup', err);
    }
  }

  async function build(s: CacheScope, measures: readonly string[], days: TimeRange): Promise<void> {
    const params = { ...entryParams(s, measures, days), ...(s.workspaceId === undefined ? {} : { ws: s.workspaceId }) };
    const ws = s.workspaceId === undefined ? '' : ' AND workspace_id = {ws:String}';
    try {
      await client.command({
        query:
          `INSERT INTO ${db}.distinct_cache (org_id, workspace_id, measure, from_day, to_day, count, sum, ids) ` +
          `SELECT {org:String}, {cws:String}, measure, toDateTime({from:UInt32}, 'UTC'), toDateTime({to:UInt32}, 'UTC'), ` +
          `sum(count), sum(sum), uniqExactMergeState(ids) FROM ${db}.rollup_1d ` +
          `WHERE org_id = {org:String}${ws} AND measure IN {ms:Array(String)} ` +
          `AND bucket >= toDateTime({from:UInt32}, 'UTC') AND bucket < toDateTime({to:UInt32}, 'UTC') GROUP BY measure`,
        query_params: params,
      });
    } catch (err) {
      throw toSinkError('distinct cache build', err);
    }
    const built = await lookup(s, measures, days);
    const at = clock();
    // A measure without rows on those days gets no entry; 0 is what the read then expects.
    for (const m of measures) remember(keyOf(s, m, days), { count: built.get(m) ?? 0, builtAt: at });
  }

  return {
    async entries(s, measures, days) {
      if (measures.length === 0 || days.toMs - days.fromMs < minDays * DAY_MS) return undefined;
      const unknown = measures.filter((m) => !known.has(keyOf(s, m, days)));
      if (unknown.length > 0) {
        const found = await lookup(s, unknown, days);
        for (const [m, count] of found) remember(keyOf(s, m, days), { count, builtAt: 0 });
        const missing = unknown.filter((m) => !found.has(m));
        if (missing.length > 0) await build(s, missing, days);
      }
      return new Map(measures.map((m) => [m, known.get(keyOf(s, m, days))?.count ?? 0]));
    },

    async refresh(s, measures, days) {
      const now = clock();
      if (measures.some((m) => now - (known.get(keyOf(s, m, days))?.builtAt ?? 0) < rebuildAfterMs)) return false;
      await build(s, measures, days);
      return true;
    },
  };
}
