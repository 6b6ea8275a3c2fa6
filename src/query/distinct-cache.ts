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
 *
 * Each process also keeps an entry's members, the 128-bit hashes of its ids (id-set.ts), up to a
 * memory budget. With them, a read asks the engine only for the state of the days outside the entry
 * (today, mostly: tens of thousands of ids, not most of a million) and counts here which of those the
 * entry lacks. Entries whose members do not fit are read in the engine, as above.
 */
import type { ClickHouseClient } from '../clickhouse/client.js';
import { toSinkError } from '../sink/rollup-writer.js';
import { IdHashSet } from './id-set.js';
import { at, seconds, type CachedDays, type KeyedAggregate } from './sql.js';
import { DAY_MS, type TimeRange } from './zone.js';

export interface DistinctCacheOptions {
  client: ClickHouseClient;
  database: string;
  /** Fewer whole days than this are merged from the daily table directly. Default 3. */
  minDays?: number;
  /** A stale entry is rebuilt at most this often; in between, reads skip it. Default 60,000 ms. */
  rebuildAfterMs?: number;
  /** Entries remembered in memory (least recently used dropped first). Default 10,000. */
  maxEntries?: number;
  /**
   * Bytes of member sets kept in this process (least recently used dropped first; ~17 MB for a month
   * of 740,000 conversation ids). 0 keeps none: every entry is read in the engine. Default 512 MiB.
   */
  maxMemberBytes?: number;
  /** Clock for `rebuildAfterMs`. Default Date.now. */
  now?: () => number;
}

export interface CacheScope {
  readonly orgId: string;
  readonly workspaceId: string | undefined;
}

/** One measure's entry: the count and sum of the days it was built from, and its members when kept here. */
export interface CacheEntry {
  readonly count: number;
  readonly sum: number;
  readonly members: IdHashSet | undefined;
}

/** An entry whose members this process holds. */
export type HeldEntry = CacheEntry & { readonly members: IdHashSet };

export interface DistinctCache {
  /**
   * The entries to read for `measures` over `days` (whole UTC days), built first where none exists;
   * undefined when the cache is not worth it for this range.
   */
  entries(scope: CacheScope, measures: readonly string[], days: TimeRange): Promise<Map<string, CacheEntry> | undefined>;
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
 * a moment ago or changes again meanwhile, reads without the cache. `run(cached, states)` runs the
 * load statement (sql.ts). With `sets`, every distinct total comes back with its members as sets held
 * here (`members` of the total row, see `withMembers`), or as a state (`ids`) where no entry's members
 * are held: what settled blocks keep (settled-blocks.ts).
 */
export async function readThroughCache(
  cache: DistinctCache,
  scope: CacheScope,
  measures: readonly string[],
  days: TimeRange,
  run: (cached?: CachedDays, states?: boolean) => Promise<KeyedAggregate[]>,
  sets = false,
): Promise<KeyedAggregate[]> {
  const read = async (entries: ReadonlyMap<string, CacheEntry>): Promise<KeyedAggregate[]> => {
    const cached = { days, entries: new Map([...entries].map(([m, e]) => [m, e.count])) };
    const held = new Map<string, HeldEntry>();
    for (const [m, e] of entries) if (e.members !== undefined) held.set(m, { ...e, members: e.members });
    if (held.size === measures.length) return withMembers(await run(cached, true), held, sets);
    return sets ? run(undefined, true) : run(cached);
  };
  const entries = await cache.entries(scope, measures, days);
  if (entries === undefined) return run(undefined, sets);
  const rows = await read(entries);
  const stale = staleMeasures(rows, measures);
  if (stale.length === 0) return rows;
  if (await cache.refresh(scope, stale, days)) {
    const again = await read((await cache.entries(scope, measures, days)) ?? new Map());
    if (staleMeasures(again, measures).length === 0) return again;
  }
  return run(undefined, sets);
}

/**
 * The total rows of a read with `states` and cached days: each cached measure's total is its entry
 * plus what the statement read outside the entry's days, the distinct count the entry's members plus
 * the ids the entry lacks. `covered` is the entry's count, as the engine would have read it from the
 * entry. With `sets`, the row also carries its members as disjoint sets: the entry's, and the ids
 * read outside it that the entry lacks.
 */
export function withMembers(rows: readonly KeyedAggregate[], held: ReadonlyMap<string, HeldEntry>, sets = false): KeyedAggregate[] {
  const out = rows.filter((r) => r.dim !== undefined || !held.has(r.measure));
  for (const [measure, e] of held) {
    const { members } = e;
    const r = rows.find((x) => x.dim === undefined && x.measure === measure);
    const base = { key: r?.key ?? 0, measure, count: e.count + (r?.count ?? 0), sum: e.sum + (r?.sum ?? 0), covered: e.count };
    if (!sets) {
      out.push({ ...base, distinct: members.size + (r?.ids === undefined ? 0 : members.countMissing(r.ids)) });
      continue;
    }
    const layers = r?.ids === undefined ? [members] : [members, IdHashSet.fromState(r.ids, [members])];
    out.push({ ...base, distinct: layers.reduce((n, l) => n + l.size, 0), members: layers });
  }
  return out;
}

interface Known extends CacheEntry {
  /** When this process built it (0: found in the table, age unknown). */
  readonly builtAt: number;
}

/** An entry as the table holds it; `b`: the state, base64. */
interface EntryRow {
  measure: string;
  count: number | string;
  sum: number | string;
  b?: string;
}

const EMPTY_STATE = Uint8Array.of(0);

export function createDistinctCache(options: DistinctCacheOptions): DistinctCache {
  const { client, database: db } = options;
  const minDays = options.minDays ?? 3;
  const rebuildAfterMs = options.rebuildAfterMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const maxMemberBytes = options.maxMemberBytes ?? 512 * 1024 * 1024;
  const clock = options.now ?? Date.now;
  const known = new Map<string, Known>();
  let memberBytes = 0;

  const keyOf = (s: CacheScope, measure: string, days: TimeRange): string =>
    JSON.stringify([s.orgId, s.workspaceId ?? '', measure, days.fromMs, days.toMs]);
  const forget = (key: string): void => {
    memberBytes -= known.get(key)?.members?.bytes ?? 0;
    known.delete(key);
  };
  /** Remembers (or touches) an entry as the most recently used; drops the oldest beyond the bounds. */
  const remember = (key: string, k: Known): void => {
    forget(key);
    known.set(key, k);
    memberBytes += k.members?.bytes ?? 0;
    if (known.size > maxEntries) forget(known.keys().next().value!);
    for (const [oldKey, old] of known) {
      if (memberBytes <= maxMemberBytes) break;
      if (old.members === undefined) continue;
      memberBytes -= old.members.bytes;
      known.set(oldKey, { ...old, members: undefined });
    }
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
    `AND from_day = ${at('from')} AND to_day = ${at('to')}`;

  /**
   * The newest entry per measure in the table (the largest count is the newest: counts only grow),
   * with its members when the budget can hold them at all.
   */
  async function lookup(s: CacheScope, measures: readonly string[], days: TimeRange, builtAt: number): Promise<Map<string, Known>> {
    const state = maxMemberBytes > 0 ? ', base64Encode(toString(ids)) AS b' : '';
    let rows: EntryRow[];
    try {
      const rs = await client.query({
        query: `SELECT measure, count, sum${state} FROM ${db}.distinct_cache WHERE ${entryWhere} ORDER BY count DESC LIMIT 1 BY measure`,
        query_params: entryParams(s, measures, days),
        format: 'JSONEachRow',
      });
      rows = await rs.json<EntryRow>();
    } catch (err) {
      throw toSinkError('distinct cache lookup', err);
    }
    return new Map(
      rows.map((r) => [
        String(r.measure),
        { count: Number(r.count), sum: Number(r.sum), members: r.b === undefined ? undefined : IdHashSet.fromState(Buffer.from(r.b, 'base64')), builtAt },
      ]),
    );
  }

  async function build(s: CacheScope, measures: readonly string[], days: TimeRange): Promise<void> {
    const params = { ...entryParams(s, measures, days), ...(s.workspaceId === undefined ? {} : { ws: s.workspaceId }) };
    const ws = s.workspaceId === undefined ? '' : ' AND workspace_id = {ws:String}';
    try {
      await client.command({
        query:
          `INSERT INTO ${db}.distinct_cache (org_id, workspace_id, measure, from_day, to_day, count, sum, ids) ` +
          `SELECT {org:String}, {cws:String}, measure, ${at('from')}, ${at('to')}, ` +
          `sum(count), sum(sum), uniqExactMergeState(ids) FROM ${db}.rollup_1d ` +
          `WHERE org_id = {org:String}${ws} AND measure IN {ms:Array(String)} ` +
          `AND bucket >= ${at('from')} AND bucket < ${at('to')} GROUP BY measure`,
        query_params: params,
      });
    } catch (err) {
      throw toSinkError('distinct cache build', err);
    }
    const builtAt = clock();
    const built = await lookup(s, measures, days, builtAt);
    for (const m of measures) remember(keyOf(s, m, days), built.get(m) ?? nothing(builtAt));
  }

  /** A measure without rows on those days gets no entry: 0, and no members, is what a read then expects. */
  const nothing = (builtAt: number): Known => ({ count: 0, sum: 0, members: maxMemberBytes > 0 ? IdHashSet.fromState(EMPTY_STATE) : undefined, builtAt });

  return {
    async entries(s, measures, days) {
      if (measures.length === 0 || days.toMs - days.fromMs < minDays * DAY_MS) return undefined;
      // An entry whose members were dropped for room is not loaded again (that would thrash when the
      // entries in use do not fit): it is read in the engine until it is rebuilt or its range moves on.
      const unknown = measures.filter((m) => !known.has(keyOf(s, m, days)));
      if (unknown.length > 0) {
        const found = await lookup(s, unknown, days, 0);
        for (const [m, k] of found) remember(keyOf(s, m, days), k);
        const missing = unknown.filter((m) => !found.has(m));
        if (missing.length > 0) await build(s, missing, days);
      }
      const out = new Map<string, CacheEntry>();
      for (const m of measures) {
        const key = keyOf(s, m, days);
        const k = known.get(key);
        if (k === undefined) continue;
        remember(key, k);
        out.set(m, k);
      }
      return out;
    },

    async refresh(s, measures, days) {
      const now = clock();
      if (measures.some((m) => now - (known.get(keyOf(s, m, days))?.builtAt ?? 0) < rebuildAfterMs)) return false;
      await build(s, measures, days);
      return true;
    },
  };
}
