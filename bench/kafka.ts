/**
 * Kafka helpers shared by the bench stages: the consumer settings the worker uses (so the ceiling and the
 * decode stage fetch exactly as the worker does), end offsets, and "the group has committed everything".
 */
import { Kafka, logLevel, type Admin, type ConsumerConfig } from 'kafkajs';
import type { Config } from '../src/config/schema.js';
import type { GroupSettings } from '../src/source/consumer.js';
import { kafkaJsGroupFields } from '../src/source/clients/kafkajs.js';
import { groupSettings } from '../src/source/kafka-source.js';

export function benchKafka(cfg: Config, clientId: string): Kafka {
  return new Kafka({ brokers: cfg.KAFKA_BROKERS, clientId, logLevel: logLevel.NOTHING });
}

/**
 * The consumer settings of `startRollupWorker` + `createKafkaSource` for this configuration, in kafkajs'
 * names (`groupSettings` decides them: fetch size from ROLLUPS_MAX_BUFFER_MB / 8, per fetch and per
 * partition, the fetch minimum and wait from ROLLUPS_FLUSH_MIN_BYTES / ROLLUPS_FLUSH_INTERVAL_MS).
 */
export function workerConsumerConfig(cfg: Config, groupId: string): ConsumerConfig {
  return { ...kafkaJsGroupFields(workerGroupSettings(cfg, groupId)), retry: { retries: 10 } };
}

/** The same settings for the client-independent consumer interface (what `createKafkaSource` derives). */
export function workerGroupSettings(cfg: Config, groupId: string): GroupSettings {
  return groupSettings({
    groupId,
    sessionTimeoutMs: cfg.KAFKA_SESSION_TIMEOUT_MS,
    maxBytes: Math.floor((cfg.ROLLUPS_MAX_BUFFER_MB * 1024 * 1024) / 8),
    minBytes: cfg.ROLLUPS_FLUSH_MIN_BYTES,
    maxWaitMs: cfg.ROLLUPS_FLUSH_INTERVAL_MS,
  });
}

/** The worker's `partitionsConsumedConcurrently`. */
export const PARTITIONS_CONCURRENTLY = 64;

/** High watermark per partition. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

export async function topicSize(admin: Admin, topic: string): Promise<{ messages: bigint; partitions: number; lowIsZero: boolean }> {
  const offsets = await admin.fetchTopicOffsets(topic);
  let messages = 0n;
  let lowIsZero = true;
  for (const o of offsets) {
    messages += BigInt(o.high) - BigInt(o.low);
    if (o.low !== '0') lowIsZero = false;
  }
  return { messages, partitions: offsets.length, lowIsZero };
}

/** Messages of `topic` the group has not committed yet (a partition with no commit counts whole). */
export async function groupLag(admin: Admin, groupId: string, topic: string, ends: ReadonlyMap<number, bigint>): Promise<bigint> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map<number, bigint>();
  for (const p of t?.partitions ?? []) committed.set(p.partition, BigInt(p.offset));
  let lag = 0n;
  for (const [partition, end] of ends) {
    const c = committed.get(partition) ?? -1n;
    lag += c < 0n ? end : end > c ? end - c : 0n;
  }
  return lag;
}

/** Resolves with the time (performance.now()) at which the group's lag on `topic` was first seen at 0. */
export async function waitCaughtUp(
  admin: Admin,
  groupId: string,
  topic: string,
  ends: ReadonlyMap<number, bigint>,
  opts: { intervalMs?: number; timeoutMs?: number; onPoll?: (lag: bigint) => void } = {},
): Promise<number> {
  const interval = opts.intervalMs ?? 100;
  const deadline = performance.now() + (opts.timeoutMs ?? 30 * 60_000);
  for (;;) {
    const lag = await groupLag(admin, groupId, topic, ends);
    opts.onPoll?.(lag);
    if (lag === 0n) return performance.now();
    if (performance.now() > deadline) throw new Error(`group ${groupId} still has lag ${lag} on ${topic} after the timeout`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
