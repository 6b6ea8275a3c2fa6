import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, GATE_NAMES, REPLY_MODES } from '../../../src/contract/catalog.js';
import { validateEvent } from '../../../src/contract/validate.js';
import { generateEvents, mulberry32, type GenerateOptions } from '../../support/generator.js';

const START = Date.UTC(2025, 0, 6);
const OPTS: GenerateOptions = {
  seed: 42,
  tenants: 3,
  workspacesPerTenant: 2,
  days: 2,
  startMs: START,
  count: 50_000,
  outOfOrderFraction: 0.1,
  lateHoursMax: 4,
};

describe('generateEvents', () => {
  const events = generateEvents(OPTS);

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateEvents({ ...OPTS, count: 2_000 })).toEqual(generateEvents({ ...OPTS, count: 2_000 }));
    expect(generateEvents({ ...OPTS, count: 2_000, seed: 43 })).not.toEqual(generateEvents({ ...OPTS, count: 2_000 }));
    const a = mulberry32(1);
    const b = mulberry32(1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it('returns exactly count events with unique ids, of every catalog type', () => {
    expect(events).toHaveLength(OPTS.count);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(OPTS.count);
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(EVENT_NAMES));
    expect(new Set(events.map((e) => e.org_id)).size).toBe(3);
    expect(new Set(events.map((e) => `${e.org_id}/${e.workspace_id}`)).size).toBe(6);
  });

  it('every event passes contract validation', () => {
    const now = START + 3 * 86_400_000;
    for (const e of events) {
      const r = validateEvent({ ...e }, now);
      if (!r.ok) throw new Error(`${e.event} ${r.reason}: ${r.detail}`);
    }
  });

  it('carries the fields the metrics read', () => {
    const gates = events.filter((e) => e.event === 'gate.evaluated');
    expect(new Set(gates.map((e) => e.attempt))).toEqual(new Set([1, 2, 3]));
    const checks = gates.flatMap((e) => e.gates ?? []);
    expect(new Set(checks.map((c) => c.gate))).toEqual(new Set(GATE_NAMES));
    expect(checks.some((c) => c.gate === 'hallucination' && !c.passed && c.claims?.length)).toBe(true);
    expect(checks.some((c) => c.gate === 'tone' && !c.passed && c.banned_phrases?.length)).toBe(true);
    expect(checks.some((c) => c.gate === 'repetition' && c.score !== undefined)).toBe(true);
    expect(checks.some((c) => c.gate === 'length' && c.word_count !== undefined)).toBe(true);
    const delivered = events.filter((e) => e.event === 'message.delivered');
    expect(delivered.some((e) => e.is_first_response === true && e.response_time_ms !== undefined && e.customer_cohort)).toBe(true);
    expect(new Set(events.map((e) => e.customer_cohort))).toEqual(new Set([undefined, 'new', 'returning', 'vip']));
    expect(new Set(events.filter((e) => e.event === 'message.received').map((e) => e.channel_type)).size).toBeGreaterThan(4);
    expect(events.some((e) => e.event === 'customer_signal.detected' && e.signal_type === 'dissatisfaction')).toBe(true);
    expect(events.some((e) => e.event === 'ai_triage.completed' && e.triage_result === 'escalated')).toBe(true);
    expect(new Set(events.filter((e) => e.event === 'ai_reply.sent').map((e) => e.reply_mode))).toEqual(
      new Set([undefined, ...REPLY_MODES]),
    );
    expect(events.some((e) => e.event === 'customer_signal.theme_clustered' && e.theme_id)).toBe(true);
    expect(events.some((e) => e.event === 'ai_reply.kb_gap_detected' && e.kb_gap_type)).toBe(true);
    expect(events.some((e) => e.event === 'escalation.created' && e.escalation_reason && e.customer_cohort)).toBe(true);
    expect(events.some((e) => e.event === 'interaction.outcome_handoff_completed' && e.time_to_resolution_ms)).toBe(true);
    expect(events.some((e) => e.event === 'auth.sign_in.failure' && e.error_code)).toBe(true);
  });

  it('emits about a tenth out of event-time order, some of them hours late, none beyond lateHoursMax', () => {
    let behind = 0;
    let max = Number.NEGATIVE_INFINITY;
    let maxLag = 0;
    for (const e of events) {
      if (e.timestamp < max) {
        behind++;
        maxLag = Math.max(maxLag, max - e.timestamp);
      }
      max = Math.max(max, e.timestamp);
    }
    expect(behind / events.length).toBeGreaterThan(0.04);
    expect(behind / events.length).toBeLessThan(0.2);
    expect(maxLag).toBeGreaterThan(60 * 60_000);
    // the lag behind the max seen is at most the delivery delay of either event
    expect(maxLag).toBeLessThanOrEqual(OPTS.lateHoursMax! * 3_600_000);
    expect(events.every((e) => e.timestamp >= START && e.timestamp < START + 3 * 86_400_000)).toBe(true);
  });

  it('makes 200,000 events with unique ids', () => {
    const many = generateEvents({ ...OPTS, seed: 9, tenants: 5, count: 200_000 });
    expect(many).toHaveLength(200_000);
    expect(new Set(many.map((e) => e.event_id)).size).toBe(200_000);
  });
});
