import type { Server } from 'node:http';
import { openClickHouse, type ClickHouseClient, targetOf } from '../clickhouse/client.js';
import { MIGRATIONS } from '../clickhouse/migrations.js';
import type { Config } from '../config/schema.js';
import { RollupsError } from '../errors.js';
import { startHealthServer } from '../ops/health-server.js';
import type { Logger } from '../ops/logger.js';
import { createWorkerMetrics } from '../ops/metrics.js';
import type { RollupChanges } from '../sink/changes.js';
import { createRollupSink } from '../sink/rollup-sink.js';
import { toSinkError } from '../sink/rollup-writer.js';
import { createIngestWorker } from './ingest-worker.js';

export class SchemaNotReadyError extends RollupsError {
  constructor(db: string) {
    super(`ClickHouse database ${db} has no rollup schema (or an older one): run \`rollups migrate\` first`, { code: 'SCHEMA_NOT_READY' });
  }
}

/** The applied schema version, 0 when none; throws a retriable SinkError when ClickHouse does not answer. */
export async function schemaVersion(client: ClickHouseClient, db: string): Promise<number> {
  try {
    const t = await client.query({
      query: `SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = 'schema_migrations'`,
      query_params: { db },
      format: 'JSONEachRow',
    });
    const [exists] = await t.json<{ n: number | string }>();
    if (Number(exists?.n ?? 0) === 0) return 0;
    const rs = await client.query({ query: `SELECT max(version) AS v FROM ${db}.schema_migrations`, format: 'JSONEachRow' });
    const [row] = await rs.json<{ v: number | string }>();
    return Number(row?.v ?? 0);
  } catch (err) {
    throw toSinkError('reading the schema version', err);
  }
}

/**
 * Fails fast when ClickHouse answers without our schema. When it does not answer at all the worker
 * starts anyway: its batches wait (paused, retried) until ClickHouse is back, and lag shows it.
 */
async function checkSchema(client: ClickHouseClient, db: string, latest: number, logger: Logger): Promise<void> {
  try {
    if ((await schemaVersion(client, db)) < latest) throw new SchemaNotReadyError(db);
  } catch (err) {
    if (!(err instanceof RollupsError) || !err.retriable) throw err;
    logger.warn({ code: err.code }, 'ClickHouse does not answer; starting anyway, batches wait for it');
  }
}

/** The composition root of `rollups worker`: Kafka → decode → validate → map → window → ClickHouse. */
export interface RollupWorkerOptions {
  metricsPort?: number | false;
  /** The caller's client (closed by the caller); default: one opened from the configuration. */
  client?: ClickHouseClient;
  onCrash?: (error: Error) => void;
  /** Told of every insert (src/sink/changes.ts): the read API of the same process, on the embedded engine. */
  changes?: RollupChanges;
}

export async function startRollupWorker(cfg: Config, logger: Logger, opts: RollupWorkerOptions = {}) {
  const client = opts.client ?? openClickHouse(targetOf(cfg));
  const db = cfg.CLICKHOUSE_DATABASE;
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  try {
    await checkSchema(client, db, latest, logger);
  } catch (err) {
    if (!opts.client) await client.close();
    throw err;
  }
  const metrics = createWorkerMetrics();
  const sink = createRollupSink({
    client, database: db, groupId: cfg.KAFKA_GROUP_ID, windowMs: cfg.ROLLUPS_WINDOW_MS,
    allowedLatenessMs: cfg.ROLLUPS_ALLOWED_LATENESS_MS, now: Date.now, logger, metrics, changes: opts.changes,
  });
  let inGroup = false;
  const worker = createIngestWorker({
    brokers: cfg.KAFKA_BROKERS, clientId: cfg.KAFKA_CLIENT_ID, groupId: cfg.KAFKA_GROUP_ID, topics: cfg.KAFKA_TOPICS,
    dlqTopic: cfg.KAFKA_DLQ_TOPIC, registryUrl: cfg.SCHEMA_REGISTRY_URL, logger, metrics,
    sink: (events, batch) => sink.handle(events, batch),
    sessionTimeoutMs: cfg.KAFKA_SESSION_TIMEOUT_MS,
    kafkaClient: cfg.KAFKA_CLIENT,
    onCrash: (error) => {
      inGroup = false;
      opts.onCrash?.(error);
    },
    // Memory is bounded by what one fetch brings in (decoded, it takes several times its wire size):
    // while a batch waits for ClickHouse nothing more is fetched.
    fetch: {
      maxBytes: Math.floor((cfg.ROLLUPS_MAX_BUFFER_MB * 1024 * 1024) / 8),
      minBytes: cfg.ROLLUPS_FLUSH_MIN_BYTES,
      maxWaitMs: cfg.ROLLUPS_FLUSH_INTERVAL_MS,
    },
    onGroupJoin: () => {
      inGroup = true;
      sink.forgetAssignments();
    },
  });
  let server: Server | undefined;
  if (opts.metricsPort !== false) {
    server = await startHealthServer(opts.metricsPort ?? cfg.METRICS_PORT, metrics.registry, {
      ready: async () => inGroup && (await client.ping()).success,
    });
  }
  try {
    await worker.start();
  } catch (err) {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (!opts.client) await client.close();
    throw err;
  }
  logger.info({ topics: cfg.KAFKA_TOPICS, groupId: cfg.KAFKA_GROUP_ID, database: db }, 'worker started');
  return {
    metrics,
    async stop(): Promise<void> {
      await worker.stop();
      inGroup = false;
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      if (!opts.client) await client.close();
    },
  };
}
