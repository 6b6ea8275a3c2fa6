import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Decoder } from '../decode/decoder.js';
import { createRegistrySource, type SchemaSource } from '../decode/registry-client.js';
import type { Logger } from '../ops/logger.js';
import { LagTracker } from '../ops/lag.js';
import { createWorkerMetrics, type WorkerMetrics } from '../ops/metrics.js';
import { createDeadLetterStep } from '../pipeline/dead-letter.js';
import { createDecodeStep } from '../pipeline/decode-step.js';
import { createIngestStep } from '../pipeline/ingest.js';
import type { DecodedEvent } from '../pipeline/types.js';
import type { SinkResult } from '../sink/rollup-sink.js';
import { createValidateStep } from '../pipeline/validate-step.js';
import { openConsumer, type KafkaClientName } from '../source/consumer.js';
import { createKafkaSource, type BatchControl, type SourceBatch } from '../source/kafka-source.js';
import { RollupsError, TopicMissingError } from '../errors.js';

/**
 * Where valid events go. It resolves when they are durable (the rollups sink) — the source commits the
 * batch only after that and after the dead letters are acknowledged.
 */
export type EventSink = (events: DecodedEvent[], batch: SourceBatch, ctl: BatchControl) => Promise<SinkResult>;

export interface IngestWorkerOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topics: string[];
  dlqTopic: string;
  registryUrl: string;
  logger: Logger;
  sink: EventSink;
  metrics?: WorkerMetrics;
  now?: () => number;
  schemaSource?: SchemaSource;
  onGroupJoin?: () => void;
  fetch?: { maxBytes: number; minBytes: number; maxWaitMs: number };
  sessionTimeoutMs?: number;
  /** The consumer stopped for good (a failure no retry can fix). */
  onCrash?: (error: Error) => void;
  /** Which Kafka client consumes (KAFKA_CLIENT); producer and admin are always kafkajs. */
  kafkaClient?: KafkaClientName;
}

export class DeadLetterWriteError extends RollupsError {
  constructor(cause: unknown) {
    super('could not write to the dead-letter topic', { code: 'DLQ_WRITE_FAILED', retriable: true, cause });
  }
}

/** Kafka → decode → validate → (sink | dead-letter topic), committing only what is durable. */
export function createIngestWorker(o: IngestWorkerOptions) {
  const now = o.now ?? Date.now;
  const metrics = o.metrics ?? createWorkerMetrics();
  const kafka = new Kafka({ brokers: o.brokers, clientId: o.clientId, logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const decoder = new Decoder(o.schemaSource ?? createRegistrySource(o.registryUrl), now);
  const ingest = createIngestStep({ decode: createDecodeStep({ decoder }), validate: createValidateStep({ now }) });
  const writeDeadLetters = createDeadLetterStep({ producer, topic: o.dlqTopic, now });

  const admin = kafka.admin();
  const lag = new LagTracker(admin, o.groupId, metrics.registry, o.logger, now);

  const source = createKafkaSource({
    openConsumer: (settings) => openConsumer(o.kafkaClient ?? 'kafkajs', { brokers: o.brokers, clientId: o.clientId }, settings),
    groupId: o.groupId,
    topics: o.topics,
    logger: o.logger,
    ...(o.fetch ?? {}),
    ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
    hooks: {
      onRetry: ({ error }) => metrics.retries.labels(error instanceof RollupsError ? error.code : 'UNKNOWN').inc(),
      onPaused: (_t, _p, paused) => (paused ? metrics.pausedPartitions.inc() : metrics.pausedPartitions.dec()),
      onGroupJoin: (assignment) => {
        metrics.rebalances.inc();
        lag.assigned(assignment);
        o.onGroupJoin?.();
      },
      onBatchStart: (topic, partition, ts) => lag.batchStarted(topic, partition, ts),
      onCrash: (error) => o.onCrash?.(error),
      onCommitted: (topic, partition) => {
        metrics.lastCommit.set(now() / 1000);
        lag.committed(topic, partition);
      },
    },
    handler: async (batch, ctl) => {
      const end = metrics.batchDuration.startTimer();
      const r = await ingest(batch.messages);
      const sunk = await o.sink(r.events, batch, ctl);
      const deadLetters = sunk.deadLetters.length === 0 ? r.deadLetters : r.deadLetters.concat(sunk.deadLetters);
      try {
        await writeDeadLetters(deadLetters);
      } catch (err) {
        throw new DeadLetterWriteError(err);
      }
      metrics.consumed.inc(batch.messages.length);
      metrics.valid.inc(r.events.length);
      metrics.dropped.inc(r.dropped);
      for (const d of deadLetters) metrics.deadLettered.labels(d.reason).inc();
      if (deadLetters.length > 0) {
        // Counts and reason codes only: never a key, a value or a field value.
        o.logger.info({ topic: batch.topic, partition: batch.partition, deadLettered: deadLetters.length, reasons: [...new Set(deadLetters.map((d) => d.reason))] }, 'records dead-lettered');
      }
      end();
      return { commit: sunk.commit };
    },
  });

  return {
    metrics,
    source,
    lag,
    async start(): Promise<void> {
      await Promise.all([producer.connect(), admin.connect()]);
      // The broker may not create topics on demand: a missing one is a clear start-up error, not a
      // consumer that waits forever or a stack trace.
      const existing = new Set(await admin.listTopics());
      const missing = [...o.topics, o.dlqTopic].filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await Promise.all([producer.disconnect(), admin.disconnect()]);
        throw new TopicMissingError(missing[0] as string, `topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `"${t}"`).join(', ')} do${missing.length > 1 ? '' : 'es'} not exist: create ${missing.length > 1 ? 'them' : 'it'} first (the dead-letter topic too; e.g. rollups produce --create-topic, or kafka-topics.sh)`);
      }
      lag.start();
      await source.start();
    },
    async stop(): Promise<void> {
      await source.stop();
      lag.stop();
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  };
}
export type IngestWorker = ReturnType<typeof createIngestWorker>;
