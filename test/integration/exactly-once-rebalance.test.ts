import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openClickHouse } from '../../src/clickhouse/client.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { createEventProducer } from '../../src/producer/index.js';
import { startRollupWorker } from '../../src/worker/rollup-worker.js';
import { generateEvents } from '../support/generator.js';
import { expectRollupsEqualGroundTruth } from '../support/expect-ground-truth.js';
import { capturedLogger } from '../support/ingest.js';
import { createTopic, services, testClickHouseTarget, uniqueName } from '../support/services.js';
import { testWorkerConfig } from '../support/worker-config.js';
import { waitForLag } from '../support/worker-process.js';

/**
 * Exactly-once across rebalances: two workers share a group, a third joins and the first leaves
 * mid-stream; the partitions move between them while events arrive, and every metric still equals the
 * naive recomputation. (In one process, because the embedded engine belongs to one process.)
 */
const HOUR = 3_600_000;
type Worker = Awaited<ReturnType<typeof startRollupWorker>>;

describe('rebalance: a worker joins, another leaves, mid-stream', () => {
  const topic = uniqueName('rebalance');
  const groupId = uniqueName('rebalance-group');
  const database = uniqueName('rebalance');
  const workers: Worker[] = [];

  afterAll(async () => {
    for (const w of workers) await w.stop().catch(() => undefined);
  });

  it('gives exact answers', async () => {
    await createTopic(topic, 6);
    await createTopic(`${topic}.dlq`, 1);
    const target = testClickHouseTarget();
    const client = openClickHouse(target);
    await migrate(client, database);
    const cfg = testWorkerConfig({ topic, groupId, database, clickhousePath: resolve(target.path) });
    const logger = capturedLogger('warn').logger;

    const now = Date.now();
    const events = generateEvents({ seed: 99, tenants: 5, workspacesPerTenant: 2, days: 3, startMs: now - 3 * 24 * HOUR - HOUR, count: 40_000 });
    const producer = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic });
    await producer.connect();
    const waves = 20;
    const per = Math.ceil(events.length / waves);
    const send = async (i: number) => {
      const r = await producer.send(events.slice(i * per, (i + 1) * per));
      expect(r.rejected).toEqual([]);
    };

    workers.push(await startRollupWorker(cfg, logger, { metricsPort: false, client }));
    workers.push(await startRollupWorker(cfg, logger, { metricsPort: false, client }));
    for (let i = 0; i < 7; i++) {
      await send(i);
      await new Promise((r) => setTimeout(r, 300));
    }
    const third = await startRollupWorker(cfg, logger, { metricsPort: false, client });
    workers.push(third);
    for (let i = 7; i < 14; i++) {
      await send(i);
      await new Promise((r) => setTimeout(r, 300));
    }
    const leaving = workers.shift() as Worker;
    await leaving.stop();
    for (let i = 14; i < waves; i++) {
      await send(i);
      await new Promise((r) => setTimeout(r, 200));
    }
    await producer.disconnect();
    await waitForLag(topic, groupId, 180_000);

    await expectRollupsEqualGroundTruth(client, database, events, now);
    for (const w of workers.splice(0)) await w.stop();
    await client.close();
  });
});
