/**
 * (e) Freshness: a fresh topic, the worker (child) with its marker probe, then a steady produced load
 * (another child). Freshness of a marker = first time the probe saw its workspace in `rollup_1m` minus the
 * time it was handed to the producer. The first seconds (group join, first fetches) are left out.
 */
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Config } from '../src/config/schema.js';
import { runStage, stagePath, type ParentMessage, type StageResult } from './child.js';
import type { StageInput } from './stages/common.js';
import type { Marker } from './stages/fresh-producer.js';
import { createTopics, deleteTopic, registerBenchSchema } from './topic.js';

export interface FreshnessResult {
  markers: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  achievedRate: number;
  producer: StageResult | undefined;
  worker: StageResult | undefined;
}

export interface FreshnessOptions {
  kafka: Kafka;
  cfg: Config;
  runId: string;
  runDir: string;
  rate: number;
  seconds: number;
  partitions: number;
  seed: number;
  keep: boolean;
  warmupSeconds?: number;
  tailSeconds?: number;
  log: (line: string) => void;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function runFreshness(o: FreshnessOptions): Promise<FreshnessResult> {
  const topic = `bench-fresh-${o.runId}`;
  const warmup = o.warmupSeconds ?? 5;
  const tail = o.tailSeconds ?? 5;
  const admin = o.kafka.admin();
  await admin.connect();
  await createTopics(admin, [{ topic, partitions: o.partitions }, { topic: `${topic}.dlq`, partitions: 1 }]);
  const schemaId = await registerBenchSchema(o.cfg, topic);
  const groupId = `bench-fresh-${o.runId}`;
  const env = { KAFKA_TOPICS: topic, KAFKA_DLQ_TOPIC: `${topic}.dlq`, KAFKA_GROUP_ID: groupId, LOG_LEVEL: 'warn', CLICKHOUSE_URL: '', CLICKHOUSE_PATH: join(o.runDir, 'fresh') };
  const workerInput: StageInput = { topic, events: 0, groupId, env, options: { keep: o.keep, pollMs: 50 } };
  const loadInput: StageInput = { topic, events: 0, groupId: '', env, options: { role: 'load', rate: o.rate, seconds: o.seconds + warmup + 1, schemaId, seed: o.seed } };
  const markerInput: StageInput = { topic, events: 0, groupId: '', env, options: { role: 'markers', markerMs: 100, seconds: o.seconds + warmup, schemaId } };

  let sendToWorker: ((p: ParentMessage) => void) | undefined;
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  const workerRun = runStage(stagePath('fresh-worker'), workerInput, {
    onMessage: (m, sendBack) => {
      if (m.type === 'ready') {
        sendToWorker = sendBack;
        ready();
      }
    },
  });
  try {
    await Promise.race([isReady, workerRun.then(() => undefined)]);
    // The load producer prepares its events first, then says ready and starts; the markers start with it.
    let markersRun: ReturnType<typeof runStage> | undefined;
    const loadRun = runStage(stagePath('fresh-producer'), loadInput, {
      onMessage: (m) => {
        if (m.type === 'ready') markersRun = runStage(stagePath('fresh-producer'), markerInput);
      },
    });
    const prod = await loadRun;
    const mk = markersRun ? await markersRun : { result: undefined, data: [] };
    await new Promise((r) => setTimeout(r, tail * 1000));
    sendToWorker?.({ type: 'stop' });
    const w = await workerRun;
    const all = (mk.data[0] as { markers: Marker[] } | undefined)?.markers ?? [];
    const loadStart = all[0]?.sentAt ?? 0;
    const markers = all.filter((m) => m.sentAt >= loadStart + warmup * 1000);
    const seen = (w.data[0] as { seen: Record<string, number> } | undefined)?.seen ?? {};
    const delays: number[] = [];
    let missing = 0;
    for (const m of markers) {
      const at = seen[m.workspace];
      if (at === undefined) missing++;
      else delays.push(at - m.sentAt);
    }
    delays.sort((a, b) => a - b);
    if (w.result) o.log(`worker under load: CPU ${w.result.cpuSeconds.toFixed(1)} s, peak RSS ${Math.round(w.result.peakRssMb)} MB, ${Number(w.result.extra['rowsWritten']).toLocaleString('en-US')} rows for ${w.result.events.toLocaleString('en-US')} events, probe ${Number(w.result.extra['polls'])} polls of ${Number(w.result.extra['meanPollMs']).toFixed(1)} ms`);
    if (prod.result) o.log(`producer: ${prod.result.events.toLocaleString('en-US')} events in ${prod.result.seconds.toFixed(1)} s (load prepared in ${Number(prod.result.extra['prepSeconds']).toFixed(1)} s before), ${Number(prod.result.extra['behindTicks'])} sends waited for acks, ${Number(prod.result.extra['lateTicks'])} ticks late, CPU ${prod.result.cpuSeconds.toFixed(1)} s; ${all.length} markers (${markers.length} after the ${warmup} s warm-up)`);
    return {
      markers: delays.length, missing,
      p50Ms: percentile(delays, 50), p99Ms: percentile(delays, 99), maxMs: delays[delays.length - 1] ?? Number.NaN,
      achievedRate: prod.result?.eps ?? Number.NaN, producer: prod.result, worker: w.result,
    };
  } finally {
    sendToWorker?.({ type: 'stop' });
    await workerRun.catch(() => undefined);
    await deleteTopic(admin, topic).catch(() => undefined);
    await deleteTopic(admin, `${topic}.dlq`).catch(() => undefined);
    await admin.disconnect();
  }
}
