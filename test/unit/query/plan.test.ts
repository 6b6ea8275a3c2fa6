import { describe, expect, it } from 'vitest';
import { GRAINS, coarsestGrainFor, isEmptyPlan, joinPlans, planRead, planTotals, type ReadPlan } from '../../../src/query/plan.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, QUARTER_MS } from '../../../src/query/zone.js';

const iso = (s: string) => Date.parse(s);
const r = (from: string, to: string) => ({ fromMs: iso(`2025-11-${from}:00Z`), toMs: iso(`2025-11-${to}:00Z`) });
const grainOf = Object.fromEntries(GRAINS.map((g) => [g.table, g.ms]));

/** Every minute of the range read exactly once, each range aligned on its table's grain. */
function expectCovers(plan: ReadPlan, range: { fromMs: number; toMs: number }): void {
  const pieces = plan.pieces.flatMap((p) => p.ranges.map((x) => ({ ...x, g: grainOf[p.table]! }))).sort((a, b) => a.fromMs - b.fromMs);
  let at = range.fromMs;
  for (const p of pieces) {
    expect(p.fromMs).toBe(at);
    expect(p.toMs).toBeGreaterThan(p.fromMs);
    expect([p.fromMs % p.g, p.toMs % p.g]).toEqual([0, 0]);
    at = p.toMs;
  }
  expect(at).toBe(range.toMs);
}

describe('planRead', () => {
  it('reads whole days from the daily table, hours from the hourly one and the rest from the minute table', () => {
    expect(planRead(r('02T00:07', '05T09:37'))).toEqual({
      pieces: [
        { table: 'rollup_1d', ranges: [r('03T00:00', '05T00:00')] },
        { table: 'rollup_1h', ranges: [r('02T01:00', '03T00:00'), r('05T00:00', '05T09:00')] },
        { table: 'rollup_1m', ranges: [r('02T00:07', '02T01:00'), r('05T09:00', '05T09:37')] },
      ],
    });
  });

  it('reads an aligned range from one table, and a short one from the minute table only', () => {
    expect(planRead(r('02T00:00', '04T00:00'))).toEqual({ pieces: [{ table: 'rollup_1d', ranges: [r('02T00:00', '04T00:00')] }] });
    expect(planRead(r('02T00:15', '02T00:45'))).toEqual({ pieces: [{ table: 'rollup_1m', ranges: [r('02T00:15', '02T00:45')] }] });
    expect(planRead(r('02T00:15', '02T00:45'), QUARTER_MS)).toEqual({ pieces: [{ table: 'rollup_15m', ranges: [r('02T00:15', '02T00:45')] }] });
    expect(planRead(r('02T00:07', '02T00:14'))).toEqual({ pieces: [{ table: 'rollup_1m', ranges: [r('02T00:07', '02T00:14')] }] });
  });

  it('never uses a grain coarser than asked for', () => {
    expect(planRead(r('02T00:07', '03T06:52'), QUARTER_MS)).toEqual({
      pieces: [
        { table: 'rollup_15m', ranges: [r('02T00:15', '03T06:45')] },
        { table: 'rollup_1m', ranges: [r('02T00:07', '02T00:15'), r('03T06:45', '03T06:52')] },
      ],
    });
    expect(planRead(r('02T00:00', '03T00:00'), MINUTE_MS)).toEqual({ pieces: [{ table: 'rollup_1m', ranges: [r('02T00:00', '03T00:00')] }] });
  });

  it('covers every minute exactly once, whatever the ends', () => {
    const base = iso('2025-11-02T00:00:00Z');
    const ends = [0, 1, 14, 15, 16, 59, 60, 61, 75, 1439, 1440, 1441, 1500, 2880, 2895, 4000].map((m) => base + m * MINUTE_MS);
    for (const coarsest of [DAY_MS, HOUR_MS, QUARTER_MS, MINUTE_MS]) {
      for (const a of ends) for (const b of ends) if (a <= b) expectCovers(planRead({ fromMs: a, toMs: b }, coarsest), { fromMs: a, toMs: b });
    }
  });

  it('an empty range reads nothing; unaligned or reversed ranges are refused', () => {
    expect(isEmptyPlan(planRead(r('02T00:07', '02T00:07')))).toBe(true);
    expect(() => planRead({ fromMs: 1_000, toMs: 120_000 })).toThrow(expect.objectContaining({ param: 'from', code: 'INVALID_REQUEST' }));
    expect(() => planRead({ fromMs: 0, toMs: 120_001 })).toThrow(expect.objectContaining({ param: 'to' }));
    expect(() => planRead({ fromMs: 120_000, toMs: 60_000 })).toThrow(expect.objectContaining({ param: 'from' }));
    expect(() => planRead({ fromMs: Number.NaN, toMs: 60_000 })).toThrow(expect.objectContaining({ param: 'from' }));
  });
});

describe('joinPlans', () => {
  it('joins two plans split at an instant: touching minute ranges become one, no bucket straddles the instant', () => {
    const at = Date.parse('2025-11-05T08:39:00Z');
    const from = Date.parse('2025-10-07T00:00:00Z');
    const to = Date.parse('2025-11-05T09:38:00Z');
    const joined = joinPlans(planRead({ fromMs: from, toMs: at }), planRead({ fromMs: at, toMs: to }, MINUTE_MS));
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    expect(joined.pieces.map((p) => [p.table, p.ranges.map((r) => `${iso(r.fromMs)}..${iso(r.toMs)}`)])).toEqual([
      ['rollup_1d', ['2025-10-07T00:00..2025-11-05T00:00']],
      ['rollup_1h', ['2025-11-05T00:00..2025-11-05T08:00']],
      ['rollup_1m', ['2025-11-05T08:00..2025-11-05T09:38']],
    ]);
    for (const p of joined.pieces) {
      const g = GRAINS.find((x) => x.table === p.table)!;
      for (const r of p.ranges) for (let b = r.fromMs; b < r.toMs; b += g.ms) expect(b < at && b + g.ms > at).toBe(false);
    }
    expect(joinPlans({ pieces: [] }, { pieces: [] })).toEqual({ pieces: [] });
  });
});

describe('planTotals', () => {
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  const show = (p: ReadPlan) => p.pieces.map((x) => [x.table, x.ranges.map((r) => `${iso(r.fromMs)}..${iso(r.toMs)}`)]);

  it('reads whole UTC days from the daily table and everything else from minutes', () => {
    const p = planTotals({ fromMs: Date.parse('2025-10-06T18:15:00Z'), toMs: Date.parse('2025-11-05T09:38:00Z') });
    expect(show(p)).toEqual([
      ['rollup_1d', ['2025-10-07T00:00..2025-11-05T00:00']],
      ['rollup_1m', ['2025-10-06T18:15..2025-10-07T00:00', '2025-11-05T00:00..2025-11-05T09:38']],
    ]);
  });

  it('a range without a whole day is minutes only; an empty range reads nothing; whole days only the daily table', () => {
    const from = Date.parse('2025-11-04T18:15:00Z');
    expect(show(planTotals({ fromMs: from, toMs: from + 23 * HOUR_MS + 59 * MINUTE_MS }))).toEqual([['rollup_1m', ['2025-11-04T18:15..2025-11-05T18:14']]]);
    expect(planTotals({ fromMs: from, toMs: from })).toEqual({ pieces: [] });
    expect(show(planTotals({ fromMs: Date.parse('2025-11-01T00:00:00Z'), toMs: Date.parse('2025-11-03T00:00:00Z') }))).toEqual([['rollup_1d', ['2025-11-01T00:00..2025-11-03T00:00']]]);
    expect(() => planTotals({ fromMs: from + 1, toMs: from + DAY_MS })).toThrow(/whole minute/);
  });

  it('split at an instant: no bucket straddles it, every minute read once', () => {
    const from = Date.parse('2025-10-07T00:00:00Z');
    const to = Date.parse('2025-11-05T09:38:00Z');
    const at = to - HOUR_MS;
    const p = planTotals({ fromMs: from, toMs: to }, at);
    expect(show(p)).toEqual([
      ['rollup_1d', ['2025-10-07T00:00..2025-11-05T00:00']],
      ['rollup_1m', ['2025-11-05T00:00..2025-11-05T09:38']],
    ]);
    const split = planTotals({ fromMs: from, toMs: Date.parse('2025-11-05T00:30:00Z') }, Date.parse('2025-11-04T23:30:00Z'));
    expect(show(split)).toEqual([
      ['rollup_1d', ['2025-10-07T00:00..2025-11-04T00:00']],
      ['rollup_1m', ['2025-11-04T00:00..2025-11-05T00:30']],
    ]);
  });
});

describe('coarsestGrainFor', () => {
  const seg = (fromIso: string, offsetMin: number) => ({ fromMs: iso(fromIso), offsetMs: offsetMin * MINUTE_MS });
  it('days in UTC use daily rows; whole-hour zones hours; +05:30 and +05:45 quarter hours', () => {
    expect(coarsestGrainFor([seg('2025-11-02T00:00:00Z', 0)], DAY_MS)).toBe(DAY_MS);
    expect(coarsestGrainFor([seg('2025-11-02T00:00:00Z', -300)], DAY_MS)).toBe(HOUR_MS);
    expect(coarsestGrainFor([seg('2025-11-02T00:00:00Z', 330)], DAY_MS)).toBe(QUARTER_MS);
    expect(coarsestGrainFor([seg('2025-11-02T00:00:00Z', 345)], HOUR_MS)).toBe(QUARTER_MS);
  });

  it('hours never use daily rows; a switch of offset must fall on the grain too', () => {
    expect(coarsestGrainFor([seg('2025-11-02T00:00:00Z', 0)], HOUR_MS)).toBe(HOUR_MS);
    // New York: -4 h until 06:00 UTC, then -5 h: hours fit, days do not.
    expect(coarsestGrainFor([seg('2025-11-02T00:00:00Z', -240), seg('2025-11-02T06:00:00Z', -300)], DAY_MS)).toBe(HOUR_MS);
    // Lord Howe: +11:00 to +10:30 at 15:00 UTC: quarter hours.
    expect(coarsestGrainFor([seg('2025-04-05T00:00:00Z', 660), seg('2025-04-05T15:00:00Z', 630)], DAY_MS)).toBe(QUARTER_MS);
    // An offset in seconds (local mean time): only minutes are safe to the minute.
    expect(coarsestGrainFor([{ fromMs: 0, offsetMs: 20_123_000 }], DAY_MS)).toBe(MINUTE_MS);
  });
});
