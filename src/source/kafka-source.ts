import { RollupsError, errorMessage } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { BatchConsumer, BatchScope, ConsumedBatch, GroupSettings } from './consumer.js';

/** One partition's messages as the handler gets them: everything up to `lastOffset` is covered once it resolves. */
export type SourceBatch = ConsumedBatch;

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
  /** Opens the consumer (of whichever client) with the settings the source derived. */
  openConsumer: (settings: GroupSettings) => BatchConsumer | Promise<BatchConsumer>;
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

/** The consumer settings of the worker: exported so that the benchmark's stages fetch exactly as it does. */
export function groupSettings(opts: Pick<KafkaSourceOptions, 'groupId' | 'fromBeginning' | 'sessionTimeoutMs' | 'maxBytes' | 'minBytes' | 'maxWaitMs'>): GroupSettings {
  const session = opts.sessionTimeoutMs ?? 30_000;
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  return {
    groupId: opts.groupId,
    sessionTimeoutMs: session,
    rebalanceTimeoutMs: 60_000,
    heartbeatIntervalMs: Math.max(500, Math.floor(session / 10)),
    maxBytes,
    maxBytesPerPartition: maxBytes,
    minBytes: opts.minBytes ?? 1,
    maxWaitMs: opts.maxWaitMs ?? 250,
    fromBeginning: opts.fromBeginning ?? true,
    // A batch that fails for good (schema missing, a bug) must stop the worker, not loop: our own errors
    // decide by their flag; anything else is left to the client's notion of a transient failure.
    restartOnFailure: (err) => (err instanceof RollupsError ? err.retriable : undefined),
  };
}

/**
 * The Kafka loop: consume in a group, hand each batch to the handler, and commit the batch's offsets
 * only after the handler resolved (its work is durable). While a batch keeps failing with a retriable
 * error the partition is paused (no further fetches for it), heartbeats continue, and the same batch is
 * handed again after a backoff. It talks to the client only through BatchConsumer (src/source/consumer.ts);
 * with kafkajs a rebalance waits for running batches to finish, so a partition's work is flushed and
 * committed before it is let go.
 */
export function createKafkaSource(opts: KafkaSourceOptions) {
  const base = opts.retryBaseMs ?? 200;
  const max = opts.retryMaxMs ?? 10_000;
  let stopping = false;
  let consumer: BatchConsumer | undefined;

  async function eachBatch(c: BatchConsumer, batch: ConsumedBatch, scope: BatchScope): Promise<void> {
    if (batch.messages.length === 0) return;
    const sb = batch;
    const ctl: BatchControl = { heartbeat: scope.heartbeat, isStale: scope.isStale };
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
          c.pause(batch.topic, batch.partition);
          opts.hooks?.onPaused?.(batch.topic, batch.partition, true);
        }
        const delayMs = Math.min(max, base * 2 ** Math.min(attempt, 16));
        opts.hooks?.onRetry?.({ topic: batch.topic, partition: batch.partition, attempt, delayMs, error: err });
        opts.logger.warn({ topic: batch.topic, partition: batch.partition, attempt, delayMs, code: (err as RollupsError).code, err: errorMessage(err) }, 'batch failed, retrying');
        const until = Date.now() + delayMs;
        while (Date.now() < until && !ctl.isStale() && !stopping) {
          await sleep(Math.min(1000, until - Date.now()));
          await scope.heartbeat().catch(() => undefined);
        }
      }
    }
    if (paused) {
      c.resume(batch.topic, batch.partition);
      opts.hooks?.onPaused?.(batch.topic, batch.partition, false);
    }
    if (ctl.isStale()) return;
    scope.resolveOffset(sb.lastOffset);
    if (!verdict.commit) return;
    const next = (BigInt(sb.lastOffset) + 1n).toString();
    await c.commit(batch.topic, batch.partition, next);
    opts.hooks?.onCommitted?.(batch.topic, batch.partition, next);
    await scope.heartbeat();
  }

  return {
    /** The open consumer (after start). */
    get consumer(): BatchConsumer | undefined {
      return consumer;
    },
    async start(): Promise<void> {
      const c = await opts.openConsumer(groupSettings(opts));
      consumer = c;
      await c.connect();
      await c.subscribe(opts.topics);
      await c.run((batch, scope) => eachBatch(c, batch, scope), {
        onGroupJoin: (assigned, memberId) => {
          opts.logger.info({ groupId: opts.groupId, memberId, assignment: assigned, client: c.client }, 'joined the consumer group');
          opts.hooks?.onGroupJoin?.(assigned);
        },
        onCrash: (error, restart) => {
          opts.logger.error({ err: error.message, restart, client: c.client }, 'consumer crashed');
          if (!restart) opts.hooks?.onCrash?.(error);
        },
      });
    },
    /** Stops fetching, lets running batches finish and commit (a batch stuck in retries is abandoned), leaves the group. */
    async stop(): Promise<void> {
      stopping = true;
      await consumer?.disconnect();
    },
  };
}
export type KafkaSource = ReturnType<typeof createKafkaSource>;
