/**
 * Settled blocks (docs/query.md): the aggregates of a range's past, kept in this process, so that a
 * read asks the engine only for its last hour or two. Only where the process hears of every rollup
 * write (src/sink/changes.ts: the embedded engine, which one process owns): a block is exact exactly
 * as long as no write touched its scope before its end, and every such write drops it.
 *
 * A block is (tenant, workspace or all, `[from, cut)`, the measures and how they are read): count
 * and sum per (measure, dim), and per distinct total its members as disjoint sets (id-set.ts), so
 * that the ids of the open tail are counted against them. The cut trails the range's end by one to
 * two hours (`settledCut`), so events a few minutes late, the common case, land in the open tail and
 * never drop a block. A key whose block a write dropped is read without a block for `rebuildAfterMs`,
 * so a scope receiving late events continuously costs what it cost without blocks.
 */
import type { RollupChanges, RollupTouch } from '../sink/changes.js';
import type { CacheScope } from './distinct-cache.js';
import { IdHashSet } from './id-set.js';
import { OpenTail, type MinuteLoader } from './open-tail.js';
import type { KeyedAggregate } from './sql.js';
import { HOUR_MS, type TimeRange } from './zone.js';

export interface SettledBlocksOptions {
  /** Every rollup write of this process (the embedded engine's owner). */
  changes: RollupChanges;
  /** Blocks kept (least recently used dropped first). Default 1,000. */
  maxBlocks?: number;
  /** Bytes of member sets the blocks hold, shared ones included. Default 256 MiB. */
  maxBytes?: number;
  /** After a write dropped a key's block, reads of that key go without one for this long. Default 60,000 ms. */
  rebuildAfterMs?: number;
  /** Clock for `rebuildAfterMs`. Default Date.now. */
  now?: () => number;
}

/** A settled range's rows, and the minutes after it as last read (open-tail.ts). */
export class Block {
  readonly tail: OpenTail;
  private last: { open: readonly KeyedAggregate[]; rows: KeyedAggregate[] } | undefined;

  constructor(
    readonly rows: readonly KeyedAggregate[],
    cutMs: number,
  ) {
    this.tail = new OpenTail(cutMs);
  }

  /**
   * The rows of `[from, toMs)`: the block joined with its tail (`joinSettled`); undefined when the tail
   * could not be brought up to date. The tail hands back the same rows while nothing changed, and so
   * does this: a warm read costs a lookup.
   */
  async read(toMs: number, recentFromMs: number | undefined, load: MinuteLoader): Promise<KeyedAggregate[] | undefined> {
    const open = await this.tail.read(toMs, recentFromMs, load);
    if (open === undefined) return undefined;
    if (this.last?.open !== open) this.last = { open, rows: joinSettled(this.rows, open) };
    return this.last.rows;
  }
}

export interface SettledBlocks {
  /**
   * The block of `scope` over `range` for the read named by `signature`, built with `build` when this
   * process holds none; undefined when the read should go without a block (`build` gave none, a write
   * dropped this key a moment ago, or one landed in the range while building).
   */
  get(scope: CacheScope, range: TimeRange, signature: string, build: () => Promise<KeyedAggregate[] | undefined>): Promise<Block | undefined>;
}

/**
 * Where a read's settled part ends: the start of the hour before the one its last minute is in.
 * Undefined when less than an hour would be settled (a short range is read whole).
 */
export function settledCut(range: TimeRange): number | undefined {
  const cut = Math.floor((range.toMs - 1) / HOUR_MS) * HOUR_MS - HOUR_MS;
  return cut - range.fromMs >= HOUR_MS ? cut : undefined;
}

/**
 * A read's rows from its settled block and its open tail: count and sum per (key, measure, dim) added
 * up, each distinct total the block's plus the tail's ids none of the block's sets holds. Blocks are
 * kept for reads without per-dim distinct counts only, so no dim row carries one.
 */
export function joinSettled(settled: readonly KeyedAggregate[], open: readonly KeyedAggregate[]): KeyedAggregate[] {
  const cells = new Map<string, KeyedAggregate>();
  for (const r of [...settled, ...open]) {
    if (r.dim === undefined) continue;
    if (r.distinct !== 0) throw new Error(`a settled read has a distinct count per dim (${r.measure})`);
    const id = JSON.stringify([r.key, r.measure, r.dim]);
    const seen = cells.get(id);
    cells.set(id, seen === undefined ? r : { ...seen, count: seen.count + r.count, sum: seen.sum + r.sum, covered: 0 });
  }
  const out = [...cells.values()];
  const openTotals = new Map(open.filter((r) => r.dim === undefined).map((r) => [r.measure, r]));
  for (const s of settled) {
    if (s.dim !== undefined) continue;
    const o = openTotals.get(s.measure);
    openTotals.delete(s.measure);
    if (s.members === undefined) throw new Error(`settled total of ${s.measure} has no member sets`);
    const parts = o?.idParts ?? (o?.ids === undefined ? [] : [o.ids]);
    const missing = parts.length === 0 ? 0 : IdHashSet.countMissingInUnion(parts, s.members);
    out.push({ key: o?.key ?? 0, measure: s.measure, count: s.count + (o?.count ?? 0), sum: s.sum + (o?.sum ?? 0), distinct: s.distinct + missing, covered: 0 });
  }
  for (const o of openTotals.values()) {
    out.push({ key: o.key, measure: o.measure, count: o.count, sum: o.sum, distinct: o.ids === undefined ? o.distinct : IdHashSet.countMissingFromAll(o.ids, []), covered: 0 });
  }
  return out;
}

/**
 * A block's rows from a settled read with states: every distinct total (`totals`) as member sets, an
 * empty one where the range held none of it. Undefined when a total came back counted, not as a state.
 */
export function settledRows(rows: readonly KeyedAggregate[], totals: readonly string[]): KeyedAggregate[] | undefined {
  const out: KeyedAggregate[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (r.dim !== undefined) {
      out.push(r);
      continue;
    }
    seen.add(r.measure);
    if (r.members !== undefined) out.push({ ...r, ids: undefined });
    else if (r.ids !== undefined) {
      const set = IdHashSet.fromState(r.ids);
      out.push({ key: r.key, measure: r.measure, count: r.count, sum: r.sum, distinct: set.size, covered: 0, members: [set] });
    } else return undefined;
  }
  for (const m of totals) if (!seen.has(m)) out.push({ key: 0, measure: m, count: 0, sum: 0, distinct: 0, covered: 0, members: [] });
  return out;
}

interface Held {
  readonly scope: CacheScope;
  readonly cutMs: number;
  readonly block: Block;
  readonly bytes: number;
}

/** A build in flight: a write into its range while it runs makes its result unusable. */
interface Building {
  readonly scope: CacheScope;
  readonly cutMs: number;
  touched: boolean;
}

const hits = (scope: CacheScope, cutMs: number, t: RollupTouch): boolean =>
  t.orgId === scope.orgId && (scope.workspaceId === undefined || scope.workspaceId === t.workspaceId) && t.fromMs < cutMs;

export function createSettledBlocks(options: SettledBlocksOptions): SettledBlocks {
  const maxBlocks = options.maxBlocks ?? 1000;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const rebuildAfterMs = options.rebuildAfterMs ?? 60_000;
  const clock = options.now ?? Date.now;
  const blocks = new Map<string, Held>();
  const building = new Set<Building>();
  const inFlight = new Map<string, Promise<Block | undefined>>();
  /** When a write last dropped a key's block (or spoiled its build). */
  const dropped = new Map<string, number>();
  let bytes = 0;

  const forget = (key: string): void => {
    bytes -= blocks.get(key)?.bytes ?? 0;
    blocks.delete(key);
  };
  const markDropped = (key: string): void => {
    dropped.delete(key);
    dropped.set(key, clock());
    if (dropped.size > maxBlocks) dropped.delete(dropped.keys().next().value!);
  };

  // For the life of the process, as the feed itself.
  options.changes.subscribe((touched) => {
    for (const t of touched) {
      for (const [key, b] of blocks) {
        if (!hits(b.scope, b.cutMs, t)) {
          if (hits(b.scope, Number.POSITIVE_INFINITY, t)) b.block.tail.touched(t.fromMs);
          continue;
        }
        forget(key);
        markDropped(key);
      }
      for (const b of building) if (hits(b.scope, b.cutMs, t)) b.touched = true;
    }
  });

  async function buildBlock(key: string, scope: CacheScope, range: TimeRange, build: () => Promise<KeyedAggregate[] | undefined>) {
    const b: Building = { scope, cutMs: range.toMs, touched: false };
    building.add(b);
    let rows: KeyedAggregate[] | undefined;
    try {
      rows = await build();
    } finally {
      building.delete(b);
    }
    if (b.touched) {
      markDropped(key);
      return undefined;
    }
    if (rows === undefined) return undefined;
    const block = new Block(rows, range.toMs);
    const size = rows.reduce((n, r) => n + (r.members ?? []).reduce((m, s) => m + s.bytes, 0), 0);
    if (size <= maxBytes) {
      blocks.set(key, { scope, cutMs: range.toMs, block, bytes: size });
      bytes += size;
      for (const old of blocks.keys()) {
        if (blocks.size <= maxBlocks && bytes <= maxBytes) break;
        forget(old);
      }
    }
    return block;
  }

  return {
    async get(scope, range, signature, build) {
      const key = JSON.stringify([scope.orgId, scope.workspaceId ?? null, range.fromMs, range.toMs, signature]);
      const held = blocks.get(key);
      if (held !== undefined) {
        // Most recently used last.
        blocks.delete(key);
        blocks.set(key, held);
        return held.block;
      }
      const when = dropped.get(key);
      if (when !== undefined && clock() - when < rebuildAfterMs) return undefined;
      let p = inFlight.get(key);
      if (p === undefined) {
        p = buildBlock(key, scope, range, build).finally(() => inFlight.delete(key));
        inFlight.set(key, p);
      }
      return p;
    },
  };
}
