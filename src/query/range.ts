/**
 * Time selections of the read API (contract section 6) resolved to UTC instants, for any IANA zone.
 * Pure: `now` is always an argument. Rules (docs/query.md):
 *  - `period`: `today` = local midnight to now; `yesterday` = the previous local day; `7d` / `30d` =
 *    the last 7 / 30 local days, today included, up to now. Default `today`.
 *  - custom `from` / `to`: ISO-8601 instants with an offset (`Z` or `±HH:MM`), `[from, to)`.
 *  - every range is on the 1-minute grain of the rollups: custom `from` and `to` are floored to the
 *    minute (an event at 10:00:30 is in a range from 10:00:45 on; a range whose two ends fall into the
 *    same minute is refused); "now" is the end of the minute in progress, so the latest events count.
 *  - dates (timeseries, export): `days` = the last N local dates, today included; or `from` / `to`
 *    local dates `YYYY-MM-DD`, both included.
 */
import { QueryError, shown } from './errors.js';
import {
  DAY_MS,
  MINUTE_MS,
  formatDay,
  localDayOf,
  parseDay,
  resolveZone,
  startOfLocalDay,
  type TimeRange,
} from './zone.js';

export const PERIODS = ['today', 'yesterday', '7d', '30d'] as const;
export type Period = (typeof PERIODS)[number];

/** The longest custom `[from, to)` accepted. */
export const MAX_RANGE_DAYS = 400;
/** The most local dates one timeseries / export answers (`days` is 1..MAX_DATES). */
export const MAX_DATES = 366;

export interface TimeSelectionInput {
  period?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  tz?: string | undefined;
}

export interface ResolvedTimeSelection extends TimeRange {
  /** The word given, or `custom` for from/to. */
  readonly period: Period | 'custom';
  readonly tz: string;
}

export interface DateSelectionInput {
  days?: string | number | undefined;
  from?: string | undefined;
  to?: string | undefined;
  tz?: string | undefined;
}

export interface ResolvedDateSelection {
  readonly tz: string;
  /** Local dates `YYYY-MM-DD`, ascending, without gaps. */
  readonly dates: string[];
}

export interface HourSelectionInput {
  date?: string | undefined;
  tz?: string | undefined;
}

export interface ResolvedHourSelection {
  readonly tz: string;
  readonly date: string;
}

export function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/**
 * "Now" as the end of a range: the end of the minute in progress. Its partial minute is included, so a
 * dashboard sees an event within seconds; the rest of that minute is in the future and holds nothing.
 */
export function endOfCurrentMinute(nowMs: number): number {
  return floorToMinute(nowMs) + MINUTE_MS;
}

function checkNow(nowMs: number): void {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`now must be an epoch-ms instant, got ${nowMs}`);
}

/** The local date `YYYY-MM-DD` of `now` in `tz`. */
export function todayIn(tz: string, nowMs: number): string {
  checkNow(nowMs);
  return formatDay(localDayOf(nowMs, resolveZone(tz)));
}

/** `[from, to)` of a named period in `tz` at `now` (to = the end of the minute in progress). */
export function periodRange(period: Period, tz: string, nowMs: number): TimeRange {
  checkNow(nowMs);
  resolveZone(tz);
  const today = localDayOf(nowMs, tz);
  const start = (day: number) => startOfLocalDay(day, tz);
  const now = endOfCurrentMinute(nowMs);
  switch (period) {
    case 'today':
      return { fromMs: start(today), toMs: Math.max(start(today), now) };
    case 'yesterday':
      return { fromMs: start(today - 1), toMs: start(today) };
    case '7d':
      return { fromMs: start(today - 6), toMs: Math.max(start(today), now) };
    case '30d':
      return { fromMs: start(today - 29), toMs: Math.max(start(today), now) };
  }
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** Parses an ISO-8601 instant that carries its offset (`Z`, `±HH`, `±HH:MM`, `±HHMM`); epoch ms. */
export function parseInstant(value: unknown, param: string): number {
  const m = typeof value === 'string' ? INSTANT.exec(value) : null;
  if (m !== null) {
    const n = (i: number) => Number(m[i] ?? '0');
    const [y, mo, d, h, mi, s] = [n(1), n(2), n(3), n(4), n(5), n(6)];
    const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
    const sign = m[9] === '-' ? -1 : 1;
    const [oh, om] = [n(10), n(11)];
    const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const back = new Date(wall);
    const valid =
      y >= 1970 &&
      back.getUTCFullYear() === y &&
      back.getUTCMonth() === mo - 1 &&
      back.getUTCDate() === d &&
      h <= 23 &&
      mi <= 59 &&
      s <= 59 &&
      oh <= 23 &&
      om <= 59;
    if (valid) return wall - sign * (oh * 60 + om) * MINUTE_MS;
  }
  throw new QueryError(param, `${param} ${shown(value)} is not an ISO-8601 instant with an offset (e.g. 2025-11-02T08:00:00Z)`);
}

/** A custom `[from, to)`: both ends floored to the minute; at least one minute, at most MAX_RANGE_DAYS. */
export function customRange(from: unknown, to: unknown): TimeRange {
  const f = parseInstant(from, 'from');
  const t = parseInstant(to, 'to');
  if (f >= t) throw new QueryError('from', 'from must be before to');
  const range = { fromMs: floorToMinute(f), toMs: floorToMinute(t) };
  if (range.fromMs === range.toMs) {
    throw new QueryError('to', 'from and to fall into the same minute (ranges are floored to whole minutes)');
  }
  if (range.toMs - range.fromMs > MAX_RANGE_DAYS * DAY_MS) {
    throw new QueryError('to', `the range from..to is longer than ${MAX_RANGE_DAYS} days`);
  }
  return range;
}

/** `period` (default `today`) or `from` + `to`, in `tz` (default UTC). */
export function resolveTimeSelection(input: TimeSelectionInput, nowMs: number): ResolvedTimeSelection {
  checkNow(nowMs);
  const tz = resolveZone(input.tz);
  const custom = input.from !== undefined || input.to !== undefined;
  if (custom) {
    if (input.period !== undefined) throw new QueryError('period', 'give either period or from and to, not both');
    if (input.from === undefined) throw new QueryError('from', 'from is required with to');
    if (input.to === undefined) throw new QueryError('to', 'to is required with from');
    return { period: 'custom', tz, ...customRange(input.from, input.to) };
  }
  const period = input.period ?? 'today';
  if (!(PERIODS as readonly string[]).includes(period)) {
    throw new QueryError('period', `period ${shown(period)} is not one of ${PERIODS.join(', ')}`);
  }
  return { period: period as Period, tz, ...periodRange(period as Period, tz, nowMs) };
}

/** The last `n` local dates in `tz`, today included, ascending. */
export function lastLocalDates(n: number, tz: string, nowMs: number): string[] {
  checkNow(nowMs);
  resolveZone(tz);
  const today = localDayOf(nowMs, tz);
  return Array.from({ length: n }, (_, i) => formatDay(today - n + 1 + i));
}

function parseDays(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_DATES) {
    throw new QueryError('days', `days ${shown(value)} is not a whole number from 1 to ${MAX_DATES}`);
  }
  return n;
}

/** `days` (the last N local dates) or local dates `from` + `to` (both included), in `tz`. */
export function resolveDateSelection(input: DateSelectionInput, nowMs: number): ResolvedDateSelection {
  checkNow(nowMs);
  const tz = resolveZone(input.tz);
  const range = input.from !== undefined || input.to !== undefined;
  if (input.days !== undefined) {
    if (range) throw new QueryError('days', 'give either days or from and to, not both');
    return { tz, dates: lastLocalDates(parseDays(input.days), tz, nowMs) };
  }
  if (!range) throw new QueryError('days', 'days, or from and to, is required');
  if (input.from === undefined) throw new QueryError('from', 'from is required with to');
  if (input.to === undefined) throw new QueryError('to', 'to is required with from');
  const from = parseDay(input.from, 'from');
  const to = parseDay(input.to, 'to');
  if (from > to) throw new QueryError('from', 'from must not be after to');
  if (to - from + 1 > MAX_DATES) throw new QueryError('to', `from..to covers more than ${MAX_DATES} dates`);
  return { tz, dates: Array.from({ length: to - from + 1 }, (_, i) => formatDay(from + i)) };
}

/** One local date for volume-by-hour. */
export function resolveHourSelection(input: HourSelectionInput): ResolvedHourSelection {
  const tz = resolveZone(input.tz);
  if (input.date === undefined) throw new QueryError('date', 'date is required');
  return { tz, date: formatDay(parseDay(input.date, 'date')) };
}
