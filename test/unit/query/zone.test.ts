import { describe, expect, it } from 'vitest';
import { QueryError } from '../../../src/query/errors.js';
import {
  localDateOf,
  localDayRange,
  offsetMs,
  offsetSegments,
  parseDay,
  resolveZone,
  startOfLocalDay,
} from '../../../src/query/zone.js';

const iso = (s: string) => Date.parse(s);
const day = (s: string) => parseDay(s, 'date');
const HOUR = 3_600_000;

describe('resolveZone', () => {
  it('accepts IANA zones, defaults to UTC, refuses anything else naming tz', () => {
    expect(resolveZone(undefined)).toBe('UTC');
    for (const tz of ['UTC', 'Asia/Ho_Chi_Minh', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York', 'Australia/Lord_Howe']) {
      expect(resolveZone(tz)).toBe(tz);
    }
    for (const bad of ['', 'Mars/Olympus', 'Asia/Nowhere', 'x'.repeat(100), "UTC'; DROP TABLE x"]) {
      const err = (() => {
        try {
          resolveZone(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(QueryError);
      expect(err).toMatchObject({ code: 'INVALID_REQUEST', param: 'tz' });
      expect((err as Error).message).toContain('tz');
    }
  });
});

describe('offsets and local dates', () => {
  it.each([
    ['UTC', 0],
    ['Asia/Ho_Chi_Minh', 7 * HOUR],
    ['Asia/Kolkata', 5.5 * HOUR],
    ['Asia/Kathmandu', 5.75 * HOUR],
  ])('%s has a fixed offset', (tz, off) => {
    for (const t of ['2025-01-15T12:00:00Z', '2025-07-15T12:00:00Z']) expect(offsetMs(iso(t), tz)).toBe(off);
  });

  it('follows DST both ways (New York, Lord Howe with its 30-minute shift)', () => {
    expect(offsetMs(iso('2025-03-09T06:59:59Z'), 'America/New_York')).toBe(-5 * HOUR);
    expect(offsetMs(iso('2025-03-09T07:00:00Z'), 'America/New_York')).toBe(-4 * HOUR);
    expect(offsetMs(iso('2025-11-02T05:59:59Z'), 'America/New_York')).toBe(-4 * HOUR);
    expect(offsetMs(iso('2025-11-02T06:00:00Z'), 'America/New_York')).toBe(-5 * HOUR);
    expect(offsetMs(iso('2025-10-04T15:29:00Z'), 'Australia/Lord_Howe')).toBe(10.5 * HOUR);
    expect(offsetMs(iso('2025-10-04T15:30:00Z'), 'Australia/Lord_Howe')).toBe(11 * HOUR);
  });

  it('gives the local date of an instant', () => {
    expect(localDateOf(iso('2025-11-01T16:59:00Z'), 'Asia/Ho_Chi_Minh')).toBe('2025-11-01');
    expect(localDateOf(iso('2025-11-01T17:00:00Z'), 'Asia/Ho_Chi_Minh')).toBe('2025-11-02');
    expect(localDateOf(iso('2025-11-01T18:14:00Z'), 'Asia/Kathmandu')).toBe('2025-11-01');
    expect(localDateOf(iso('2025-11-01T18:15:00Z'), 'Asia/Kathmandu')).toBe('2025-11-02');
  });
});

describe('local days', () => {
  it.each([
    ['UTC', '2025-03-09', '2025-03-09T00:00:00Z', '2025-03-10T00:00:00Z'],
    ['Asia/Ho_Chi_Minh', '2025-03-09', '2025-03-08T17:00:00Z', '2025-03-09T17:00:00Z'],
    ['Asia/Kolkata', '2025-03-09', '2025-03-08T18:30:00Z', '2025-03-09T18:30:00Z'],
    ['Asia/Kathmandu', '2025-03-09', '2025-03-08T18:15:00Z', '2025-03-09T18:15:00Z'],
    // 23 hours: 02:00 does not exist
    ['America/New_York', '2025-03-09', '2025-03-09T05:00:00Z', '2025-03-10T04:00:00Z'],
    // 25 hours: 01:00-02:00 twice
    ['America/New_York', '2025-11-02', '2025-11-02T04:00:00Z', '2025-11-03T05:00:00Z'],
    // 23.5 hours: 02:00 -> 02:30
    ['Australia/Lord_Howe', '2025-10-05', '2025-10-04T13:30:00Z', '2025-10-05T13:00:00Z'],
    // 24.5 hours: 02:00 -> 01:30
    ['Australia/Lord_Howe', '2025-04-06', '2025-04-05T13:00:00Z', '2025-04-06T13:30:00Z'],
    // midnight skipped (00:00 -> 01:00): the day starts when the clock jumps
    ['America/Havana', '2025-03-09', '2025-03-09T05:00:00Z', '2025-03-10T04:00:00Z'],
    ['America/Santiago', '2025-09-07', '2025-09-07T04:00:00Z', '2025-09-08T03:00:00Z'],
    // 24:00 -> 23:00: the repeated 23:00 hour belongs to the day it reads
    ['America/Santiago', '2025-04-05', '2025-04-05T03:00:00Z', '2025-04-06T04:00:00Z'],
  ])('%s %s is [%s, %s)', (tz, date, from, to) => {
    expect(localDayRange(day(date), tz)).toEqual({ fromMs: iso(from), toMs: iso(to) });
  });

  it('every day start reads 00:00 or later on its own date, the instant before reads an earlier date', () => {
    for (const tz of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Havana', 'America/Santiago']) {
      for (let d = day('2025-01-01'); d < day('2026-01-01'); d++) {
        const start = startOfLocalDay(d, tz);
        expect(localDateOf(start, tz)).toBe(new Date(d * 86_400_000).toISOString().slice(0, 10));
        expect(localDateOf(start - 1000, tz) < localDateOf(start, tz)).toBe(true);
      }
    }
  });
});

describe('parseDay', () => {
  it('takes real calendar dates only', () => {
    expect(parseDay('2024-02-29', 'date')).toBe(Date.UTC(2024, 1, 29) / 86_400_000);
    for (const bad of ['2025-02-29', '2025-13-01', '2025-1-01', '20250101', '1969-12-31', '', 'today']) {
      expect(() => parseDay(bad, 'from')).toThrow(expect.objectContaining({ param: 'from', code: 'INVALID_REQUEST' }));
    }
  });
});

describe('offsetSegments', () => {
  it('is one segment without a transition', () => {
    const r = { fromMs: iso('2025-06-01T00:00:00Z'), toMs: iso('2025-06-05T00:00:00Z') };
    expect(offsetSegments(r, 'Asia/Kathmandu')).toEqual([{ fromMs: r.fromMs, offsetMs: 5.75 * HOUR }]);
    expect(offsetSegments({ fromMs: r.fromMs, toMs: r.fromMs }, 'UTC')).toEqual([]);
  });

  it('finds each transition to the second', () => {
    const r = { fromMs: iso('2025-03-01T00:00:00Z'), toMs: iso('2025-12-01T00:00:00Z') };
    expect(offsetSegments(r, 'America/New_York')).toEqual([
      { fromMs: r.fromMs, offsetMs: -5 * HOUR },
      { fromMs: iso('2025-03-09T07:00:00Z'), offsetMs: -4 * HOUR },
      { fromMs: iso('2025-11-02T06:00:00Z'), offsetMs: -5 * HOUR },
    ]);
    expect(offsetSegments(r, 'Australia/Lord_Howe')).toEqual([
      { fromMs: r.fromMs, offsetMs: 11 * HOUR },
      { fromMs: iso('2025-04-05T15:00:00Z'), offsetMs: 10.5 * HOUR },
      { fromMs: iso('2025-10-04T15:30:00Z'), offsetMs: 11 * HOUR },
    ]);
  });

  it('sees a transition in the very last minute of the range', () => {
    const r = { fromMs: iso('2025-11-02T05:00:00Z'), toMs: iso('2025-11-02T06:01:00Z') };
    expect(offsetSegments(r, 'America/New_York')).toEqual([
      { fromMs: r.fromMs, offsetMs: -4 * HOUR },
      { fromMs: iso('2025-11-02T06:00:00Z'), offsetMs: -5 * HOUR },
    ]);
    expect(offsetSegments({ ...r, toMs: iso('2025-11-02T06:00:00Z') }, 'America/New_York')).toHaveLength(1);
  });
});
