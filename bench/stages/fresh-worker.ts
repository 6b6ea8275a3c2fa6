/**
 * (e) The worker under a steady load, and the freshness probe: in the worker's own process (the embedded
 * engine belongs to one process) a loop queries the rollup table every `pollMs` for marker workspaces and
 * records when each one first appears. Runs until the parent says stop.
 */
import { rmSync } from 'node:fs';
import { openClickHouse } from '../../src/clickhouse/client.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { createLogger } from '../../src/ops/logger.js';
import { startRollupWorker } from '../../src/worker/rollup-worker.js';
import { Meter, send, stageInput, stageMain, waitFor } from '../child.js';
import { counterValue, stageConfig, type StageInput } from './common.js';

stageMain(async () => {
  const input = stageInput<StageInput>();
  const cfg = stageConfig(input);
  const pollMs = Number(input.options?.['pollMs'] ?? 50);
  const db = cfg.CLICKHOUSE_DATABASE;
  const client = openClickHouse({ path: cfg.CLICKHOUSE_PATH });
  await migrate(client, db);
  const worker = await startRollupWorker(cfg, createLogger(cfg.LOG_LEVEL), { metricsPort: false, client });
  const meter = new Meter();
  meter.start();
  const stopped = waitFor('stop');
  await send({ type: 'ready' });

  const seen = new Map<string, number>();
  let polls = 0;
  let pollMsTotal = 0;
  let stop = false;
  void stopped.then(() => (stop = true));
  while (!stop) {
    const t = Date.now();
    const rs = await client.query({
      query: `SELECT DISTINCT workspace_id AS w FROM ${db}.rollup_1m WHERE org_id = 'bench-marker' AND measure = 'messages'`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ w: string }>();
    const at = Date.now();
    polls++;
    pollMsTotal += at - t;
    for (const r of rows) if (!seen.has(r.w)) seen.set(r.w, at);
    const wait = pollMs - (Date.now() - t);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const m = meter.stop();
  const consumed = await counterValue(worker.metrics.consumed);
  const rows = await counterValue(worker.metrics.rowsWritten);
  await worker.stop();
  await client.close();
  if (input.options?.['keep'] !== true) rmSync(cfg.CLICKHOUSE_PATH, { recursive: true, force: true });
  await send({ type: 'data', data: { seen: Object.fromEntries(seen) } });
  await send({
    type: 'result',
    result: {
      stage: 'fresh-worker', events: consumed, seconds: 0, wallSeconds: 0, eps: 0,
      cpuSeconds: m.cpuSeconds, peakRssMb: m.peakRssMb, baselineRssMb: meter.baselineRssMb,
      extra: { polls, meanPollMs: polls ? pollMsTotal / polls : 0, rowsWritten: rows, meanRssMb: m.meanRssMb },
    },
  });
});
