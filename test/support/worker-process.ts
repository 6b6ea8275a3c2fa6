import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { openClickHouse, type ClickHouseClient } from '../../src/clickhouse/client.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { ROLLUPS_BIN, freePort } from './cli.js';
import { createTopic, services, testKafka } from './services.js';

/** Everything a worker child process needs to run on a test's own topic, group and database. */
export interface WorkerEnv {
  topic: string;
  dlqTopic: string;
  groupId: string;
  database: string;
  /** Embedded engine directory: one process owns it at a time. */
  clickhousePath: string;
  metricsPort: number;
  /** More variables for the worker (tuning knobs). */
  env?: Record<string, string>;
}

/** A client on the worker's ClickHouse: the server when the tests use one, else its embedded directory. */
export function workerClickHouse(w: WorkerEnv): ClickHouseClient {
  return openClickHouse({ ...(services().clickhouseUrl ? { url: services().clickhouseUrl } : {}), path: w.clickhousePath });
}

/** What a worker child needs before it starts: its topic (and DLQ), a free metrics port, a migrated database. */
export async function prepareWorker(w: WorkerEnv, partitions: number): Promise<void> {
  await createTopic(w.topic, partitions);
  await createTopic(w.dlqTopic, 1);
  w.metricsPort = await freePort();
  const client = workerClickHouse(w);
  try {
    await migrate(client, w.database);
  } finally {
    await client.close();
  }
}

export function workerEnv(w: WorkerEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: services().brokers.join(','),
    SCHEMA_REGISTRY_URL: services().registryUrl,
    KAFKA_TOPICS: w.topic,
    KAFKA_DLQ_TOPIC: w.dlqTopic,
    KAFKA_GROUP_ID: w.groupId,
    CLICKHOUSE_DATABASE: w.database,
    CLICKHOUSE_PATH: resolve(w.clickhousePath),
    METRICS_PORT: String(w.metricsPort),
    LOG_LEVEL: 'info',
    // The broker's minimum: a killed worker's partitions move after 6 s instead of 30.
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...w.env,
  };
  const url = services().clickhouseUrl;
  if (url) env.CLICKHOUSE_URL = url;
  else delete env.CLICKHOUSE_URL;
  return env;
}

export interface RunningWorker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function spawnWorker(w: WorkerEnv, command = 'worker'): RunningWorker {
  const child = spawn(process.execPath, [ROLLUPS_BIN, command], { env: workerEnv(w), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Messages between the group's committed offsets and the topic's end, summed over partitions. */
export async function groupLag(topic: string, groupId: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((sum, p) => sum + Number(p.high) - Math.max(0, done.get(p.partition) ?? 0), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function waitForLag(topic: string, groupId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await groupLag(topic, groupId)) === 0) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not catch up on ${topic}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
