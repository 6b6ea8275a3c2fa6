import { describeTarget, openClickHouse, targetOf } from '../clickhouse/client.js';
import { migrate } from '../clickhouse/migrations.js';
import { createLogger } from '../ops/logger.js';
import { onShutdownSignal } from '../ops/shutdown.js';
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
    const worker = await startRollupWorker(cfg, logger, { onCrash: () => crashed(1) });
    const code = await Promise.race([onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, () => worker.stop()), crash]);
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
    const { startApi } = await import('../api/server.js');
    // One client for both: with the embedded engine this process owns the data directory.
    const client = openClickHouse(targetOf(cfg));
    let crashed: (code: number) => void = () => undefined;
    const crash = new Promise<number>((r) => (crashed = r));
    let api: Awaited<ReturnType<typeof startApi>> | undefined;
    let worker: Awaited<ReturnType<typeof startRollupWorker>> | undefined;
    try {
      await migrate(client, cfg.CLICKHOUSE_DATABASE);
      // The API first: a taken API_PORT fails before the worker joins its consumer group.
      api = await startApi({ cfg, client, logger });
      worker = await startRollupWorker(cfg, logger, { client, onCrash: () => crashed(1) });
    } catch (err) {
      await api?.close().catch(() => undefined);
      await client.close();
      throw err;
    }
    const [startedApi, startedWorker] = [api, worker];
    const stopAll = async () => {
      // The API stops taking requests and finishes those in flight while the worker flushes and commits.
      const results = await Promise.allSettled([startedApi.close(), startedWorker.stop()]);
      await client.close();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    const code = await Promise.race([onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, stopAll), crash]);
    if (code !== 0) await stopAll().catch(() => undefined);
    return code;
  },
};
