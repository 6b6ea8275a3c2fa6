/**
 * The JSON form of an event (contract 4.1): one JSON object per line for `rollups produce`, and the
 * shape the producer helper accepts. Field names are the contract's snake_case names; `timestamp` is an
 * ISO-8601 string with an offset, or epoch milliseconds.
 */
import type { AnalyticsEvent } from './catalog.js';
import { validateEvent, type ValidationResult } from './validate.js';

const NOT_JSON = 'the line is not valid JSON';
const NOT_AN_OBJECT = 'the line is not a JSON object';

/**
 * Parses and validates one line. A line that is not JSON, or is JSON but not an object, is rejected with
 * `invalid_json`; the detail never quotes the line (JSON.parse's own message would).
 */
export function parseJsonLine(line: string, nowMs: number): ValidationResult {
  let parsed: unknown;
  try {
    // A UTF-8 byte-order mark may lead the first line of a file.
    parsed = JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: NOT_JSON };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'invalid_json', detail: NOT_AN_OBJECT };
  }
  return validateEvent(parsed as Record<string, unknown>, nowMs);
}

/** The JSON form of a valid event: the same fields, `timestamp` as an ISO-8601 string in UTC (`...Z`). */
export function toJsonForm(event: AnalyticsEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event };
  out['timestamp'] = new Date(event.timestamp).toISOString();
  if (event.gates !== undefined) out['gates'] = event.gates.map((g) => ({ ...g }));
  return out;
}
