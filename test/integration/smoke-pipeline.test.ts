import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTopic, services, testKafka, uniqueName } from '../support/services.js';

/**
 * The foundation's end-to-end check, through every real part: an Avro schema registered with the
 * registry, Confluent-framed records produced to a fresh topic, consumed by a kafkajs group, decoded
 * through the registry, inserted into ClickHouse and read back with exact values.
 */
const schema = {
  type: 'record',
  name: 'SmokeEvent',
  namespace: 'ai.support.analytics.test',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'org_id', type: 'string' },
    { name: 'amount', type: 'long' },
    { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

interface Smoke {
  event_id: string;
  org_id: string;
  amount: number;
  timestamp: number;
}

describe('smoke pipeline: registry → Kafka → kafkajs → ClickHouse', () => {
  const topic = uniqueName('smoke');
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    await createTopic(topic, 2);
    db = await createTestDatabase('smoke');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('delivers every record exactly as produced', async () => {
    const registry = new SchemaRegistry({ host: services().registryUrl });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
    expect(id).toBeGreaterThan(0);

    const base = Date.UTC(2026, 10, 21, 9, 30, 0);
    const sent: Smoke[] = Array.from({ length: 50 }, (_, i) => ({
      event_id: `e-${i}`,
      org_id: `org-${i % 3}`,
      amount: i * 7,
      timestamp: base + i * 1000,
    }));
    const kafka = testKafka();
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const messages = await Promise.all(sent.map(async (e) => ({ key: e.org_id, value: await registry.encode(id, e) })));
    expect(messages[0]?.value.readUInt8(0)).toBe(0);
    expect(messages[0]?.value.readUInt32BE(1)).toBe(id);
    await producer.send({ topic, messages });
    await producer.disconnect();

    await db.client.command({
      query: `CREATE TABLE ${db.database}.smoke (event_id String, org_id String, amount Int64, ts DateTime64(3, 'UTC'), partition UInt32, offset UInt64) ENGINE = MergeTree ORDER BY event_id`,
    });

    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            const rows = [];
            for (const m of batch.messages) {
              const e = (await registry.decode(m.value as Buffer)) as Smoke;
              rows.push({ event_id: e.event_id, org_id: e.org_id, amount: e.amount, ts: e.timestamp, partition: batch.partition, offset: m.offset });
            }
            await db.client.insert({ table: `${db.database}.smoke`, values: rows, format: 'JSONEachRow' });
            for (const m of batch.messages) resolveOffset(m.offset);
            await consumer.commitOffsets([{ topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }]);
            seen += rows.length;
            if (seen >= sent.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    const rs = await db.client.query({
      query: `SELECT event_id, org_id, amount, toUnixTimestamp64Milli(ts) AS timestamp FROM ${db.database}.smoke ORDER BY amount`,
      format: 'JSONEachRow',
    });
    const back = (await rs.json<{ event_id: string; org_id: string; amount: string | number; timestamp: string | number }>()).map((r) => ({
      event_id: r.event_id,
      org_id: r.org_id,
      amount: Number(r.amount),
      timestamp: Number(r.timestamp),
    }));
    expect(back).toEqual(sent);
    const parts = await db.client.query({ query: `SELECT count() AS n, uniqExact(partition) AS p FROM ${db.database}.smoke`, format: 'JSONEachRow' });
    expect(await parts.json()).toEqual([{ n: 50, p: 2 }]);
  });
});
