/**
 * The overview's `trends` (contract section 6: "trends cover the 60 minutes before now"); the formulas
 * live in src/metrics/mapping.ts (TRENDS) with every other metric:
 *  - `messagesLastHour`: `totalMessages` (message.received + message.delivered);
 *  - `escalationsLastHour`: count of `escalation.created` (every escalation, not distinct conversations);
 *  - `responseTimeLastHour`: `avgResponseTime` (mean response_time_ms of message.delivered, seconds;
 *    null when none).
 * The window is the 60 minutes ending with the minute in progress (its partial minute included, as for
 * every period, see range.ts).
 */
import type { Out } from '../metrics/formula.js';
import { TRENDS } from '../metrics/mapping.js';
import { endOfCurrentMinute } from './range.js';
import { HOUR_MS, type TimeRange } from './zone.js';

export { TRENDS };

export interface Trends {
  messagesLastHour: number;
  escalationsLastHour: number;
  /** Seconds; null when no delivered message carried a response time. */
  responseTimeLastHour: number | null;
}

// The table and the declared answer type cannot drift apart.
const _sameShape: (o: Out<typeof TRENDS>) => Trends = (o) => o;
void _sameShape;

/** The trends window at `now`. */
export function trendsRange(nowMs: number): TimeRange {
  const to = endOfCurrentMinute(nowMs);
  return { fromMs: to - HOUR_MS, toMs: to };
}
