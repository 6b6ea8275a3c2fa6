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
import { Cells } from './cells.js';
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

/** What a read loads, as far as blocks go: a name for its measures and reads, and its distinct totals. */
export interface BlockShape {
  readonly signature: string;
  readonly totals: readonly string[];
}

export interface SettledBlocks {
  /**
   * The block of `scope` over `range` for the read `shape`, built when this process holds none: from
   * the block of the same start and an earlier cut, extended by the hours in between (`extendRows`), or
   * else from one read of the whole range. `read` loads a range with states (settledRows). Undefined
   * when the read should go without a block (a write dropped this key a moment ago, or landed in the
   * range while building, or a distinct total came back counted).
   */
  get(scope: CacheScope, range: TimeRange, shape: BlockShape, read: (range: TimeRange) => Promise<KeyedAggregate[]>): Promise<Block | undefined>;
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
 * up; every distinct count (a total, or per dim value for channels and cohorts) the block's plus the
 * tail's ids that none of the block's sets holds.
 */
export function joinSettled(settled: readonly KeyedAggregate[], open: readonly KeyedAggregate[]): KeyedAggregate[] {
  const cells = new Cells();
  for (const r of settled) {
    if (r.dim === undefined && r.members === undefined) throw new Error(`settled total of ${r.measure} has no member sets`);
    cells.addSettled(r);
  }
  for (const r of open) cells.add(r);
  const out: KeyedAggregate[] = [];
  for (const c of cells.values()) {
    const members = c.block?.members;
    let distinct: number;
    if (members !== undefined) distinct = c.block!.distinct + (c.parts.length === 0 ? 0 : IdHashSet.countMissingInUnion(c.parts, members));
    else if (c.parts.length > 0) distinct = IdHashSet.countMissingInUnion(c.parts, []);
    else if (c.counted === 0 && (c.block?.distinct ?? 0) === 0) distinct = 0;
    else throw new Error(`a distinct count of ${c.measure} without member sets or states`);
    out.push({ key: c.key, measure: c.measure, ...(c.dim === undefined ? {} : { dim: c.dim }), count: c.count, sum: c.sum, distinct, covered: 0 });
  }
  return out;
}

/**
 * A block's rows from a settled read with states: every distinct count (`totals`: the distinct totals;
 * and whatever came back as a state, per dim or in total) as member sets, an empty one for a total
 * the range held none of. Undefined when a distinct total came back counted, not as a state.
 */
export function settledRows(rows: readonly KeyedAggregate[], totals: readonly string[]): KeyedAggregate[] | undefined {
  const out: KeyedAggregate[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (r.dim === undefined) seen.add(r.measure);
    const { ids, members, ...rest } = r;
    if (members !== undefined) out.push({ ...rest, members });
    else if (ids !== undefined) {
      const set = IdHashSet.fromState(ids);
      out.push({ ...rest, distinct: set.size, members: [set] });
    } else if (r.dim === undefined) return undefined;
    else out.push(rest);
  }
  for (const m of totals) if (!seen.has(m)) out.push({ key: 0, measure: m, count: 0, sum: 0, distinct: 0, covered: 0, members: [] });
  return out;
}

/**
 * A block's rows extended by the rows of the hours after its cut (read with states): counts and sums
 * added; every distinct count gets a layer of the new ids its sets lack. Undefined when the new rows
 * hold member sets (they might overlap the block's: build the block whole instead).
 */
export function extendRows(rows: readonly KeyedAggregate[], added: readonly KeyedAggregate[]): KeyedAggregate[] | undefined {
  const out = new Map(rows.map((r) => [JSON.stringify([r.measure, r.dim ?? null]), r]));
  for (const a of added) {
    if (a.members !== undefined || (a.dim === undefined && a.ids === undefined)) return undefined;
    const id = JSON.stringify([a.measure, a.dim ?? null]);
    const o = out.get(id);
    const base = o?.members ?? [];
    let members = o?.members;
    let distinct = o?.distinct ?? 0;
    if (a.ids !== undefined) {
      const layer = IdHashSet.fromState(a.ids, base);
      members = layer.size > 0 ? [...base, layer] : [...base];
      distinct += layer.size;
    }
    out.set(id, {
      key: 0, measure: a.measure, ...(a.dim === undefined ? {} : { dim: a.dim }), count: (o?.count ?? 0) + a.count, sum: (o?.sum ?? 0) + a.sum, distinct, covered: 0,
      ...(members === undefined ? {} : { members }),
    });
  }
  return [...out.values()];
}

interface Held {
  readonly scope: CacheScope;
  /** Same start and shape: a later block can extend this one. */
  readonly base: string;
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

/** A write of this scope: its tenant, and its workspace unless the scope is the whole tenant. */
const inScope = (scope: CacheScope, t: RollupTouch): boolean => t.orgId === scope.orgId && (scope.workspaceId === undefined || scope.workspaceId === t.workspaceId);
/** A write into `[.., cutMs)` of this scope. */
const hits = (scope: CacheScope, cutMs: number, t: RollupTouch): boolean => inScope(scope, t) && t.fromMs < cutMs;

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
          if (inScope(b.scope, t)) b.block.tail.touched(t.fromMs);
          continue;
        }
        forget(key);
        markDropped(key);
      }
      for (const b of building) if (hits(b.scope, b.cutMs, t)) b.touched = true;
    }
  });

  async function buildBlock(key: string, base: string, scope: CacheScope, range: TimeRange, build: () => Promise<KeyedAggregate[] | undefined>) {
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
      blocks.set(key, { scope, base, cutMs: range.toMs, block, bytes: size });
      bytes += size;
      for (const old of blocks.keys()) {
        if (blocks.size <= maxBlocks && bytes <= maxBytes) break;
        forget(old);
      }
    }
    return block;
  }

  return {
    async get(scope, range, shape, read) {
      const base = JSON.stringify([scope.orgId, scope.workspaceId ?? null, range.fromMs, shape.signature]);
      const key = JSON.stringify([base, range.toMs]);
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
        // The latest block of the same start and shape (the cut moves on every hour): extend it.
        let prior: Held | undefined;
        for (const h of blocks.values()) if (h.base === base && h.cutMs < range.toMs && (prior === undefined || h.cutMs > prior.cutMs)) prior = h;
        const whole = async () => settledRows(await read(range), shape.totals);
        const build =
          prior === undefined
            ? whole
            : async () => extendRows(prior.block.rows, await read({ fromMs: prior.cutMs, toMs: range.toMs })) ?? (await whole());
        p = buildBlock(key, base, scope, range, build).finally(() => inFlight.delete(key));
        inFlight.set(key, p);
      }
      return p;
    },
  };
}
