import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, type AnalyticsEvent } from '../../../src/contract/catalog.js';
import { KEY, formulas, measuresOf } from '../../../src/metrics/formula.js';
import {
  MEASURES,
  METRICS,
  METRIC_SECTIONS,
  compileMapping,
  forEachContribution,
  measuresFor,
  type AnyMeasureDef,
  type CompiledRow,
} from '../../../src/metrics/mapping.js';

const base: AnalyticsEvent = {
  event: 'message.delivered',
  event_id: 'e1',
  org_id: 'o',
  workspace_id: 'w',
  user_id: 'u',
  timestamp: 0,
  conversation_id: 'c1',
  message_id: 'm1',
};

function contributions(e: AnalyticsEvent): Array<[string, string, number, string | undefined]> {
  const mapping = compileMapping();
  const out: Array<[string, string, number, string | undefined]> = [];
  forEachContribution(e, mapping.rowsFor(e.event), (row: CompiledRow, dim, value, id) =>
    out.push([row.measure, dim, value, id]),
  );
  return out.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

describe('the measure table', () => {
  const mapping = compileMapping();

  it('compiles', () => {
    expect(mapping.measures.length).toBe(new Set(MEASURES.map((m) => m.measure)).size);
  });

  it('every measure a formula reads is defined, and every defined measure is read', () => {
    const read = new Set<string>();
    for (const section of METRIC_SECTIONS) for (const m of measuresFor(section)) read.add(m);
    expect([...read].sort()).toEqual([...mapping.measures].sort());
    expect(measuresOf(METRICS.overview)).toEqual(
      new Set(['conversations', 'messages', 'response_time_ms', 'escalated_conversations', 'first_attempts_passed', 'first_attempts', 'customers']),
    );
  });

  it('covers the events the contract metrics read, and only touches relevant rows', () => {
    const unread = EVENT_NAMES.filter((n) => mapping.rowsFor(n).length === 0).sort();
    expect(unread).toEqual(
      ['ai_reply.generated', 'customer_signal.success_detected', 'message.processed', 'tool.executed'].sort(),
    );
    expect(mapping.rowsFor('gate.evaluated').map((r) => r.measure)).toEqual([
      'first_attempts',
      'first_attempts_passed',
      'gate_checks',
      'gate_checks_passed',
      'gate_checks_failed',
      'gate_score',
      'gate_word_count',
      'hallucination_failed_claims',
      'tone_failed_banned_phrases',
    ]);
    expect(mapping.rowsFor('auth.sign_in.failure').map((r) => r.measure)).toEqual(['product_events', 'sign_in_failures']);
    expect(mapping.rowsFor('no.such.event')).toEqual([]);
  });

  it('rejects an inconsistent table', () => {
    const ok: AnyMeasureDef = { measure: 'x', kind: 'count', on: 'kb.created', doc: '' };
    expect(() => compileMapping([ok, { ...ok, kind: 'sum', value: () => 1 }])).toThrow(/both count and sum/);
    expect(() => compileMapping([{ ...ok, kind: 'sum' }])).toThrow(/no value/);
    expect(() => compileMapping([{ ...ok, kind: 'distinct' }])).toThrow(/no id/);
    expect(() => compileMapping([{ ...ok, id: () => 'a' }])).toThrow(/has an id/);
    expect(() => compileMapping([{ ...ok, measure: 'Bad Name' }])).toThrow(/bad measure name/);
    expect(() => compileMapping([{ ...ok, on: [] }])).toThrow(/no event/);
    // several rows may feed one measure when they agree on its kind
    expect(compileMapping([ok, { ...ok, on: 'kb.published' }]).measures).toEqual(['x']);
  });
});

describe('contributions', () => {
  it('a delivered message: messages by channel, response time, first response by cohort', () => {
    expect(
      contributions({ ...base, channel_type: 'zalo', response_time_ms: 1500, is_first_response: true, customer_cohort: 'vip' }),
    ).toEqual([
      ['first_response_time_ms', 'vip', 1500, undefined],
      ['messages', 'zalo', 0, undefined],
      ['response_time_ms', '', 1500, undefined],
    ]);
  });

  it('a missing value, dim or id contributes nothing to that row', () => {
    // no response_time_ms: no sum contributions; no channel: dim ''; no cohort: no cohort row
    expect(contributions({ ...base, is_first_response: true })).toEqual([['messages', '', 0, undefined]]);
    // an escalation without a cohort: no cohort row
    expect(contributions({ ...base, event: 'escalation.created', conversation_id: 'c9' })).toEqual([
      ['escalated_conversations', '', 0, 'c9'],
    ]);
    // a theme_clustered without theme_id contributes nothing at all
    expect(contributions({ ...base, event: 'customer_signal.theme_clustered' })).toEqual([]);
  });

  it('gate.evaluated expands per check and per claim/banned phrase of failed checks', () => {
    const rows = contributions({
      ...base,
      event: 'gate.evaluated',
      attempt: 1,
      gates: [
        { gate: 'hallucination', passed: false, claims: ['a', 'a', 'b'] },
        { gate: 'hallucination', passed: true, claims: ['ignored'] },
        { gate: 'tone', passed: false, banned_phrases: ['p'], score: 0.5 },
        { gate: 'length', passed: true, word_count: 42 },
      ],
    });
    expect(rows).toEqual(
      [
        ['first_attempts', '', 0, undefined],
        ['gate_checks', 'hallucination', 0, undefined],
        ['gate_checks', 'hallucination', 0, undefined],
        ['gate_checks', 'length', 0, undefined],
        ['gate_checks', 'tone', 0, undefined],
        ['gate_checks_failed', 'hallucination', 0, undefined],
        ['gate_checks_failed', 'tone', 0, undefined],
        ['gate_checks_passed', 'hallucination', 0, undefined],
        ['gate_checks_passed', 'length', 0, undefined],
        ['gate_score', 'tone', 0.5, undefined],
        ['gate_word_count', 'length', 42, undefined],
        ['hallucination_failed_claims', 'a', 0, undefined],
        ['hallucination_failed_claims', 'a', 0, undefined],
        ['hallucination_failed_claims', 'b', 0, undefined],
        ['tone_failed_banned_phrases', 'p', 0, undefined],
      ].sort((a, b) => (`${a[0]}${a[1]}` < `${b[0]}${b[1]}` ? -1 : 1)),
    );
  });

  it('claims of two failed hallucination checks of one attempt are both counted', () => {
    const rows = contributions({
      ...base,
      event: 'gate.evaluated',
      attempt: 2,
      gates: [
        { gate: 'hallucination', passed: false, claims: ['a'] },
        { gate: 'hallucination', passed: false, claims: ['b'] },
      ],
    }).filter((r) => r[0] === 'hallucination_failed_claims');
    expect(rows.map((r) => r[1])).toEqual(['a', 'b']);
  });

  it('product events count by name; sign-in failures also by error code', () => {
    expect(contributions({ ...base, event: 'auth.sign_in.failure', error_code: 'mfa' })).toEqual([
      ['product_events', 'auth.sign_in.failure', 0, undefined],
      ['sign_in_failures', 'mfa', 0, undefined],
    ]);
  });
});

describe('formula helpers', () => {
  it('build plain data', () => {
    const f = formulas<'m'>();
    expect(f.ratio(f.count('m', KEY), f.distinct('m'))).toEqual({
      op: 'ratio',
      num: { op: 'count', measure: 'm', dim: KEY },
      den: { op: 'distinct', measure: 'm', dim: undefined },
    });
    expect(f.mean('m')).toEqual({ op: 'mean', measure: 'm', dim: undefined, divisor: 1 });
  });
});
