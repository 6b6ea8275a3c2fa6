import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchemaText, toAvroRecord } from '../../src/contract/avro.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import type { IngestWorker } from '../../src/worker/ingest-worker.js';
import { capturedLogger, encodeWith, readTopic, registerSchema, runIngestWorker, waitFor } from '../support/ingest.js';
import { sampleEvents } from '../support/sample-events.js';
import { createTopic, services, testKafka, uniqueName } from '../support/services.js';

/**
 * Schema evolution under BACKWARD compatibility: records written with an older (v1) and the current
 * (v2) schema on one topic both decode into the worker's reader schema; a newer writer (v3) with a
 * field outside the contract decodes when the field is empty and is refused by the PII guard when it
 * carries a value; an incompatible change is refused by the registry.
 */
type AvroSchema = { fields: Array<{ name: string; type: unknown; default?: unknown }> } & Record<string, unknown>;
const OLDER_FIELDS = ['resolution_path', 'handoff_target', 'previous_signal_type'];

describe('schema evolution', () => {
  const topic = uniqueName('evolve');
  const subject = `${topic}-value`;
  let worker: IngestWorker | undefined;

  beforeAll(async () => {
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    const res = await fetch(`${services().registryUrl}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('decodes v1 and v2 records from one topic, guards v3 extras, refuses incompatible changes', async () => {
    const v2 = JSON.parse(eventSchemaText()) as AvroSchema;
    const v1: AvroSchema = { ...v2, fields: v2.fields.filter((f) => !OLDER_FIELDS.includes(f.name)) };
    const v3: AvroSchema = { ...v2, fields: [...v2.fields, { name: 'locale', type: ['null', 'string'], default: null }] };
    const id1 = await registerSchema(subject, v1);
    const id2 = await registerSchema(subject, v2);
    const id3 = await registerSchema(subject, v3);
    expect(new Set([id1, id2, id3]).size).toBe(3);

    const incompatible: AvroSchema = { ...v2, fields: v2.fields.map((f) => (f.name === 'org_id' ? { name: 'org_id', type: 'int' } : f)) };
    await expect(registerSchema(subject, incompatible)).rejects.toThrow();

    const now = Date.now();
    const events = sampleEvents(now);
    const older = events.map((e) => {
      const copy = { ...e } as Record<string, unknown>;
      for (const f of OLDER_FIELDS) delete copy[f];
      return copy as unknown as AnalyticsEvent;
    });
    const project = (rec: Record<string, unknown>, schema: AvroSchema) => Object.fromEntries(schema.fields.map((f) => [f.name, rec[f.name] ?? null]));
    const messages = [
      ...older.map((e) => ({ key: e.org_id, value: encodeWith(v1, id1, project(toAvroRecord(e), v1)) })),
      ...events.map((e) => ({ key: e.org_id, value: encodeWith(v2, id2, toAvroRecord(e)) })),
      ...events.map((e) => ({ key: e.org_id, value: encodeWith(v3, id3, { ...toAvroRecord(e), locale: null }) })),
      { key: 'v3-with-locale', value: encodeWith(v3, id3, { ...toAvroRecord(events[0] as AnalyticsEvent), locale: 'vi-VN' }) },
    ];
    const producer = testKafka().producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();

    const run = await runIngestWorker(topic, `${topic}.dlq`, capturedLogger().logger);
    worker = run.worker;
    const expected = [...older, ...events, ...events];
    await waitFor(() => run.events.length >= expected.length, 60_000, 'decoded events');
    expect(run.events.map((d) => d.event)).toEqual(expected);
    expect(older.some((e, i) => JSON.stringify(e) !== JSON.stringify(events[i]))).toBe(true);

    const dead = await readTopic(`${topic}.dlq`, 1);
    expect(dead.map((m) => [m.key?.toString(), m.headers?.['x-dlq-reason']?.toString()])).toEqual([['v3-with-locale', 'unknown_field']]);
  });
});
