/**
 * The open tail of a settled block (docs/query.md, "Settled blocks"): the minutes from the block's cut
 * on, per minute, as the engine last returned them. Writes come in here constantly (every flush of the
 * worker), so the tail is never patched with what the sink wrote; a write only marks minutes from its
 * earliest bucket on as dirty, and the next read asks the engine for the dirty minutes again and
 * replaces them. The engine stays the only source of numbers (deduplicated replays, failed inserts that
 * landed anyway: whatever it holds), and a read that finds the tail clean sends no statement at all.
 *
 * A write whose insert is still running when a read looks at the tail is not seen by that read: the
 * read overlaps the write, and either answer is one the engine could have given.
 */
import { Cells } from './cells.js';
import { IdHashSet } from './id-set.js';
import type { KeyedAggregate } from './sql.js';
import { MINUTE_MS, type TimeRange } from './zone.js';

/** Reads minutes `[from, to)` from the engine, keyed by epoch minute, distinct totals as states (`ids`). */
export type MinuteLoader = (range: TimeRange) => Promise<KeyedAggregate[]>;

/** Refreshes a read waits for before it reads the engine directly (others' refreshes of shorter ranges). */
const ATTEMPTS = 3;

export class OpenTail {
  /** Epoch minute -> that minute's rows as the engine returned them. */
  private readonly minutes = new Map<number, KeyedAggregate[]>();
  /** The tail holds `[cutMs, coveredTo)`. */
  private coveredTo: number;
  /** Minutes from here on were written to since they were read. */
  private dirtyFrom = Number.POSITIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  /** Bumped by every refresh: what `rows` last computed is reused until then (warm reads do nothing else). */
  private version = 0;
  private last: { version: number; toMs: number; recentFromMs: number | undefined; rows: KeyedAggregate[] } | undefined;

  constructor(readonly cutMs: number) {
    this.coveredTo = cutMs;
  }

  /** A write of this scope from `fromMs` on (at or after the cut: earlier ones drop the whole block). */
  touched(fromMs: number): void {
    this.dirtyFrom = Math.min(this.dirtyFrom, Math.max(fromMs, this.cutMs));
  }

  /**
   * The rows of `[cutMs, toMs)`: count and sum per (key, measure, dim), key 1 from `recentFromMs` on
   * (else 0), and per distinct total the states of its minutes (`idParts`). When minutes it needs are
   * dirty or missing, it first waits for a refresh that began after it did (its own, or another read's):
   * every write acknowledged before this read began is then in the engine's answer, and writes landing
   * meanwhile overlap the read. Undefined only when refreshes for shorter ranges kept getting in the way.
   */
  async read(toMs: number, recentFromMs: number | undefined, load: MinuteLoader): Promise<KeyedAggregate[] | undefined> {
    const needs = (): boolean => Math.min(this.dirtyFrom, this.coveredTo) < toMs;
    // A refresh in flight began before this read: it may lack writes acknowledged since.
    if (this.refreshing !== undefined) await this.refreshing.catch(() => undefined);
    for (let attempt = 0; attempt < ATTEMPTS && needs(); attempt++) {
      if (this.refreshing === undefined) {
        const from = Math.min(this.dirtyFrom, this.coveredTo);
        this.refreshing = this.refresh(from, Math.max(toMs, this.coveredTo), load).finally(() => (this.refreshing = undefined));
      }
      await this.refreshing;
      if (this.coveredTo >= toMs) return this.rows(toMs, recentFromMs);
    }
    return needs() ? undefined : this.rows(toMs, recentFromMs);
  }

  /** Minutes held (tests, memory). */
  get size(): number {
    return this.minutes.size;
  }

  private async refresh(fromMs: number, toMs: number, load: MinuteLoader): Promise<void> {
    const wasDirty = this.dirtyFrom;
    // Writes landing while the engine reads may or may not be in its answer: they dirty the tail again.
    this.dirtyFrom = Number.POSITIVE_INFINITY;
    let rows: KeyedAggregate[];
    try {
      rows = await load({ fromMs, toMs });
    } catch (err) {
      this.dirtyFrom = Math.min(this.dirtyFrom, wasDirty);
      throw err;
    }
    for (const minute of [...this.minutes.keys()]) {
      if (minute * MINUTE_MS >= fromMs && minute * MINUTE_MS < toMs) this.minutes.delete(minute);
    }
    for (const r of rows) {
      let list = this.minutes.get(r.key);
      if (list === undefined) this.minutes.set(r.key, (list = []));
      list.push(r);
    }
    this.coveredTo = Math.max(this.coveredTo, toMs);
    this.version++;
    // A write dated beyond what was read stays dirty (fromMs is the lowest dirty or missing minute).
    if (wasDirty >= toMs) this.dirtyFrom = Math.min(this.dirtyFrom, wasDirty);
  }

  private rows(toMs: number, recentFromMs: number | undefined): KeyedAggregate[] {
    const l = this.last;
    if (l !== undefined && l.version === this.version && l.toMs === toMs && l.recentFromMs === recentFromMs) return l.rows;
    const rows = this.sum(toMs, recentFromMs);
    this.last = { version: this.version, toMs, recentFromMs, rows };
    return rows;
  }

  private sum(toMs: number, recentFromMs: number | undefined): KeyedAggregate[] {
    const cells = new Cells();
    for (const [minute, rows] of this.minutes) {
      const at = minute * MINUTE_MS;
      if (at >= toMs) continue;
      const split = recentFromMs !== undefined && at >= recentFromMs ? 1 : 0;
      // Distinct counts (totals, and per dim for channels and cohorts) are not split, as in the statement.
      for (const r of rows) cells.add(r, r.ids === undefined && r.dim !== undefined ? split : 0);
    }
    return [...cells.values()].map((c) => ({
      key: c.key,
      measure: c.measure,
      ...(c.dim === undefined ? {} : { dim: c.dim }),
      count: c.count,
      sum: c.sum,
      distinct: c.parts.length === 0 ? c.counted : IdHashSet.countMissingInUnion(c.parts, []),
      covered: 0,
      ...(c.parts.length === 0 ? {} : { idParts: c.parts }),
    }));
  }

}
