import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { secretKey } from '../../src/api/auth.js';
import { mintToken } from '../../src/api/token.js';
import { DEV_SECRET } from '../../src/config/schema.js';
import { createEventProducer } from '../../src/producer/index.js';
import { freePort, runCli } from '../support/cli.js';
import { generateEvents } from '../support/generator.js';
import { groundTruth } from '../support/ground-truth.js';
import { waitFor } from '../support/ingest.js';
import { createTopic, services, uniqueName } from '../support/services.js';
import { spawnWorker, type RunningWorker, type WorkerEnv } from '../support/worker-process.js';

/**
 * The read API's commands as a user runs them, each in its own process: `rollups token` mints a token
 * that verifies with the secret; `rollups api` serves the embedded engine (and a second process on the
 * same directory is told to use `rollups run`); `rollups run` is the worker and the API in one process
 * over one embedded engine: events produced to Kafka come out of the API exactly, and SIGTERM stops both.
 */
const SECRET = 'api-cli-test-secret-0123456789abcdef';
const MIN = 60_000;
const P = '/api/tenants/me/analytics';

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const answers = async (url: string, init?: RequestInit): Promise<Response | undefined> => {
  const r = await fetch(url, init);
  return r.ok ? r : undefined;
};

const closed = async (url: string): Promise<boolean> => fetch(url).then(() => false, () => true);

describe('rollups token', () => {
  it('prints a token that verifies with API_JWT_SECRET and carries org_id, workspace_id and the lifetime asked for', async () => {
    const r = await runCli(['token', '--org', 'org-7', '--ttl', '2h', '--workspace', 'ws-3'], { API_JWT_SECRET: SECRET });
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    expect(r.stderr).toMatch(/org org-7, workspace ws-3, expires 20\d\d-/);
    expect(r.stderr).not.toMatch(/development secret/);
    const { payload, protectedHeader } = await jwtVerify(token, secretKey(SECRET), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload.org_id).toBe('org-7');
    expect(payload.workspace_id).toBe('ws-3');
    expect(payload.exp! - payload.iat!).toBe(7200);
    expect(Math.abs(payload.iat! * 1000 - Date.now())).toBeLessThan(60_000);
    await expect(jwtVerify(token, secretKey('another-secret-0123456789abcdef'))).rejects.toThrow();
  });

  it('defaults to 1 hour and the development secret (and says so)', async () => {
    const r = await runCli(['token', '--org', 'org-1'], { API_JWT_SECRET: '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/built-in development secret/);
    const { payload } = await jwtVerify(r.stdout.trim(), secretKey(DEV_SECRET));
    expect(payload).toMatchObject({ org_id: 'org-1' });
    expect(payload.workspace_id).toBeUndefined();
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it.each([
    [[], /--org is required/],
    [['--org', 'org-1', '--ttl', '1w'], /--ttl "1w"/],
    [['--org', 'org-1', '--ttl', '400d'], /at most 366d/],
    [['--org', 'org-1', '--admin'], /--admin/],
    [['--org', 'org-1', 'extra'], /extra/],
  ])('refuses %j with exit code 2 and the usage', async (args, message) => {
    const r = await runCli(['token', ...args], { API_JWT_SECRET: SECRET });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: rollups token --org ID [--ttl 1h] [--workspace W]');
  });
});

describe('rollups api and rollups run', () => {
  const dirs: string[] = [];
  const running: RunningWorker[] = [];
  afterAll(() => {
    for (const r of running) r.child.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function setup(prefix: string, env: Record<string, string>): WorkerEnv {
    const topic = uniqueName(prefix);
    const w: WorkerEnv = {
      topic,
      dlqTopic: `${topic}.dlq`,
      groupId: uniqueName(`${prefix}-group`),
      database: uniqueName(prefix),
      clickhousePath: resolve('.data/test', uniqueName(`${prefix}-ch`)),
      metricsPort: 0,
      env,
    };
    dirs.push(w.clickhousePath);
    return w;
  }
  function start(w: WorkerEnv, command: 'api' | 'run'): RunningWorker {
    const r = spawnWorker(w, command);
    running.push(r);
    return r;
  }

  it('rollups api: serves the configured ClickHouse with a loud warning on the dev secret; SIGTERM exits 0', async () => {
    const apiPort = await freePort();
    const w = setup('apicli', { API_PORT: String(apiPort), API_JWT_SECRET: '' });
    w.metricsPort = await freePort();
    const env = { CLICKHOUSE_PATH: w.clickhousePath, CLICKHOUSE_DATABASE: w.database, API_JWT_SECRET: '' };
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const api = start(w, 'api');
    const base = `http://127.0.0.1:${apiPort}`;
    await until('the API to answer /healthz', () => answers(`${base}/healthz`));
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ok' });
    expect(api.output()).toMatch(/"level":40.*API_JWT_SECRET is the built-in development secret/);
    const token = await mintToken({ secret: DEV_SECRET, orgId: 'org-1', ttlSeconds: 60 });
    const r = await fetch(`${base}${P}/overview?period=7d`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { metrics: { totalMessages: number } }).metrics.totalMessages).toBe(0);
    expect(api.output()).toContain('"reqId"');
    expect(api.output()).not.toContain(token.split('.')[2]!);

    if (!services().clickhouseUrl) {
      // The embedded engine has one owner: a second process on the same directory says what to do.
      const second = await runCli(['api'], { ...env, API_PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/rollups api: the embedded ClickHouse at .* cannot be opened/);
      expect(second.stderr).toContain('`rollups run`');
      expect(second.stderr).toContain('CLICKHOUSE_URL');
    }
    // the port is taken: one clear line
    const other = { ...env, CLICKHOUSE_PATH: resolve('.data/test', uniqueName('apicli-other')) };
    dirs.push(other.CLICKHOUSE_PATH);
    expect((await runCli(['migrate'], other)).code).toBe(0);
    const taken = await runCli(['api'], { ...other, API_PORT: String(apiPort) });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`rollups api: API_PORT=${apiPort} is already in use by another process`);

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await closed(`${base}/healthz`)).toBe(true);
  });

  it('rollups run: worker and API in one process; produced events come out of the API exactly; SIGTERM stops both', { timeout: 240_000 }, async () => {
    const apiPort = await freePort();
    const w = setup('runcli', { API_PORT: String(apiPort), API_JWT_SECRET: SECRET });
    w.metricsPort = await freePort();
    await createTopic(w.topic, 2);
    await createTopic(w.dlqTopic, 1);
    const run = start(w, 'run');
    const base = `http://127.0.0.1:${apiPort}`;
    await until('the API to answer /healthz', () => answers(`${base}/healthz`));
    await waitFor(() => run.output().includes('joined the consumer group'), 90_000, 'the worker to join its group');
    await until('the worker to be ready', () => answers(`http://127.0.0.1:${w.metricsPort}/readyz`));
    expect(run.output()).not.toMatch(/development secret/);

    const now = Date.now();
    const events = generateEvents({ seed: 31, tenants: 2, workspacesPerTenant: 2, days: 0.8, startMs: now - 20 * 3_600_000, count: 4000 });
    const producer = createEventProducer({ brokers: services().brokers, registryUrl: services().registryUrl, topic: w.topic });
    await producer.connect();
    try {
      expect((await producer.send(events)).rejected).toEqual([]);
    } finally {
      await producer.disconnect();
    }

    const fromMs = Math.floor(Math.min(...events.map((e) => e.timestamp)) / MIN) * MIN;
    const toMs = (Math.floor(Math.max(...events.map((e) => e.timestamp)) / MIN) + 1) * MIN;
    const range = `from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;
    for (const org of [...new Set(events.map((e) => e.org_id))]) {
      const token = await mintToken({ secret: SECRET, orgId: org, ttlSeconds: 600 });
      const want = groundTruth(events, { org_id: org, fromMs, toMs });
      const get = async (path: string) => (await fetch(`${base}${P}/${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
      await until(`${org}'s events to reach the API`, async () => {
        const o = (await get(`overview?${range}`)) as { metrics: { totalMessages: number } };
        return o.metrics.totalMessages === want.overview.totalMessages ? o : undefined;
      });
      expect(await get(`overview?${range}`)).toMatchObject({ period: 'custom', metrics: want.overview });
      expect(await get(`gates?${range}`)).toEqual({ period: 'custom', ...want.gates });
      expect(await get(`dashboard?${range}`)).toEqual({ period: 'custom', ...want.dashboard });
    }

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('stopped cleanly');
    expect(await closed(`${base}/healthz`)).toBe(true);
    expect(await closed(`http://127.0.0.1:${w.metricsPort}/healthz`)).toBe(true);
  });
});
