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
  /** A batch that is not full is handed over when its first line has waited this long. Default 500 ms. */
  lingerMs?: number;
  /** The clock the future-timestamp rule compares to; default `Date.now`. */
  now?: () => number;
}

/** Whether a line holds nothing but white space (skipped: neither sent nor rejected). */
function isBlank(line: string): boolean {
  return line.trim() === '';
}

const LINGER = Symbol('linger');

/**
 * Batches of the input's lines. Blank lines are skipped (and still counted for line numbers); every other
 * line goes through `parseJsonLine`. A batch is handed over when it is full, at the end of the input, or
 * when its first line has waited `lingerMs` (a slow pipe such as `tail -f ... |` still flows).
 */
export async function* readEventLines(input: Readable, opts: ReadOptions = {}): AsyncGenerator<LineBatch> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 500));
  const lingerMs = Math.max(1, opts.lingerMs ?? 500);
  const now = opts.now ?? Date.now;
  const rl = createInterface({ input, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  let batch: LineBatch = { events: [], lines: [], rejected: [] };
  // One timer per batch (not per line): armed by the batch's first line, cleared when it is handed over.
  let timer: NodeJS.Timeout | undefined;
  let deadline: Promise<typeof LINGER> | undefined;
  let pending: Promise<IteratorResult<string>> | undefined;
  let lineNo = 0;
  const handOver = (): LineBatch => {
    const full = batch;
    batch = { events: [], lines: [], rejected: [] };
    clearTimeout(timer);
    timer = undefined;
    deadline = undefined;
    return full;
  };
  try {
    for (;;) {
      pending ??= lines.next();
      const next = deadline === undefined ? await pending : await Promise.race([pending, deadline]);
      if (next === LINGER) {
        yield handOver();
        continue;
      }
      pending = undefined;
      if (next.done === true) break;
      lineNo++;
      const line = next.value;
      if (isBlank(line)) continue;
      const res = parseJsonLine(line, now());
      if (res.ok) {
        batch.events.push(res.event);
        batch.lines.push(lineNo);
      } else {
        batch.rejected.push({ line: lineNo, reason: res.reason, detail: res.detail });
      }
      if (batch.events.length + batch.rejected.length >= batchSize) {
        yield handOver();
      } else if (deadline === undefined) {
        deadline = new Promise((resolve) => {
          timer = setTimeout(() => resolve(LINGER), lingerMs);
        });
      }
    }
    if (batch.events.length + batch.rejected.length > 0) yield handOver();
  } finally {
    clearTimeout(timer);
    rl.close();
  }
}
