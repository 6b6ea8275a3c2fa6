import { createWriteStream, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { openClickHouse, targetOf } from '../clickhouse/client.js';
import { migrate } from '../clickhouse/migrations.js';
import type { Config } from '../config/schema.js';
import { DEMO_TENANTS, createDemoStream } from '../demo/stream.js';
import { renderLines, tenantLines } from '../demo/summary.js';
import { createLogger } from '../ops/logger.js';
import { onShutdownSignal } from '../ops/shutdown.js';
import { createEventProducer } from '../producer/index.js';
import { createQueryService } from '../query/service.js';
import { ownedEngineChanges } from '../sink/changes.js';
import { stackDown, stackStatus, stackUp } from '../stack/index.js';
import { startRollupWorker } from '../worker/rollup-worker.js';
import type { Command } from './commands.js';

async function ensureTopics(cfg: Config): Promise<string[]> {
  const admin = new Kafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'rollups-demo', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const have = new Set(await admin.listTopics());
    const want = [...cfg.KAFKA_TOPICS.map((t) => ({ topic: t, numPartitions: 3 })), { topic: cfg.KAFKA_DLQ_TOPIC, numPartitions: 1 }].filter((t) => !have.has(t.topic));
    if (want.length > 0) await admin.createTopics({ topics: want, waitForLeaders: true });
    return want.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The newcomer's whole system on one machine: the local stack, the schema, worker and API in one
 * process on the embedded engine, a live synthetic stream across three tenants, and a summary every
 * few seconds with a curl line that reads the same numbers through the API. Ctrl-C stops everything
 * the demo started (the stack too, unless it was already running).
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'stack up, migrate, run, and a synthetic event stream across several tenants',
  usage: 'rollups demo',
  async run({ config, out }) {
    const cfg = config();
    const dataDir = resolve('.data');
    mkdirSync(dataDir, { recursive: true });
    const logFile = resolve(dataDir, 'demo.log');
    const logger = createLogger(cfg.LOG_LEVEL, createWriteStream(logFile, { flags: 'a' }));

    const before = await stackStatus(cfg);
    const stackWasRunning = before.services.every((s) => s.pid !== undefined);
    out('1/5 local Kafka and schema registry');
    await stackUp(cfg, (l) => out(`    ${l}`));
    const created = await ensureTopics(cfg);
    out(`2/5 topics ${created.length ? `created: ${created.join(', ')}` : 'ready'}`);

    const client = openClickHouse(targetOf(cfg));
    await migrate(client, cfg.CLICKHOUSE_DATABASE);
    out(`3/5 ClickHouse schema ready (${cfg.CLICKHOUSE_URL ? cfg.CLICKHOUSE_URL : `embedded, ${resolve(cfg.CLICKHOUSE_PATH)}`})`);

    const { startApi } = await import('../api/server.js');
    const { mintToken } = await import('../api/token.js');
    const changes = ownedEngineChanges(cfg);
    const api = await startApi({ cfg, client, logger, changes });
    const worker = await startRollupWorker(cfg, logger, { client, changes });
    out(`4/5 worker and read API running (API on port ${api.port}, metrics on ${cfg.METRICS_PORT}; logs in ${logFile})`);

    const producer = createEventProducer({ brokers: cfg.KAFKA_BROKERS, registryUrl: cfg.SCHEMA_REGISTRY_URL, topic: cfg.KAFKA_TOPICS[0] as string });
    await producer.connect();
    const next = createDemoStream(Date.now() % 100_000);
    let producing = true;
    let sent = 0;
    const feeding = (async () => {
      while (producing) {
        const r = await producer.send(next(100, Date.now()));
        sent += r.sent;
        await new Promise((res) => setTimeout(res, 250));
      }
    })();
    out('5/5 producing a synthetic stream (~400 events/s) for ' + DEMO_TENANTS.join(', '));

    const token = await mintToken({ secret: cfg.API_JWT_SECRET, orgId: DEMO_TENANTS[0], ttlSeconds: 86_400 });
    out('');
    out('Ask the API yourself (token valid 24 h, tenant org_acme):');
    out(`  curl -s -H 'Authorization: Bearer ${token}' 'http://localhost:${api.port}/api/tenants/me/analytics/overview?period=today'`);
    out(`  rollups token --org org_globex   # a token for another tenant`);
    out('');
    out(`Stop with Ctrl-C: it stops the producer, the worker, the API${stackWasRunning ? '' : ' and the local stack'} it started.`);

    const query = createQueryService({ client, database: cfg.CLICKHOUSE_DATABASE, changes });
    const timer = setInterval(() => {
      tenantLines(query, DEMO_TENANTS, Date.now()).then(
        (lines) => {
          out('');
          out(`${new Date().toISOString()}  today (UTC), ${sent} events sent`);
          for (const l of renderLines(lines)) out(`  ${l}`);
        },
        (err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'summary query failed'),
      );
    }, 5000);

    return onShutdownSignal(logger, cfg.ROLLUPS_SHUTDOWN_GRACE_MS, async () => {
      out('\nstopping the demo ...');
      clearInterval(timer);
      producing = false;
      await feeding;
      await producer.disconnect();
      await Promise.allSettled([worker.stop(), api.close()]);
      await client.close();
      if (!stackWasRunning) await stackDown(cfg, (l) => out(`    ${l}`));
      out('demo stopped');
    });
  },
};
