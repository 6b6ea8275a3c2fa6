import { describe, expect, it } from 'vitest';
import { eventSchemaText } from '../../src/contract/avro.js';
import { REJECT_REASONS } from '../../src/contract/catalog.js';
import { Decoder } from '../../src/decode/decoder.js';
import { createRegistrySource } from '../../src/decode/registry-client.js';
import { frame } from '../../src/contract/wire.js';
import { createDecodeStep } from '../../src/pipeline/decode-step.js';
import { createIngestStep } from '../../src/pipeline/ingest.js';
import type { SourceMessage } from '../../src/pipeline/types.js';
import { createValidateStep } from '../../src/pipeline/validate-step.js';
import { mulberry32 } from '../support/generator.js';
import { encodeEvent, registerSchema } from '../support/ingest.js';
import { sampleEvents } from '../support/sample-events.js';
import { services, uniqueName } from '../support/services.js';

/**
 * 12,000 random and mutated records through the real decode (schemas from the real registry) and
 * validate stages: nothing throws, and every record gets exactly one outcome.
 */
describe('decode + validate fuzz', () => {
  it('gives every one of 12,000 hostile records exactly one outcome', async () => {
    const subject = uniqueName('fuzz');
    const id = await registerSchema(`${subject}-value`, eventSchemaText());
    const now = Date.now();
    const valid = sampleEvents(now).map((e) => encodeEvent(id, e));
    const rnd = mulberry32(20261121);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    const schemaIds = [id, id, id, 2_000_000_000 + Math.floor(rnd() * 1000), 0];

    function mutate(buf: Buffer): Buffer {
      const b = Buffer.from(buf);
      switch (Math.floor(rnd() * 7)) {
        case 0: // flip bits in the body
          for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) {
            const at = 5 + Math.floor(rnd() * Math.max(1, b.length - 5));
            if (at < b.length) b[at] = (b[at] as number) ^ (1 << Math.floor(rnd() * 8));
          }
          return b;
        case 1: // truncate
          return b.subarray(0, Math.floor(rnd() * b.length));
        case 2: // trailing garbage
          return Buffer.concat([b, randomBytes(1 + Math.floor(rnd() * 8))]);
        case 3: // another schema id
          b.writeUInt32BE(pick(schemaIds), 1);
          return b;
        case 4: // wrong magic byte
          b[0] = 1 + Math.floor(rnd() * 255);
          return b;
        case 5: // random body behind a valid header
          return frame(id, randomBytes(Math.floor(rnd() * 120)));
        default: // overwrite a run of bytes
          {
            const at = Math.floor(rnd() * b.length);
            randomBytes(Math.min(6, b.length - at)).copy(b, at);
          }
          return b;
      }
    }

    const messages: SourceMessage[] = [];
    for (let i = 0; i < 12_000; i++) {
      const r = rnd();
      const value = r < 0.15 ? pick(valid) : r < 0.3 ? randomBytes(Math.floor(rnd() * 200)) : r < 0.32 ? null : mutate(pick(valid));
      messages.push({ topic: 'fuzz', partition: 0, offset: String(i), key: null, value, timestamp: String(now) });
    }

    const decoder = new Decoder(createRegistrySource(services().registryUrl));
    const ingest = createIngestStep({ decode: createDecodeStep({ decoder }), validate: createValidateStep({ now: () => now }) });
    const outcome = new Map<string, string>();
    for (let i = 0; i < messages.length; i += 500) {
      const batch = messages.slice(i, i + 500);
      const r = await ingest(batch);
      for (const e of r.events) {
        expect(outcome.has(e.message.offset)).toBe(false);
        outcome.set(e.message.offset, 'ok');
      }
      for (const d of r.deadLetters) {
        expect(outcome.has(d.message.offset)).toBe(false);
        expect(REJECT_REASONS).toContain(d.reason);
        outcome.set(d.message.offset, d.reason);
      }
      expect(r.events.length + r.deadLetters.length + r.dropped).toBe(batch.length);
      for (const m of batch) if (m.value === null) outcome.set(m.offset, 'drop');
    }
    expect(outcome.size).toBe(messages.length);
    const counts: Record<string, number> = {};
    for (const o of outcome.values()) counts[o] = (counts[o] ?? 0) + 1;
    // Every untouched valid record decoded; the hostile ones spread over several reasons.
    const untouched = messages.filter((m) => m.value !== null && valid.includes(m.value)).length;
    expect(counts.ok).toBeGreaterThanOrEqual(untouched);
    expect(counts.not_avro).toBeGreaterThan(0);
    expect(counts.unknown_schema).toBeGreaterThan(0);
    expect(counts.decode_error).toBeGreaterThan(0);
    expect(counts.drop).toBe(messages.filter((m) => m.value === null).length);
  });
});
