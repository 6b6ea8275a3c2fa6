/**
 * Reads NDJSON events (contract 4.1, one JSON object per line) from a stream, line by line, never holding
 * the whole input: batches of valid events with their line numbers, and the rejected lines with their
 * reasons. The reader waits while the caller sends a batch (readline pauses the stream when it is ahead).
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { AnalyticsEvent, RejectReason } from '../contract/catalog.js';
import { parseJsonLine } from '../contract/json.js';

export interface LineRejection {
  /** 1-based line number in the input. */
  line: number;
  reason: RejectReason;
  /** Names fields only, never a value; a line that is not JSON is never quoted. */
  detail: string;
}

export interface LineBatch {
  events: AnalyticsEvent[];
  /** `lines[i]` is the line number of `events[i]`. */
  lines: number[];
  /** Rejected lines since the previous batch, in line order. */
  rejected: LineRejection[];
}

export interface ReadOptions {
  /** A batch is handed over when valid events plus rejected lines reach this. Default 500. */
  batchSize?: number;
  /** The clock the future-timestamp rule compares to; default `Date.now`. */
  now?: () => number;
}

/** Whether a line holds nothing but white space (skipped: neither sent nor rejected). */
function isBlank(line: string): boolean {
  return line.trim() === '';
}

/**
 * Batches of the input's lines. Blank lines are skipped (and still counted for line numbers); every other
 * line goes through `parseJsonLine`.
 */
export async function* readEventLines(input: Readable, opts: ReadOptions = {}): AsyncGenerator<LineBatch> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 500));
  const now = opts.now ?? Date.now;
  const rl = createInterface({ input, crlfDelay: Infinity });
  let batch: LineBatch = { events: [], lines: [], rejected: [] };
  let lineNo = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if (isBlank(line)) continue;
      const res = parseJsonLine(line, now());
      if (res.ok) {
        batch.events.push(res.event);
        batch.lines.push(lineNo);
      } else {
        batch.rejected.push({ line: lineNo, reason: res.reason, detail: res.detail });
      }
      if (batch.events.length + batch.rejected.length >= batchSize) {
        yield batch;
        batch = { events: [], lines: [], rejected: [] };
      }
    }
    if (batch.events.length + batch.rejected.length > 0) yield batch;
  } finally {
    rl.close();
  }
}
