/**
 * `npm run bench`: the benchmark of issue 7, in one run (docs/benchmarks.md).
 *
 *   npm run bench [-- --events N] [--seed S] [--partitions P] [--stages a,b,c,d,e] [--fresh-rate R]
 *                    [--fresh-seconds S] [--peer-consumers K] [--client kafkajs|platformatic|confluent] [--profile] [--keep]
 *
 * Produces N events to a topic of their own once (reused on later runs), then measures on the same data, each
 * stage in a child process of its own: (a) the raw ceiling of the consuming client (--client, default kafkajs), (b) decode + validate, (c) the full worker
 * into the embedded ClickHouse, (d) ClickHouse's Kafka engine + materialized view (the peer), (e) freshness
 * under a steady produced load. Kafka and the registry come from the standard configuration (KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL...). The last line printed is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, freemem, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { KAFKA_CLIENTS, type KafkaClientName } from '../src/source/consumer.js';
import { runStage, stagePath, type StageResult } from './child.js';
import { runFreshness, type FreshnessResult } from './freshness.js';
import { benchKafka } from './kafka.js';
import type { OverviewTotals } from './overview.js';
import { summarizeProfile } from './profile.js';
import type { StageInput } from './stages/common.js';
import { ensureBenchTopic } from './topic.js';

interface Args {
  events: number;
  seed: number;
  partitions: number;
  stages: Set<string>;
  freshRate: number;
  freshSeconds: number;
  peerConsumers: number;
  profile: boolean;
  keep: boolean;
  eventRate: number;
  /** The consuming client of (a) and (c) (KAFKA_CLIENT in their processes); producing and (b) stay on kafkajs. */
  client: KafkaClientName | undefined;
}

const USAGE = 'usage: npm run bench -- [--events N] [--seed S] [--partitions P] [--stages a,b,c,d,e] [--fresh-rate R] [--fresh-seconds S] [--peer-consumers K] [--client kafkajs|platformatic|confluent] [--profile] [--keep]';

function parseArgs(argv: string[]): Args {
  const a: Args = {
    events: 2_000_000, seed: 1, partitions: 3, stages: new Set(['a', 'b', 'c', 'd', 'e']), freshRate: 20_000, freshSeconds: 30,
    peerConsumers: Math.min(3, availableParallelism()), profile: false, keep: false, eventRate: 20_000, client: undefined,
  };
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${name} expects a whole number >= ${min}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const [flag, inline] = k.includes('=') ? [k.slice(0, k.indexOf('=')), k.slice(k.indexOf('=') + 1)] : [k, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--events': a.events = num(flag, value(), 1000); break;
      case '--seed': a.seed = num(flag, value(), 0); break;
      case '--partitions': a.partitions = num(flag, value(), 1); break;
      case '--stages': a.stages = new Set((value() ?? '').split(',').map((s) => s.trim()).filter(Boolean)); break;
      case '--fresh-rate': a.freshRate = num(flag, value(), 100); break;
      case '--fresh-seconds': a.freshSeconds = num(flag, value(), 5); break;
      case '--peer-consumers': a.peerConsumers = num(flag, value(), 1); break;
      case '--event-rate': a.eventRate = num(flag, value(), 1); break;
      case '--client': {
        const c = value();
        if (!KAFKA_CLIENTS.includes(c as KafkaClientName)) throw new Error(`--client expects one of ${KAFKA_CLIENTS.join(', ')}\n${USAGE}`);
        a.client = c as KafkaClientName;
        break;
      }
      case '--profile': a.profile = true; break;
      case '--keep': a.keep = true; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument ${k}\n${USAGE}`);
    }
  }
  return a;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
const round = (n: number | null, digits: number): number | null => (n === null || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));

function machineLine(): string {
  const [l1, l5, l15] = loadavg();
  return `${availableParallelism()} CPUs, ${fmt(totalmem() / 1073741824, 1)} GiB RAM (${fmt(freemem() / 1073741824, 1)} GiB free), load average ${l1!.toFixed(2)} / ${l5!.toFixed(2)} / ${l15!.toFixed(2)}, Node ${process.version}`;
}

function stageLine(label: string, r: StageResult): string {
  return `${label.padEnd(34)} ${fmt(r.eps).padStart(9)} events/s  (${fmt(r.events)} in ${fmt(r.seconds, 2)} s; wall ${fmt(r.wallSeconds, 2)} s; CPU ${fmt(r.cpuSeconds, 1)} s = ${fmt((r.cpuSeconds / r.events) * 1e6, 1)} s/M; peak RSS ${fmt(r.peakRssMb)} MB)`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Every child inherits it: (a), (c), (e) and the profile consume with this client.
  if (args.client) process.env['KAFKA_CLIENT'] = args.client;
  const cfg = loadConfig(process.env);
  const root = resolve('.data/bench');
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(2).toString('hex')}`;
  const runDir = join(root, `run-${runId}`);
  mkdirSync(runDir, { recursive: true });
  const out = (line: string) => console.log(line);

  out(`analytics-rollups bench ${runId}`);
  out(`machine: ${machineLine()}`);
  const client = args.client ?? cfg.KAFKA_CLIENT;
  out(`Kafka ${cfg.KAFKA_BROKERS.join(',')} (consuming client of (a), (c), (e): ${client}), registry ${cfg.SCHEMA_REGISTRY_URL}, embedded ClickHouse under ${runDir}`);

  // ---- the data, once ----------------------------------------------------------------------------------
  const kafka = benchKafka(cfg, 'bench');
  const t0 = performance.now();
  const { manifest, reused } = await ensureBenchTopic({
    kafka, cfg, events: args.events, seed: args.seed, partitions: args.partitions, eventRate: args.eventRate,
    stateDir: join(root, 'topics'), log: (l) => out(`  ${l}`),
  });
  out(
    reused
      ? `data: reusing topic ${manifest.topic} (${fmt(manifest.events)} events, produced ${new Date(manifest.producedAt).toISOString()})`
      : `data: produced ${fmt(manifest.events)} events to ${manifest.topic} in ${fmt((performance.now() - t0) / 1000, 1)} s (${fmt(manifest.events / manifest.produceSeconds)} events/s)`,
  );
  out(`      ${args.partitions} partitions, ${fmt(manifest.valueBytes / manifest.events)} bytes per value, event time ${new Date(manifest.firstEventMs).toISOString()} .. ${new Date(manifest.lastEventMs).toISOString()}`);

  const base = (stage: string, extraEnv: Record<string, string> = {}, options: StageInput['options'] = {}): StageInput => ({
    topic: manifest.topic,
    events: manifest.events,
    groupId: `bench-${stage}-${runId}`,
    env: { KAFKA_TOPICS: manifest.topic, KAFKA_DLQ_TOPIC: `${manifest.topic}.dlq`, KAFKA_GROUP_ID: `bench-${stage}-${runId}`, LOG_LEVEL: 'warn', CLICKHOUSE_URL: '', ...extraEnv },
    options: { keep: args.keep, ...options },
  });

  const results: Partial<Record<'a' | 'b' | 'c' | 'd', StageResult>> = {};
  const overviews: Partial<Record<'c' | 'd', OverviewTotals>> = {};

  if (args.stages.has('a')) {
    out(`(a) ceiling: raw ${client} batches, count only ... [load ${loadavg()[0]!.toFixed(2)}]`);
    results.a = (await runStage(stagePath('ceiling'), base('ceiling'))).result;
    if (results.a) out(stageLine(`(a) ceiling (${client}, count only)`, results.a));
  }
  if (args.stages.has('b')) {
    out(`(b) decode + validate ... [load ${loadavg()[0]!.toFixed(2)}]`);
    const r = await runStage(stagePath('decode'), base('decode'));
    results.b = r.result;
    if (results.b) {
      out(stageLine('(b) decode + validate', results.b));
      if (results.b.extra['deadLetters'] !== 0) out(`    dead letters: ${results.b.extra['reasons']}`);
    }
  }
  if (args.stages.has('c')) {
    out(`(c) full worker into embedded ClickHouse ... [load ${loadavg()[0]!.toFixed(2)}]`);
    const r = await runStage(stagePath('pipeline'), base('pipeline', { CLICKHOUSE_PATH: join(runDir, 'pipeline') }));
    results.c = r.result;
    overviews.c = (r.data[0] as { overview: OverviewTotals } | undefined)?.overview;
    if (results.c) {
      const x = results.c.extra;
      out(stageLine(`(c) full worker (${client}, embedded CH)`, results.c));
      out(`    ${fmt(Number(x['rowsWritten']))} rows in ${fmt(Number(x['inserts']))} inserts (${fmt(Number(x['insertSecondsTotal']), 1)} s inserting) over ${fmt(Number(x['batches']))} batches; dead letters ${x['deadLettered']}, late ${x['late']}; RSS before consuming ${fmt(results.c.baselineRssMb)} MB (engine loaded, schema created), mean ${fmt(Number(x['meanRssMb']))} MB; JS heap + buffers peak ${fmt(Number(x['heapPeakMb']))} MB`);
    }
  }
  if (args.stages.has('d')) {
    out(`(d) peer: ClickHouse Kafka engine (AvroConfluent) + materialized view, embedded ... [load ${loadavg()[0]!.toFixed(2)}]`);
    const r = await runStage(stagePath('peer'), base('peer', { CLICKHOUSE_PATH: join(runDir, 'peer') }, { consumers: Math.min(args.peerConsumers, args.partitions) }));
    results.d = r.result;
    overviews.d = (r.data[0] as { overview: OverviewTotals } | undefined)?.overview;
    if (results.d) {
      const x = results.d.extra;
      out(stageLine('(d) peer (CH Kafka engine + MV)', results.d));
      out(`    kafka_num_consumers ${x['consumers']}, kafka_flush_interval_ms ${x['flushMs']}; ${fmt(Number(x['commits']))} commits; ${fmt(Number(x['insertedRows']) - results.d.events)} rows written to its rollup table (${fmt(((Number(x['insertedRows']) - results.d.events) / results.d.events) * 1000, 1)} per 1,000 events; engine InsertedRows minus the consumed messages); joined ${fmt(Number(x['joinSeconds']), 2)} s and first read ${fmt(Number(x['firstReadSeconds']), 2)} s after the view was attached${x['errors'] ? `; errors: ${x['errors']}` : ''}`);
    }
  }
  if (overviews.c && overviews.d) {
    const same = JSON.stringify(overviews.c) === JSON.stringify(overviews.d);
    out(`    overview totals, worker vs peer: ${same ? 'identical' : 'DIFFERENT'} ${JSON.stringify(overviews.c)}${same ? '' : ` vs ${JSON.stringify(overviews.d)}`}`);
  }

  let fresh: FreshnessResult | undefined;
  if (args.stages.has('e')) {
    out(`(e) freshness: ${fmt(args.freshRate)} events/s for ${args.freshSeconds} s, markers polled in the rollup table ... [load ${loadavg()[0]!.toFixed(2)}]`);
    fresh = await runFreshness({ kafka, cfg, runId, runDir, rate: args.freshRate, seconds: args.freshSeconds, partitions: args.partitions, seed: args.seed, keep: args.keep, log: (l) => out(`    ${l}`) });
    out(`(e) freshness p50 ${fmt(fresh.p50Ms)} ms, p99 ${fmt(fresh.p99Ms)} ms, max ${fmt(fresh.maxMs)} ms over ${fresh.markers} markers; produced ${fmt(fresh.achievedRate)} events/s (asked ${fmt(args.freshRate)})${fresh.missing > 0 ? `; ${fresh.missing} markers never seen` : ''}`);
  }

  if (args.profile) {
    out(`profile: (c) again under --cpu-prof ... [load ${loadavg()[0]!.toFixed(2)}]`);
    const profDir = join(root, 'profiles', runId);
    mkdirSync(profDir, { recursive: true });
    const r = await runStage(stagePath('pipeline'), base('profile', { CLICKHOUSE_PATH: join(runDir, 'profile') }), { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
    if (r.result) out(stageLine('(c) under --cpu-prof', r.result));
    // The largest profile is the main thread's (the others are tsx's loader thread).
    const files = readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile')).map((n) => join(profDir, n));
    const main = files.sort((x, y) => statSync(y).size - statSync(x).size)[0];
    if (main) {
      out(`  ${main}`);
      for (const line of summarizeProfile(main, 25)) out(`    ${line}`);
    }
  }

  // ---- summary -----------------------------------------------------------------------------------------
  const a = results.a?.eps ?? null;
  const b = results.b?.eps ?? null;
  const c = results.c?.eps ?? null;
  const d = results.d?.eps ?? null;
  const ratio = a && c ? c / a : null;
  const peerRatio = c && d ? c / d : null;
  const cpuPerM = results.c ? (results.c.cpuSeconds / results.c.events) * 1e6 : null;
  const peakRss = results.c?.peakRssMb ?? null;
  const rowsPer1k = results.c ? (Number(results.c.extra['rowsWritten']) / results.c.events) * 1000 : null;
  out('');
  out(`events ${fmt(manifest.events)} | ceiling ${fmt(a ?? NaN)} | decode ${fmt(b ?? NaN)} | pipeline ${fmt(c ?? NaN)} | peer ${fmt(d ?? NaN)} events/s`);
  out(`c/a ${fmt(ratio ?? NaN, 3)} (target >= 0.8) | c/d ${fmt(peerRatio ?? NaN, 3)} (goal >= 1) | CPU ${fmt(cpuPerM ?? NaN, 2)} s per million events | peak RSS ${fmt(peakRss ?? NaN)} MB (target <= 300)`);
  out(`rows written ${fmt(rowsPer1k ?? NaN, 1)} per 1,000 events (target <= 10) | freshness p50 ${fmt(fresh?.p50Ms ?? NaN)} ms, p99 ${fmt(fresh?.p99Ms ?? NaN)} ms (target p99 <= 2000) | load now ${loadavg().map((l) => l.toFixed(2)).join(' / ')}`);
  if (!args.keep) rmSync(runDir, { recursive: true, force: true });
  // The consumer groups of this run are of no further use.
  const admin = kafka.admin();
  await admin.connect();
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.endsWith(`-${runId}`));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  console.log(
    JSON.stringify({
      client,
      load_at_end: loadavg()[0]!.toFixed(2),
      events: manifest.events,
      ceiling_eps: round(a, 0),
      decode_eps: round(b, 0),
      pipeline_eps: round(c, 0),
      peer_eps: round(d, 0),
      ratio: round(ratio, 3),
      peer_ratio: round(peerRatio, 3),
      cpu_s_per_million: round(cpuPerM, 2),
      peak_rss_mb: round(peakRss, 0),
      ceiling_cpu_s_per_million: results.a ? round((results.a.cpuSeconds / results.a.events) * 1e6, 2) : null,
      ceiling_peak_rss_mb: results.a ? round(results.a.peakRssMb, 0) : null,
      rows_per_1k: round(rowsPer1k, 1),
      freshness_p50_ms: round(fresh?.p50Ms ?? null, 0),
      freshness_p99_ms: round(fresh?.p99Ms ?? null, 0),
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
