import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchemaText, toAvroRecord } from '../../src/contract/avro.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { frame } from '../../src/contract/wire.js';
import { DLQ_HEADERS } from '../../src/pipeline/dead-letter.js';
import type { IngestWorker } from '../../src/worker/ingest-worker.js';
import { capturedLogger, encodeEvent, encodeWith, readTopic, registerSchema, runIngestWorker, waitFor } from '../support/ingest.js';
import { sampleEvents } from '../support/sample-events.js';
import { createTopic, testKafka, uniqueName } from '../support/services.js';

/**
 * Contract 4.4: every bad-input class lands in the dead-letter topic with its reason, the original
 * bytes and its source coordinates, while every valid neighbour is decoded; and no log line carries a
 * field value (a planted marker).
 */
const MARKER = 'MARKER-7d1e5c-do-not-log';
const DAY = 86_400_000;

function withField(schemaText: string, field: object): object {
  const s = JSON.parse(schemaText) as { fields: object[] };
  return { ...s, fields: [...s.fields, field] };
}

describe('dead-letter topic', () => {
  const topic = uniqueName('dlq-src');
  const dlq = `${topic}.dlq`;
  const logs = capturedLogger();
  let worker: IngestWorker | undefined;

  beforeAll(async () => {
    await createTopic(topic, 1);
    await createTopic(dlq, 1);
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('routes each bad-input class with its reason and keeps every valid neighbour', async () => {
    const now = Date.now();
    const valid = sampleEvents(now).map((e, i) => ({ ...e, user_id: `${MARKER}-${i}` }));
    const id = await registerSchema(`${topic}-value`, eventSchemaText());
    // Writer schemas of misbehaving producers, each under its own subject.
    const loose = JSON.parse(eventSchemaText()) as { fields: Array<{ name: string; type: unknown; default?: unknown }> };
    loose.fields = loose.fields.map((f) => (f.name === 'org_id' ? { name: 'org_id', type: ['null', 'string'], default: null } : f));
    const looseId = await registerSchema(`${topic}-loose`, loose);
    const pii = withField(eventSchemaText(), { name: 'email', type: ['null', 'string'], default: null });
    const piiId = await registerSchema(`${topic}-pii`, pii);

    const base = valid[0] as AnalyticsEvent;
    const bad: Array<{ reason: string; value: Buffer }> = [
      { reason: 'not_avro', value: Buffer.from(`{"event":"kb.created","user_id":"${MARKER}"}`) },
      { reason: 'unknown_schema', value: frame(2_000_000_001, encodeEvent(id, base).subarray(5)) },
      { reason: 'missing_field', value: encodeWith(loose, looseId, { ...toAvroRecord(base), org_id: null }) },
      { reason: 'unknown_event', value: encodeEvent(id, { ...base, event: 'kb.deleted' as AnalyticsEvent['event'] }) },
      { reason: 'unknown_field', value: encodeWith(pii, piiId, { ...toAvroRecord(base), email: `${MARKER}@example.com` }) },
      { reason: 'future_timestamp', value: encodeEvent(id, { ...base, timestamp: now + 8 * DAY }) },
      { reason: 'decode_error', value: frame(id, Buffer.from([0x02, 0x41])) },
    ];
    // Interleave: valid, bad, valid, bad, ... then the rest of the valid ones.
    const messages: Array<{ key: string; value: Buffer }> = [];
    const expectedValid: AnalyticsEvent[] = [];
    let v = 0;
    for (const b of bad) {
      const e = valid[v++] as AnalyticsEvent;
      expectedValid.push(e);
      messages.push({ key: e.org_id, value: encodeEvent(id, e) });
      messages.push({ key: `bad-${b.reason}`, value: b.value });
    }
    for (; v < valid.length; v++) {
      const e = valid[v] as AnalyticsEvent;
      expectedValid.push(e);
      messages.push({ key: e.org_id, value: encodeEvent(id, e) });
    }
    const producer = testKafka().producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();

    const run = await runIngestWorker(topic, dlq, logs.logger);
    worker = run.worker;
    await waitFor(() => run.events.length >= expectedValid.length, 60_000, 'valid events');
    const dead = await readTopic(dlq, bad.length);

    expect(run.events.map((d) => d.event)).toEqual(expectedValid);
    const byKey = new Map(dead.map((m) => [m.key?.toString(), m]));
    expect(dead).toHaveLength(bad.length);
    for (const [i, b] of bad.entries()) {
      const m = byKey.get(`bad-${b.reason}`);
      expect(m, b.reason).toBeDefined();
      const h = (name: string) => m?.headers?.[name]?.toString();
      expect(h(DLQ_HEADERS.reason)).toBe(b.reason);
      expect(Buffer.compare(m?.value as Buffer, b.value)).toBe(0);
      expect(h(DLQ_HEADERS.topic)).toBe(topic);
      expect(h(DLQ_HEADERS.partition)).toBe('0');
      expect(h(DLQ_HEADERS.offset)).toBe(String(2 * i + 1));
      expect(Number(h(DLQ_HEADERS.timestamp))).toBeGreaterThan(now - 60_000);
      expect(h(DLQ_HEADERS.detail)?.length).toBeGreaterThan(0);
      expect(h(DLQ_HEADERS.detail)).not.toContain(MARKER);
    }
    const metrics = await run.worker.metrics.registry.getSingleMetricAsString('rollups_events_dead_lettered_total');
    for (const b of bad) expect(metrics).toContain(`rollups_events_dead_lettered_total{reason="${b.reason}"} 1`);
    expect(metrics).toContain('rollups_events_dead_lettered_total{reason="too_late"} 0');

    // The worker logged what it did (dead letters by reason) and never a field value.
    expect(logs.lines.some((l) => l.includes('records dead-lettered'))).toBe(true);
    expect(logs.lines.join('')).not.toContain(MARKER);
  });
});
