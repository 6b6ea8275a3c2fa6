import type { IHeaders } from 'kafkajs';
import type { BatchConsumer, ConnectionSettings, ConsumedBatch, GroupSettings } from '../consumer.js';
import { importOptional } from './optional.js';
import { kafkaJsGroupFields } from './kafkajs.js';

// The little of @confluentinc/kafka-javascript's KafkaJS-compatible API this adapter uses (the package
// is optional: no import of its types).
interface CMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}
interface CBatchPayload {
  batch: { topic: string; partition: number; messages: CMessage[]; lastOffset(): string };
  isRunning(): boolean;
  isStale(): boolean;
  resolveOffset(offset: string): void;
}
type TopicPartitions = { topic: string; partitions: number[] }[];
interface CConsumer {
  connect(): Promise<void>;
  subscribe(o: { topics: string[] }): Promise<void>;
  run(o: { partitionsConsumedConcurrently: number; eachBatchAutoResolve: boolean; eachBatch: (p: CBatchPayload) => Promise<void> }): Promise<void>;
  pause(t: TopicPartitions): void;
  resume(t: TopicPartitions): void;
  commitOffsets(o: { topic: string; partition: number; offset: string }[]): Promise<void>;
  disconnect(): Promise<void>;
}
interface CModule {
  KafkaJS: {
    Kafka: new (o: { kafkaJS: Record<string, unknown> }) => { consumer(o: Record<string, unknown>): CConsumer };
    logLevel: { NOTHING: number };
  };
}

/** librdkafka's rebalance event code for "partitions assigned" (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS). */
const ASSIGN_PARTITIONS = -175;

/**
 * @confluentinc/kafka-javascript through its KafkaJS-compatible API (librdkafka underneath, heartbeats
 * on librdkafka's threads). Two differences from kafkajs the adapter bridges: the client always restarts
 * after a failed batch (it seeks back and hands the batch again), so a failure the source calls final
 * is reported as a crash and the consumer is disconnected here; and it has no GROUP_JOIN event, so the
 * rebalance callback reports assignments, and `run` waits for the first one (as kafkajs' run does).
 */
export async function openConfluentConsumer(conn: ConnectionSettings, g: GroupSettings): Promise<BatchConsumer> {
  const mod = (await importOptional('confluent', '@confluentinc/kafka-javascript', 'confluent.mjs')) as CModule;
  const { Kafka, logLevel } = mod.KafkaJS;
  let onAssign: (assigned: Record<string, number[]>) => void = () => undefined;
  const kafka = new Kafka({ kafkaJS: { brokers: conn.brokers, clientId: conn.clientId, logLevel: logLevel.NOTHING } });
  const consumer = kafka.consumer({
    kafkaJS: {
      ...kafkaJsGroupFields(g),
      fromBeginning: g.fromBeginning,
      autoCommit: false,
    },
    // Its eachBatch hands at most 32 messages by default (tiny flushes); kafkajs hands a whole partition
    // fetch (up to maxBytesPerPartition). Its limit counts messages, so: that many bytes at ~256 bytes a
    // message, at most 4 MiB worth (16,384): unlimited (-1) gave 125,000-message batches and 2.5 GB peak
    // RSS in the benchmark.
    'js.consumer.max.batch.size': Math.max(1000, Math.floor(Math.min(g.maxBytesPerPartition, 4 * 1024 * 1024) / 256)),
    rebalance_cb: (err: { code: number }, assignment: { topic: string; partition: number }[]) => {
      if (err.code !== ASSIGN_PARTITIONS) return;
      const assigned: Record<string, number[]> = {};
      for (const tp of assignment) (assigned[tp.topic] ??= []).push(tp.partition);
      onAssign(assigned);
    },
  });
  let crashed = false;
  return {
    client: 'confluent',
    connect: () => consumer.connect(),
    subscribe: (topics) => consumer.subscribe({ topics }),
    async run(eachBatch, events) {
      const joined = new Promise<void>((resolve) => {
        onAssign = (assigned) => {
          events.onGroupJoin?.(assigned, '');
          resolve();
        };
      });
      await consumer.run({
        partitionsConsumedConcurrently: 64,
        eachBatchAutoResolve: false,
        eachBatch: async (p) => {
          if (crashed || p.batch.messages.length === 0) return;
          const { topic, partition } = p.batch;
          const batch: ConsumedBatch = {
            topic,
            partition,
            messages: p.batch.messages.map((m) => ({ topic, partition, offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp, ...(m.headers ? { headers: m.headers } : {}) })),
            lastOffset: p.batch.lastOffset(),
          };
          try {
            await eachBatch(batch, { heartbeat: async () => undefined, isStale: () => !p.isRunning() || p.isStale(), resolveOffset: (o) => p.resolveOffset(o) });
          } catch (err) {
            const error = err instanceof Error ? err : new Error(String(err));
            const restart = g.restartOnFailure?.(error) ?? true;
            events.onCrash?.(error, restart);
            if (restart) throw error;
            crashed = true;
            void consumer.disconnect().catch(() => undefined);
          }
        },
      });
      await joined;
    },
    pause: (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]),
    resume: (topic, partition) => consumer.resume([{ topic, partitions: [partition] }]),
    commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
    disconnect: () => consumer.disconnect(),
  };
}
