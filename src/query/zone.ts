/**
 * Time zones without a library: `Intl.DateTimeFormat` is the one authority on what the wall clock reads
 * at an instant in an IANA zone. Everything else (UTC offsets, where a local day starts, where offsets
 * change) is derived from that one question, so ranges, daily keys and hourly keys always agree.
 *
 * Local dates are handled as "epoch days" (whole days since 1970-01-01 on the wall clock) and shown as
 * `YYYY-MM-DD`. A "wall-clock ms" value is the local date and time read as if it were UTC.
 */
import { QueryError, shown } from './errors.js';

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const QUARTER_MS = 15 * MINUTE_MS;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A half-open interval of UTC instants `[fromMs, toMs)`, epoch milliseconds. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** From `fromMs` on (until the next segment), the zone's UTC offset is `offsetMs` (wall = utc + offset). */
export interface OffsetSegment {
  readonly fromMs: number;
  readonly offsetMs: number;
}

export const DEFAULT_ZONE = 'UTC';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/**
 * Validates a `tz` parameter: any zone `Intl` knows (IANA names, case-insensitive, and their aliases).
 * Absent means UTC. Returns the name as given; it is never put into SQL.
 */
export function resolveZone(tz: string | undefined): string {
  if (tz === undefined) return DEFAULT_ZONE;
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > 64) {
    throw new QueryError('tz', `tz ${shown(tz)} is not an IANA time zone name`);
  }
  try {
    formatter(tz);
  } catch {
    throw new QueryError('tz', `tz ${shown(tz)} is not an IANA time zone name`);
  }
  return tz;
}

/** The wall clock in `tz` at an instant, as "wall-clock ms" (local date and time read as UTC). */
export function wallClockMs(instantMs: number, tz: string): number {
  const whole = Math.floor(instantMs / SECOND_MS) * SECOND_MS;
  const p = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(tz).formatToParts(whole)) {
    if (part.type in p) p[part.type as keyof typeof p] = Number(part.value);
  }
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  return wall + (instantMs - whole);
}

/** The zone's UTC offset at an instant, ms (wall = utc + offset). */
export function offsetMs(instantMs: number, tz: string): number {
  return wallClockMs(instantMs, tz) - instantMs;
}

/** The local date (epoch day) at an instant. */
export function localDayOf(instantMs: number, tz: string): number {
  return Math.floor(wallClockMs(instantMs, tz) / DAY_MS);
}

/** `YYYY-MM-DD` of an epoch day. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The local date `YYYY-MM-DD` at an instant. */
export function localDateOf(instantMs: number, tz: string): string {
  return formatDay(localDayOf(instantMs, tz));
}

/** Parses a `YYYY-MM-DD` calendar date (years 1970 to 9999) into an epoch day; `param` names it in errors. */
export function parseDay(value: unknown, param: string): number {
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (m !== null) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const ms = Date.UTC(y, mo - 1, d);
    const back = new Date(ms);
    if (y >= 1970 && back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d) {
      return ms / DAY_MS;
    }
  }
  throw new QueryError(param, `${param} ${shown(value)} is not a calendar date YYYY-MM-DD`);
}

/**
 * The first instant of a local date in `tz`: the earliest instant whose wall clock reads 00:00 that
 * day, or, when the zone skips midnight (a DST gap at 00:00), the instant the clock jumps past it.
 */
export function startOfLocalDay(day: number, tz: string): number {
  const wall = day * DAY_MS;
  // Offsets a day either side cover both sides of any transition near midnight.
  let best: number | undefined;
  for (const off of [offsetMs(wall - DAY_MS, tz), offsetMs(wall + DAY_MS, tz)]) {
    const t = wall - off;
    if (wallClockMs(t, tz) === wall && (best === undefined || t < best)) best = t;
  }
  if (best !== undefined) return best;
  // Midnight is skipped: find the first instant whose wall clock is past it. UTC offsets lie within
  // -12h..+14h, so the wall clock is before midnight 15 hours earlier and after it 15 hours later.
  let lo = wall - 15 * HOUR_MS;
  let hi = wall + 15 * HOUR_MS;
  while (hi - lo > SECOND_MS) {
    const mid = lo + Math.floor((hi - lo) / (2 * SECOND_MS)) * SECOND_MS;
    if (wallClockMs(mid, tz) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The UTC instants of one local date: `[start of the date, start of the next date)`. */
export function localDayRange(day: number, tz: string): TimeRange {
  return { fromMs: startOfLocalDay(day, tz), toMs: startOfLocalDay(day + 1, tz) };
}

/** No zone changes its offset twice within this step (real transitions are weeks apart). */
const PROBE_MS = 6 * HOUR_MS;

/**
 * The zone's UTC offsets over a range: one segment per offset in force, the first starting at
 * `range.fromMs`, each later one at the instant the offset changes (found to the second). Empty for
 * an empty range.
 */
export function offsetSegments(range: TimeRange, tz: string): OffsetSegment[] {
  if (!(range.toMs > range.fromMs)) return [];
  // Probe whole seconds (offsets cannot change within one), from the second holding fromMs to the
  // second holding the range's last instant.
  let at = Math.floor(range.fromMs / SECOND_MS) * SECOND_MS;
  let offset = offsetMs(at, tz);
  const out: OffsetSegment[] = [{ fromMs: range.fromMs, offsetMs: offset }];
  const last = Math.floor((range.toMs - 1) / SECOND_MS) * SECOND_MS;
  while (at < last) {
    const next = Math.min(at + PROBE_MS, last);
    if (offsetMs(next, tz) === offset) {
      at = next;
      continue;
    }
    // The offset changes in (at, next]: bisect to the first second of the new offset.
    let lo = at;
    let hi = next;
    while (hi - lo > SECOND_MS) {
      const mid = lo + Math.floor((hi - lo) / (2 * SECOND_MS)) * SECOND_MS;
      if (offsetMs(mid, tz) === offset) lo = mid;
      else hi = mid;
    }
    at = hi;
    offset = offsetMs(at, tz);
    out.push({ fromMs: at, offsetMs: offset });
  }
  return out;
}
