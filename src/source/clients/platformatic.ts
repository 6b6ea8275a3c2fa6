import type { IHeaders } from 'kafkajs';
import { RollupsError } from '../../errors.js';
import type { SourceMessage } from '../../pipeline/types.js';
import type { BatchConsumer, ConnectionSettings, ConsumerEvents, EachBatch, GroupSettings } from '../consumer.js';
import { importOptional } from './optional.js';

// The little of @platformatic/kafka 1.35 this adapter uses (the package is optional: no import of its types).
interface PMessage {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: Map<Buffer | string, Buffer | string>;
}
interface PStream {
  on(event: 'data', listener: (m: PMessage) => void): void;
  on(event: 'error', listener: (e: Error) => void): void;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
interface PAssignment {
  topic: string;
  partitions: number[];
}
interface PConsumer {
  consume(options: Record<string, unknown>): Promise<PStream>;
  commit(options: { offsets: { topic: string; partition: number; offset: bigint; leaderEpoch: number }[] }): Promise<void>;
  close(force?: boolean): Promise<void>;
  on(event: 'consumer:group:join', listener: (p: { memberId: string; assignments?: PAssignment[] }) => void): void;
}
interface PModule {
  Consumer: new (options: Record<string, unknown>) => PConsumer;
}

/** One partition's queue: batches of a partition run one after the other, partitions concurrently. */
interface Lane {
  topic: string;
  partition: number;
  queue: SourceMessage[];
  bytes: number;
  /** Highest offset queued: a stream that rewinds to the committed offset after a rejoin repeats some. */
  high: bigint;
  running: Promise<void> | undefined;
  paused: boolean;
  /** Bumped when the partition is revoked: its running batch is then stale. */
  epoch: number;
}

/** What a queued message counts for the buffer bound: its value plus a rough fixed overhead. */
const sizeOf = (m: SourceMessage): number => (m.value?.length ?? 0) + 64;

function toHeaders(h: PMessage['headers']): IHeaders | undefined {
  if (!h || h.size === 0) return undefined;
  const out: IHeaders = {};
  for (const [k, v] of h) out[k.toString()] = Buffer.isBuffer(v) ? v : Buffer.from(v);
  return out;
}

/**
 * @platformatic/kafka gives one message stream for all partitions and manages heartbeats itself. The
 * adapter groups what one event-loop turn brought into per-partition batches. The client cannot pause a
 * single partition: a paused partition keeps queueing here, and the whole stream pauses once everything
 * queued exceeds one fetch's `maxBytes` (memory stays bounded; the other partitions wait too).
 */
export async function openPlatformaticConsumer(conn: ConnectionSettings, g: GroupSettings): Promise<BatchConsumer> {
  const mod = (await importOptional('platformatic', '@platformatic/kafka', 'platformatic.mjs')) as PModule;
  const consumer = new mod.Consumer({
    clientId: conn.clientId,
    bootstrapBrokers: conn.brokers,
    groupId: g.groupId,
    sessionTimeout: g.sessionTimeoutMs,
    rebalanceTimeout: g.rebalanceTimeoutMs,
    heartbeatInterval: g.heartbeatIntervalMs,
    autocommit: false,
    minBytes: g.minBytes,
    maxBytes: g.maxBytes,
    maxWaitTime: g.maxWaitMs,
  });
  const lanes = new Map<string, Lane>();
  let topics: string[] = [];
  let stream: PStream | undefined;
  let streamPaused = false;
  let queuedBytes = 0;
  let stopping = false;
  let failed = false;
  let handle: EachBatch = async () => undefined;
  let events: ConsumerEvents = {};

  const laneOf = (topic: string, partition: number): Lane => {
    const key = `${topic}:${partition}`;
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { topic, partition, queue: [], bytes: 0, high: -1n, running: undefined, paused: false, epoch: 0 }));
    return lane;
  };

  const flowControl = () => {
    if (!stream) return;
    if (!streamPaused && queuedBytes > g.maxBytes) {
      streamPaused = true;
      stream.pause();
    } else if (streamPaused && queuedBytes <= g.maxBytes / 2 && !stopping) {
      streamPaused = false;
      stream.resume();
    }
  };

  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    stopping = true;
    events.onCrash?.(error, false);
    void stream?.close().catch(() => undefined);
  };

  const schedule = (lane: Lane) => {
    if (lane.running || lane.paused || lane.queue.length === 0 || stopping) return;
    // At most one partition fetch's worth (maxBytesPerPartition) per batch, as kafkajs hands them: larger
    // batches would mean fewer, larger inserts and more memory, and a different benchmark.
    let take = 0;
    let bytes = 0;
    while (take < lane.queue.length && (take === 0 || bytes < g.maxBytesPerPartition)) bytes += sizeOf(lane.queue[take++]!);
    const messages = lane.queue.splice(0, take);
    lane.bytes -= bytes;
    queuedBytes -= bytes;
    flowControl();
    const epoch = lane.epoch;
    const batch = { topic: lane.topic, partition: lane.partition, messages, lastOffset: messages[messages.length - 1]!.offset };
    lane.running = handle(batch, { heartbeat: async () => undefined, isStale: () => stopping || lane.epoch !== epoch, resolveOffset: () => undefined }).then(
      () => {
        lane.running = undefined;
        schedule(lane);
      },
      (err: unknown) => {
        lane.running = undefined;
        const error = err instanceof Error ? err : new Error(String(err));
        if (g.restartOnFailure?.(error) !== true) return fail(error);
        // A transient failure (e.g. a commit the coordinator refused): the same messages again, later.
        events.onCrash?.(error, true);
        lane.queue = messages.concat(lane.queue);
        lane.bytes += bytes;
        queuedBytes += bytes;
        setTimeout(() => schedule(lane), 1000);
      },
    );
  };

  const onMessage = (m: PMessage) => {
    const lane = laneOf(m.topic, m.partition);
    if (m.offset <= lane.high) return;
    lane.high = m.offset;
    const value = m.value ?? null;
    const headers = toHeaders(m.headers);
    lane.queue.push({ topic: m.topic, partition: m.partition, offset: m.offset.toString(), key: m.key ?? null, value, timestamp: m.timestamp.toString(), ...(headers ? { headers } : {}) });
    const size = sizeOf(lane.queue[lane.queue.length - 1]!);
    lane.bytes += size;
    queuedBytes += size;
    flowControl();
    // Whatever arrives in this turn of the event loop (one fetch response) becomes one batch.
    if (lane.queue.length === 1) setImmediate(() => schedule(lane));
  };

  consumer.on('consumer:group:join', (p) => {
    const assigned: Record<string, number[]> = {};
    for (const a of p.assignments ?? []) assigned[a.topic] = a.partitions;
    // Revoked partitions: their running batch is stale, their queue dropped (the new owner reads it again).
    for (const [key, lane] of lanes) {
      if (assigned[lane.topic]?.includes(lane.partition)) continue;
      lane.epoch++;
      queuedBytes -= lane.bytes;
      lanes.delete(key);
    }
    flowControl();
    events.onGroupJoin?.(assigned, p.memberId);
  });

  return {
    client: 'platformatic',
    connect: async () => undefined,
    async subscribe(t) {
      topics = t;
    },
    async run(eachBatch, ev) {
      handle = eachBatch;
      events = ev;
      // consume() joins the group, then returns the stream.
      stream = await consumer.consume({ topics, mode: 'committed', fallbackMode: g.fromBeginning ? 'earliest' : 'latest', autocommit: false, maxBytes: g.maxBytes, maxBytesPerPartition: g.maxBytesPerPartition, minBytes: g.minBytes, maxWaitTime: g.maxWaitMs });
      stream.on('data', onMessage);
      stream.on('error', (e) => {
        if (!stopping) fail(e);
      });
    },
    pause(topic, partition) {
      laneOf(topic, partition).paused = true;
    },
    resume(topic, partition) {
      const lane = laneOf(topic, partition);
      lane.paused = false;
      setImmediate(() => schedule(lane));
    },
    commit: (topic, partition, offset) => consumer.commit({ offsets: [{ topic, partition, offset: BigInt(offset), leaderEpoch: -1 }] }),
    async disconnect() {
      stopping = true;
      stream?.pause();
      await Promise.all([...lanes.values()].map((l) => l.running));
      await stream?.close().catch(() => undefined);
      await consumer.close().catch((err: unknown) => {
        throw new PlatformaticCloseError(err);
      });
    },
  };
}

export class PlatformaticCloseError extends RollupsError {
  constructor(cause: unknown) {
    super('the @platformatic/kafka consumer did not close cleanly', { code: 'KAFKA_CLOSE_FAILED', cause });
  }
}
