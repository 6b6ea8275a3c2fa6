/**
 * The validator's compiled path for avsc records of the contract schema (what the decoder hands over) must
 * answer exactly as its general path over a plain object with the same keys in the same order.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_NAMES } from '../../../src/contract/catalog.js';
import { getEventType, toAvroRecord } from '../../../src/contract/avro.js';
import { validateEvent } from '../../../src/contract/validate.js';
import { sampleEvent } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);
const type = getEventType();

/** An avsc record (the generated class) of a valid event, as the decoder produces it. */
function decoded(name: (typeof EVENT_NAMES)[number]): Record<string, unknown> {
  return type.fromBuffer(type.toBuffer(toAvroRecord(sampleEvent(name, NOW)))) as Record<string, unknown>;
}

/** The same keys and values in a plain object: the general path. */
const plain = (rec: Record<string, unknown>): Record<string, unknown> => ({ ...rec });

const BAD_VALUES: unknown[] = [
  '', 'x', 'message.received', 'not.an.event', 0, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.NaN, true, false,
  '2026-11-21T10:00:00Z', '2026-11-21T10:00:00', '2099-01-01T00:00:00Z', NOW + 365 * 86_400_000, {}, [], [{}],
  [{ gate: 'grounding', passed: true }], [{ gate: 'nope', passed: true }], [{ gate: 'grounding' }], [{ passed: 'yes', gate: 'grounding' }],
];

describe('validateEvent on avsc records (the compiled path)', () => {
  it('takes records of the contract schema: valid events come out as from a plain object', () => {
    for (const name of EVENT_NAMES) {
      const rec = decoded(name);
      expect(rec.constructor).toBe((type as unknown as { recordConstructor: unknown }).recordConstructor);
      const r = validateEvent(rec, NOW);
      expect(r, name).toStrictEqual(validateEvent(plain(rec), NOW));
      expect(r, name).toStrictEqual({ ok: true, event: sampleEvent(name, NOW) });
    }
  });

  it('answers every broken field exactly as the general path (reason, detail, output)', () => {
    let compared = 0;
    for (const name of EVENT_NAMES) {
      const fields = Object.keys(decoded(name));
      for (const field of fields) {
        for (const value of [...BAD_VALUES, null]) {
          const rec = decoded(name);
          rec[field] = value;
          expect(validateEvent(rec, NOW), `${name} ${field}=${JSON.stringify(value)}`).toStrictEqual(validateEvent(plain(rec), NOW));
          compared++;
        }
      }
      // Two problems at once: the priority between them is the same too.
      const rec = decoded(name);
      rec['timestamp'] = 'bad';
      rec['org_id'] = '';
      rec['event_id'] = null;
      expect(validateEvent(rec, NOW)).toStrictEqual(validateEvent(plain(rec), NOW));
    }
    expect(compared).toBe(EVENT_NAMES.length * Object.keys(decoded(EVENT_NAMES[0]!)).length * (BAD_VALUES.length + 1));
  });

  it('a gate check carrying a key outside the contract is refused on both paths', () => {
    const rec = decoded('gate.evaluated');
    const gates = rec['gates'] as Array<Record<string, unknown>>;
    const other = { ...gates[0]!, email: 'someone@example.com' };
    rec['gates'] = [other];
    const r = validateEvent(rec, NOW);
    expect(r).toStrictEqual(validateEvent(plain(rec), NOW));
    expect(r).toStrictEqual({ ok: false, reason: 'unknown_field', detail: 'field "gates[0].email" is not in the contract' });
  });
});
