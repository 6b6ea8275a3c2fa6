/**
 * (d) The peer: ClickHouse's own Kafka table engine, in the embedded engine (chDB), reading the same topic
 * with format AvroConfluent and the same registry, into a materialized view that computes the overview
 * metrics per tenant, workspace and minute. The engine consumes in the background once the view is
 * attached; the stage waits until the engine's consumer group has committed every offset (the engine
 * commits a block's offsets after the view's insert), as for the worker.
 */
import { rmSync } from 'node:fs';
import { openClickHouse } from '../../src/clickhouse/client.js';
import { Meter, send, stageInput, stageMain } from '../child.js';
import { benchKafka, endOffsets, waitCaughtUp } from '../kafka.js';
import { peerOverview, peerSchema, peerView } from '../overview.js';
import { stageConfig, type StageInput } from './common.js';

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

stageMain(async () => {
  const input = stageInput<StageInput>();
  const cfg = stageConfig(input);
  const db = 'peer';
  const consumers = Number(input.options?.['consumers'] ?? 1);
  const flushMs = Number(input.options?.['flushMs'] ?? cfg.ROLLUPS_FLUSH_INTERVAL_MS);
  const settings = [
    `kafka_broker_list = ${quote(cfg.KAFKA_BROKERS.join(','))}`,
    `kafka_topic_list = ${quote(input.topic)}`,
    `kafka_group_name = ${quote(input.groupId)}`,
    `kafka_format = 'AvroConfluent'`,
    `format_avro_schema_registry_url = ${quote(cfg.SCHEMA_REGISTRY_URL)}`,
    `kafka_num_consumers = ${consumers}`,
    ...(consumers > 1 ? ['kafka_thread_per_consumer = 1'] : []),
    // Same freshness budget as the worker's ROLLUPS_FLUSH_INTERVAL_MS (the engine's default is 7.5 s).
    `kafka_flush_interval_ms = ${flushMs}`,
  ].join(', ');

  const client = openClickHouse({ path: cfg.CLICKHOUSE_PATH });
  for (const sql of peerSchema(db, settings)) await client.command({ query: sql });
  const admin = benchKafka(cfg, 'bench-peer-admin').admin();
  await admin.connect();
  const ends = await endOffsets(admin, input.topic);

  const meter = new Meter();
  meter.start();
  const tStart = performance.now();
  await client.command({ query: peerView(db) });
  // The engine's consumers report their assignment once they joined the group (the moment the worker's
  // run() resolves) and the messages they read.
  let tJoined = 0;
  let tFirst = 0;
  const firstPoll = setInterval(() => {
    if (tFirst !== 0) return;
    void client
      .query({ query: `SELECT sum(length(assignments.partition_id)) AS a, sum(num_messages_read) AS n FROM system.kafka_consumers WHERE database = '${db}'`, format: 'JSONEachRow' })
      .then((rs) => rs.json<{ a: number | string; n: number | string }>())
      .then(([row]) => {
        const t = performance.now();
        if (tJoined === 0 && Number(row?.a ?? 0) > 0) tJoined = t;
        if (tFirst === 0 && Number(row?.n ?? 0) > 0) tFirst = t;
      })
      .catch(() => undefined);
  }, 50);
  const tDone = await waitCaughtUp(admin, input.groupId, input.topic, ends, { intervalMs: 100 });
  clearInterval(firstPoll);
  const m = meter.stop();
  if (tFirst === 0) tFirst = tStart;
  if (tJoined === 0 || tJoined > tFirst) tJoined = tFirst;

  const consumerInfo = await client.query({ query: `SELECT sum(num_messages_read) AS read, sum(num_commits) AS commits, groupArray(exceptions.text) AS errors FROM system.kafka_consumers WHERE database = '${db}'`, format: 'JSONEachRow' });
  const [info] = await consumerInfo.json<{ read: number | string; commits: number | string; errors: string[][] }>();
  // Rows the engine inserted: the consumed blocks themselves (one row per message, into the Kafka table that
  // feeds the view) plus the view's rows into overview_1m.
  const insRs = await client.query({ query: `SELECT value FROM system.events WHERE event = 'InsertedRows'`, format: 'JSONEachRow' });
  const [ins] = await insRs.json<{ value: number | string }>();
  await client.command({ query: `DETACH TABLE ${db}.events_kafka` }).catch(() => undefined);
  const overview = await peerOverview(client, db);
  const rowsRs = await client.query({ query: `SELECT count() AS n FROM ${db}.overview_1m`, format: 'JSONEachRow' });
  const [rowsRow] = await rowsRs.json<{ n: number | string }>();
  await admin.disconnect();
  await client.close();
  if (input.options?.['keep'] !== true) rmSync(cfg.CLICKHOUSE_PATH, { recursive: true, force: true });

  const seconds = (tDone - tJoined) / 1000;
  await send({ type: 'data', data: { overview } });
  await send({
    type: 'result',
    result: {
      stage: 'peer', events: input.events, seconds, wallSeconds: (tDone - tStart) / 1000, eps: input.events / seconds,
      cpuSeconds: m.cpuSeconds, peakRssMb: m.peakRssMb, baselineRssMb: meter.baselineRssMb,
      extra: {
        consumers, flushMs, messagesRead: Number(info?.read ?? 0), commits: Number(info?.commits ?? 0),
        errors: (info?.errors ?? []).flat().slice(0, 3).join(' | '), insertedRows: Number(ins?.value ?? 0), rowsAfterMerge: Number(rowsRow?.n ?? 0),
        joinSeconds: (tJoined - tStart) / 1000, firstReadSeconds: (tFirst - tStart) / 1000, meanRssMb: m.meanRssMb, heapPeakMb: m.heapPeakMb,
      },
    },
  });
});
