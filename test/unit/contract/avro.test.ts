import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { FIELD_TYPES, ENVELOPE_REQUIRED } from '../../../src/contract/catalog.js';
import {
  CONTRACT_FIELD_NAMES,
  EVENT_RECORD_NAME,
  EVENT_SCHEMA_URL,
  eventSchemaText,
  extraWriterFields,
  extraWriterGateFields,
  fromAvroRecord,
  getEventType,
  loadEventSchema,
  toAvroRecord,
} from '../../../src/contract/avro.js';
import { validateEvent } from '../../../src/contract/validate.js';
import { sampleEvent, sampleEvents } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);

interface FieldSchema {
  name: string;
  type: unknown;
  default?: unknown;
}
interface RecordSchema {
  type: string;
  name: string;
  namespace?: string;
  doc?: string;
  fields: FieldSchema[];
}
const schema = () => loadEventSchema() as unknown as RecordSchema;

/** The schema with extra optional fields, as a newer producer might register it. */
function newerWriterSchema(extraTop: string[], extraGate: string[] = []): RecordSchema {
  const s = schema();
  for (const name of extraTop) s.fields.push({ name, type: ['null', 'string'], default: null });
  const gates = s.fields.find((f) => f.name === 'gates')!;
  const gateRecord = ((gates.type as unknown[])[1] as { items: RecordSchema }).items;
  for (const name of extraGate) gateRecord.fields.push({ name, type: ['null', 'string'], default: null });
  return s;
}

describe('avro/analytics-event.avsc', () => {
  it('is one record AnalyticsEvent in namespace ai.support.analytics, with a doc', () => {
    const s = schema();
    expect(s.type).toBe('record');
    expect(s.name).toBe('AnalyticsEvent');
    expect(s.namespace).toBe('ai.support.analytics');
    expect(s.doc).toMatch(/one subject/i);
    expect(getEventType().name).toBe(EVENT_RECORD_NAME);
  });

  it('has the envelope first, then every catalog field in catalog order', () => {
    expect(schema().fields.map((f) => f.name)).toEqual(Object.keys(FIELD_TYPES));
    expect(schema().fields.slice(0, 6).map((f) => f.name)).toEqual([...ENVELOPE_REQUIRED]);
    expect(new Set(schema().fields.map((f) => f.name))).toEqual(CONTRACT_FIELD_NAMES);
  });

  it('types the envelope: event a plain string (not an enum), timestamp a timestamp-millis long', () => {
    const byName = new Map(schema().fields.map((f) => [f.name, f]));
    for (const n of ['event', 'event_id', 'org_id', 'workspace_id', 'user_id']) {
      expect(byName.get(n)).toMatchObject({ type: 'string' });
      expect(byName.get(n)).not.toHaveProperty('default');
    }
    expect(byName.get('timestamp')!.type).toStrictEqual({ type: 'long', logicalType: 'timestamp-millis' });
  });

  it('makes every other field a ["null", T] union with default null, T following the catalog', () => {
    const avroOf: Record<string, string> = { string: 'string', long: 'long', int: 'int', boolean: 'boolean' };
    for (const f of schema().fields.slice(6)) {
      expect(f.default, f.name).toBeNull();
      const type = f.type as unknown[];
      expect(type[0], f.name).toBe('null');
      expect(type).toHaveLength(2);
      const catalogType = FIELD_TYPES[f.name as keyof typeof FIELD_TYPES].type;
      if (catalogType === 'gates') continue;
      expect(type[1], f.name).toBe(avroOf[catalogType]);
    }
  });

  it('types gates as an optional array of GateCheck records', () => {
    const gates = schema().fields.find((f) => f.name === 'gates')!;
    expect(gates.type).toStrictEqual([
      'null',
      {
        type: 'array',
        items: {
          type: 'record',
          name: 'GateCheck',
          doc: 'One quality-gate check of one reply attempt.',
          fields: [
            { name: 'gate', type: 'string', doc: 'repetition | hallucination | tone | relevance | length' },
            { name: 'passed', type: 'boolean' },
            { name: 'score', type: ['null', 'double'], default: null },
            { name: 'word_count', type: ['null', 'int'], default: null },
            { name: 'claims', type: ['null', { type: 'array', items: 'string' }], default: null },
            { name: 'banned_phrases', type: ['null', { type: 'array', items: 'string' }], default: null },
          ],
        },
      },
    ]);
  });

  it('is read from the file next to the package', () => {
    expect(EVENT_SCHEMA_URL.pathname.endsWith('/avro/analytics-event.avsc')).toBe(true);
    expect(eventSchemaText()).toBe(readFileSync(EVENT_SCHEMA_URL, 'utf8'));
    expect(loadEventSchema()).not.toBe(loadEventSchema());
    expect(getEventType()).toBe(getEventType());
  });
});

describe('toAvroRecord / fromAvroRecord', () => {
  it('round-trips every sample event through avsc', () => {
    const type = avsc.Type.forSchema(loadEventSchema());
    for (const e of sampleEvents(NOW)) {
      const buf = type.toBuffer(toAvroRecord(e));
      const decoded = type.fromBuffer(buf) as Record<string, unknown>;
      expect(validateEvent(fromAvroRecord(decoded), NOW), e.event).toStrictEqual({ ok: true, event: e });
    }
  });

  it('writes every schema field, absent ones as null, gate checks with all keys', () => {
    const rec = toAvroRecord(sampleEvent('gate.evaluated', NOW));
    expect(Object.keys(rec)).toEqual(Object.keys(FIELD_TYPES));
    expect(rec['tool_name']).toBeNull();
    expect(rec['customer_cohort']).toBeNull();
    expect((rec['gates'] as unknown[])[0]).toStrictEqual({
      gate: 'repetition', passed: true, score: 0.12, word_count: null, claims: null, banned_phrases: null,
    });
    expect(getEventType().isValid(rec)).toBe(true);
    expect(toAvroRecord(sampleEvent('kb.created', NOW))['gates']).toBeNull();
  });

  it('drops nulls, also inside gate checks, and keeps everything else', () => {
    expect(
      fromAvroRecord({
        event: 'gate.evaluated', org_id: 'o', channel_type: null, attempt: 1,
        gates: [{ gate: 'tone', passed: true, score: null, claims: null, note: 'x' }],
        email: 'a@b.c', other: null,
      }),
    ).toStrictEqual({
      event: 'gate.evaluated', org_id: 'o', attempt: 1, gates: [{ gate: 'tone', passed: true, note: 'x' }], email: 'a@b.c',
    });
  });

  it('lets an unknown event name decode, so it is dead-lettered as unknown_event', () => {
    const e = { ...sampleEvent('kb.created', NOW), event: 'kb.deleted' } as unknown as Parameters<typeof toAvroRecord>[0];
    const decoded = getEventType().fromBuffer(getEventType().toBuffer(toAvroRecord(e))) as Record<string, unknown>;
    expect(validateEvent(fromAvroRecord(decoded), NOW)).toStrictEqual({
      ok: false, reason: 'unknown_event', detail: 'field "event" is not a catalog event name',
    });
  });

  it('sees fields of a newer writer schema when decoding with the writer schema (PII guard)', () => {
    const writer = avsc.Type.forSchema(newerWriterSchema(['email'], ['reply_text']) as never);
    const base = toAvroRecord(sampleEvent('gate.evaluated', NOW));
    const withEmail = { ...base, email: 'jane@example.com' };
    const decoded = writer.fromBuffer(writer.toBuffer(withEmail)) as Record<string, unknown>;
    expect(validateEvent(fromAvroRecord(decoded), NOW)).toStrictEqual({
      ok: false, reason: 'unknown_field', detail: 'field "email" is not in the contract',
    });
    const gates = (base['gates'] as Record<string, unknown>[]).map((g): Record<string, unknown> => ({ ...g, reply_text: null }));
    gates[0]!['reply_text'] = 'Sure, we refund within 24h';
    const decoded2 = writer.fromBuffer(writer.toBuffer({ ...base, email: null, gates })) as Record<string, unknown>;
    expect(validateEvent(fromAvroRecord(decoded2), NOW)).toStrictEqual({
      ok: false, reason: 'unknown_field', detail: 'field "gates[0].reply_text" is not in the contract',
    });
  });
});

describe('schema evolution', () => {
  it('reads data of an older writer with fewer optional fields (BACKWARD)', () => {
    const older = schema();
    older.fields = older.fields.filter((f) => !['tool_name', 'duration_ms', 'resolution_path'].includes(f.name));
    const writer = avsc.Type.forSchema(older as never);
    const reader = getEventType();
    const resolver = reader.createResolver(writer);
    const e = sampleEvent('message.delivered', NOW);
    const rec = toAvroRecord(e);
    delete rec['tool_name'];
    delete rec['duration_ms'];
    delete rec['resolution_path'];
    const decoded = reader.fromBuffer(writer.toBuffer(rec), resolver) as Record<string, unknown>;
    expect(validateEvent(fromAvroRecord(decoded), NOW)).toStrictEqual({ ok: true, event: e });
  });

  it('a reader with the contract schema silently drops a newer writer’s fields: hence extraWriterFields', () => {
    const newer = newerWriterSchema(['email']);
    const writer = avsc.Type.forSchema(newer as never);
    const resolver = getEventType().createResolver(writer);
    const rec = { ...toAvroRecord(sampleEvent('kb.created', NOW)), email: 'jane@example.com' };
    const decoded = getEventType().fromBuffer(writer.toBuffer(rec), resolver) as Record<string, unknown>;
    expect('email' in decoded).toBe(false);
    expect(extraWriterFields(newer)).toEqual(['email']);
  });
});

describe('extraWriterFields / extraWriterGateFields', () => {
  it('finds nothing extra in the contract schema, in any form', () => {
    expect(extraWriterFields(loadEventSchema() as object)).toEqual([]);
    expect(extraWriterFields(eventSchemaText())).toEqual([]);
    expect(extraWriterFields(getEventType())).toEqual([]);
    expect(extraWriterGateFields(eventSchemaText())).toEqual([]);
  });

  it('lists the top-level fields a newer writer added, in schema order', () => {
    const newer = newerWriterSchema(['message_text', 'phone'], ['reply_text']);
    expect(extraWriterFields(newer)).toEqual(['message_text', 'phone']);
    expect(extraWriterFields(JSON.stringify(newer))).toEqual(['message_text', 'phone']);
    expect(extraWriterFields(avsc.Type.forSchema(newer as never))).toEqual(['message_text', 'phone']);
    expect(extraWriterGateFields(newer)).toEqual(['gates.reply_text']);
    expect(extraWriterGateFields(JSON.stringify(newer))).toEqual(['gates.reply_text']);
  });

  it('finds no fields in a schema that is not a record', () => {
    expect(extraWriterFields('"string"')).toEqual([]);
    expect(extraWriterFields({ type: 'array', items: 'string' })).toEqual([]);
    expect(extraWriterGateFields({ type: 'record', name: 'X', fields: [{ name: 'gates', type: 'string' }] })).toEqual([]);
  });

  it('CONTRACT_FIELD_NAMES is the catalog', () => {
    expect([...CONTRACT_FIELD_NAMES]).toEqual(Object.keys(FIELD_TYPES));
  });
});
