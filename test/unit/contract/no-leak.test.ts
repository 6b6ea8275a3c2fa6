import { describe, it, expect } from 'vitest';
import { REJECT_REASONS } from '../../../src/contract/catalog.js';
import { parseJsonLine } from '../../../src/contract/json.js';
import { fromAvroRecord } from '../../../src/contract/avro.js';
import { validateEvent, type ValidationResult } from '../../../src/contract/validate.js';
import { sampleEvent } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);
const MARKER = 'PLANTED_MARKER_q7Zx';

function variants(): Record<string, unknown>[] {
  const base = sampleEvent('gate.evaluated', NOW) as unknown as Record<string, unknown>;
  const rec = sampleEvent('message.received', NOW) as unknown as Record<string, unknown>;
  return [
    { ...base, event: MARKER },
    { ...base, event: `${MARKER}.received` },
    { ...rec, email: `${MARKER}@example.com` },
    { ...rec, message_text: `I am ${MARKER}, call me` },
    { ...rec, phone: MARKER },
    // A key is printed only when it is a plain identifier (that is the field's name, not a value); a key
    // that is not one, like an address, is withheld.
    { ...rec, [`${MARKER}@example.com`]: MARKER },
    { ...rec, gates: MARKER },
    { ...rec, org_id: 5, customer_id: null, message_id: MARKER },
    { ...rec, customer_cohort: MARKER },
    { ...rec, channel_type: { text: MARKER } },
    { ...rec, timestamp: MARKER },
    { ...rec, timestamp: `2026-11-21T10:00:00 ${MARKER}` },
    { ...rec, timestamp: `${MARKER}2026-11-21T10:00:00Z` },
    { ...rec, timestamp: '2099-01-01T00:00:00Z', conversation_id: MARKER },
    { ...base, attempt: MARKER },
    { ...base, gates: [{ gate: MARKER, passed: true }] },
    { ...base, gates: [{ gate: 'tone', passed: MARKER }] },
    { ...base, gates: [{ gate: 'tone', passed: true, score: MARKER }] },
    { ...base, gates: [{ gate: 'tone', passed: false, banned_phrases: [MARKER, ''] }] },
    { ...base, gates: [{ gate: 'hallucination', passed: false, claims: MARKER }] },
    { ...base, gates: [{ gate: 'tone', passed: true, [`${MARKER} says hi`]: MARKER }] },
    { ...base, gates: [{ gate: 'tone', passed: true, note: MARKER }] },
    { ...base, gates: [MARKER] },
    { ...base, gates: [{ passed: true, claims: [MARKER] }] },
  ];
}

describe('reject details never carry a value', () => {
  it('keeps a planted marker out of every rejection', () => {
    const seen = new Set<string>();
    for (const v of variants()) {
      for (const res of [validateEvent(v, NOW), validateEvent(fromAvroRecord(v), NOW)] as ValidationResult[]) {
        expect(res.ok).toBe(false);
        if (res.ok) continue;
        seen.add(res.reason);
        expect(res.detail).not.toContain(MARKER);
        expect(JSON.stringify(res)).not.toContain(MARKER);
      }
    }
    expect([...seen].sort()).toEqual(
      ['bad_timestamp', 'future_timestamp', 'invalid_field', 'missing_field', 'unknown_event', 'unknown_field'].sort(),
    );
  });

  it('keeps the line out of invalid_json', () => {
    for (const line of [MARKER, `{"email": "${MARKER}"`, `[${JSON.stringify(MARKER)}]`, `"${MARKER}"`, `{"a": ${MARKER}}`]) {
      const res = parseJsonLine(line, NOW);
      expect(res).toMatchObject({ ok: false, reason: 'invalid_json' });
      expect(JSON.stringify(res)).not.toContain(MARKER);
    }
  });

  it('only emits reasons of the catalog', () => {
    for (const v of variants()) {
      const res = validateEvent(v, NOW);
      if (!res.ok) expect(REJECT_REASONS).toContain(res.reason);
    }
  });
});
