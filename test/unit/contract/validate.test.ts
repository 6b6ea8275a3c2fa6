import { describe, it, expect } from 'vitest';
import {
  COMMON_OPTIONAL,
  ENVELOPE_REQUIRED,
  EVENT_FIELDS,
  EVENT_NAMES,
  MAX_FUTURE_MS,
  type AnalyticsEvent,
  type EventName,
} from '../../../src/contract/catalog.js';
import { allowedFields, isEventName, validateEvent } from '../../../src/contract/validate.js';
import { sampleEvent, sampleEvents } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0); // 2026-11-21T10:00:00Z

function raw(event: AnalyticsEvent, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(structuredClone(event) as unknown as Record<string, unknown>), ...patch };
}
function without(r: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = { ...r };
  for (const k of keys) delete copy[k];
  return copy;
}
const rej = (reason: string, detail: string) => ({ ok: false, reason, detail });

const received = () => sampleEvent('message.received', NOW);
const gateEvent = () => sampleEvent('gate.evaluated', NOW);

describe('validateEvent: valid events', () => {
  it('accepts the sample of every catalog type and returns an equal event', () => {
    const samples = sampleEvents(NOW);
    expect(samples.map((e) => e.event)).toEqual([...EVENT_NAMES]);
    for (const e of samples) {
      expect(validateEvent(raw(e), NOW)).toStrictEqual({ ok: true, event: e });
    }
  });

  it('returns a copy, not the input object', () => {
    const input = raw(gateEvent());
    const res = validateEvent(input, NOW);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.event).not.toBe(input);
    expect(res.event.gates).not.toBe(input['gates']);
  });

  it('accepts an event with only the envelope', () => {
    const e = { event: 'kb.created', event_id: 'e1', org_id: 'o', workspace_id: 'w', user_id: 'u', timestamp: NOW };
    expect(validateEvent(e, NOW)).toStrictEqual({ ok: true, event: e });
  });

  it('omits optional fields that are null or undefined', () => {
    const e = received();
    const res = validateEvent(raw(e, { channel_type: null, severity: undefined, customer_cohort: null }), NOW);
    const { channel_type: _c, customer_cohort: _cc, ...expected } = e;
    expect(res).toStrictEqual({ ok: true, event: expected });
    if (res.ok) {
      expect('channel_type' in res.event).toBe(false);
      expect('severity' in res.event).toBe(false);
    }
  });

  it('treats a null field outside the contract as absent', () => {
    const e = received();
    expect(validateEvent(raw(e, { email: null, message_text: undefined }), NOW)).toStrictEqual({ ok: true, event: e });
  });

  it('omits null optional keys inside gate checks', () => {
    const e = gateEvent();
    const res = validateEvent(
      raw(e, { gates: [{ gate: 'tone', passed: true, score: null, word_count: null, claims: null, banned_phrases: null }] }),
      NOW,
    );
    expect(res).toStrictEqual({ ok: true, event: { ...e, gates: [{ gate: 'tone', passed: true }] } });
  });

  it('accepts every dashboard field on every event type', () => {
    const dashboard = {
      channel_type: 'zalo', app_surface: 'web', result: 'ok', error_code: 'E1', conversation_id: 'c', message_id: 'm',
      customer_id: 'cu', customer_cohort: 'vip', signal_type: 's', severity: 'high', theme_id: 't', confidence_band: 'b',
      triage_result: 'escalated', reply_mode: 'human', kb_gap_type: 'k', outcome_type: 'o', time_to_resolution_ms: 0,
      escalation_reason: 'r', previous_signal_type: 'p', handoff_target: 'h', resolution_path: 'rp',
    };
    expect(Object.keys(dashboard).sort()).toEqual([...COMMON_OPTIONAL].sort());
    for (const e of sampleEvents(NOW)) {
      const res = validateEvent(raw(e, dashboard), NOW);
      expect(res).toStrictEqual({ ok: true, event: { ...e, ...dashboard } });
    }
  });

  it('accepts the limits of numeric fields', () => {
    const e = gateEvent();
    expect(validateEvent(raw(e, { attempt: 2147483647 }), NOW)).toStrictEqual({ ok: true, event: { ...e, attempt: 2147483647 } });
    const t = sampleEvent('tool.executed', NOW);
    expect(validateEvent(raw(t, { duration_ms: 0 }), NOW)).toStrictEqual({ ok: true, event: { ...t, duration_ms: 0 } });
    expect(validateEvent(raw(t, { duration_ms: Number.MAX_SAFE_INTEGER }), NOW)).toStrictEqual({
      ok: true,
      event: { ...t, duration_ms: Number.MAX_SAFE_INTEGER },
    });
    const d = sampleEvent('message.delivered', NOW);
    expect(validateEvent(raw(d, { is_first_response: false }), NOW)).toStrictEqual({ ok: true, event: { ...d, is_first_response: false } });
  });

  it('accepts empty claims and banned_phrases arrays, and a gate without optional keys', () => {
    const e = gateEvent();
    const gates = [{ gate: 'hallucination', passed: true, claims: [] }, { gate: 'tone', passed: true, banned_phrases: [] }, { gate: 'length', passed: false }];
    expect(validateEvent(raw(e, { gates }), NOW)).toStrictEqual({ ok: true, event: { ...e, gates } });
  });
});

describe('validateEvent: unknown_event', () => {
  it('rejects an event name outside the catalog', () => {
    expect(validateEvent(raw(received(), { event: 'message.deleted' }), NOW)).toStrictEqual(
      rej('unknown_event', 'field "event" is not a catalog event name'),
    );
  });
  it('is case-sensitive and rejects the empty name', () => {
    expect(validateEvent(raw(received(), { event: 'Message.Received' }), NOW)).toMatchObject({ reason: 'unknown_event' });
    expect(validateEvent(raw(received(), { event: '' }), NOW)).toMatchObject({ reason: 'unknown_event' });
  });
  it('wins over every other problem', () => {
    const bad = { event: 'x.y', email: 'a@b.c', timestamp: 'garbage', org_id: 5 };
    expect(validateEvent(bad, NOW)).toStrictEqual(rej('unknown_event', 'field "event" is not a catalog event name'));
  });
});

describe('validateEvent: unknown_field (PII guard)', () => {
  it('rejects email, message_text and phone on every event type', () => {
    for (const e of sampleEvents(NOW)) {
      for (const key of ['email', 'message_text', 'phone']) {
        expect(validateEvent(raw(e, { [key]: 'x' }), NOW)).toStrictEqual(rej('unknown_field', `field "${key}" is not in the contract`));
      }
    }
  });

  it('rejects a contract field that this event type may not carry', () => {
    expect(validateEvent(raw(received(), { gates: [{ gate: 'tone', passed: true }] }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "gates" is not allowed on this event type'),
    );
    expect(validateEvent(raw(sampleEvent('auth.sign_in.success', NOW), { attempt: 1 }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "attempt" is not allowed on this event type'),
    );
    expect(validateEvent(raw(sampleEvent('ai_reply.sent', NOW), { response_time_ms: 5 }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "response_time_ms" is not allowed on this event type'),
    );
    expect(validateEvent(raw(sampleEvent('message.processed', NOW), { is_first_response: true }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "is_first_response" is not allowed on this event type'),
    );
    expect(validateEvent(raw(sampleEvent('message.delivered', NOW), { tool_name: 't' }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "tool_name" is not allowed on this event type'),
    );
  });

  it('allows exactly envelope + common optional + the event’s own fields', () => {
    for (const name of EVENT_NAMES) {
      const own = EVENT_FIELDS[name];
      const expected = new Set<string>([...ENVELOPE_REQUIRED, ...COMMON_OPTIONAL, ...(own?.required ?? []), ...(own?.optional ?? [])]);
      expect(allowedFields(name)).toEqual(expected);
    }
  });

  it('applies even when the event name is missing or not a string', () => {
    expect(validateEvent(without(raw(received(), { email: 'x' }), 'event'), NOW)).toStrictEqual(
      rej('unknown_field', 'field "email" is not in the contract'),
    );
    expect(validateEvent(raw(received(), { event: 7, phone: '1' }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "phone" is not in the contract'),
    );
  });

  it('rejects an unknown key inside a gate check', () => {
    const gates = [{ gate: 'tone', passed: true }, { gate: 'length', passed: true, reply_text: 'hello' }];
    expect(validateEvent(raw(gateEvent(), { gates }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "gates[1].reply_text" is not in the contract'),
    );
  });

  it('wins over missing and invalid fields found earlier in the object', () => {
    const r = without(raw(received(), { org_id: 5, timestamp: 'nope' }), 'customer_id');
    r['message_text'] = 'hi';
    expect(validateEvent(r, NOW)).toStrictEqual(rej('unknown_field', 'field "message_text" is not in the contract'));
    const g = raw(gateEvent(), { attempt: 0, gates: [{ gate: 'tone' }, { gate: 'bad', passed: 1 }, { gate: 'tone', passed: true, x: 1 }] });
    expect(validateEvent(g, NOW)).toStrictEqual(rej('unknown_field', 'field "gates[2].x" is not in the contract'));
  });

  it('withholds a field name that is not a plain identifier', () => {
    expect(validateEvent(raw(received(), { 'jane.doe@example.com': true }), NOW)).toStrictEqual(
      rej('unknown_field', 'a field whose name is withheld is not in the contract'),
    );
    expect(validateEvent(raw(received(), { 'my order never arrived': 1 }), NOW)).toStrictEqual(
      rej('unknown_field', 'a field whose name is withheld is not in the contract'),
    );
    expect(validateEvent(raw(gateEvent(), { gates: [{ gate: 'tone', passed: true, 'a b': 1 }] }), NOW)).toStrictEqual(
      rej('unknown_field', 'a field of "gates[0]" whose name is withheld is not in the contract'),
    );
  });

  it('treats inherited-looking names as ordinary unknown keys', () => {
    const r = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    Object.assign(r, raw(received()));
    expect(validateEvent(r, NOW)).toStrictEqual(rej('unknown_field', 'field "__proto__" is not in the contract'));
    expect(validateEvent(raw(received(), { constructor: 'x' }), NOW)).toStrictEqual(
      rej('unknown_field', 'field "constructor" is not in the contract'),
    );
  });
});

describe('validateEvent: missing_field', () => {
  it('rejects each missing envelope field, on every event type', () => {
    for (const e of sampleEvents(NOW)) {
      for (const f of ENVELOPE_REQUIRED) {
        expect(validateEvent(without(raw(e), f), NOW)).toStrictEqual(rej('missing_field', `field "${f}" is required`));
        expect(validateEvent(raw(e, { [f]: null }), NOW)).toStrictEqual(rej('missing_field', `field "${f}" is required`));
      }
    }
  });

  it('rejects each missing event-specific field', () => {
    const cases: [EventName, string][] = [
      ['message.received', 'conversation_id'], ['message.received', 'message_id'], ['message.received', 'customer_id'],
      ['message.processed', 'conversation_id'], ['message.processed', 'message_id'],
      ['message.delivered', 'conversation_id'], ['message.delivered', 'message_id'],
      ['gate.evaluated', 'conversation_id'], ['gate.evaluated', 'message_id'], ['gate.evaluated', 'attempt'], ['gate.evaluated', 'gates'],
      ['escalation.created', 'conversation_id'],
      ['tool.executed', 'conversation_id'], ['tool.executed', 'tool_name'],
    ];
    for (const [name, f] of cases) {
      expect(validateEvent(without(raw(sampleEvent(name, NOW)), f), NOW)).toStrictEqual(rej('missing_field', `field "${f}" is required`));
    }
    // And every required field of the catalog is covered above.
    const all = Object.entries(EVENT_FIELDS).flatMap(([n, s]) => s.required.map((f) => `${n}/${f}`));
    expect(cases.map(([n, f]) => `${n}/${f}`).sort()).toEqual(all.sort());
  });

  it('reports the first missing field in envelope-then-event order', () => {
    const r = without(raw(received()), 'customer_id', 'org_id');
    expect(validateEvent(r, NOW)).toStrictEqual(rej('missing_field', 'field "org_id" is required'));
  });

  it('rejects a gate check without gate or passed', () => {
    expect(validateEvent(raw(gateEvent(), { gates: [{ gate: 'tone', passed: true }, { passed: true }] }), NOW)).toStrictEqual(
      rej('missing_field', 'field "gates[1].gate" is required'),
    );
    expect(validateEvent(raw(gateEvent(), { gates: [{ gate: 'tone', passed: null }] }), NOW)).toStrictEqual(
      rej('missing_field', 'field "gates[0].passed" is required'),
    );
  });

  it('wins over invalid fields', () => {
    expect(validateEvent(without(raw(received(), { org_id: 5, timestamp: 'x' }), 'message_id'), NOW)).toStrictEqual(
      rej('missing_field', 'field "message_id" is required'),
    );
    expect(validateEvent(raw(gateEvent(), { attempt: 0, gates: [{ gate: 'nope', passed: true }, { gate: 'tone' }] }), NOW)).toStrictEqual(
      rej('missing_field', 'field "gates[1].passed" is required'),
    );
  });
});

describe('validateEvent: invalid_field', () => {
  const cases: [string, AnalyticsEvent, Record<string, unknown>, string][] = [
    ['empty required string', received(), { org_id: '' }, 'field "org_id" must be a non-empty string'],
    ['empty event_id', received(), { event_id: '' }, 'field "event_id" must be a non-empty string'],
    ['non-string id', received(), { user_id: 42 }, 'field "user_id" must be a non-empty string'],
    ['empty optional string', received(), { channel_type: '' }, 'field "channel_type" must be a non-empty string'],
    ['object as string', received(), { conversation_id: { id: 1 } }, 'field "conversation_id" must be a non-empty string'],
    ['event not a string', received(), { event: 42 }, 'field "event" must be a string naming a catalog event'],
    ['cohort outside enum', received(), { customer_cohort: 'platinum' }, 'field "customer_cohort" must be one of new, returning, vip'],
    ['reply_mode outside enum', sampleEvent('ai_reply.sent', NOW), { reply_mode: 'robot' }, 'field "reply_mode" must be one of auto, assisted, human'],
    ['attempt 0', gateEvent(), { attempt: 0 }, 'field "attempt" must be an integer >= 1'],
    ['attempt negative', gateEvent(), { attempt: -1 }, 'field "attempt" must be an integer >= 1'],
    ['attempt fractional', gateEvent(), { attempt: 1.5 }, 'field "attempt" must be an integer >= 1'],
    ['attempt as string', gateEvent(), { attempt: '1' }, 'field "attempt" must be an integer >= 1'],
    ['attempt beyond 32 bits', gateEvent(), { attempt: 2147483648 }, 'field "attempt" must be an integer <= 2147483647'],
    ['response_time_ms negative', sampleEvent('message.delivered', NOW), { response_time_ms: -1 }, 'field "response_time_ms" must be an integer >= 0'],
    ['response_time_ms fractional', sampleEvent('message.delivered', NOW), { response_time_ms: 12.5 }, 'field "response_time_ms" must be an integer >= 0'],
    ['response_time_ms NaN', sampleEvent('message.processed', NOW), { response_time_ms: Number.NaN }, 'field "response_time_ms" must be an integer >= 0'],
    ['response_time_ms Infinity', sampleEvent('message.processed', NOW), { response_time_ms: Infinity }, 'field "response_time_ms" must be an integer >= 0'],
    ['response_time_ms bigint', sampleEvent('message.processed', NOW), { response_time_ms: 5n }, 'field "response_time_ms" must be an integer >= 0'],
    ['duration_ms unsafe', sampleEvent('tool.executed', NOW), { duration_ms: 2 ** 53 }, 'field "duration_ms" must be an integer <= 9007199254740991'],
    ['duration_ms negative', sampleEvent('tool.executed', NOW), { duration_ms: -5 }, 'field "duration_ms" must be an integer >= 0'],
    ['time_to_resolution_ms negative', sampleEvent('interaction.outcome_handoff_completed', NOW), { time_to_resolution_ms: -1 }, 'field "time_to_resolution_ms" must be an integer >= 0'],
    ['is_first_response as string', sampleEvent('message.delivered', NOW), { is_first_response: 'true' }, 'field "is_first_response" must be a boolean'],
    ['is_first_response as 1', sampleEvent('message.delivered', NOW), { is_first_response: 1 }, 'field "is_first_response" must be a boolean'],
    ['gates empty', gateEvent(), { gates: [] }, 'field "gates" must be a non-empty array of gate checks'],
    ['gates not an array', gateEvent(), { gates: { gate: 'tone', passed: true } }, 'field "gates" must be a non-empty array of gate checks'],
    ['gate check null', gateEvent(), { gates: [null] }, 'field "gates[0]" must be an object'],
    ['gate check array', gateEvent(), { gates: [{ gate: 'tone', passed: true }, ['tone', true]] }, 'field "gates[1]" must be an object'],
    ['gate name unknown', gateEvent(), { gates: [{ gate: 'grammar', passed: true }] }, 'field "gates[0].gate" must be one of repetition, hallucination, tone, relevance, length'],
    ['gate name not a string', gateEvent(), { gates: [{ gate: 3, passed: true }] }, 'field "gates[0].gate" must be one of repetition, hallucination, tone, relevance, length'],
    ['passed not boolean', gateEvent(), { gates: [{ gate: 'tone', passed: 'yes' }] }, 'field "gates[0].passed" must be a boolean'],
    ['score NaN', gateEvent(), { gates: [{ gate: 'relevance', passed: true, score: Number.NaN }] }, 'field "gates[0].score" must be a finite number'],
    ['score string', gateEvent(), { gates: [{ gate: 'relevance', passed: true, score: '0.9' }] }, 'field "gates[0].score" must be a finite number'],
    ['word_count negative', gateEvent(), { gates: [{ gate: 'length', passed: true, word_count: -1 }] }, 'field "gates[0].word_count" must be an integer >= 0'],
    ['word_count fractional', gateEvent(), { gates: [{ gate: 'length', passed: true, word_count: 2.5 }] }, 'field "gates[0].word_count" must be an integer >= 0'],
    ['word_count beyond 32 bits', gateEvent(), { gates: [{ gate: 'length', passed: true, word_count: 2 ** 31 }] }, 'field "gates[0].word_count" must be an integer <= 2147483647'],
    ['claims not an array', gateEvent(), { gates: [{ gate: 'hallucination', passed: false, claims: 'x' }] }, 'field "gates[0].claims" must be an array of non-empty strings'],
    ['claims with empty string', gateEvent(), { gates: [{ gate: 'hallucination', passed: false, claims: ['a', ''] }] }, 'field "gates[0].claims" must be an array of non-empty strings'],
    ['claims with a number', gateEvent(), { gates: [{ gate: 'hallucination', passed: false, claims: [1] }] }, 'field "gates[0].claims" must be an array of non-empty strings'],
    ['banned_phrases with null', gateEvent(), { gates: [{ gate: 'tone', passed: false, banned_phrases: [null] }] }, 'field "gates[0].banned_phrases" must be an array of non-empty strings'],
  ];
  for (const [title, base, patch, detail] of cases) {
    it(title, () => {
      expect(validateEvent(raw(base, patch), NOW)).toStrictEqual(rej('invalid_field', detail));
    });
  }

  it('reports the first invalid field in key order', () => {
    const r = raw(received(), {});
    r['channel_type'] = 5;
    r['customer_cohort'] = 'x';
    expect(validateEvent(r, NOW)).toMatchObject({ reason: 'invalid_field' });
    const ordered = { ...raw(received()), customer_cohort: 'x', channel_type: '' };
    delete (ordered as Record<string, unknown>)['channel_type'];
    (ordered as Record<string, unknown>)['channel_type'] = '';
    expect(validateEvent(ordered, NOW)).toStrictEqual(rej('invalid_field', 'field "customer_cohort" must be one of new, returning, vip'));
  });

  it('rejects something that is not an object', () => {
    expect(validateEvent(null as unknown as Record<string, unknown>, NOW)).toStrictEqual(rej('invalid_field', 'the event must be an object'));
    expect(validateEvent([] as unknown as Record<string, unknown>, NOW)).toStrictEqual(rej('invalid_field', 'the event must be an object'));
  });
});

describe('validateEvent: timestamp', () => {
  const BAD = 'field "timestamp" must be epoch milliseconds (an integer) or an ISO-8601 date-time with an explicit offset or Z';
  const ts = (value: unknown) => validateEvent(raw(received(), { timestamp: value }), NOW);
  const okAt = (ms: number) => ({ ok: true, event: { ...received(), timestamp: ms } });

  it('accepts epoch milliseconds', () => {
    expect(ts(1763719200123)).toStrictEqual(okAt(1763719200123));
    expect(ts(0)).toStrictEqual(okAt(0));
  });

  it('accepts a Date', () => {
    expect(ts(new Date(1763719200123))).toStrictEqual(okAt(1763719200123));
  });

  it('accepts ISO-8601 with Z or an explicit offset', () => {
    const cases: [string, number][] = [
      ['2026-11-21T10:00:00.123Z', Date.UTC(2026, 10, 21, 10, 0, 0, 123)],
      ['2026-11-21T10:00:00Z', Date.UTC(2026, 10, 21, 10, 0, 0)],
      ['2026-11-21T10:00Z', Date.UTC(2026, 10, 21, 10, 0, 0)],
      ['2026-11-21T10:00:00+07:00', Date.UTC(2026, 10, 21, 3, 0, 0)],
      ['2026-11-21T10:00:00+05:45', Date.UTC(2026, 10, 21, 4, 15, 0)],
      ['2026-11-21T10:00:00+05:30', Date.UTC(2026, 10, 21, 4, 30, 0)],
      ['2026-11-21T10:00:00.5+05:30', Date.UTC(2026, 10, 21, 4, 30, 0, 500)],
      ['2026-11-21T10:00:00-03:30', Date.UTC(2026, 10, 21, 13, 30, 0)],
      ['2026-11-21T10:00:00+0545', Date.UTC(2026, 10, 21, 4, 15, 0)],
      ['2026-11-21T10:00:00+07', Date.UTC(2026, 10, 21, 3, 0, 0)],
      ['2026-11-21T10:00:00-00:00', Date.UTC(2026, 10, 21, 10, 0, 0)],
      ['2026-11-21T00:30:00+12:45', Date.UTC(2026, 10, 20, 11, 45, 0)],
      ['2026-11-21T10:00:00.123456789Z', Date.UTC(2026, 10, 21, 10, 0, 0, 123)],
      ['2026-11-21T10:00:00,25Z', Date.UTC(2026, 10, 21, 10, 0, 0, 250)],
      ['2026-11-21t10:00:00z', Date.UTC(2026, 10, 21, 10, 0, 0)],
      ['2024-02-29T12:00:00Z', Date.UTC(2024, 1, 29, 12)],
      ['2000-02-29T12:00:00Z', Date.UTC(2000, 1, 29, 12)],
      ['0050-01-01T00:00:00Z', Date.parse('0050-01-01T00:00:00Z')],
    ];
    for (const [iso, ms] of cases) expect(ts(iso), iso).toStrictEqual(okAt(ms));
  });

  it('agrees with Date.parse on offset forms it understands', () => {
    for (const iso of ['2026-03-29T01:59:59.999+01:00', '2026-11-21T23:59:59-11:00', '2026-01-01T00:00:00+14:00']) {
      expect(ts(iso)).toStrictEqual(okAt(Date.parse(iso)));
    }
  });

  it('rejects strings without an offset or that do not parse', () => {
    const bad = [
      '2026-11-21T10:00:00', // no offset: ambiguous local time
      '2026-11-21T10:00:00.123',
      '2026-11-21', // date only
      '2026-11-21 10:00:00Z', // space instead of T
      'yesterday',
      '',
      '1763719200000', // digits in a string are not epoch milliseconds
      '2026-02-30T00:00:00Z',
      '2026-02-29T00:00:00Z', // not a leap year
      '2100-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-11-21T24:00:00Z',
      '2026-11-21T10:60:00Z',
      '2026-11-21T10:00:60Z',
      '2026-11-21T10:00:00+24:00',
      '2026-11-21T10:00:00+05:60',
      '2026-11-21T10:00:00+5:30',
      'Sat, 21 Nov 2026 10:00:00 GMT',
      '2026-11-21T10:00:00.Z',
      ' 2026-11-21T10:00:00Z',
      '2026-11-21T10:00:00Z '.repeat(3),
    ];
    for (const s of bad) expect(ts(s), s).toStrictEqual(rej('bad_timestamp', BAD));
  });

  it('rejects numbers that are not whole milliseconds, and other types', () => {
    for (const v of [1.5, Number.NaN, Infinity, -Infinity, 8.64e15 + 1, true, 1763719200000n, { ms: 1 }, [1763719200000], new Date('nope')]) {
      expect(ts(v)).toStrictEqual(rej('bad_timestamp', BAD));
    }
  });

  it('rejects more than 7 days ahead of now, and accepts exactly 7 days', () => {
    const FUTURE = 'field "timestamp" is more than 7 days ahead of the clock';
    expect(ts(NOW + MAX_FUTURE_MS)).toStrictEqual(okAt(NOW + MAX_FUTURE_MS));
    expect(ts(NOW + MAX_FUTURE_MS + 1)).toStrictEqual(rej('future_timestamp', FUTURE));
    expect(ts('2026-11-28T17:00:00.001+07:00')).toStrictEqual(rej('future_timestamp', FUTURE));
    expect(ts('2026-11-28T17:00:00+07:00')).toStrictEqual(okAt(NOW + MAX_FUTURE_MS));
    expect(ts(new Date(NOW + MAX_FUTURE_MS + 1))).toStrictEqual(rej('future_timestamp', FUTURE));
  });

  it('does not reject old timestamps (lateness is the windows’ business)', () => {
    expect(ts('1999-01-01T00:00:00Z')).toStrictEqual(okAt(Date.UTC(1999, 0, 1)));
  });
});

describe('isEventName', () => {
  it('knows the catalog', () => {
    for (const n of EVENT_NAMES) expect(isEventName(n)).toBe(true);
    expect(isEventName('message.deleted')).toBe(false);
    expect(isEventName('toString')).toBe(false);
  });
});
