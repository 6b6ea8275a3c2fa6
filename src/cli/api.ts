import { MIGRATIONS } from '../clickhouse/migrations.js';
import { RollupsError } from '../errors.js';
import { createLogger } from '../ops/logger.js';
import { onShutdownSignal } from '../ops/shutdown.js';
import { ownedEngineChanges } from '../sink/changes.js';
import { SchemaNotReadyError, schemaVersion } from '../worker/rollup-worker.js';
import type { Command } from './commands.js';

/**
 * `rollups api`: the read API alone over the configured ClickHouse. With the embedded engine it works
 * only while no other process (a worker) owns the data directory; `rollups run` is the way to run
 * both on the embedded engine.
 */
export const apiCommand: Command = {
  name: 'api',
  summary: 'the read API',
  usage: 'rollups api',
  async run({ config }) {
    const cfg = config();
    const logger = createLogger(cfg.LOG_LEVEL);
    // Loaded here, not at start-up of every command: `rollups --help` stays light.
    const { openApiClickHouse, startApi } = await import('../api/server.js');
    const client = openApiClickHouse(cfg);
    let api;
    try {
      const latest = Math.max(...MIGRATIONS.map((m) => m.version));
      try {
        if ((await schemaVersion(client, cfg.CLICKHOUSE_DATABASE)) < latest) throw new SchemaNotReadyError(cfg.CLICKHOUSE_DATABASE);
      } catch (err) {
        // ClickHouse not answering is not fatal: the API starts, /readyz says 503, queries answer 500.
        if (!(err instanceof RollupsError) || !err.retriable) throw err;
        logger.warn({ code: err.code }, 'ClickHouse does not answer; starting anyway');
      }
      // With the embedded engine this process owns the directory: nothing else writes, the feed stays silent.
      api = await startApi({ cfg, client, logger, changes: ownedEngineChanges(cfg) });
    } catch (err) {
      await client.close();
      throw err;
    }
    const started = api;
    return onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, async () => {
      try {
        await started.close();
      } finally {
        await client.close();
      }
    });
  },
};
