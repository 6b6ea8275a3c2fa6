import { describe, expect, it } from 'vitest';
import { eventSchemaText, getEventType, toAvroRecord } from '../../../src/contract/avro.js';
import { frame, schemaIdOf } from '../../../src/contract/wire.js';
import { validateEvent } from '../../../src/contract/validate.js';
import { Decoder } from '../../../src/decode/decoder.js';
import { UnknownSchemaError } from '../../../src/decode/registry-client.js';
import { sampleEvent } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);

describe('schemaIdOf', () => {
  it('reads the 4-byte big-endian id after the magic byte, without slicing', () => {
    expect(schemaIdOf(frame(7, Buffer.from([1, 2])))).toBe(7);
    expect(schemaIdOf(frame(0xfffffffe, Buffer.alloc(0)))).toBe(0xfffffffe);
    expect(schemaIdOf(frame(0x01020304, Buffer.alloc(0)))).toBe(0x01020304);
    expect(schemaIdOf(Buffer.from([1, 0, 0, 0, 7]))).toBeUndefined();
    expect(schemaIdOf(Buffer.from([0, 0, 0, 7]))).toBeUndefined();
  });
});

describe('Decoder.decode', () => {
  const source = {
    schemaText: async (id: number) => {
      if (id === 1) return eventSchemaText();
      throw new UnknownSchemaError(id);
    },
  };
  const body = getEventType().toBuffer(toAvroRecord(sampleEvent('gate.evaluated', NOW)));

  it('hands avsc record to the validator; the event comes out as produced', async () => {
    const d = new Decoder(source, () => NOW);
    const value = frame(1, body);
    await d.prepare([value, null, Buffer.from('nope')]);
    const r = d.decode(value);
    expect(r.ok && r.schemaId).toBe(1);
    expect(r.ok && validateEvent(r.raw, NOW)).toStrictEqual({ ok: true, event: sampleEvent('gate.evaluated', NOW) });
  });

  it('a truncated body, bytes after the record, no frame and an unknown id are rejected per message', async () => {
    const d = new Decoder(source, () => NOW);
    const values = [frame(1, body.subarray(0, body.length - 3)), frame(1, Buffer.concat([body, Buffer.from([0])])), Buffer.from([9, 9]), frame(5, body)];
    await d.prepare(values);
    expect(values.map((v) => d.decode(v))).toEqual([
      { ok: false, reason: 'decode_error', detail: 'Avro body does not decode with schema id 1' },
      { ok: false, reason: 'decode_error', detail: 'Avro body does not decode with schema id 1' },
      { ok: false, reason: 'not_avro', detail: 'value is not in the Confluent wire format (magic byte 0 + schema id)' },
      { ok: false, reason: 'unknown_schema', detail: 'schema id 5 is not in the registry' },
    ]);
  });

  it('an id that was not prepared is a programming error', () => {
    expect(() => new Decoder(source).decode(frame(1, body))).toThrow('schema id 1 was not prepared');
  });
});
