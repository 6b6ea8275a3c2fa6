import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import type { BatchConsumer, ConnectionSettings, ConsumedBatch, EachBatch, GroupSettings } from '../consumer.js';

/** kafkajs marks its own transient failures (broker gone, leader moved) with `retriable`. */
function isKafkaRetriable(err: unknown): boolean {
  return (err as { retriable?: unknown }).retriable === true || (err as { name?: unknown }).name === 'KafkaJSNumberOfRetriesExceeded';
}

/** Every assigned partition is worked on at once; the handler groups them into shared flushes. */
const PARTITIONS_CONCURRENTLY = 64;

function toBatch(p: EachBatchPayload): ConsumedBatch {
  const { batch } = p;
  const { topic, partition } = batch;
  // One object of one shape per message (no spread of an optional headers object): this runs for
  // every consumed message.
  const messages = new Array<ConsumedBatch['messages'][number]>(batch.messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = batch.messages[i]!;
    messages[i] = { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, timestamp: m.timestamp, headers: m.headers };
  }
  return { topic, partition, messages, lastOffset: batch.lastOffset() };
}

/** The group and fetch settings in kafkajs' names (also what the KafkaJS-compatible clients take). */
export function kafkaJsGroupFields(g: GroupSettings) {
  return {
    groupId: g.groupId,
    sessionTimeout: g.sessionTimeoutMs,
    rebalanceTimeout: g.rebalanceTimeoutMs,
    heartbeatInterval: g.heartbeatIntervalMs,
    maxBytes: g.maxBytes,
    maxBytesPerPartition: g.maxBytesPerPartition,
    minBytes: g.minBytes,
    maxWaitTimeInMs: g.maxWaitMs,
  };
}

/** The default client: the behaviour the worker had before the interface, unchanged. */
export function openKafkaJsConsumer(conn: ConnectionSettings, g: GroupSettings): BatchConsumer {
  const kafka = new Kafka({ brokers: conn.brokers, clientId: conn.clientId, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({
    ...kafkaJsGroupFields(g),
    // kafkajs restarts the consumer only when this says so: a failure the caller calls final stops it.
    retry: { retries: 10, restartOnFailure: async (err: Error) => g.restartOnFailure?.(err) ?? isKafkaRetriable(err) },
  });
  return {
    client: 'kafkajs',
    connect: () => consumer.connect(),
    subscribe: (topics) => consumer.subscribe({ topics, fromBeginning: g.fromBeginning }),
    async run(eachBatch: EachBatch, events) {
      consumer.on(consumer.events.GROUP_JOIN, (e) => events.onGroupJoin?.(e.payload.memberAssignment, e.payload.memberId));
      consumer.on(consumer.events.CRASH, (e) => events.onCrash?.(e.payload.error, e.payload.restart));
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
        eachBatch: async (p) => {
          if (p.batch.messages.length === 0) return;
          await eachBatch(toBatch(p), {
            heartbeat: p.heartbeat,
            isStale: () => !p.isRunning() || p.isStale(),
            resolveOffset: p.resolveOffset,
          });
        },
      });
    },
    pause: (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]),
    resume: (topic, partition) => consumer.resume([{ topic, partitions: [partition] }]),
    commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
    disconnect: () => consumer.disconnect(),
  };
}
