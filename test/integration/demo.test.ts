import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLLUPS_BIN, freePort, runCli } from '../support/cli.js';
import { waitFor } from '../support/ingest.js';
import { uniqueName } from '../support/services.js';

/**
 * `rollups demo` as a newcomer runs it: its own stack (private directory and ports here, so the other
 * tests' stack is untouched), live numbers within a minute, a curl line that returns them, and Ctrl-C
 * stopping everything it started.
 */
describe('rollups demo', () => {
  const dir = resolve('.data/test', uniqueName('demo'));
  let env: NodeJS.ProcessEnv = {};

  afterAll(async () => {
    await runCli(['stack', 'down'], env);
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows live numbers, serves them through the printed curl line, and stops cleanly', { timeout: 300_000 }, async () => {
    const [kafka, controller, registry, api, metrics] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    env = {
      STACK_DIR: resolve(dir, 'stack'),
      STACK_KAFKA_PORT: String(kafka),
      STACK_CONTROLLER_PORT: String(controller),
      STACK_REGISTRY_PORT: String(registry),
      KAFKA_BROKERS: `localhost:${kafka}`,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registry}/apis/ccompat/v7`,
      CLICKHOUSE_PATH: resolve(dir, 'clickhouse'),
      API_PORT: String(api),
      METRICS_PORT: String(metrics),
    };
    delete process.env.CLICKHOUSE_URL;
    const child = spawn(process.execPath, [ROLLUPS_BIN, 'demo'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    await waitFor(() => /curl -s -H 'Authorization: Bearer [^']+' '[^']+'/.test(out), 240_000, 'the curl line');
    const started = Date.now();
    // A summary block whose first tenant already has messages.
    await waitFor(() => /org_acme\s+[1-9]\d*\s/.test(out), 60_000, 'live numbers');
    expect(Date.now() - started).toBeLessThan(60_000);

    const [, token, url] = /curl -s -H 'Authorization: Bearer ([^']+)' '([^']+)'/.exec(out) as RegExpExecArray;
    const res = await fetch(url as string, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { period: string; metrics: { totalMessages: number; totalConversations: number } };
    expect(body.period).toBe('today');
    expect(body.metrics.totalMessages).toBeGreaterThan(0);
    expect(body.metrics.totalConversations).toBeGreaterThan(0);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('demo stopped');
    const status = await runCli(['stack', 'status'], env);
    expect(status.stdout).toMatch(/^kafka\s+stopped/m);
    expect(status.stdout).toMatch(/^registry\s+stopped/m);
  });
});
