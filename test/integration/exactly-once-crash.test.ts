import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { createEventProducer } from '../../src/producer/index.js';
import { generateEvents, mulberry32 } from '../support/generator.js';
import { expectRollupsEqualGroundTruth } from '../support/expect-ground-truth.js';
import { waitFor } from '../support/ingest.js';
import { services, uniqueName } from '../support/services.js';
import { prepareWorker, spawnWorker, waitForLag, workerClickHouse, type RunningWorker, type WorkerEnv } from '../support/worker-process.js';

/**
 * Exactly-once under crashes: the worker runs as a child process and is killed with SIGKILL at random
 * moments while events keep arriving; after the final restart and catch-up, every metric equals a naive
 * recomputation from the raw events.
 */
const HOUR = 3_600_000;
const KILLS = 5;
const MARKER = 'MARKER-c41f07-never-logged';
const SECRET = 'SECRET-9e2b77-never-logged-0123456789';
const GRACE_MS = 20_000;

describe('crash: SIGKILL while consuming', () => {
  const topic = uniqueName('crash');
  const w: WorkerEnv = {
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName('crash-group'),
    database: uniqueName('crash'),
    clickhousePath: resolve('.data/test', uniqueName('crash-ch')),
    metricsPort: 0,
    // Small fetches: many flushes per run, so the kills land among them. Secrets are planted in the
    // configuration and debug logging is on: neither secrets nor event values may reach a log.
    env: { ROLLUPS_MAX_BUFFER_MB: '16', LOG_LEVEL: 'debug', API_JWT_SECRET: SECRET, CLICKHOUSE_PASSWORD: SECRET, ROLLUPS_SHUTDOWN_GRACE_MS: String(GRACE_MS) },
  };
  let current: RunningWorker | undefined;

  afterAll(async () => {
    current?.child.kill('SIGKILL');
    rmSync(w.clickhousePath, { recursive: true, force: true });
  });

  it('counts nothing twice and loses nothing across 5 SIGKILLs and a SIGTERM, and logs no value or secret', { timeout: 400_000 }, async () => {
    await prepareWorker(w, 3);

    const now = Date.now();
    // A planted value in a field no metric reads, so the answers stay comparable.
    const events: AnalyticsEvent[] = generateEvents({ seed: 77, tenants: 5, workspacesPerTenant: 2, days: 3, startMs: now - 3 * 24 * HOUR - HOUR, count: 100_000 }).map(
      (e, i) => ({ ...e, user_id: `${MARKER}-${i % 97}` }),
    );
    const logs: string[] = [];
    const producer = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic });
    await producer.connect();
    // Most events are there before the first start, so every kill lands while the worker is busy;
    // the rest keep arriving in waves while it is killed and restarted.
    const waves = 25;
    const per = Math.ceil(events.length / waves);
    for (let i = 0; i < 15; i++) {
      const r = await producer.send(events.slice(i * per, (i + 1) * per));
      expect(r.rejected).toEqual([]);
    }
    const feeding = (async () => {
      for (let i = 15; i < waves; i++) {
        const r = await producer.send(events.slice(i * per, (i + 1) * per));
        expect(r.rejected).toEqual([]);
        await new Promise((res) => setTimeout(res, 400));
      }
    })();

    const rnd = mulberry32(4242);
    let replays = 0;
    for (let k = 0; k < KILLS; k++) {
      const running = spawnWorker(w);
      current = running;
      await waitFor(() => running.output().includes('joined the consumer group'), 60_000, 'the worker to join its group');
      await new Promise((res) => setTimeout(res, 1000 + Math.floor(rnd() * 4000)));
      current.child.kill('SIGKILL');
      expect(await current.exited).toBe(null);
      // Killed while consuming: it had joined the group and was working on partitions.
      expect(current.output()).toContain('joined the consumer group');
      replays += current.output().split('replaying the last announced range').length - 1;
      logs.push(current.output());
    }

    // A graceful stop in the middle of consuming: exit 0 within the grace period.
    const stopping = spawnWorker(w);
    current = stopping;
    await waitFor(() => stopping.output().includes('joined the consumer group'), 60_000, 'the worker to join its group');
    await new Promise((res) => setTimeout(res, 1500));
    const termAt = Date.now();
    stopping.child.kill('SIGTERM');
    expect(await stopping.exited).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(GRACE_MS);
    expect(stopping.output()).toContain('stopped cleanly');
    logs.push(stopping.output());
    await feeding;
    await producer.disconnect();

    const last = spawnWorker(w);
    current = last;
    // Joined (and its signal handlers installed) before the lag check: the previous run may have
    // committed everything already, and a SIGTERM before start-up completes is not a graceful stop.
    await waitFor(() => last.output().includes('joined the consumer group'), 60_000, 'the worker to join its group');
    await waitForLag(topic, w.groupId, 180_000);
    current.child.kill('SIGTERM');
    expect(await current.exited).toBe(0);
    const log = current.output();
    expect(log).toContain('stopped cleanly');
    replays += log.split('replaying the last announced range').length - 1;
    logs.push(log);
    const all = logs.join('');
    expect(all).toContain('"level":20'); // debug lines were written ...
    expect(all).not.toContain(MARKER); // ... and none carries an event value
    expect(all).not.toContain(SECRET);
    // How many restarts found a range announced but not committed (and replayed it under its token):
    // the kills are random, so this is reported rather than asserted.
    process.stderr.write(`[crash test] ${KILLS} kills, ${replays} replays of announced ranges\n`);

    const client = workerClickHouse(w);
    try {
      await expectRollupsEqualGroundTruth(client, w.database, events, now);
    } finally {
      await client.close();
    }
  });
});
