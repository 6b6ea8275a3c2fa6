import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { openClickHouse, type ClickHouseClient } from '../../src/clickhouse/client.js';

/** What the global setup found: real services only. */
export function services() {
  return {
    brokers: inject('kafkaBrokers'),
    registryUrl: inject('registryUrl'),
    clickhouseUrl: inject('clickhouseUrl') || undefined,
  };
}

/** A name no other test (or earlier run) uses: every test has its own topic and database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function testKafka(clientId = 'rollups-test'): Kafka {
  return new Kafka({ brokers: services().brokers, clientId, logLevel: logLevel.NOTHING });
}

export async function createTopic(name: string, partitions = 1): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** The embedded engine belongs to one process, so each test process gets its own data directory. */
export function testClickHouseTarget(): { url?: string; path: string } {
  const url = services().clickhouseUrl;
  return { ...(url ? { url } : {}), path: resolve('.data/test', `clickhouse-${process.pid}`) };
}

export async function createTestDatabase(prefix = 'test'): Promise<{ client: ClickHouseClient; database: string; drop: () => Promise<void> }> {
  const client = openClickHouse(testClickHouseTarget());
  const database = uniqueName(prefix);
  await client.command({ query: `CREATE DATABASE ${database}` });
  return {
    client,
    database,
    drop: async () => {
      await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await client.close();
    },
  };
}
