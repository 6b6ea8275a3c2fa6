/**
 * Running the read API over a ClickHouse client (`rollups api`, `rollups run`): the query service, the
 * app, the listening socket on API_PORT, and a close that waits for requests in flight. The client is
 * the caller's (with the embedded engine, `rollups run` shares one between worker and API).
 */
import { openClickHouse, type ClickHouseClient, targetOf } from '../clickhouse/client.js';
import { DEV_SECRET, type Config } from '../config/schema.js';
import type { Logger } from '../ops/logger.js';
import { createQueryService } from '../query/service.js';
import type { RollupChanges } from '../sink/changes.js';
import { buildApi, type ApiApp } from './app.js';
import { ApiStartError } from './errors.js';

export interface StartedApi {
  app: ApiApp;
  /** The port it listens on (API_PORT, or the one given). */
  port: number;
  close(): Promise<void>;
}

export interface StartApiOptions {
  cfg: Config;
  client: ClickHouseClient;
  logger: Logger;
  /** Default API_PORT; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0 (every interface, as a container needs). */
  host?: string;
  /** Every rollup write of this process, when it owns the engine (src/sink/changes.ts): reads keep settled blocks. */
  changes?: RollupChanges | undefined;
}

/** Loud, on purpose: with the built-in secret anyone can mint tokens for any tenant. */
export function warnOnDevSecret(cfg: Config, logger: Logger): void {
  if (cfg.API_JWT_SECRET !== DEV_SECRET) return;
  logger.warn(
    'API_JWT_SECRET is the built-in development secret: anyone can mint a token for any tenant. Set API_JWT_SECRET (16+ characters) before the API is reachable by anyone else.',
  );
}

/** Opens ClickHouse for the API alone (`rollups api`); an owned embedded directory is a clear error (client.ts). */
export function openApiClickHouse(cfg: Config): ClickHouseClient {
  return openClickHouse(targetOf(cfg));
}

export async function startApi(o: StartApiOptions): Promise<StartedApi> {
  const { cfg, client, logger } = o;
  warnOnDevSecret(cfg, logger);
  const query = createQueryService({ client, database: cfg.CLICKHOUSE_DATABASE, changes: o.changes });
  const app = buildApi({
    query,
    jwtSecret: cfg.API_JWT_SECRET,
    logger,
    ready: async () => (await client.ping()).success,
  });
  const port = o.port ?? cfg.API_PORT;
  try {
    await app.listen({ port, host: o.host ?? '0.0.0.0' });
  } catch (err) {
    await app.close().catch(() => undefined);
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE') throw new ApiStartError(`API_PORT=${port} is already in use by another process`, err);
    if (code === 'EACCES') throw new ApiStartError(`API_PORT=${port} may not be opened by this user`, err);
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  logger.info({ port: bound, database: cfg.CLICKHOUSE_DATABASE }, 'read API listening');
  return { app, port: bound, close: () => app.close() };
}
