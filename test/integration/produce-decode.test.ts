import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toJsonForm } from '../../src/contract/json.js';
import type { IngestWorker } from '../../src/worker/ingest-worker.js';
import { runCli } from '../support/cli.js';
import { capturedLogger, runIngestWorker, waitFor } from '../support/ingest.js';
import { sampleEvents } from '../support/sample-events.js';
import { createTopic, services, uniqueName } from '../support/services.js';

/** One event of every catalog type, as JSON, through `rollups produce` and out of the decode stage, equal field by field. */
describe('rollups produce → decode stage', () => {
  const topic = uniqueName('produce-decode');
  let worker: IngestWorker | undefined;

  afterAll(async () => {
    await worker?.stop();
  });

  it('round-trips every catalog type exactly', async () => {
    await createTopic(topic, 3);
    await createTopic(`${topic}.dlq`, 1);
    const events = sampleEvents(Date.now());
    const dir = mkdtempSync(join(tmpdir(), 'rollups-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, `${events.map((e) => JSON.stringify(toJsonForm(e))).join('\n')}\n`);

    const r = await runCli(['produce', '--file', file, '--topic', topic], {
      KAFKA_BROKERS: services().brokers.join(','),
      SCHEMA_REGISTRY_URL: services().registryUrl,
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe(`sent ${events.length}, rejected 0`);

    const run = await runIngestWorker(topic, `${topic}.dlq`, capturedLogger().logger);
    worker = run.worker;
    await waitFor(() => run.events.length >= events.length, 60_000, 'decoded events');
    const byId = new Map(run.events.map((d) => [d.event.event_id, d.event]));
    expect(byId.size).toBe(events.length);
    for (const e of events) expect(byId.get(e.event_id)).toEqual(e);
    // Keys follow contract 4.3: org_id:conversation_id, else org_id.
    for (const d of run.events) {
      const e = d.event;
      expect(d.message.key?.toString()).toBe(e.conversation_id ? `${e.org_id}:${e.conversation_id}` : e.org_id);
    }
  });
});
