/**
 * The read benchmark (issue 5, item 5; docs/benchmarks.md, "Read API latency"): p50 / p99 latency of every read-API
 * endpoint over HTTP, on one tenant with N events (default 10 million) over 30 days, already rolled up,
 * on the embedded engine. It prints numbers; it is not a test.
 *
 *   npx tsx bench/read.ts [--events N] [--requests R] [--fresh] [--seed S] [--pre-requests P] [--profile K]
 *                         [--data DIR]   (default .data/bench-read/chdb)   [--no-blocks] [--live R]
 *
 * 1. Data: unless .data/bench-read/ already holds the rollups of the same N and seed (a marker table
 *    says so), the rollups of N events of the measured tenant (and 10 % more for two other tenants) are
 *    built day by day through TumblingWindows and writeRollups, then both rollup tables are merged with
 *    OPTIMIZE ... FINAL (what background merges do over time). A fresh build is measured once more
 *    before OPTIMIZE, with P requests per endpoint.
 * 2. The real API (buildApi over createQueryService) listens on 127.0.0.1, its clock fixed at the end
 *    of the data; a token for the measured tenant is minted. This process owns the engine, as `rollups
 *    run` does, so the API keeps settled blocks (docs/query.md); nothing is written while it is measured.
 *    --no-blocks measures it as with a ClickHouse server (no write feed, every read in the engine).
 * 3. Per endpoint, from a client process of its own (read-client.mjs): 10 warm-up requests, then R
 *    sequential requests (keep-alive); p50 / p99 / max.
 * 3b. With --live R (default 2,000; 0 skips it): overview, gates and dashboard once more while R events per
 *    second of the measured tenant are written through the worker's sink into the same engine
 *    (read-live.ts), one flush a second, as under `rollups run` with a live stream; requests one every
 *    100 ms, so that about one in ten follows a write.
 * 4. Where the time goes for the range endpoints: service call, SQL round trip, the engine's own time
 *    (K repetitions each; --profile 0 skips it).
 * The last line printed is one JSON object.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApi, ANALYTICS_PREFIX, type ApiApp } from '../src/api/app.js';
import { mintToken } from '../src/api/token.js';
import { openClickHouse, type ClickHouseClient } from '../src/clickhouse/client.js';
import { migrate } from '../src/clickhouse/migrations.js';
import { createLogger } from '../src/ops/logger.js';
import { createQueryService } from '../src/query/service.js';
import { createRollupChanges } from '../src/sink/changes.js';
import { localDateOf } from '../src/query/zone.js';
import { buildRollups, DAY_MS, dropDatabase, findBuilt, writeMarker, type BuildRecord, type DataSpec } from './read-build.js';
import { startLiveWriter, type LiveStats } from './read-live.js';
import { floor, profileCase, type ProfileCase, type ProfileResult, type SqlStats } from './read-profile.js';
import { cpuTicks, fmtInt, freeG, gcPauses, load1, machine, ms, round2, stealPercent, summarize, table, type Summary } from './read-stats.js';

const USAGE = 'usage: npx tsx bench/read.ts [--events N] [--requests R] [--fresh] [--seed S] [--pre-requests P] [--profile K] [--data DIR] [--no-blocks] [--live R]';
const DATABASE = 'bench_read';
const SECRET = 'bench-read-secret-0123456789abcdef';
/** The API's clock: the end of the data (a Wednesday morning, UTC). */
const NOW = Date.parse('2025-11-05T09:37:41.250Z');
const TENANT = 'bench-org';
const OTHERS = ['bench-other-1', 'bench-other-2'] as const;
const WARMUP = 10;
const TARGET_P99_MS = 50;
/** Pacing of the requests under a live stream. */
const LIVE_INTERVAL_MS = 100;
const KTM = 'Asia/Kathmandu';

interface Args {
  events: number;
  requests: number;
  fresh: boolean;
  seed: number;
  preRequests: number;
  profile: number;
  /** The embedded engine's directory. */
  data: string;
  /** Settled blocks in the API (the embedded engine's owner hears every write); false: as with a server. */
  blocks: boolean;
  /** Events per second of a live stream during a second pass of the targeted endpoints; 0: none. */
  live: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { events: 10_000_000, requests: 200, fresh: false, seed: 1, preRequests: 30, profile: 30, data: '.data/bench-read/chdb', blocks: true, live: 2000 };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${flag} expects a whole number >= ${min}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const eq = k.indexOf('=');
    const [flag, inline] = eq > 0 ? [k.slice(0, eq), k.slice(eq + 1)] : [k, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--events': a.events = num(flag, value(), 30_000); break;
      case '--requests': a.requests = num(flag, value(), 10); break;
      case '--seed': a.seed = num(flag, value(), 0); break;
      case '--pre-requests': a.preRequests = num(flag, value(), 0); break;
      case '--profile': a.profile = num(flag, value(), 0); break;
      case '--data': a.data = value() ?? ''; if (a.data === '') throw new Error(`--data expects a directory\n${USAGE}`); break;
      case '--fresh': a.fresh = true; break;
      case '--no-blocks': a.blocks = false; break;
      case '--live': a.live = num(flag, value(), 0); break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument ${k}\n${USAGE}`);
    }
  }
  return a;
}

interface Endpoint {
  /** Key in the table and the JSON line. */
  key: string;
  path: string;
  params: Record<string, string>;
  /** One of overview / gates / dashboard: p99 must be under 50 ms. */
  target: boolean;
}

function endpoints(): Endpoint[] {
  const yesterdayKtm = localDateOf(NOW - DAY_MS, KTM);
  return [
    { key: 'overview', path: '/overview', params: { period: '30d' }, target: true },
    { key: 'overview_today', path: '/overview', params: { period: 'today', tz: KTM }, target: true },
    { key: 'gates', path: '/gates', params: { period: '30d', tz: KTM }, target: true },
    { key: 'channels', path: '/channels', params: { period: '30d' }, target: false },
    { key: 'cohorts', path: '/cohorts', params: { period: '30d', tz: KTM }, target: false },
    { key: 'dashboard', path: '/dashboard', params: { period: '30d' }, target: true },
    { key: 'events', path: '/events', params: { period: '30d', tz: KTM }, target: false },
    { key: 'timeseries', path: '/timeseries', params: { metric: 'totalMessages', days: '30' }, target: false },
    { key: 'volume_by_hour', path: '/volume-by-hour', params: { date: yesterdayKtm, tz: KTM }, target: false },
    { key: 'export', path: '/export', params: { days: '30', tz: KTM }, target: false },
  ];
}

/** The range endpoints' reads, each with the key of the same request in endpoints(). */
const PROFILE_CASES: Array<ProfileCase & { key: string }> = [
  { key: 'overview', label: 'overview 30d UTC', section: 'overview', period: '30d', tz: 'UTC' },
  { key: 'overview_today', label: 'overview today KTM', section: 'overview', period: 'today', tz: KTM },
  { key: 'gates', label: 'gates 30d KTM', section: 'gates', period: '30d', tz: KTM },
  { key: 'dashboard', label: 'dashboard 30d UTC', section: 'dashboard', period: '30d', tz: 'UTC' },
  { key: 'channels', label: 'channels 30d UTC', section: 'channels', period: '30d', tz: 'UTC' },
  { key: 'cohorts', label: 'cohorts 30d KTM', section: 'cohorts', period: '30d', tz: KTM },
  { key: 'events', label: 'events 30d KTM', section: 'events', period: '30d', tz: KTM },
];

interface Measured {
  ep: Endpoint;
  s: Summary;
  /** The first warm-up request: the one that builds the distinct cache's entries for its range. */
  firstMs: number;
  bytes: number;
  cpuMsPerRequest: number;
  loadBefore: number;
  loadAfter: number;
  /** Share of the machine's CPU time the hypervisor stole during the pass (/proc/stat). */
  stealPct: number;
  /** The server process's garbage-collection pauses during the pass. */
  gc: { count: number; totalMs: number; maxMs: number };
}

const log = (line = ''): void => console.log(line);

class Http {
  connections = 0;
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  url(ep: Endpoint): string {
    const q = new URLSearchParams(ep.params);
    return `${this.base}${ANALYTICS_PREFIX}${ep.path}?${q}`;
  }

  /** One request; latency in ms from before fetch to the last byte of the body. */
  async once(url: string, token = this.token): Promise<{ ms: number; bytes: number; body: string }> {
    const t = process.hrtime.bigint();
    const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = await r.text();
    const elapsed = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}: ${body.slice(0, 300)}`);
    return { ms: elapsed, bytes: Buffer.byteLength(body), body };
  }

  /**
   * Warm-up and n sequential requests from a client process of its own (read-client.mjs); CPU per
   * request is this process's, i.e. the server's and the engine's.
   */
  async measure(ep: Endpoint, warmup: number, n: number, intervalMs = 0): Promise<Measured> {
    const url = this.url(ep);
    const loadBefore = load1();
    const cpu = process.cpuUsage();
    const ticks = cpuTicks();
    const gc = gcPauses();
    const out = await runClient({ url, token: this.token, warmup, n, intervalMs });
    const pauses = gc.stop();
    const stealPct = stealPercent(ticks, cpuTicks());
    const used = process.cpuUsage(cpu);
    const { bytes } = await this.once(url);
    return {
      ep, s: summarize(out.latencies), firstMs: out.firstMs ?? Number.NaN, bytes, cpuMsPerRequest: (used.user + used.system) / 1000 / (n + warmup),
      loadBefore, loadAfter: load1(), stealPct, gc: pauses,
    };
  }
}

const CLIENT = fileURLToPath(new URL('./read-client.mjs', import.meta.url));

/** Runs one job of read-client.mjs; its answer, or an error with its stderr. */
function runClient(job: { url: string; token: string; warmup: number; n: number; intervalMs?: number }): Promise<{ firstMs: number | null; latencies: number[] }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLIENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`read client exited with ${code}: ${err.trim()}`));
      else resolvePromise(JSON.parse(out) as { firstMs: number | null; latencies: number[] });
    });
    child.stdin.end(JSON.stringify(job));
  });
}

async function measureAll(http: Http, warmup: number, n: number, title: string, only: (ep: Endpoint) => boolean = () => true, intervalMs = 0): Promise<Measured[]> {
  log(`\n${title}: ${warmup} warm-up + ${n} sequential requests per endpoint${intervalMs > 0 ? `, one every ${intervalMs} ms` : ''}, keep-alive`);
  const out: Measured[] = [];
  for (const ep of endpoints().filter(only)) {
    const m = await http.measure(ep, warmup, n, intervalMs);
    out.push(m);
    log(`  ${ep.key.padEnd(15)} first ${ms(m.firstMs).padStart(6)} ms  p50 ${ms(m.s.p50).padStart(6)} ms  p99 ${ms(m.s.p99).padStart(6)} ms  (load ${m.loadBefore} -> ${m.loadAfter}, steal ${m.stealPct} %, GC ${m.gc.count} / max ${ms(m.gc.maxMs)} ms)`);
  }
  return out;
}

function latencyTable(rows: Measured[], withTarget: boolean): string {
  return table(
    ['endpoint', 'request', 'first ms', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'CPU ms/req', 'bytes', 'load1', 'steal %', 'GC n / max ms', ...(withTarget ? ['p99 < 50 ms'] : [])],
    rows.map((m) => [
      m.ep.key,
      `${m.ep.path}?${new URLSearchParams(m.ep.params)}`,
      ms(m.firstMs),
      ms(m.s.p50),
      ms(m.s.p99),
      ms(m.s.max),
      ms(m.s.mean),
      ms(m.cpuMsPerRequest),
      fmtInt(m.bytes),
      `${m.loadBefore}-${m.loadAfter}`,
      String(m.stealPct),
      `${m.gc.count} / ${ms(m.gc.maxMs)}`,
      ...(withTarget ? [m.ep.target ? (m.s.p99 < TARGET_P99_MS ? 'met' : 'NOT met') : ''] : []),
    ]),
  );
}

interface TableStats {
  table: string;
  rows: number;
  tenantRows: number;
  parts: number;
  bytes: number;
}

async function tableStats(client: ClickHouseClient): Promise<TableStats[]> {
  const out: TableStats[] = [];
  for (const t of ['rollup_1m', 'rollup_15m', 'rollup_1h', 'rollup_1d']) {
    const rs = await client.query({
      query: `SELECT count() AS rows, countIf(org_id = {org:String}) AS tenant FROM ${DATABASE}.${t}`,
      query_params: { org: TENANT },
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<{ rows: number | string; tenant: number | string }>();
    const ps = await client.query({
      query: `SELECT count() AS parts, sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active`,
      query_params: { db: DATABASE, t },
      format: 'JSONEachRow',
    });
    const [p] = await ps.json<{ parts: number | string; bytes: number | string }>();
    out.push({ table: t, rows: Number(r?.rows ?? 0), tenantRows: Number(r?.tenant ?? 0), parts: Number(p?.parts ?? 0), bytes: Number(p?.bytes ?? 0) });
  }
  return out;
}

function printTableStats(stats: TableStats[], when: string): void {
  log(`rollup tables ${when}:`);
  log(
    table(
      ['table', 'rows', `rows of ${TENANT}`, 'active parts', 'MiB on disk'],
      stats.map((s) => [s.table, fmtInt(s.rows), fmtInt(s.tenantRows), fmtInt(s.parts), (s.bytes / 2 ** 20).toFixed(1)]),
    ),
  );
}

async function optimize(client: ClickHouseClient): Promise<number> {
  log('\nOPTIMIZE TABLE ... FINAL on every rollup table (merges every partial row of a key into one, as');
  log('background merges of a real deployment do over time; reads are then measured on merged parts)');
  const t = performance.now();
  for (const name of ['rollup_1m', 'rollup_15m', 'rollup_1h', 'rollup_1d']) {
    const a = performance.now();
    await client.command({ query: `OPTIMIZE TABLE ${DATABASE}.${name} FINAL` });
    log(`  ${name}: ${((performance.now() - a) / 1000).toFixed(1)} s`);
  }
  return (performance.now() - t) / 1000;
}

function printBuild(rec: Omit<BuildRecord, 'built_at' | 'optimize_seconds'> & { optimize_seconds?: number }, reused: boolean): void {
  log(`${reused ? 'data built earlier' : 'build'}: ${fmtInt(rec.events)} events of ${TENANT} + ${fmtInt(rec.other_events)} of ${rec.others} over ${rec.days} days, seed ${rec.seed}`);
  log(
    `  ${rec.build_seconds.toFixed(1)} s (${fmtInt((rec.events + rec.other_events) / rec.build_seconds)} events/s): generate ${rec.generate_seconds.toFixed(1)} s, ` +
      `window ${rec.window_seconds.toFixed(1)} s, waiting for inserts ${rec.write_wait_seconds.toFixed(1)} s; ${rec.inserts} inserts, ${fmtInt(rec.partial_rows)} partial rows` +
      (rec.optimize_seconds !== undefined ? `; OPTIMIZE FINAL ${rec.optimize_seconds.toFixed(1)} s` : ''),
  );
}

function sqlLine(name: string, s: SqlStats): string[] {
  return [name, ms(s.wall.p50), ms(s.wall.p99), ms(s.engine.p50), ms(s.engine.p99), ms(s.cpu.p50), fmtInt(s.rowsRead), (s.bytesRead / 2 ** 20).toFixed(1), fmtInt(s.resultRows)];
}

function printProfile(results: ProfileResult[], floor: SqlStats): void {
  log('\nwhere the time goes: the request over HTTP, the service call as the route makes it (in process), its SQL');
  log("through the client (wall) and ClickHouse's own elapsed (engine): the last statement a service sends (with settled");
  log("blocks: the open tail's read, which a warm service repeats only after a write), and the");
  log('load statement without the distinct cache with its variants: without uniqExactMerge, only');
  log('reading the rows, on one thread, planning only. Interleaved: each round runs every line once, so load drift');
  log('hits all alike.');
  log('CPU = CPU time of this process (it hosts the engine) during the call: what the work costs, whatever the load.');
  const rows: string[][] = [sqlLine('SELECT 1 (the floor of any statement)', floor)];
  for (const r of results) {
    if (r.http !== undefined) rows.push([`${r.label}: over HTTP`, ms(r.http.p50), ms(r.http.p99), '', '', ms(r.httpCpu?.p50 ?? Number.NaN), '', '', '']);
    rows.push([`  service call (${r.measures} measures)`, ms(r.service.p50), ms(r.service.p99), '', '', ms(r.serviceCpu.p50), '', '', '']);
    rows.push(sqlLine('  last statement a service sends', r.sent));
    rows.push(sqlLine('  load statement without the cache', r.load));
    rows.push(sqlLine('  same, no distinct merge', r.noDistinct));
    rows.push(sqlLine('  only reading the rows', r.scanOnly));
    rows.push(sqlLine('  load statement, max_threads = 1', r.oneThread));
    rows.push(sqlLine('  planning only (EXPLAIN PLAN)', r.planOnly));
    if (r.trends !== undefined) rows.push(sqlLine('  trends statement (last hour)', r.trends));
  }
  log(table(['what', 'wall p50', 'wall p99', 'engine p50', 'engine p99', 'CPU p50', 'rows read', 'MiB read', 'result rows'], rows));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const m = machine();
  log(`read benchmark: ${fmtInt(args.events)} events, ${args.requests} requests per endpoint, seed ${args.seed}`);
  log(`machine: ${m.nproc} CPUs (${m.cpu}), ${m.memTotalGiB} GiB RAM (${m.memFreeGiB} free), node ${m.node}`);
  log(`uptime: ${m.uptime}`);
  log(freeG());

  const DATA_DIR = resolve(args.data);
  const client = openClickHouse({ path: DATA_DIR });
  const vs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  log(`engine: embedded ClickHouse (chDB) ${(await vs.json<{ v: string }>())[0]?.v ?? '?'} at ${DATA_DIR}, database ${DATABASE}`);

  const spec: DataSpec = {
    database: DATABASE, events: args.events, seed: args.seed, days: 30, nowMs: NOW, tenant: TENANT, workspaces: 3,
    others: OTHERS, otherShare: 0.1, flushEvery: 100_000,
  };
  if (args.fresh) log('--fresh: dropping the earlier data');
  let built = args.fresh ? undefined : await findBuilt(client, spec);

  let app: ApiApp | undefined;
  let http: Http | undefined;
  // The feed of this process's writes: none while the API is measured (the data is built before).
  const changes = args.blocks ? createRollupChanges() : undefined;
  let query = createQueryService({ client, database: DATABASE, changes });
  /** A new API process, as far as caches go: its own query service, nothing held in memory. */
  const startApi = async (): Promise<Http> => {
    await app?.close();
    query = createQueryService({ client, database: DATABASE, changes });
    app = buildApi({ query, jwtSecret: SECRET, logger: createLogger('warn'), now: () => NOW });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const token = await mintToken({ secret: SECRET, orgId: TENANT, ttlSeconds: 3600, nowMs: NOW });
    const h = new Http(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token);
    app.server.on('connection', () => h.connections++);
    log(`API: ${h.base}${ANALYTICS_PREFIX}, now fixed at ${new Date(NOW).toISOString()}, token for ${TENANT}, settled blocks ${args.blocks ? 'on (this process owns the engine)' : 'off (--no-blocks: as with a ClickHouse server)'}`);
    return h;
  };

  let before: Measured[] | undefined;
  let beforeStats: TableStats[] | undefined;
  if (built === undefined) {
    await dropDatabase(client, DATABASE);
    log(`\nbuilding the rollups (day by day, window flushed every ${fmtInt(spec.flushEvery)} events, one insert per flush)`);
    const b = await buildRollups(client, spec, log);
    printBuild(b, false);
    beforeStats = await tableStats(client);
    printTableStats(beforeStats, 'after the build, before OPTIMIZE (background merges may still run)');
    if (args.preRequests > 0) {
      http = await startApi();
      before = await measureAll(http, 3, args.preRequests, 'before OPTIMIZE');
      log(latencyTable(before, false));
      printTableStats(await tableStats(client), 'after the pre-OPTIMIZE pass');
    }
    const optimizeSeconds = await optimize(client);
    built = { ...b, optimize_seconds: optimizeSeconds, built_at: new Date().toISOString() };
    await writeMarker(client, spec, built);
  } else {
    log(`\nreusing the rollups in ${DATA_DIR} (marker: N ${fmtInt(built.events)}, seed ${built.seed}, built ${built.built_at}); --fresh rebuilds`);
    printBuild(built, true);
    // Data built under an older schema is brought up to date the way a deployment is.
    const t = performance.now();
    const m = await migrate(client, DATABASE);
    if (m.applied.length > 0) {
      log(`migrations ${m.applied.join(', ')} applied to the existing data in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      await optimize(client);
    }
  }
  const stats = await tableStats(client);
  printTableStats(stats, 'measured (after OPTIMIZE FINAL)');

  http ??= await startApi();
  // What the tenant sees, and that the tenant filter holds: another tenant's token sees its own, smaller numbers.
  const ov = JSON.parse((await http.once(http.url(endpoints()[0]!))).body) as { metrics: Record<string, unknown> };
  const otherToken = await mintToken({ secret: SECRET, orgId: OTHERS[0], ttlSeconds: 3600, nowMs: NOW });
  const ovOther = JSON.parse((await http.once(http.url(endpoints()[0]!), otherToken)).body) as { metrics: Record<string, unknown> };
  log(`overview 30d of ${TENANT}: ${JSON.stringify(ov.metrics)}`);
  log(`overview 30d of ${OTHERS[0]}: ${JSON.stringify(ovOther.metrics)}`);
  // Every measured endpoint starts without cache entries, in the table or in the API's memory: its
  // first request pays for building them.
  await client.command({ query: `TRUNCATE TABLE ${DATABASE}.distinct_cache` });
  http = await startApi();
  log('distinct cache emptied, API restarted: "first" is the cold request that builds the entries of its range (docs/query.md)');

  const after = await measureAll(http, WARMUP, args.requests, 'measured');
  log(`\nlatency over HTTP, ${args.requests} sequential requests after ${WARMUP} warm-up, on merged rollups of ${fmtInt(args.events)} events (${http.connections} HTTP connection(s) in all):`);
  log(latencyTable(after, true));
  if (before !== undefined) {
    log(`\nbefore OPTIMIZE (${args.preRequests} requests each, after 3 warm-up; p99 of ${args.preRequests} is close to the max):`);
    log(latencyTable(before, false));
  }

  let live: { rate: number; rows: Measured[]; stats: LiveStats } | undefined;
  if (args.live > 0) {
    const writer = startLiveWriter({ client, database: DATABASE, changes: changes ?? createRollupChanges(), tenant: TENANT, rate: args.live, nowMs: NOW });
    await new Promise((r) => setTimeout(r, 3000));
    // Paced like dashboards polling, so that about one request in ten follows a write (back to back, a
    // second of writes would be spread over hundreds of requests and hide what a write costs a read).
    const rows = await measureAll(http, WARMUP, args.requests, `under a live stream of ${fmtInt(args.live)} events/s (one flush a second through the sink)`, (ep) => ep.target, LIVE_INTERVAL_MS);
    const stats = await writer.stop();
    live = { rate: args.live, rows, stats };
    log(`\nlatency over HTTP under the live stream (${stats.writes} flushes, ${fmtInt(stats.events)} events; a flush took p50 ${ms(stats.flush.p50)} / p99 ${ms(stats.flush.p99)} ms):`);
    log(latencyTable(rows, true));
  }

  const profiles: ProfileResult[] = [];
  if (args.profile > 0) {
    const floorStats = await floor(client, args.profile);
    for (const c of PROFILE_CASES) {
      const ep = endpoints().find((e) => e.key === c.key);
      if (ep === undefined) throw new Error(`no endpoint ${c.key}`);
      const h = http;
      const url = h.url(ep);
      profiles.push(await profileCase(client, query, DATABASE, TENANT, NOW, c, args.profile, () => h.once(url), changes));
    }
    printProfile(profiles, floorStats);
  }

  const end = machine();
  log(`\nload average at the end: ${end.load.join(', ')} (${end.nproc} CPUs)`);
  const targets = after.filter((x) => x.ep.target);
  const met = targets.every((x) => x.s.p99 < TARGET_P99_MS);
  log(`target p99 < ${TARGET_P99_MS} ms for overview, gates, dashboard: ${met ? 'met' : 'NOT met'} (${targets.map((x) => `${x.ep.key} ${ms(x.s.p99)}`).join(', ')})`);
  if (live !== undefined) {
    const liveMet = live.rows.every((x) => x.s.p99 < TARGET_P99_MS);
    log(`under the live stream: ${liveMet ? 'met' : 'NOT met'} (${live.rows.map((x) => `${x.ep.key} ${ms(x.s.p99)}`).join(', ')})`);
  }

  await app?.close();
  await client.close();
  const json = {
    events: args.events,
    requests: args.requests,
    seed: args.seed,
    settled_blocks: args.blocks,
    endpoints: Object.fromEntries(after.map((x) => [x.ep.key, { first_ms: round2(x.firstMs), p50_ms: round2(x.s.p50), p99_ms: round2(x.s.p99), max_ms: round2(x.s.max), steal_pct: x.stealPct, gc_max_ms: round2(x.gc.maxMs) }])),
    ...(before !== undefined
      ? { before_optimize: Object.fromEntries(before.map((x) => [x.ep.key, { p50_ms: round2(x.s.p50), p99_ms: round2(x.s.p99) }])) }
      : {}),
    ...(profiles.length > 0
      ? {
          profile_engine_ms: Object.fromEntries(profiles.map((p) => [p.label, { p50: round2(p.load.engine.p50), p99: round2(p.load.engine.p99) }])),
        }
      : {}),
    ...(live !== undefined
      ? {
          live: {
            events_per_second: live.rate, flushes: live.stats.writes, flush_p50_ms: round2(live.stats.flush.p50), flush_p99_ms: round2(live.stats.flush.p99),
            endpoints: Object.fromEntries(live.rows.map((x) => [x.ep.key, { p50_ms: round2(x.s.p50), p99_ms: round2(x.s.p99), max_ms: round2(x.s.max), steal_pct: x.stealPct }])),
          },
        }
      : {}),
    target_p99_ms: TARGET_P99_MS,
    target_met: met,
    build_seconds: round2(built.build_seconds),
    optimize_seconds: round2(built.optimize_seconds),
    rows: Object.fromEntries(stats.map((s) => [s.table, s.rows])),
    machine: { nproc: m.nproc, load_start: m.load, load_end: end.load },
  };
  console.log(JSON.stringify(json));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
