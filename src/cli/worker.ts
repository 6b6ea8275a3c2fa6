import type * as ApiServer from '../api/server.js';
import { describeTarget, openClickHouse, targetOf, type ClickHouseClient } from '../clickhouse/client.js';
import { migrate } from '../clickhouse/migrations.js';
import { createLogger } from '../ops/logger.js';
import { onShutdownSignal } from '../ops/shutdown.js';
import { ownedEngineChanges } from '../sink/changes.js';
import { startRollupWorker } from '../worker/rollup-worker.js';
import type { Command } from './commands.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'create or upgrade the ClickHouse schema (idempotent)',
  usage: 'rollups migrate',
  async run({ config, out }) {
    const cfg = config();
    const target = targetOf(cfg);
    const client = openClickHouse(target);
    try {
      const r = await migrate(client, cfg.CLICKHOUSE_DATABASE);
      out(`${describeTarget(target)}, database ${r.database}: schema version ${r.current}${r.applied.length ? ` (applied ${r.applied.join(', ')})` : ' (already current)'}`);
      return 0;
    } finally {
      await client.close();
    }
  },
};

export const workerCommand: Command = {
  name: 'worker',
  summary: 'the aggregation worker',
  usage: 'rollups worker',
  async run({ config }) {
    const cfg = config();
    const logger = createLogger(cfg.LOG_LEVEL);
    let crashed: (code: number) => void = () => undefined;
    const crash = new Promise<number>((r) => (crashed = r));
    // Signals are taken from the first moment: a SIGTERM during start-up stops the worker as soon as
    // it is up (within the grace period), instead of killing it half-joined.
    // (Installed before anything else runs: opening the embedded engine blocks for a moment.)
    let starting: ReturnType<typeof startRollupWorker> | undefined;
    const signalled = onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, async () => {
      const started = await starting?.catch(() => undefined);
      await started?.stop();
    });
    logger.info({ topics: cfg.KAFKA_TOPICS, groupId: cfg.KAFKA_GROUP_ID }, 'worker starting');
    starting = startRollupWorker(cfg, logger, { onCrash: () => crashed(1) });
    const worker = await starting;
    const code = await Promise.race([signalled, crash]);
    if (code !== 0) await worker.stop().catch(() => undefined);
    return code;
  },
};

export const runCommand: Command = {
  name: 'run',
  summary: 'worker and read API in one process (needed with the embedded engine)',
  usage: 'rollups run',
  async run({ config }) {
    const cfg = config();
    const logger = createLogger(cfg.LOG_LEVEL);
    let crashed: (code: number) => void = () => undefined;
    const crash = new Promise<number>((r) => (crashed = r));
    let client: ClickHouseClient | undefined;
    let starting: Promise<{ api: Awaited<ReturnType<typeof ApiServer.startApi>>; worker: Awaited<ReturnType<typeof startRollupWorker>> }> | undefined;
    let stopped: Promise<void> | undefined;
    // Once only, whoever asks first (a signal, even during start-up, or a crash).
    const stopAll = () =>
      (stopped ??= (async () => {
        const started = await starting?.catch(() => undefined);
        if (started === undefined) return;
        // The API stops taking requests and finishes those in flight while the worker flushes and commits.
        const results = await Promise.allSettled([started.api.close(), started.worker.stop()]);
        await client?.close();
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      })());
    // Before anything else runs (opening the embedded engine blocks for a moment): a signal during
    // start-up stops both as soon as they are up.
    const signalled = onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, stopAll);
    logger.info({ topics: cfg.KAFKA_TOPICS, groupId: cfg.KAFKA_GROUP_ID }, 'worker and API starting');
    const { startApi } = await import('../api/server.js');
    // One client for both: with the embedded engine this process owns the data directory.
    const c = (client = openClickHouse(targetOf(cfg)));
    // With the embedded engine every write goes through this process's sink, and the API hears of it.
    const changes = ownedEngineChanges(cfg);
    starting = (async () => {
      let api: Awaited<ReturnType<typeof startApi>> | undefined;
      try {
        await migrate(c, cfg.CLICKHOUSE_DATABASE);
        // The API first: a taken API_PORT fails before the worker joins its consumer group.
        api = await startApi({ cfg, client: c, logger, changes });
        const worker = await startRollupWorker(cfg, logger, { client: c, onCrash: () => crashed(1), changes });
        return { api, worker };
      } catch (err) {
        await api?.close().catch(() => undefined);
        await c.close();
        throw err;
      }
    })();
    await starting;
    const code = await Promise.race([signalled, crash]);
    if (code !== 0) await stopAll().catch(() => undefined);
    return code;
  },
};
