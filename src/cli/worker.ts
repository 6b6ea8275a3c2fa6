import { describeTarget, openClickHouse } from '../clickhouse/client.js';
import { migrate } from '../clickhouse/migrations.js';
import { DEV_SECRET } from '../config/schema.js';
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
    const target = { url: cfg.CLICKHOUSE_URL, username: cfg.CLICKHOUSE_USER, password: cfg.CLICKHOUSE_PASSWORD, path: cfg.CLICKHOUSE_PATH };
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
    const worker = await startRollupWorker(cfg, logger);
    return onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, () => worker.stop());
  },
};

export const runCommand: Command = {
  name: 'run',
  summary: 'worker and read API in one process (needed with the embedded engine)',
  usage: 'rollups run',
  async run({ config }) {
    const cfg = config();
    const logger = createLogger(cfg.LOG_LEVEL);
    if (cfg.API_JWT_SECRET === DEV_SECRET) logger.warn('API_JWT_SECRET is the built-in development secret: set your own before exposing the API');
    const client = openClickHouse({ url: cfg.CLICKHOUSE_URL, username: cfg.CLICKHOUSE_USER, password: cfg.CLICKHOUSE_PASSWORD, path: cfg.CLICKHOUSE_PATH });
    await migrate(client, cfg.CLICKHOUSE_DATABASE);
    const worker = await startRollupWorker(cfg, logger);
    await client.close();
    return onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, () => worker.stop());
  },
};
