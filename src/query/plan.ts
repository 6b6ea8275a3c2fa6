/**
 * Which rollup table answers which part of a range. `rollup_15m` holds 15-minute buckets, `rollup_1m`
 * minute buckets, both with the same measures. A minute-aligned `[from, to)` is read as its
 * 15-minute-aligned interior from `rollup_15m` plus the minutes before the first and after the last
 * quarter hour from `rollup_1m`. Every UTC offset in use is a multiple of 15 minutes, so local days and
 * hours are whole quarter hours: their ranges have no edges at all.
 */
import { QueryError } from './errors.js';
import { MINUTE_MS, QUARTER_MS, type TimeRange } from './zone.js';

export interface ReadPlan {
  /** The 15-minute-aligned interior, read from `rollup_15m`; undefined when there is none. */
  readonly coarse: TimeRange | undefined;
  /** The minute edges, read from `rollup_1m`: zero, one or two non-empty ranges, ascending. */
  readonly fine: readonly TimeRange[];
}

function checkEnd(ms: number, param: 'from' | 'to'): void {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms % MINUTE_MS !== 0) {
    throw new QueryError(param, `${param} must be an epoch-ms instant on a whole minute, got ${ms}`);
  }
}

/** Splits a minute-aligned `[from, to)` (from <= to) into 15-minute interior and minute edges. */
export function planRead(range: TimeRange): ReadPlan {
  checkEnd(range.fromMs, 'from');
  checkEnd(range.toMs, 'to');
  if (range.fromMs > range.toMs) throw new QueryError('from', 'from must not be after to');
  const first = Math.ceil(range.fromMs / QUARTER_MS) * QUARTER_MS;
  const last = Math.floor(range.toMs / QUARTER_MS) * QUARTER_MS;
  if (first >= last) {
    // No whole quarter hour inside: everything from the minute table.
    return { coarse: undefined, fine: range.fromMs < range.toMs ? [range] : [] };
  }
  const fine: TimeRange[] = [];
  if (range.fromMs < first) fine.push({ fromMs: range.fromMs, toMs: first });
  if (last < range.toMs) fine.push({ fromMs: last, toMs: range.toMs });
  return { coarse: { fromMs: first, toMs: last }, fine };
}

/** True when the plan reads nothing (an empty range). */
export function isEmptyPlan(plan: ReadPlan): boolean {
  return plan.coarse === undefined && plan.fine.length === 0;
}
