import type { ClickHouseClient } from '../clickhouse/client.js';
import type { Logger } from '../ops/logger.js';
import type { WorkerMetrics } from '../ops/metrics.js';
import type { DeadLetter, DecodedEvent } from '../pipeline/types.js';
import type { SourceBatch } from '../source/kafka-source.js';
import { TumblingWindows } from '../window/tumbling.js';
import type { RollupChanges } from './changes.js';
import { readIntent, writeIntent, type Intent, type PartitionRef } from './intents.js';
import { writeRollups } from './rollup-writer.js';

export interface RollupSinkOptions {
  client: ClickHouseClient;
  database: string;
  groupId: string;
  windowMs: number;
  allowedLatenessMs: number;
  now: () => number;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Told of every insert once it settles: readers in this process that keep aggregates of the past (changes.ts). */
  changes?: RollupChanges | undefined;
}

interface PartitionState {
  windows: TumblingWindows;
  /** Events of a replay range that a batch only partly covered, held (uncommitted) until it is whole. */
  pending: { first: bigint; events: DecodedEvent[] } | undefined;
  /** The last intent of this partition; undefined until read from ClickHouse after an assignment. */
  intent: Intent | undefined;
  loaded: boolean;
}

/** The events of one contiguous offset range, written as one insert with one token. */
interface Segment {
  first: bigint;
  last: bigint;
  events: DecodedEvent[];
  /** Set when the segment replays a range a previous owner announced: same token, no new intent. */
  replayOf?: Intent;
}

/** What a batch left: dead letters to write first, and whether its offsets may be committed. */
export interface SinkResult {
  deadLetters: DeadLetter[];
  commit: boolean;
}

export function tokenFor(topic: string, partition: number, first: bigint, last: bigint): string {
  return `${topic}/${partition}/${first}-${last}`;
}

/**
 * Splits the offsets [firstOffset, lastOffset] against the partition's last intent: offsets before the
 * intent were written by an earlier flush (skipped), offsets inside it are replayed under its token
 * (ClickHouse drops them if they had landed), the rest is new. A replay must cover the intent's whole
 * range, or a partial block would take the token and the rest would be dropped: `incomplete` says the
 * batch ended inside the range and the caller must wait for more before writing anything.
 */
export function planSegments(
  firstOffset: bigint,
  lastOffset: bigint,
  events: readonly DecodedEvent[],
  intent: Intent | undefined,
): { segments: Segment[]; skipped: number; incomplete: boolean } {
  const segments: Segment[] = [];
  const offsetOf = (e: DecodedEvent) => BigInt(e.message.offset);
  let newFrom = firstOffset;
  let skipped = 0;
  if (intent !== undefined && firstOffset <= intent.last) {
    if (lastOffset < intent.last) return { segments: [], skipped: 0, incomplete: true };
    skipped = events.filter((e) => offsetOf(e) < intent.first).length;
    segments.push({ first: intent.first, last: intent.last, events: events.filter((e) => offsetOf(e) >= intent.first && offsetOf(e) <= intent.last), replayOf: intent });
    newFrom = intent.last + 1n;
  }
  if (newFrom <= lastOffset) {
    // The whole batch is new in the usual case: no offset needs parsing.
    const fresh = newFrom === firstOffset ? [...events] : events.filter((e) => offsetOf(e) >= newFrom);
    segments.push({ first: newFrom, last: lastOffset, events: fresh });
  }
  return { segments, skipped, incomplete: false };
}

/**
 * The durable end of the pipeline. For each batch of one partition: events go into that partition's
 * tumbling windows, the partials are flushed as one idempotent insert whose token names the offset
 * range, preceded by a write-ahead intent. Resolves only when ClickHouse acknowledged the insert, so
 * the source commits nothing that is not durable. Events older than the allowed lateness come back as
 * dead letters (`too_late`).
 */
export function createRollupSink(o: RollupSinkOptions) {
  const states = new Map<string, PartitionState>();

  function stateOf(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let s = states.get(key);
    if (!s) {
      s = { windows: new TumblingWindows({ windowMs: o.windowMs, allowedLatenessMs: o.allowedLatenessMs, now: o.now }), intent: undefined, loaded: false, pending: undefined };
      states.set(key, s);
    }
    return s;
  }

  async function write(ref: PartitionRef, s: PartitionState, seg: Segment, tooLate: DeadLetter[]): Promise<void> {
    let late = 0;
    for (const d of seg.events) {
      const r = s.windows.record(d.event);
      if (r.outcome === 'too_late') tooLate.push({ message: d.message, reason: 'too_late', detail: 'event time is older than the allowed lateness' });
      else if (r.outcome === 'late') late++;
    }
    const rows = s.windows.flush();
    o.metrics.late.inc(late);
    if (rows.length === 0) return;
    const intent = seg.replayOf ?? { first: seg.first, last: seg.last, token: tokenFor(ref.topic, ref.partition, seg.first, seg.last) };
    if (seg.replayOf) o.logger.info({ topic: ref.topic, partition: ref.partition, first: String(seg.first), last: String(seg.last) }, 'replaying the last announced range under its token');
    else await writeIntent(o.client, o.database, ref, intent, o.now());
    const end = o.metrics.flushDuration.startTimer();
    try {
      await writeRollups(o.client, o.database, rows, intent.token);
    } catch (err) {
      o.metrics.sinkErrors.inc();
      throw err;
    } finally {
      // Also after a failure: an insert that timed out may still have landed.
      o.changes?.published(rows);
    }
    end();
    o.logger.debug({ topic: ref.topic, partition: ref.partition, first: String(seg.first), last: String(seg.last), events: seg.events.length, rows: rows.length }, 'flushed');
    o.metrics.rowsWritten.inc(rows.length);
    s.intent = intent;
  }

  return {
    async handle(events: DecodedEvent[], batch: SourceBatch): Promise<SinkResult> {
      const ref: PartitionRef = { groupId: o.groupId, topic: batch.topic, partition: batch.partition };
      const s = stateOf(batch.topic, batch.partition);
      if (!s.loaded) {
        s.intent = await readIntent(o.client, o.database, ref);
        s.loaded = true;
      }
      const pending = s.pending;
      const firstOffset = pending?.first ?? BigInt(batch.messages[0]?.offset ?? batch.lastOffset);
      const all = pending ? pending.events.concat(events) : events;
      const { segments, skipped, incomplete } = planSegments(firstOffset, BigInt(batch.lastOffset), all, s.intent);
      if (incomplete) {
        s.pending = { first: firstOffset, events: all };
        return { deadLetters: [], commit: false };
      }
      s.pending = undefined;
      if (skipped > 0) o.logger.warn({ topic: batch.topic, partition: batch.partition, skipped }, 'events before the last intent were already written; skipped');
      const tooLate: DeadLetter[] = [];
      // A failed write leaves the windows empty (flush cleared them) and the batch is handed again whole.
      try {
        for (const seg of segments) await write(ref, s, seg, tooLate);
      } catch (err) {
        s.windows.flush();
        s.loaded = false;
        throw err;
      }
      return { deadLetters: tooLate, commit: true };
    },
    /** After a rebalance another worker may have written: intents are read again before the next write. */
    forgetAssignments(): void {
      for (const s of states.values()) {
        s.loaded = false;
        s.pending = undefined;
      }
    },
  };
}
export type RollupSink = ReturnType<typeof createRollupSink>;
