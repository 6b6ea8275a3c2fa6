import { describe, expect, it } from 'vitest';
import {
  customRange,
  lastLocalDates,
  parseInstant,
  periodRange,
  resolveDateSelection,
  resolveHourSelection,
  resolveTimeSelection,
  todayIn,
} from '../../../src/query/range.js';

const iso = (s: string) => Date.parse(s);
const range = (from: string, to: string) => ({ fromMs: iso(from), toMs: iso(to) });

/** Runs `f`, expects an INVALID_REQUEST QueryError naming `param`. */
function refused(f: () => unknown, param: string): void {
  expect(f).toThrow(expect.objectContaining({ name: 'QueryError', code: 'INVALID_REQUEST', param }));
}

describe('periods', () => {
  const now = iso('2025-11-02T15:42:37.123Z');

  it.each([
    ['UTC', 'today', '2025-11-02T00:00:00Z', '2025-11-02T15:43:00Z'],
    ['UTC', 'yesterday', '2025-11-01T00:00:00Z', '2025-11-02T00:00:00Z'],
    ['UTC', '7d', '2025-10-27T00:00:00Z', '2025-11-02T15:43:00Z'],
    ['UTC', '30d', '2025-10-04T00:00:00Z', '2025-11-02T15:43:00Z'],
    // +7: it is already 22:42 on 2025-11-02
    ['Asia/Ho_Chi_Minh', 'today', '2025-11-01T17:00:00Z', '2025-11-02T15:43:00Z'],
    ['Asia/Ho_Chi_Minh', 'yesterday', '2025-10-31T17:00:00Z', '2025-11-01T17:00:00Z'],
    ['Asia/Kolkata', 'today', '2025-11-01T18:30:00Z', '2025-11-02T15:43:00Z'],
    ['Asia/Kathmandu', '7d', '2025-10-26T18:15:00Z', '2025-11-02T15:43:00Z'],
    // New York's 2025-11-02 has 25 hours; 30 days back crosses no other change
    ['America/New_York', 'today', '2025-11-02T04:00:00Z', '2025-11-02T15:43:00Z'],
    ['America/New_York', 'yesterday', '2025-11-01T04:00:00Z', '2025-11-02T04:00:00Z'],
    ['America/New_York', '30d', '2025-10-04T04:00:00Z', '2025-11-02T15:43:00Z'],
    // Lord Howe (+11 in November): 02:42 on 2025-11-03
    ['Australia/Lord_Howe', 'today', '2025-11-02T13:00:00Z', '2025-11-02T15:43:00Z'],
    // ... and 30 days back is before its 2025-10-05 change to +11 (the days then start at 13:30Z)
    ['Australia/Lord_Howe', '30d', '2025-10-04T13:30:00Z', '2025-11-02T15:43:00Z'],
  ] as const)('%s %s', (tz, period, from, to) => {
    expect(periodRange(period, tz, now)).toEqual(range(from, to));
    expect(resolveTimeSelection({ period, tz }, now)).toEqual({ period, tz, ...range(from, to) });
  });

  it('yesterday in New York after the 25-hour day', () => {
    expect(periodRange('yesterday', 'America/New_York', iso('2025-11-03T12:00:00Z'))).toEqual(
      range('2025-11-02T04:00:00Z', '2025-11-03T05:00:00Z'),
    );
  });

  it('today is the default, and reads the minute in progress', () => {
    expect(resolveTimeSelection({}, now)).toEqual({ period: 'today', tz: 'UTC', ...range('2025-11-02T00:00:00Z', '2025-11-02T15:43:00Z') });
    expect(periodRange('today', 'UTC', iso('2025-11-02T00:00:59Z'))).toEqual(range('2025-11-02T00:00:00Z', '2025-11-02T00:01:00Z'));
    expect(periodRange('today', 'UTC', iso('2025-11-02T00:00:00Z'))).toEqual(range('2025-11-02T00:00:00Z', '2025-11-02T00:01:00Z'));
  });

  it('refuses unknown periods and zones', () => {
    refused(() => resolveTimeSelection({ period: 'week' }, now), 'period');
    refused(() => resolveTimeSelection({ period: '' }, now), 'period');
    refused(() => resolveTimeSelection({ period: 'today', tz: 'Nowhere/Town' }, now), 'tz');
  });
});

describe('custom from / to', () => {
  const now = iso('2025-11-02T15:42:37Z');

  it('parses instants with any offset', () => {
    expect(parseInstant('2025-11-02T08:00:00Z', 'from')).toBe(iso('2025-11-02T08:00:00Z'));
    expect(parseInstant('2025-11-02T08:00Z', 'from')).toBe(iso('2025-11-02T08:00:00Z'));
    expect(parseInstant('2025-11-02T13:45:00+05:45', 'from')).toBe(iso('2025-11-02T08:00:00Z'));
    expect(parseInstant('2025-11-02T13:30:00.999+0530', 'from')).toBe(iso('2025-11-02T08:00:00.999Z'));
    expect(parseInstant('2025-11-02T03:00:00-05', 'from')).toBe(iso('2025-11-02T08:00:00Z'));
    expect(parseInstant('2025-11-02T08:00:00.123456789z', 'from')).toBe(iso('2025-11-02T08:00:00.123Z'));
  });

  it('refuses instants without an offset or with impossible fields, naming the parameter', () => {
    for (const bad of ['2025-11-02T08:00:00', '2025-11-02', '2025-02-29T00:00Z', '2025-11-02T24:00Z', '2025-11-02T08:60Z', 'yesterday', '', '1969-12-31T23:00Z']) {
      refused(() => parseInstant(bad, 'to'), 'to');
    }
  });

  it('floors both ends to the minute', () => {
    expect(customRange('2025-11-02T08:00:30Z', '2025-11-02T09:59:59.999Z')).toEqual(range('2025-11-02T08:00:00Z', '2025-11-02T09:59:00Z'));
    expect(resolveTimeSelection({ from: '2025-11-02T13:45:10+05:45', to: '2025-11-02T09:00:00Z', tz: 'Asia/Kathmandu' }, now)).toEqual({
      period: 'custom',
      tz: 'Asia/Kathmandu',
      ...range('2025-11-02T08:00:00Z', '2025-11-02T09:00:00Z'),
    });
  });

  it('refuses from >= to, sub-minute ranges, ranges over 400 days, and half or mixed selections', () => {
    refused(() => customRange('2025-11-02T09:00Z', '2025-11-02T09:00Z'), 'from');
    refused(() => customRange('2025-11-02T10:00Z', '2025-11-02T09:00Z'), 'from');
    refused(() => customRange('2025-11-02T09:00:10Z', '2025-11-02T09:00:50Z'), 'to');
    expect(customRange('2024-10-01T00:00Z', '2025-11-05T00:00Z').toMs).toBe(iso('2025-11-05T00:00:00Z'));
    refused(() => customRange('2024-10-01T00:00Z', '2025-11-05T00:01Z'), 'to');
    refused(() => resolveTimeSelection({ from: '2025-11-02T09:00Z' }, now), 'to');
    refused(() => resolveTimeSelection({ to: '2025-11-02T09:00Z' }, now), 'from');
    refused(() => resolveTimeSelection({ period: '7d', from: '2025-11-01T09:00Z', to: '2025-11-02T09:00Z' }, now), 'period');
  });
});

describe('dates', () => {
  it('days = the last N local dates, today included', () => {
    // 2025-11-01T20:00Z: still the 1st in UTC and New York, already the 2nd in Ho Chi Minh City
    const now = iso('2025-11-01T20:00:00Z');
    expect(lastLocalDates(3, 'UTC', now)).toEqual(['2025-10-30', '2025-10-31', '2025-11-01']);
    expect(resolveDateSelection({ days: '3', tz: 'Asia/Ho_Chi_Minh' }, now)).toEqual({
      tz: 'Asia/Ho_Chi_Minh',
      dates: ['2025-10-31', '2025-11-01', '2025-11-02'],
    });
    expect(resolveDateSelection({ days: 1, tz: 'America/New_York' }, now).dates).toEqual(['2025-11-01']);
    expect(resolveDateSelection({ days: 366 }, now).dates).toHaveLength(366);
    expect(todayIn('Asia/Kathmandu', now)).toBe('2025-11-02');
  });

  it('from / to local dates, both included', () => {
    expect(resolveDateSelection({ from: '2024-02-27', to: '2024-03-01', tz: 'Asia/Kolkata' }, 0)).toEqual({
      tz: 'Asia/Kolkata',
      dates: ['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01'],
    });
    expect(resolveDateSelection({ from: '2025-11-02', to: '2025-11-02' }, 0).dates).toEqual(['2025-11-02']);
  });

  it('refuses bad days, bad dates, reversed or too long ranges, naming the parameter', () => {
    for (const bad of ['0', '367', '-1', '1.5', 'abc', '', 0, 367, 2.5]) refused(() => resolveDateSelection({ days: bad }, 0), 'days');
    refused(() => resolveDateSelection({}, 0), 'days');
    refused(() => resolveDateSelection({ days: '7', from: '2025-11-01', to: '2025-11-02' }, 0), 'days');
    refused(() => resolveDateSelection({ from: '2025-11-01' }, 0), 'to');
    refused(() => resolveDateSelection({ from: '2025-02-30', to: '2025-03-02' }, 0), 'from');
    refused(() => resolveDateSelection({ from: '2025-03-01', to: '2025-3-02' }, 0), 'to');
    refused(() => resolveDateSelection({ from: '2025-03-02', to: '2025-03-01' }, 0), 'from');
    expect(resolveDateSelection({ from: '2025-01-01', to: '2026-01-01' }, 0).dates).toHaveLength(366);
    refused(() => resolveDateSelection({ from: '2025-01-01', to: '2026-01-02' }, 0), 'to');
    refused(() => resolveDateSelection({ days: '7', tz: 'Mars/Olympus' }, 0), 'tz');
  });

  it('hour selection: one date in a zone', () => {
    expect(resolveHourSelection({ date: '2025-11-02', tz: 'America/New_York' })).toEqual({ tz: 'America/New_York', date: '2025-11-02' });
    refused(() => resolveHourSelection({}), 'date');
    refused(() => resolveHourSelection({ date: '2025-11-31' }), 'date');
    refused(() => resolveHourSelection({ date: '2025-11-02', tz: 'nope' }), 'tz');
  });
});
