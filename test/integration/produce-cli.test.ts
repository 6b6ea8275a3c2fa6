import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avsc, { type Schema } from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromAvroRecord } from '../../src/contract/avro.js';
import { toJsonForm } from '../../src/contract/json.js';
import { validateEvent } from '../../src/contract/validate.js';
import { ROLLUPS_BIN, runCli } from '../support/cli.js';
import { sampleEvent, sampleEvents } from '../support/sample-events.js';
import { createTopic, services, testKafka, uniqueName } from '../support/services.js';

/**
 * `rollups produce` as a user runs it: a real process, a real topic, a real registry. Bad lines carry a
 * planted marker that must never be printed.
 */

const MARKER = 'PLANTED_MARKER_cl1P';
const PROGRESS = /^sent \d+, rejected \d+$/;

const env = (extra: Record<string, string> = {}) => ({
  KAFKA_BROKERS: services().brokers.join(','),
  SCHEMA_REGISTRY_URL: services().registryUrl,
  ...extra,
});

/** stderr without the progress lines a slow run may print. */
function report(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !PROGRESS.test(l));
}

async function messageCount(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** One line per catalog event (JSON form), and the bad lines at known places. */
function mixedFile(now: number): { text: string; expectedStderr: string[]; valid: number } {
  const lines = sampleEvents(now).map((e) => JSON.stringify(toJsonForm(e)));
  const received = toJsonForm(sampleEvent('message.received', now));
  const { user_id: _u, ...noUser } = toJsonForm(sampleEvent('escalation.created', now));
  // Inserted in ascending order, so each lands on the 1-based line number given.
  const bad: [number, string][] = [
    [3, `{"event":"message.received","org_id":"${MARKER}","customer_id":"${MARKER}"`],
    [8, JSON.stringify({ ...received, event: `${MARKER}.clicked` })],
    [12, ''],
    [15, JSON.stringify({ ...received, email: `${MARKER}@example.com` })],
    [22, JSON.stringify({ ...noUser, conversation_id: MARKER })],
    [30, JSON.stringify({ ...received, timestamp: '2099-01-01T00:00:00Z', customer_id: MARKER })],
  ];
  for (const [at, line] of bad) lines.splice(at - 1, 0, line);
  return {
    text: `${lines.join('\n')}\n`,
    valid: sampleEvents(now).length,
    expectedStderr: [
      'line 3: invalid_json: the line is not valid JSON',
      'line 8: unknown_event: field "event" is not a catalog event name',
      'line 15: unknown_field: field "email" is not in the contract',
      'line 22: missing_field: field "user_id" is required',
      'line 30: future_timestamp: field "timestamp" is more than 7 days ahead of the clock',
    ],
  };
}

describe('rollups produce', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollups-produce-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('a file with bad lines', () => {
    const topic = uniqueName('produce_cli');
    beforeAll(() => createTopic(topic, 3));

    it('sends the valid lines, reports each bad one by number and reason, exit 1', async () => {
      const now = Date.now();
      const { text, expectedStderr, valid } = mixedFile(now);
      expect(valid).toBe(31);
      const path = join(dir, 'mixed.ndjson');
      writeFileSync(path, text);

      const r = await runCli(['produce', '--file', path, '--topic', topic], env());
      expect(r.stdout).toBe('sent 31, rejected 5\n');
      expect(report(r.stderr)).toEqual(expectedStderr);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(MARKER);
      expect(await messageCount(topic)).toBe(31);

      // What landed decodes back to the sample events.
      const consumer = testKafka('rollups-test-reader').consumer({ groupId: uniqueName('reader') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const values: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              values.push(message.value!);
              if (values.length === 31) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      const ids = new Set(values.map((v) => v.readUInt32BE(1)));
      expect(ids.size).toBe(1);
      const res = await fetch(`${services().registryUrl}/schemas/ids/${[...ids][0]}`);
      const writer = avsc.Type.forSchema(JSON.parse(((await res.json()) as { schema: string }).schema) as Schema);
      const back = values.map((v) => {
        const out = validateEvent(fromAvroRecord(writer.fromBuffer(v.subarray(5)) as Record<string, unknown>), now);
        if (!out.ok) throw new Error(out.detail);
        return out.event;
      });
      const byId = (a: { event_id: string }, b: { event_id: string }) => a.event_id.localeCompare(b.event_id);
      expect(back.sort(byId)).toEqual(sampleEvents(now).sort(byId));
    });

    it('reads standard input with --file -', async () => {
      const now = Date.now();
      const { text, expectedStderr } = mixedFile(now);
      const r = await runCli(['produce', '--file', '-', '--topic', topic], env(), { input: text });
      expect(r.stdout).toBe('sent 31, rejected 5\n');
      expect(report(r.stderr)).toEqual(expectedStderr);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(MARKER);
      expect(await messageCount(topic)).toBe(62);
    });
  });

  it('a clean file exits 0, and --topic defaults to the first KAFKA_TOPICS entry', async () => {
    const topic = uniqueName('produce_clean');
    await createTopic(topic);
    const path = join(dir, 'clean.ndjson');
    // CRLF line ends and blank lines: still clean.
    writeFileSync(path, `${sampleEvents(Date.now()).map((e) => JSON.stringify(toJsonForm(e))).join('\r\n')}\r\n\r\n`);
    const r = await runCli(['produce', '--file', path], env({ KAFKA_TOPICS: `${topic},${uniqueName('other')}` }));
    expect(r.stdout).toBe('sent 31, rejected 0\n');
    expect(report(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(await messageCount(topic)).toBe(31);
  });

  it('an empty input sends nothing and exits 0', async () => {
    const topic = uniqueName('produce_empty');
    await createTopic(topic);
    const r = await runCli(['produce', '--file', '-', '--topic', topic], env(), { input: '' });
    expect(r.stdout).toBe('sent 0, rejected 0\n');
    expect(r.code).toBe(0);
  });

  it('a topic that does not exist is one clear line, exit 1, nothing created', async () => {
    const topic = uniqueName('produce_missing');
    const path = join(dir, 'one.ndjson');
    writeFileSync(path, `${JSON.stringify(toJsonForm(sampleEvent('tool.executed', Date.now())))}\n`);
    const r = await runCli(['produce', '--file', path, '--topic', topic], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `rollups produce: topic "${topic}" does not exist (the broker does not create topics on demand); ` +
        'create it, or run again with --create-topic to create it with 3 partitions\n',
    );
    const admin = testKafka().admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(topic);
    await admin.disconnect();
  });

  it('--create-topic creates a missing topic with 3 partitions', async () => {
    const topic = uniqueName('produce_create');
    const path = join(dir, 'create.ndjson');
    writeFileSync(path, `${sampleEvents(Date.now()).map((e) => JSON.stringify(toJsonForm(e))).join('\n')}\n`);
    const r = await runCli(['produce', '--file', path, '--topic', topic, '--create-topic'], env());
    expect(r.stdout).toBe('sent 31, rejected 0\n');
    expect(report(r.stderr)).toEqual([`created topic ${topic} (3 partitions)`]);
    expect(r.code).toBe(0);
    const admin = testKafka().admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(meta.topics[0]?.partitions).toHaveLength(3);
    expect(await messageCount(topic)).toBe(31);
  });

  it('usage and input errors', async () => {
    const noFile = await runCli(['produce'], env());
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toBe(
      'rollups produce: --file is required (a path, or - for standard input)\nusage: rollups produce --file F.ndjson [--topic T] [--create-topic]\n',
    );
    const missing = join(dir, 'nope.ndjson');
    const gone = await runCli(['produce', '--file', missing, '--topic', 'analytics-events'], env());
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`rollups produce: cannot read ${missing}: no such file\n`);
    const badTopic = await runCli(['produce', '--file', '-', '--topic', 'a topic'], env());
    expect(badTopic.code).toBe(2);
    expect(badTopic.stderr.split('\n')[0]).toBe('rollups produce: --topic "a topic" is not a valid Kafka topic name');
  });

  it('streams: lines are sent while the input is still open, with progress on stderr', async () => {
    const topic = uniqueName('produce_stream');
    await createTopic(topic);
    const now = Date.now();
    const line = (i: number) => JSON.stringify(toJsonForm({ ...sampleEvent('tool.executed', now), event_id: `stream-${i}` }));
    const child = spawn(process.execPath, [ROLLUPS_BIN, 'produce', '--file', '-', '--topic', topic], {
      env: { ...process.env, ...env() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    child.stdin.write(`${Array.from({ length: 10 }, (_, i) => line(i)).join('\n')}\n{"email":"${MARKER}"}\n`);
    // The ten events reach the topic and the progress line says so, before the input ends.
    const deadline = Date.now() + 60_000;
    while (!stderr.split('\n').includes('sent 10, rejected 1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stderr.split('\n')).toContain('sent 10, rejected 1');
    expect(await messageCount(topic)).toBe(10);
    expect(stdout).toBe('');

    child.stdin.end(`${Array.from({ length: 5 }, (_, i) => line(10 + i)).join('\n')}\n`);
    expect(await exited).toBe(1);
    expect(stdout).toBe('sent 15, rejected 1\n');
    expect(report(stderr)).toEqual(['line 11: unknown_field: field "email" is not in the contract']);
    expect(stdout + stderr).not.toContain(MARKER);
    expect(await messageCount(topic)).toBe(15);
  });
});
