/**
 * (c) The full worker: `startRollupWorker` (Kafka -> decode -> validate -> map -> window -> ClickHouse) into a
 * fresh embedded ClickHouse, from the start of the topic until its consumer group's lag is 0 (every offset
 * committed, hence every rollup insert acknowledged). CPU and RSS are this process's: worker and engine.
 */
import { rmSync } from 'node:fs';
import { openClickHouse } from '../../src/clickhouse/client.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { createLogger } from '../../src/ops/logger.js';
import { startRollupWorker } from '../../src/worker/rollup-worker.js';
import { Meter, send, stageInput, stageMain } from '../child.js';
import { benchKafka, endOffsets, waitCaughtUp } from '../kafka.js';
import { ourOverview } from '../overview.js';
import { counterValue, histogramCountSum, stageConfig, type StageInput } from './common.js';

stageMain(async () => {
  const input = stageInput<StageInput>();
  const cfg = stageConfig(input);
  const logger = createLogger(cfg.LOG_LEVEL);
  const client = openClickHouse({ path: cfg.CLICKHOUSE_PATH });
  await migrate(client, cfg.CLICKHOUSE_DATABASE);
  const admin = benchKafka(cfg, 'bench-pipeline-admin').admin();
  await admin.connect();
  const ends = await endOffsets(admin, input.topic);

  const meter = new Meter();
  meter.start();
  const tStart = performance.now();
  const worker = await startRollupWorker(cfg, logger, { metricsPort: false, client });
  const tJoined = performance.now();
  const tDone = await waitCaughtUp(admin, input.groupId, input.topic, ends, { intervalMs: 100 });
  const m = meter.stop();

  const metrics = worker.metrics;
  const rows = await counterValue(metrics.rowsWritten);
  const consumed = await counterValue(metrics.consumed);
  const valid = await counterValue(metrics.valid);
  const deadLettered = await counterValue(metrics.deadLettered);
  const late = await counterValue(metrics.late);
  const flushes = await histogramCountSum(metrics.flushDuration);
  const batches = await histogramCountSum(metrics.batchDuration);
  await worker.stop();
  const overview = await ourOverview(client, cfg.CLICKHOUSE_DATABASE);
  await admin.disconnect();
  await client.close();
  if (input.options?.['keep'] !== true) rmSync(cfg.CLICKHOUSE_PATH, { recursive: true, force: true });

  const seconds = (tDone - tJoined) / 1000;
  await send({ type: 'data', data: { overview } });
  await send({
    type: 'result',
    result: {
      stage: 'pipeline', events: consumed, seconds, wallSeconds: (tDone - tStart) / 1000, eps: consumed / seconds,
      cpuSeconds: m.cpuSeconds, peakRssMb: m.peakRssMb, baselineRssMb: meter.baselineRssMb,
      extra: {
        rowsWritten: rows, valid, deadLettered, late,
        inserts: flushes.count, insertSecondsTotal: flushes.sum, batches: batches.count, batchSecondsTotal: batches.sum,
        meanRssMb: m.meanRssMb, heapPeakMb: m.heapPeakMb, joinSeconds: (tJoined - tStart) / 1000,
      },
    },
  });
});
