/**
 * Which rollup table answers which part of a range. The same measures are kept at four grains
 * (docs/data-model.md): `rollup_1d`, `rollup_1h`, `rollup_15m`, `rollup_1m`, all aligned on UTC.
 * Totals (`planTotals`) read a range's whole days from `rollup_1d` and the rest from `rollup_1m`:
 * 30 days are about 29 daily rows per key plus up to a day of minutes at each end. A read grouped by
 * local days or hours (`planRead`) uses the coarsest grain that fits its interior and the next finer
 * ones at its edges, only among grains whose buckets never straddle a local boundary
 * (`coarsestGrainFor`): hours for New York, quarter hours for +05:30 and +05:45.
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

type Grain = (typeof GRAINS)[number];

/** Splits a minute-aligned `[from, to)` (from <= to) over the grains no coarser than `coarsestMs`. */
export function planRead(range: TimeRange, coarsestMs: number = DAY_MS): ReadPlan {
  // Every table in a plan costs the engine a few milliseconds of planning, more than reading a few
  // hundred extra rows: when hours may be used, edges shorter than an hour come from the minute table
  // directly (the 15-minute table then only serves reads grouped by local units of quarter-hour zones).
  return planOver(range, GRAINS.filter((g) => g.ms <= coarsestMs && !(coarsestMs >= HOUR_MS && g.ms === QUARTER_MS)));
}

/** Reads the interior of `[from, to)` from the first of `grains` that fits it, its edges from the next ones. */
function planOver(range: TimeRange, grains: readonly Grain[]): ReadPlan {
  checkEnd(range.fromMs, 'from');
  checkEnd(range.toMs, 'to');
  if (range.fromMs > range.toMs) throw new QueryError('from', 'from must not be after to');
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
 * The plan of an ungrouped read (totals): its whole UTC days from `rollup_1d`, everything else (at
 * most a day before and a day after them, or the whole range when it holds no whole day) from
 * `rollup_1m`. Planning costs the embedded engine 4-6 ms per table in a statement, more than the
 * extra minute rows cost to read, and a few hours' id sets from `rollup_1h` deserialize whole
 * granules of other hours'. Measured on the read benchmark's tenant (~160 minute rows per minute),
 * engine p50, hours + minutes / minutes only: overview statements over the last 6, 12 and 24 hours
 * 37/22, 35/29, 38/35 ms; 30-day statements (days + edges) overview 161/142, dashboard 23.2/18.5,
 * events 21.5/15.7, gates 28.0/28.3 ms (docs/benchmarks.md). A tenant with many more rows per minute
 * moves the break-even. With `splitAtMs` (a minute inside the range) the two sides are planned apart
 * and joined, so that no bucket straddles the split.
 */
export function planTotals(range: TimeRange, splitAtMs?: number): ReadPlan {
  if (splitAtMs !== undefined) {
    return joinPlans(planTotals({ fromMs: range.fromMs, toMs: splitAtMs }), planTotals({ fromMs: splitAtMs, toMs: range.toMs }));
  }
  return planOver(range, GRAINS.filter((g) => g.table === 'rollup_1d' || g.table === 'rollup_1m'));
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
