/**
 * Which rollup table answers which part of a range. The same measures are kept at four grains
 * (docs/data-model.md): `rollup_1d`, `rollup_1h`, `rollup_15m`, `rollup_1m`. A minute-aligned
 * `[from, to)` is read from the coarsest grain that fits its interior, and its edges from the next finer
 * ones: 30 days are about 29 daily rows per key plus a few hours and minutes at the ends, instead of
 * 2,880 quarter hours. Every grain is aligned on UTC, so a total over a range may mix them
 * freely; a read grouped by local days or hours may only use grains whose buckets never straddle a
 * local boundary (`coarsestGrainFor`).
 */
import { QueryError } from './errors.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, QUARTER_MS, type OffsetSegment, type TimeRange } from './zone.js';

export const GRAINS = [
  { table: 'rollup_1d', ms: DAY_MS },
  { table: 'rollup_1h', ms: HOUR_MS },
  { table: 'rollup_15m', ms: QUARTER_MS },
  { table: 'rollup_1m', ms: MINUTE_MS },
] as const;
export type GrainTable = (typeof GRAINS)[number]['table'];

/** The ranges one table answers (ascending, disjoint, non-empty). */
export interface ReadPiece {
  readonly table: GrainTable;
  readonly ranges: readonly TimeRange[];
}

export interface ReadPlan {
  /** Coarsest grain first; only tables with something to read. */
  readonly pieces: readonly ReadPiece[];
}

function checkEnd(ms: number, param: 'from' | 'to'): void {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms % MINUTE_MS !== 0) {
    throw new QueryError(param, `${param} must be an epoch-ms instant on a whole minute, got ${ms}`);
  }
}

/**
 * The coarsest grain a read grouped by a local unit may use: its buckets must fall wholly inside one
 * local unit, so the unit, every UTC offset in force and every instant the offset changes must be
 * multiples of the grain. UTC days may use daily rows; Asia/Kolkata (+05:30) days quarter hours
 * (+05:30 is no multiple of an hour); a zone with a DST switch at 02:00 local hours.
 */
export function coarsestGrainFor(segments: readonly OffsetSegment[], unitMs: number): number {
  for (const g of GRAINS) {
    if (unitMs % g.ms !== 0) continue;
    if (segments.every((s, i) => s.offsetMs % g.ms === 0 && (i === 0 || s.fromMs % g.ms === 0))) return g.ms;
  }
  return MINUTE_MS;
}

/**
 * Ranges up to this long are read from the minute table alone when not grouped. Planning costs the
 * embedded engine 4-6 ms per table read, and a handful of coarse rows can cost more than they save:
 * reading one day's id sets from `rollup_1d` or a few hours' from `rollup_1h` deserializes whole
 * granules of other days' sets. Measured on the read benchmark's tenant (~160 minute rows per minute),
 * overview and dashboard statements over 6, 12, 24 and 48 hours: 37/22, 35/29, 38/35, 100/48 ms and
 * 18/13, 19/14, 18/14, 25/17 ms (multi-grain / minutes only, engine p50; docs/benchmarks.md). A tenant
 * with many more rows per minute moves the break-even down; a day keeps `today` on one table.
 */
export const MINUTES_ONLY_UP_TO_MS = DAY_MS;

/** The coarsest grain for an ungrouped read (totals) of `range`: minutes only for short ranges, else days. */
export function coarsestGrainForTotals(range: TimeRange): number {
  return range.toMs - range.fromMs <= MINUTES_ONLY_UP_TO_MS ? MINUTE_MS : DAY_MS;
}

/** Splits a minute-aligned `[from, to)` (from <= to) over the grains no coarser than `coarsestMs`. */
export function planRead(range: TimeRange, coarsestMs: number = DAY_MS): ReadPlan {
  checkEnd(range.fromMs, 'from');
  checkEnd(range.toMs, 'to');
  if (range.fromMs > range.toMs) throw new QueryError('from', 'from must not be after to');
  // Every table in a plan costs the engine a few milliseconds of planning, more than reading a few
  // hundred extra rows: when hours may be used, edges shorter than an hour come from the minute table
  // directly (the 15-minute table then only serves reads grouped by local units of quarter-hour zones).
  const grains = GRAINS.filter((g) => g.ms <= coarsestMs && !(coarsestMs >= HOUR_MS && g.ms === QUARTER_MS));
  const ranges: TimeRange[][] = grains.map(() => []);
  const split = (fromMs: number, toMs: number, gi: number): void => {
    if (fromMs >= toMs) return;
    const g = grains[gi]!;
    const a = Math.ceil(fromMs / g.ms) * g.ms;
    const b = Math.floor(toMs / g.ms) * g.ms;
    if (gi === grains.length - 1 || a >= b) {
      if (gi === grains.length - 1) ranges[gi]!.push({ fromMs, toMs });
      else split(fromMs, toMs, gi + 1);
      return;
    }
    split(fromMs, a, gi + 1);
    ranges[gi]!.push({ fromMs: a, toMs: b });
    split(b, toMs, gi + 1);
  };
  split(range.fromMs, range.toMs, 0);
  const pieces: ReadPiece[] = [];
  grains.forEach((g, i) => {
    const rs = ranges[i]!.sort((x, y) => x.fromMs - y.fromMs);
    if (rs.length > 0) pieces.push({ table: g.table, ranges: rs });
  });
  return { pieces };
}

/**
 * One plan reading what both read (each table's ranges together, touching ranges joined): `[from, at)`
 * and `[at, to)` planned apart give a plan in which no bucket straddles `at`.
 */
export function joinPlans(a: ReadPlan, b: ReadPlan): ReadPlan {
  const pieces: ReadPiece[] = [];
  for (const g of GRAINS) {
    const all = [...a.pieces, ...b.pieces].filter((p) => p.table === g.table).flatMap((p) => p.ranges);
    all.sort((x, y) => x.fromMs - y.fromMs);
    const ranges: TimeRange[] = [];
    for (const r of all) {
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last.toMs === r.fromMs) ranges[ranges.length - 1] = { fromMs: last.fromMs, toMs: r.toMs };
      else ranges.push(r);
    }
    if (ranges.length > 0) pieces.push({ table: g.table, ranges });
  }
  return { pieces };
}

/**
 * The plan of an ungrouped read (totals). With `splitAtMs` (inside the range, on a minute), the two
 * sides are planned apart and joined, so that no bucket straddles the split.
 */
export function planTotals(range: TimeRange, splitAtMs?: number): ReadPlan {
  if (splitAtMs === undefined) return planRead(range, coarsestGrainForTotals(range));
  const before = { fromMs: range.fromMs, toMs: splitAtMs };
  const after = { fromMs: splitAtMs, toMs: range.toMs };
  return joinPlans(planRead(before, coarsestGrainForTotals(before)), planRead(after, coarsestGrainForTotals(after)));
}

/** The whole days of a plan, when it reads them as one range of `rollup_1d` (any ungrouped plan does). */
export function dailyRange(plan: ReadPlan): TimeRange | undefined {
  const daily = plan.pieces.find((p) => p.table === 'rollup_1d');
  return daily?.ranges.length === 1 ? daily.ranges[0] : undefined;
}

/** True when the plan reads nothing (an empty range). */
export function isEmptyPlan(plan: ReadPlan): boolean {
  return plan.pieces.length === 0;
}
