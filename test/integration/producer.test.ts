import avsc, { type Schema, type Type } from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchemaText, fromAvroRecord } from '../../src/contract/avro.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { toJsonForm } from '../../src/contract/json.js';
import { kafkaKey } from '../../src/contract/key.js';
import { validateEvent } from '../../src/contract/validate.js';
import { ProduceError, RegistryUnavailableError, RollupsError, TopicMissingError } from '../../src/errors.js';
import { createEventProducer, type EventProducer } from '../../src/index.js';
import { freePort } from '../support/cli.js';
import { sampleEvent, sampleEvents } from '../support/sample-events.js';
import { createTopic, services, testKafka, uniqueName } from '../support/services.js';

/**
 * The producer helper against the real broker and registry: what lands on the topic is read back with a
 * plain kafkajs consumer and decoded by hand (framing, schema by id from the registry, avsc), never
 * through the producer's own code.
 */

const MARKER = 'PLANTED_MARKER_pr0D';

interface Consumed {
  partition: number;
  message: KafkaMessage;
}

/** Every message of the topic, read from the beginning by a fresh group, until `count` have arrived. */
async function consumeAll(topic: string, count: number): Promise<Consumed[]> {
  const consumer = testKafka('rollups-test-reader').consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Consumed[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} messages arrived`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, message });
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** Messages on the topic: the sum of the partitions' end offsets. */
async function messageCount(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function writerSchema(id: number): Promise<Type> {
  const res = await fetch(`${services().registryUrl}/schemas/ids/${id}`);
  expect(res.status).toBe(200);
  const { schema } = (await res.json()) as { schema: string };
  return avsc.Type.forSchema(JSON.parse(schema) as Schema);
}

describe('createEventProducer', () => {
  const topic = uniqueName('producer');
  const subject = `${topic}-value`;
  let producer: EventProducer;

  beforeAll(async () => {
    await createTopic(topic, 3);
    producer = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic });
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  it('sends every valid event, Confluent-framed and keyed, and reports the invalid ones without sending them', async () => {
    const now = Date.now();
    const samples = sampleEvents(now);
    const received = sampleEvent('message.received', now);
    const { user_id: _dropped, ...noUser } = sampleEvent('escalation.created', now);

    // Events in both JSON forms (epoch-ms and ISO timestamps), invalid ones in between.
    const input: unknown[] = [];
    const invalidAt: Record<number, { reason: string; detail: string }> = {};
    const bad = (value: unknown, reason: string, detail: string) => {
      invalidAt[input.length] = { reason, detail };
      input.push(value);
    };
    samples.forEach((e, i) => {
      input.push(i % 2 === 0 ? e : toJsonForm(e));
      if (i === 3) bad({ ...received, email: `${MARKER}@example.com` }, 'unknown_field', 'field "email" is not in the contract');
      if (i === 10) bad({ ...received, event: `${MARKER}.clicked` }, 'unknown_event', 'field "event" is not a catalog event name');
      if (i === 17) bad({ ...noUser, conversation_id: MARKER }, 'missing_field', 'field "user_id" is required');
      if (i === 24) {
        bad({ ...received, timestamp: now + 8 * 86_400_000, customer_id: MARKER }, 'future_timestamp', 'field "timestamp" is more than 7 days ahead of the clock');
      }
    });
    bad(MARKER, 'invalid_field', 'the event must be an object');
    bad({ ...received, response_time_ms: MARKER }, 'unknown_field', 'field "response_time_ms" is not allowed on this event type');

    const report = await producer.send(input);
    expect(report.sent).toBe(samples.length);
    expect(report.rejected).toEqual(Object.entries(invalidAt).map(([index, r]) => ({ index: Number(index), ...r })));
    expect(JSON.stringify(report)).not.toContain(MARKER);

    // The id the registry gives for the subject: the producer registered the schema on first use.
    const latest = (await (await fetch(`${services().registryUrl}/subjects/${subject}/versions/latest`)).json()) as { id: number; version: number };
    expect(latest.version).toBe(1);
    const config = (await (await fetch(`${services().registryUrl}/config/${subject}`)).json()) as { compatibilityLevel: string };
    expect(config.compatibilityLevel).toBe('BACKWARD');

    const consumed = await consumeAll(topic, samples.length);
    expect(await messageCount(topic)).toBe(samples.length); // nothing invalid was sent, nothing twice

    const writer = await writerSchema(latest.id);
    const decoded: AnalyticsEvent[] = [];
    const partitionOfKey = new Map<string, number>();
    for (const { partition, message } of consumed) {
      const value = message.value!;
      expect(value.readUInt8(0)).toBe(0);
      expect(value.readUInt32BE(1)).toBe(latest.id);
      const raw = fromAvroRecord(writer.fromBuffer(value.subarray(5)) as Record<string, unknown>);
      const res = validateEvent(raw, now);
      expect(res.ok).toBe(true);
      if (!res.ok) continue;
      decoded.push(res.event);
      const key = message.key?.toString();
      expect(key).toBe(kafkaKey(res.event));
      expect(key).toBe(res.event.conversation_id === undefined ? res.event.org_id : `${res.event.org_id}:${res.event.conversation_id}`);
      // One key, one partition: a conversation's events stay in order.
      expect(partitionOfKey.get(key!) ?? partition).toBe(partition);
      partitionOfKey.set(key!, partition);
    }
    const byId = (a: AnalyticsEvent, b: AnalyticsEvent) => a.event_id.localeCompare(b.event_id);
    expect(decoded.sort(byId)).toEqual([...samples].sort(byId));
    expect(new Set(consumed.map((c) => c.partition)).size).toBeGreaterThan(1);
  });

  it('the id in the wire format is the id the registry resolves to the repository schema', async () => {
    const lookup = await fetch(`${services().registryUrl}/subjects/${subject}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: eventSchemaText() }),
    });
    const { id } = (await lookup.json()) as { id: number };
    const [first] = await consumeAll(topic, 1);
    expect(first!.message.value!.readUInt32BE(1)).toBe(id);
  });

  it('a send with nothing valid neither connects nor throws, whatever the brokers', async () => {
    const dead = createEventProducer({
      brokers: [`127.0.0.1:${await freePort()}`],
      registryUrl: `http://127.0.0.1:${await freePort()}`,
      topic,
    });
    const report = await dead.send([{ event: 'nope' }, null, 42]);
    expect(report).toEqual({
      sent: 0,
      rejected: [
        { index: 0, reason: 'unknown_event', detail: 'field "event" is not a catalog event name' },
        { index: 1, reason: 'invalid_field', detail: 'the event must be an object' },
        { index: 2, reason: 'invalid_field', detail: 'the event must be an object' },
      ],
    });
    expect(await dead.send([])).toEqual({ sent: 0, rejected: [] });
    await dead.disconnect();
  });

  it('an unreachable broker throws a retriable ProduceError', async () => {
    const port = await freePort();
    const dead = createEventProducer({
      brokers: [`127.0.0.1:${port}`],
      registryUrl: services().registryUrl,
      topic,
      kafka: { retry: { retries: 1, initialRetryTime: 100 }, connectionTimeout: 500 },
    });
    const err = await dead.send([sampleEvent('tool.executed', Date.now())]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProduceError);
    expect(err).toBeInstanceOf(RollupsError);
    expect((err as ProduceError).code).toBe('PRODUCE_FAILED');
    expect((err as ProduceError).retriable).toBe(true);
    expect((err as ProduceError).message).toContain(`cannot connect to Kafka at 127.0.0.1:${port}`);
    await dead.disconnect();
  });

  it('a topic that does not exist throws TopicMissingError (not retriable), and is not created', async () => {
    const missing = uniqueName('producer_missing');
    const p = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic: missing });
    const err = await p.send([sampleEvent('tool.executed', Date.now())]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopicMissingError);
    expect((err as TopicMissingError).code).toBe('TOPIC_MISSING');
    expect((err as TopicMissingError).retriable).toBe(false);
    expect((err as TopicMissingError).message).toMatch(new RegExp(`^topic "${missing}" does not exist`));
    await p.disconnect();
    const admin = testKafka().admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(missing);
    await admin.disconnect();
  });

  it('a registry that does not answer throws a retriable RegistryUnavailableError', async () => {
    const other = uniqueName('producer_noreg');
    await createTopic(other);
    const port = await freePort();
    const p = createEventProducer({ brokers: services().brokers, registryUrl: `http://127.0.0.1:${port}`, topic: other });
    const err = await p.send([sampleEvent('tool.executed', Date.now())]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect((err as RegistryUnavailableError).retriable).toBe(true);
    expect((err as RegistryUnavailableError).code).toBe('REGISTRY_UNAVAILABLE');
    await p.disconnect();
    expect(await messageCount(other)).toBe(0);
  });

  it('a send after disconnect is refused', async () => {
    const p = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic });
    await p.disconnect();
    await expect(p.send([sampleEvent('tool.executed', Date.now())])).rejects.toBeInstanceOf(ProduceError);
  });

  it('splits a large send into produce requests and keeps every event of a key in order', async () => {
    const big = uniqueName('producer_big');
    await createTopic(big, 3);
    const p = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic: big, maxBatchSize: 100 });
    const now = Date.now();
    const events = Array.from({ length: 1200 }, (_, i) => ({
      ...sampleEvent('message.delivered', now - 60_000 + i),
      event_id: `evt-${String(i).padStart(5, '0')}`,
      conversation_id: `conv_${i % 7}`,
    }));
    // Two sends at once: they are serialized, not interleaved.
    const [a, b] = await Promise.all([p.send(events.slice(0, 600)), p.send(events.slice(600))]);
    expect(a).toEqual({ sent: 600, rejected: [] });
    expect(b).toEqual({ sent: 600, rejected: [] });
    await p.disconnect();
    expect(await messageCount(big)).toBe(1200);
    const consumed = await consumeAll(big, 1200);
    const writerIds = new Set(consumed.map((c) => c.message.value!.readUInt32BE(1)));
    expect(writerIds.size).toBe(1);
    const writer = await writerSchema([...writerIds][0]!);
    const perKey = new Map<string, string[]>();
    for (const { message } of consumed) {
      const e = writer.fromBuffer(message.value!.subarray(5)) as { event_id: string };
      const key = message.key!.toString();
      perKey.set(key, [...(perKey.get(key) ?? []), e.event_id]);
    }
    expect(perKey.size).toBe(7);
    for (const ids of perKey.values()) expect(ids).toEqual([...ids].sort());
  });
});
