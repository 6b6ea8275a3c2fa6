import { describe, it, expect } from 'vitest';
import { parseJsonLine, toJsonForm } from '../../../src/contract/json.js';
import { sampleEvent, sampleEvents } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);
const NOT_JSON = { ok: false, reason: 'invalid_json', detail: 'the line is not valid JSON' };
const NOT_OBJECT = { ok: false, reason: 'invalid_json', detail: 'the line is not a JSON object' };

describe('parseJsonLine', () => {
  it('round-trips the JSON form of every sample event', () => {
    for (const e of sampleEvents(NOW)) {
      expect(parseJsonLine(JSON.stringify(toJsonForm(e)), NOW)).toStrictEqual({ ok: true, event: e });
    }
  });

  it('accepts epoch milliseconds and ISO offsets in the line', () => {
    const line =
      '{"event":"message.received","event_id":"e-1","org_id":"o","workspace_id":"w","user_id":"u",' +
      '"timestamp":"2026-11-21T10:00:00+05:45","conversation_id":"c","message_id":"m","customer_id":"cu","customer_cohort":null}';
    expect(parseJsonLine(line, NOW)).toStrictEqual({
      ok: true,
      event: {
        event: 'message.received', event_id: 'e-1', org_id: 'o', workspace_id: 'w', user_id: 'u',
        timestamp: Date.UTC(2026, 10, 21, 4, 15), conversation_id: 'c', message_id: 'm', customer_id: 'cu',
      },
    });
    const e = sampleEvent('kb.created', NOW);
    expect(parseJsonLine(JSON.stringify(e), NOW)).toStrictEqual({ ok: true, event: e });
  });

  it('tolerates a byte-order mark and a trailing carriage return', () => {
    const e = sampleEvent('tool.executed', NOW);
    expect(parseJsonLine('\uFEFF' + JSON.stringify(e) + '\r', NOW)).toStrictEqual({ ok: true, event: e });
  });

  it('rejects lines that are not JSON with invalid_json', () => {
    for (const line of ['', '   ', 'not json', '{"event":', "{'event':'kb.created'}", '{"a":1} {"b":2}']) {
      expect(parseJsonLine(line, NOW), line).toStrictEqual(NOT_JSON);
    }
  });

  it('rejects JSON that is not an object with invalid_json', () => {
    for (const line of ['null', '42', '"kb.created"', 'true', '[]', '[{"event":"kb.created"}]']) {
      expect(parseJsonLine(line, NOW), line).toStrictEqual(NOT_OBJECT);
    }
  });

  it('passes other problems through from validation', () => {
    const e = sampleEvent('message.received', NOW);
    expect(parseJsonLine(JSON.stringify({ ...e, email: 'a@b.c' }), NOW)).toStrictEqual({
      ok: false,
      reason: 'unknown_field',
      detail: 'field "email" is not in the contract',
    });
    expect(parseJsonLine(JSON.stringify({ ...e, timestamp: '2026-11-21T10:00:00' }), NOW)).toMatchObject({ ok: false, reason: 'bad_timestamp' });
    expect(parseJsonLine(JSON.stringify({ ...e, event: 'nope' }), NOW)).toMatchObject({ ok: false, reason: 'unknown_event' });
  });
});

describe('toJsonForm', () => {
  it('writes the timestamp as ISO-8601 in UTC and keeps every other field', () => {
    const e = sampleEvent('gate.evaluated', NOW);
    const json = toJsonForm(e);
    expect(json).toStrictEqual({ ...e, timestamp: new Date(e.timestamp).toISOString() });
    expect(json['timestamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(toJsonForm({ ...e, timestamp: Date.UTC(2026, 10, 21, 3, 0, 0, 7) })['timestamp']).toBe('2026-11-21T03:00:00.007Z');
  });

  it('does not change the event it is given', () => {
    const e = sampleEvent('gate.evaluated', NOW);
    const before = structuredClone(e);
    const json = toJsonForm(e);
    (json['gates'] as Record<string, unknown>[])[0]!['passed'] = 'changed';
    expect(e).toStrictEqual(before);
  });
});
