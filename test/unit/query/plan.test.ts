import { describe, expect, it } from 'vitest';
import { isEmptyPlan, planRead } from '../../../src/query/plan.js';

const iso = (s: string) => Date.parse(s);
const r = (from: string, to: string) => ({ fromMs: iso(`2025-11-02T${from}:00Z`), toMs: iso(`2025-11-02T${to}:00Z`) });

describe('planRead', () => {
  it('reads an aligned range from the 15-minute table only', () => {
    expect(planRead(r('00:00', '06:45'))).toEqual({ coarse: r('00:00', '06:45'), fine: [] });
  });

  it('reads the minute edges from the minute table', () => {
    expect(planRead(r('00:07', '06:52'))).toEqual({ coarse: r('00:15', '06:45'), fine: [r('00:07', '00:15'), r('06:45', '06:52')] });
    expect(planRead(r('00:07', '06:45'))).toEqual({ coarse: r('00:15', '06:45'), fine: [r('00:07', '00:15')] });
    expect(planRead(r('00:00', '06:01'))).toEqual({ coarse: r('00:00', '06:00'), fine: [r('06:00', '06:01')] });
  });

  it('reads a range without a whole quarter hour from the minute table', () => {
    expect(planRead(r('00:07', '00:14'))).toEqual({ coarse: undefined, fine: [r('00:07', '00:14')] });
    expect(planRead(r('00:07', '00:29'))).toEqual({ coarse: undefined, fine: [r('00:07', '00:29')] });
    expect(planRead(r('00:07', '00:30'))).toEqual({ coarse: r('00:15', '00:30'), fine: [r('00:07', '00:15')] });
  });

  it('covers every minute exactly once', () => {
    for (let a = 0; a < 60; a += 1) {
      for (let b = a; b <= 75; b += 1) {
        const range = { fromMs: a * 60_000, toMs: b * 60_000 };
        const plan = planRead(range);
        const pieces = [...(plan.coarse ? [plan.coarse] : []), ...plan.fine].sort((x, y) => x.fromMs - y.fromMs);
        let at = range.fromMs;
        for (const p of pieces) {
          expect(p.fromMs).toBe(at);
          expect(p.toMs).toBeGreaterThan(p.fromMs);
          at = p.toMs;
        }
        expect(at).toBe(range.toMs);
        if (plan.coarse) expect([plan.coarse.fromMs % 900_000, plan.coarse.toMs % 900_000]).toEqual([0, 0]);
      }
    }
  });

  it('an empty range reads nothing; unaligned or reversed ranges are refused', () => {
    expect(isEmptyPlan(planRead(r('00:07', '00:07')))).toBe(true);
    expect(() => planRead({ fromMs: 1_000, toMs: 120_000 })).toThrow(expect.objectContaining({ param: 'from', code: 'INVALID_REQUEST' }));
    expect(() => planRead({ fromMs: 0, toMs: 120_001 })).toThrow(expect.objectContaining({ param: 'to' }));
    expect(() => planRead({ fromMs: 120_000, toMs: 60_000 })).toThrow(expect.objectContaining({ param: 'from' }));
    expect(() => planRead({ fromMs: Number.NaN, toMs: 60_000 })).toThrow(expect.objectContaining({ param: 'from' }));
  });
});
