import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from '../support/cli.js';
import { uniqueName } from '../support/services.js';

/** Counts live processes whose command line carries the stack's marker for this directory. */
function countProcesses(marker: string): number {
  try {
    return Number(execFileSync('pgrep', ['-f', '-c', '--', marker], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

// A second, private stack (own directory, own ports) so this test never touches the one the other
// integration tests use.
describe('rollups stack up | down | status', async () => {
  const dir = resolve('.data/test', uniqueName('stack'));
  const env = {
    STACK_DIR: dir,
    STACK_KAFKA_PORT: String(await freePort()),
    STACK_CONTROLLER_PORT: String(await freePort()),
    STACK_REGISTRY_PORT: String(await freePort()),
    KAFKA_BROKERS: undefined,
    SCHEMA_REGISTRY_URL: undefined,
  };
  const kafkaMarker = `-Drollups.stack=kafka:${dir}`;
  const registryMarker = `-Drollups.stack=registry:${dir}`;

  afterAll(async () => {
    await runCli(['stack', 'down'], env);
    rmSync(dir, { recursive: true, force: true });
  });

  it('status tells the truth before anything runs', async () => {
    const r = await runCli(['stack', 'status'], env);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^kafka\s+stopped/m);
    expect(r.stdout).toMatch(/^registry\s+stopped/m);
  });

  it('up twice leaves exactly one broker and one registry', async () => {
    const first = await runCli(['stack', 'up'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`KAFKA_BROKERS=localhost:${env.STACK_KAFKA_PORT}`);
    expect(first.stdout).toContain(`SCHEMA_REGISTRY_URL=http://127.0.0.1:${env.STACK_REGISTRY_PORT}/apis/ccompat/v7`);
    const second = await runCli(['stack', 'up'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Kafka already running');
    expect(second.stdout).toContain('registry already running');
    expect(countProcesses(kafkaMarker)).toBe(1);
    expect(countProcesses(registryMarker)).toBe(1);
    const status = await runCli(['stack', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^kafka\s+running\s+pid \d+/m);
    expect(status.stdout).toMatch(/^registry\s+running\s+pid \d+/m);
  });

  it('down leaves none, and status says so', async () => {
    const down = await runCli(['stack', 'down'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^registry: stopped \(pid \d+\)$/m);
    expect(down.stdout).toMatch(/^kafka: stopped \(pid \d+\)$/m);
    expect(countProcesses(kafkaMarker)).toBe(0);
    expect(countProcesses(registryMarker)).toBe(0);
    const status = await runCli(['stack', 'status'], env);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/^kafka\s+stopped/m);
    const again = await runCli(['stack', 'down'], env);
    expect(again.stdout).toContain('kafka: not running');
  });
});
