import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openClickHouse } from '../../src/clickhouse/client.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { createEventProducer } from '../../src/producer/index.js';
import { startRollupWorker } from '../../src/worker/rollup-worker.js';
import { freePort } from '../support/cli.js';
import { faultyClickHouse } from '../support/faulty-clickhouse.js';
import { generateEvents } from '../support/generator.js';
import { capturedLogger } from '../support/ingest.js';
import { createTopic, services, testClickHouseTarget, uniqueName } from '../support/services.js';
import { testWorkerConfig } from '../support/worker-config.js';

/**
 * Lag as an SRE sees it on /metrics: 1,000 events wait while the worker cannot commit (its sink is
 * down): lag 1,000 summed over partitions and a positive age; once the sink answers, both are 0.
 */
const HOUR = 3_600_000;

function series(text: string, name: string): Array<{ labels: string; value: number }> {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => ({ labels: l.slice(name.length, l.lastIndexOf('}') + 1), value: Number(l.slice(l.lastIndexOf(' ') + 1)) }));
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

async function until(port: number, ok: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await scrape(port);
    if (ok(text)) return text;
    if (Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('consumer lag metrics', () => {
  const topic = uniqueName('lag');
  const groupId = uniqueName('lag-group');
  const database = uniqueName('lag');
  let stop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await stop?.();
  });

  it('shows 1,000 messages and a positive age while the sink is down, 0 and 0 after catch-up', async () => {
    await createTopic(topic, 3);
    await createTopic(`${topic}.dlq`, 1);
    const target = testClickHouseTarget();
    const real = openClickHouse(target);
    await migrate(real, database);
    const now = Date.now();
    const events = generateEvents({ seed: 11, tenants: 2, workspacesPerTenant: 1, days: 1, startMs: now - 2 * HOUR, count: 1000 });
    const producer = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic });
    expect((await producer.send(events)).sent).toBe(1000);
    await producer.disconnect();

    const faulty = faultyClickHouse(real);
    faulty.setDown(true);
    const port = await freePort();
    const cfg = testWorkerConfig({ topic, groupId, database, clickhousePath: resolve(target.path) });
    const worker = await startRollupWorker(cfg, capturedLogger('warn').logger, { metricsPort: port, client: faulty.client });
    stop = () => worker.stop();

    const lagSum = (t: string) => series(t, 'kafka_consumergroup_lag').reduce((s, x) => s + x.value, 0);
    const ages = (t: string) => series(t, 'kafka_consumergroup_lag_seconds').map((x) => x.value);
    const down = await until(port, (t) => series(t, 'kafka_consumergroup_lag').length === 3 && lagSum(t) === 1000 && ages(t).some((a) => a > 0), 30_000);
    expect(series(down, 'kafka_consumergroup_lag').length).toBe(3);
    expect(lagSum(down)).toBe(1000);
    expect(ages(down).some((a) => a > 0)).toBe(true);
    expect(down).toContain(`kafka_consumergroup_lag{group="${groupId}",topic="${topic}",partition="0"}`);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    faulty.setDown(false);
    const up = await until(port, (t) => lagSum(t) === 0 && ages(t).every((a) => a === 0), 60_000);
    expect(lagSum(up)).toBe(0);
    expect(ages(up)).toEqual([0, 0, 0]);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    await worker.stop();
    stop = undefined;
    await real.close();
  });
});
