import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openClickHouse } from '../../src/clickhouse/client.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { METRIC_SECTIONS } from '../../src/metrics/mapping.js';
import { createEventProducer } from '../../src/producer/index.js';
import { createQueryService } from '../../src/query/service.js';
import { freePort } from '../support/cli.js';
import { generateEvents, mulberry32 } from '../support/generator.js';
import { groundTruth } from '../support/ground-truth.js';
import { createTopic, services, uniqueName } from '../support/services.js';
import { spawnWorker, waitForLag, type RunningWorker, type WorkerEnv } from '../support/worker-process.js';

/**
 * Exactly-once under crashes: the worker runs as a child process and is killed with SIGKILL at random
 * moments while events keep arriving; after the final restart and catch-up, every metric equals a naive
 * recomputation from the raw events.
 */
const HOUR = 3_600_000;
const KILLS = 5;

describe('crash: SIGKILL while consuming', () => {
  const topic = uniqueName('crash');
  const w: WorkerEnv = {
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName('crash-group'),
    database: uniqueName('crash'),
    clickhousePath: resolve('.data/test', uniqueName('crash-ch')),
    metricsPort: 0,
  };
  let current: RunningWorker | undefined;

  afterAll(async () => {
    current?.child.kill('SIGKILL');
    rmSync(w.clickhousePath, { recursive: true, force: true });
  });

  it('counts nothing twice and loses nothing across 5 SIGKILLs', async () => {
    await createTopic(topic, 3);
    await createTopic(w.dlqTopic, 1);
    w.metricsPort = await freePort();
    const migrateClient = openClickHouse({ ...(services().clickhouseUrl ? { url: services().clickhouseUrl } : {}), path: w.clickhousePath });
    await migrate(migrateClient, w.database);
    await migrateClient.close();

    const now = Date.now();
    const events: AnalyticsEvent[] = generateEvents({ seed: 77, tenants: 5, workspacesPerTenant: 2, days: 3, startMs: now - 3 * 24 * HOUR - HOUR, count: 60_000 });
    const producer = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic });
    await producer.connect();
    // Events keep arriving in waves while the worker is killed and restarted.
    const waves = 24;
    const per = Math.ceil(events.length / waves);
    const feeding = (async () => {
      for (let i = 0; i < waves; i++) {
        const r = await producer.send(events.slice(i * per, (i + 1) * per));
        expect(r.rejected).toEqual([]);
        await new Promise((res) => setTimeout(res, 400));
      }
    })();

    const rnd = mulberry32(4242);
    for (let k = 0; k < KILLS; k++) {
      current = spawnWorker(w);
      await new Promise((res) => setTimeout(res, 2500 + Math.floor(rnd() * 2500)));
      current.child.kill('SIGKILL');
      expect(await current.exited).toBe(null);
    }
    await feeding;
    await producer.disconnect();

    current = spawnWorker(w);
    await waitForLag(topic, w.groupId, 180_000);
    current.child.kill('SIGTERM');
    expect(await current.exited).toBe(0);
    const log = current.output();
    expect(log).toContain('stopped cleanly');

    const client = openClickHouse({ ...(services().clickhouseUrl ? { url: services().clickhouseUrl } : {}), path: w.clickhousePath });
    try {
      const q = createQueryService({ client, database: w.database });
      const fromMs = now - 4 * 24 * HOUR;
      const toMs = now + HOUR;
      for (const org of [...new Set(events.map((e) => e.org_id))]) {
        const got = await q.sections({ orgId: org, fromMs, toMs }, METRIC_SECTIONS);
        const want = groundTruth(events, { org_id: org, fromMs, toMs });
        for (const s of METRIC_SECTIONS) expect(got[s], `${org} ${s}`).toEqual(want[s]);
      }
    } finally {
      await client.close();
    }
  });
});
