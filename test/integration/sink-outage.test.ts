import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openClickHouse } from '../../src/clickhouse/client.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { createEventProducer } from '../../src/producer/index.js';
import { startRollupWorker } from '../../src/worker/rollup-worker.js';
import { faultyClickHouse } from '../support/faulty-clickhouse.js';
import { generateEvents } from '../support/generator.js';
import { expectRollupsEqualGroundTruth } from '../support/expect-ground-truth.js';
import { capturedLogger } from '../support/ingest.js';
import { createTopic, services, testClickHouseTarget, uniqueName } from '../support/services.js';
import { testWorkerConfig } from '../support/worker-config.js';
import { groupLag, waitForLag } from '../support/worker-process.js';

/**
 * Backpressure: ClickHouse refuses every call for a while. The worker pauses (no commits, partitions
 * paused, retries counted), memory stays under the configured cap, and once ClickHouse answers again it
 * resumes and every metric is exact.
 */
const HOUR = 3_600_000;

describe('sink outage', () => {
  const topic = uniqueName('outage');
  const groupId = uniqueName('outage-group');
  const database = uniqueName('outage');
  let stop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await stop?.();
  });

  it('pauses, keeps memory under the cap, resumes, and answers exactly', async () => {
    await createTopic(topic, 3);
    await createTopic(`${topic}.dlq`, 1);
    const target = testClickHouseTarget();
    const real = openClickHouse(target);
    await migrate(real, database);
    const faulty = faultyClickHouse(real);
    const cfg = testWorkerConfig({ topic, groupId, database, clickhousePath: resolve(target.path) });

    const now = Date.now();
    const events = generateEvents({ seed: 5, tenants: 5, workspacesPerTenant: 2, days: 3, startMs: now - 3 * 24 * HOUR - HOUR, count: 30_000 });
    const producer = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic });
    await producer.connect();
    expect((await producer.send(events.slice(0, 10_000))).rejected).toEqual([]);

    const worker = await startRollupWorker(cfg, capturedLogger('warn').logger, { metricsPort: false, client: faulty.client });
    stop = () => worker.stop();
    await waitForLag(topic, groupId, 60_000);

    faulty.setDown(true);
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    expect((await producer.send(events.slice(10_000, 30_000))).rejected).toEqual([]);
    const retries = async () => (await worker.metrics.retries.get()).values.reduce((s, v) => s + v.value, 0);
    const deadline = Date.now() + 30_000;
    while ((await retries()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await retries()).toBeGreaterThanOrEqual(3);
    expect((await worker.metrics.pausedPartitions.get()).values[0]?.value).toBeGreaterThan(0);
    expect(faulty.failures()).toBeGreaterThan(0);
    expect(await groupLag(topic, groupId)).toBeGreaterThan(0);

    faulty.setDown(false);
    await waitForLag(topic, groupId, 120_000);
    clearInterval(sampler);
    expect((await worker.metrics.pausedPartitions.get()).values[0]?.value).toBe(0);
    // Growth while ClickHouse was away, against the configured cap.
    expect((peak - rssBefore) / 1024 / 1024).toBeLessThan(cfg.ROLLUPS_MAX_BUFFER_MB);
    await producer.disconnect();

    await expectRollupsEqualGroundTruth(real, database, events, now);
    await worker.stop();
    stop = undefined;
    await real.close();
  });
});
