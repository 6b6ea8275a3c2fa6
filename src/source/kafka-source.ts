import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { RollupsError, errorMessage } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { SourceMessage } from '../pipeline/types.js';

export interface SourceBatch {
  topic: string;
  partition: number;
  messages: SourceMessage[];
  /** Offset of the last message: everything up to it is covered once the handler resolves. */
  lastOffset: string;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** True once the partition was revoked or the consumer is stopping: stop work, commit nothing. */
  isStale(): boolean;
}

/**
 * The user's batch handler, kept apart from the Kafka loop (as kafkajs keeps eachBatch apart from its
 * runner). It resolves only when the batch's effects are durable; throwing a retriable RollupsError
 * makes the loop wait and hand the same batch again, anything else stops the consumer.
 */
export type BatchHandler = (batch: SourceBatch, ctl: BatchControl) => Promise<BatchVerdict>;

/** `commit: false`: the batch is consumed but its effects are not durable yet (a later batch completes them). */
export interface BatchVerdict {
  commit: boolean;
}

export interface SourceHooks {
  onRetry?: (info: { topic: string; partition: number; attempt: number; delayMs: number; error: unknown }) => void;
  onPaused?: (topic: string, partition: number, paused: boolean) => void;
  onCommitted?: (topic: string, partition: number, nextOffset: string) => void;
  /** The consumer stopped for good after a failure it cannot retry. */
  onCrash?: (error: Error) => void;
  /** A batch is about to be handled (before any retry). */
  onBatchStart?: (topic: string, partition: number, firstTimestampMs: number) => void;
  /** The group (re)joined: assignments may have changed hands. */
  onGroupJoin?: (assigned: Record<string, number[]>) => void;
}

export interface KafkaSourceOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  logger: Logger;
  fromBeginning?: boolean;
  /** Backoff between retries of a failing batch: base doubles up to max. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  hooks?: SourceHooks;
  /** How soon the group notices a dead member. Default 30 s. */
  sessionTimeoutMs?: number;
  /**
   * kafkajs `maxBytes` per fetch, and per partition: one partition may fill a whole fetch (a partition
   * batch is one flush, and larger flushes write fewer rows per event). The bytes in flight stay bounded
   * by the fetch.
   */
  maxBytes?: number;
  /** The broker holds a fetch until this many bytes arrived or `maxWaitMs` passed. */
  minBytes?: number;
  maxWaitMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isRetriable(err: unknown): boolean {
  return err instanceof RollupsError && err.retriable;
}

/** kafkajs marks its own transient failures (broker gone, leader moved) with `retriable`. */
function isKafkaRetriable(err: unknown): boolean {
  return (err as { retriable?: unknown }).retriable === true || (err as { name?: unknown }).name === 'KafkaJSNumberOfRetriesExceeded';
}

/**
 * The Kafka loop: consume in a group, hand each batch to the handler, and commit the batch's offsets
 * only after the handler resolved (its work is durable). While a batch keeps failing with a retriable
 * error the partition is paused (no further fetches for it), heartbeats continue, and the same batch is
 * handed again after a backoff. A rebalance waits for running batches to finish (kafkajs semantics), so
 * a partition's work is flushed and committed before it is let go.
 */
export function createKafkaSource(opts: KafkaSourceOptions) {
  const consumer: Consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: Math.max(500, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 10)),
    maxBytes: opts.maxBytes ?? 10 * 1024 * 1024,
    maxBytesPerPartition: opts.maxBytes ?? 10 * 1024 * 1024,
    minBytes: opts.minBytes ?? 1,
    maxWaitTimeInMs: opts.maxWaitMs ?? 250,
    // A batch that fails for good (schema missing, a bug) must stop the worker, not loop: kafkajs
    // restarts the consumer only for retriable failures.
    retry: { retries: 10, restartOnFailure: async (err: Error) => isRetriable(err) || !(err instanceof RollupsError) && isKafkaRetriable(err) },
  });
  const base = opts.retryBaseMs ?? 200;
  const max = opts.retryMaxMs ?? 10_000;
  let stopping = false;

  async function eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    if (batch.messages.length === 0) return;
    // One object of one shape per message (no spread of an optional headers object): this runs for
    // every consumed message.
    const { topic, partition } = batch;
    const messages = new Array<SourceMessage>(batch.messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = batch.messages[i]!;
      messages[i] = { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, timestamp: m.timestamp, headers: m.headers };
    }
    const sb: SourceBatch = { topic: batch.topic, partition: batch.partition, messages, lastOffset: batch.lastOffset() };
    const ctl: BatchControl = { heartbeat: p.heartbeat, isStale: () => !p.isRunning() || p.isStale() };
    opts.hooks?.onBatchStart?.(batch.topic, batch.partition, Number(batch.messages[0]?.timestamp ?? Date.now()));
    let paused = false;
    let verdict: BatchVerdict = { commit: true };
    for (let attempt = 0; ; attempt++) {
      // A batch that cannot be made durable is abandoned uncommitted on shutdown; it is read again.
      if (ctl.isStale() || (stopping && attempt > 0)) return;
      try {
        verdict = await opts.handler(sb, ctl);
        break;
      } catch (err) {
        if (!isRetriable(err)) throw err;
        if (!paused) {
          paused = true;
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
          opts.hooks?.onPaused?.(batch.topic, batch.partition, true);
        }
        const delayMs = Math.min(max, base * 2 ** Math.min(attempt, 16));
        opts.hooks?.onRetry?.({ topic: batch.topic, partition: batch.partition, attempt, delayMs, error: err });
        opts.logger.warn({ topic: batch.topic, partition: batch.partition, attempt, delayMs, code: (err as RollupsError).code, err: errorMessage(err) }, 'batch failed, retrying');
        const until = Date.now() + delayMs;
        while (Date.now() < until && !ctl.isStale() && !stopping) {
          await sleep(Math.min(1000, until - Date.now()));
          await p.heartbeat().catch(() => undefined);
        }
      }
    }
    if (paused) {
      consumer.resume([{ topic: batch.topic, partitions: [batch.partition] }]);
      opts.hooks?.onPaused?.(batch.topic, batch.partition, false);
    }
    if (ctl.isStale()) return;
    p.resolveOffset(sb.lastOffset);
    if (!verdict.commit) return;
    const next = (BigInt(sb.lastOffset) + 1n).toString();
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    opts.hooks?.onCommitted?.(batch.topic, batch.partition, next);
    await p.heartbeat();
  }

  return {
    consumer,
    async start(): Promise<void> {
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        opts.logger.info({ groupId: opts.groupId, memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined the consumer group');
        opts.hooks?.onGroupJoin?.(e.payload.memberAssignment);
      });
      consumer.on(consumer.events.CRASH, (e) => {
        opts.logger.error({ err: e.payload.error.message, restart: e.payload.restart }, 'consumer crashed');
        if (!e.payload.restart) opts.hooks?.onCrash?.(e.payload.error);
      });
      await consumer.connect();
      await consumer.subscribe({ topics: opts.topics, fromBeginning: opts.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Every assigned partition is worked on at once; the handler groups them into shared flushes.
        partitionsConsumedConcurrently: 64,
        eachBatch,
      });
    },
    /** Stops fetching, lets running batches finish and commit (a batch stuck in retries is abandoned), leaves the group. */
    async stop(): Promise<void> {
      stopping = true;
      await consumer.disconnect();
    },
  };
}
export type KafkaSource = ReturnType<typeof createKafkaSource>;
