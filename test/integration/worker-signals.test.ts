import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/ingest.js';
import { testKafka, uniqueName } from '../support/services.js';
import { prepareWorker, spawnWorker, type RunningWorker, type WorkerEnv } from '../support/worker-process.js';

/**
 * A SIGTERM that arrives while the worker is still starting (connecting, checking topics and schema,
 * joining its group) is a graceful stop like any other: the worker finishes starting, leaves the group
 * and exits 0 within the grace period, rather than dying half-joined with its partitions held until the
 * session times out.
 */
describe('SIGTERM during start-up', () => {
  const topic = uniqueName('signals');
  const w: WorkerEnv = {
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName('signals-group'),
    database: uniqueName('signals'),
    clickhousePath: resolve('.data/test', uniqueName('signals-ch')),
    metricsPort: 0,
    env: { ROLLUPS_SHUTDOWN_GRACE_MS: '30000' },
  };
  let worker: RunningWorker | undefined;

  afterAll(() => {
    worker?.child.kill('SIGKILL');
    rmSync(w.clickhousePath, { recursive: true, force: true });
  });

  it('stops cleanly, leaving the group, when signalled before it has joined', { timeout: 120_000 }, async () => {
    await prepareWorker(w, 2);

    worker = spawnWorker(w);
    const running = worker;
    await waitFor(() => running.output().includes('worker starting'), 60_000, 'the worker to begin starting');
    expect(running.output()).not.toContain('joined the consumer group');
    running.child.kill('SIGTERM');
    const code = await running.exited;
    const out = running.output();
    expect(code).toBe(0);
    expect(out).toContain('shutting down');
    expect(out).toContain('stopped cleanly');
    expect(out).not.toContain('grace period over');

    // It left the group: no member holds the partitions.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([w.groupId]);
      expect(groups[0]?.members ?? []).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
