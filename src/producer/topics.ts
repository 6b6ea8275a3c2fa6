/**
 * Topic existence. The broker does not create topics on demand (and the producer never asks it to), so
 * producing to a topic that does not exist is an operator's mistake, reported in one line before any
 * event is read; `rollups produce --create-topic` creates it instead.
 */
import type { Kafka } from 'kafkajs';
import { TopicMissingError } from '../errors.js';
import { kafkaFailure } from './kafka-errors.js';

/** Partitions of a topic `rollups produce --create-topic` creates. */
export const CREATED_TOPIC_PARTITIONS = 3;

export function topicMissing(topic: string, hint: string): TopicMissingError {
  return new TopicMissingError(topic, `topic "${topic}" does not exist (the broker does not create topics on demand); ${hint}`);
}

/**
 * Whether the topic exists; with `create`, creates it (`partitions`; replication factor 3, or the number of
 * brokers when there are fewer) when it does not. Returns what it found or did.
 */
export async function ensureTopic(
  kafka: Kafka,
  topic: string,
  opts: { create?: boolean; partitions?: number; hint?: string } = {},
): Promise<'exists' | 'created'> {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw kafkaFailure('cannot reach Kafka', err);
  }
  try {
    let topics: string[];
    try {
      topics = await admin.listTopics();
    } catch (err) {
      throw kafkaFailure('cannot list the Kafka topics', err);
    }
    if (topics.includes(topic)) return 'exists';
    if (opts.create !== true) throw topicMissing(topic, opts.hint ?? 'create it first');
    try {
      // kafkajs speaks CreateTopics up to v3, which cannot ask for the broker's default replication factor
      // (-1 needs v4): three copies, or as many as there are brokers.
      const { brokers } = await admin.describeCluster();
      const replicationFactor = Math.max(1, Math.min(3, brokers.length));
      // false when it already exists: someone created it in between, which is as good.
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: opts.partitions ?? CREATED_TOPIC_PARTITIONS, replicationFactor }],
        waitForLeaders: true,
      });
      return created ? 'created' : 'exists';
    } catch (err) {
      throw kafkaFailure(`cannot create topic "${topic}"`, err);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
