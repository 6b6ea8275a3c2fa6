import { describe, expect, it } from 'vitest';
import { PRODUCT_EVENTS, type AnalyticsEvent, type EventName, type GateCheck } from '../../../src/contract/catalog.js';
import {
  evaluateMetrics,
  evaluateSection,
  type MeasureStore,
  type MetricsAnswer,
} from '../../../src/metrics/evaluate.js';
import { MemoryMeasureStore } from '../../../src/metrics/store.js';
import { groundTruth } from '../../support/ground-truth.js';
import { answerFromAggregates, answerFromPartials, rollUp, type Selection } from './pipeline.js';

const T = Date.UTC(2025, 0, 1, 10, 0, 0);
const SEC = 1000;
const MIN = 60_000;

let serial = 0;
function ev(event: EventName, at: number, fields: Partial<AnalyticsEvent> = {}): AnalyticsEvent {
  return {
    event,
    event_id: `e-${++serial}`,
    org_id: 'o1',
    workspace_id: 'w1',
    user_id: 'u1',
    timestamp: at,
    ...fields,
  };
}
const times = (n: number, make: () => AnalyticsEvent): AnalyticsEvent[] => Array.from({ length: n }, make);
const g = (gate: GateCheck['gate'], passed: boolean, extra: Partial<GateCheck> = {}): GateCheck => ({
  gate,
  passed,
  ...extra,
});

/** A small world whose every number below is computed by hand. */
function handWorld(): AnalyticsEvent[] {
  serial = 0;
  const conv = (id: string) => ({ conversation_id: id, message_id: `m-${id}-${serial}` });
  return [
    // conversations
    ev('message.received', T, { ...conv('c1'), customer_id: 'A', customer_cohort: 'new', channel_type: 'zalo' }),
    ev('message.delivered', T + 2 * SEC, { ...conv('c1'), response_time_ms: 2000, is_first_response: true, customer_cohort: 'new', channel_type: 'zalo' }),
    ev('message.received', T + MIN, { ...conv('c1'), customer_id: 'A', customer_cohort: 'new', channel_type: 'zalo' }),
    ev('message.delivered', T + MIN + 4 * SEC, { ...conv('c1'), response_time_ms: 4000, is_first_response: false, channel_type: 'zalo' }),
    ev('message.received', T + 2 * MIN, { ...conv('c2'), customer_id: 'B', customer_cohort: 'vip', channel_type: 'facebook' }),
    ev('message.delivered', T + 2 * MIN + SEC, { ...conv('c2'), is_first_response: true, customer_cohort: 'vip', channel_type: 'facebook' }),
    ev('message.received', T + 3 * MIN, { ...conv('c3'), customer_id: 'C' }),
    ev('message.delivered', T + 3 * MIN + 3 * SEC, { ...conv('c3'), response_time_ms: 3000, is_first_response: true }),
    ev('escalation.created', T + 4 * MIN, { conversation_id: 'c2', escalation_reason: 'angry', customer_cohort: 'vip', channel_type: 'facebook' }),
    ev('escalation.created', T + 4 * MIN, { conversation_id: 'c9', channel_type: 'webchat' }),
    ev('message.received', T + 5 * MIN, { ...conv('c4'), customer_id: 'A', customer_cohort: 'new', channel_type: 'zalo' }),
    ev('message.delivered', T + 5 * MIN + 6 * SEC, { ...conv('c4'), response_time_ms: 6000, is_first_response: true, customer_cohort: 'new', channel_type: 'zalo' }),
    // read by no metric
    ev('message.processed', T + 5 * MIN, { ...conv('c4'), response_time_ms: 99_999 }),
    ev('tool.executed', T + 5 * MIN, { conversation_id: 'c4', tool_name: 'order_lookup', duration_ms: 50 }),

    // gates
    ev('gate.evaluated', T + 10 * MIN, {
      ...conv('c1'),
      attempt: 1,
      gates: [
        g('repetition', true, { score: 0.5 }),
        g('hallucination', true, { claims: ['zzz'] }), // passed: its claims do not count
        g('tone', true),
        g('relevance', true, { score: 0.75 }),
        g('length', true, { word_count: 100 }),
      ],
    }),
    ev('gate.evaluated', T + 10 * MIN, {
      ...conv('c1'),
      attempt: 1,
      gates: [
        g('repetition', false, { score: 0.25, claims: ['q'] }), // not the hallucination gate
        g('hallucination', false, { claims: ['b', 'a'] }),
        g('tone', false, { banned_phrases: ['x'] }),
        g('relevance', true, { score: 1 }),
        g('length', false, { word_count: 300 }),
      ],
    }),
    ev('gate.evaluated', T + 11 * MIN, {
      ...conv('c1'),
      attempt: 2,
      gates: [
        g('repetition', true),
        g('hallucination', false, { claims: ['a', 'c'] }),
        g('tone', false, { banned_phrases: ['y', 'x'] }),
        g('relevance', true),
        g('length', true, { word_count: 50 }),
      ],
    }),
    ev('gate.evaluated', T + 12 * MIN, { ...conv('c2'), attempt: 1, gates: [] }), // vacuously all passed
    ev('gate.evaluated', T + 12 * MIN, {
      ...conv('c2'),
      attempt: 3,
      gates: [g('hallucination', false, { claims: ['c', 'd'] }), g('tone', false, { banned_phrases: ['z', 'w', 'v', 'u'] })],
    }),

    // dashboard signals
    ...times(2, () => ev('customer_signal.detected', T + 20 * MIN, { signal_type: 'dissatisfaction' })),
    ev('customer_signal.detected', T + 20 * MIN, { signal_type: 'confusion' }),
    ev('customer_signal.detected', T + 20 * MIN),
    ...times(3, () => ev('customer_signal.severe_negative_detected', T + 21 * MIN)),
    ev('customer_signal.success_detected', T + 21 * MIN),
    ...times(3, () => ev('customer_signal.theme_clustered', T + 22 * MIN, { theme_id: 't1' })),
    ...times(2, () => ev('customer_signal.theme_clustered', T + 22 * MIN, { theme_id: 't3' })),
    ...times(2, () => ev('customer_signal.theme_clustered', T + 22 * MIN, { theme_id: 't2' })),
    ev('customer_signal.theme_clustered', T + 23 * MIN, { theme_id: 't6' }),
    ev('customer_signal.theme_clustered', T + 23 * MIN, { theme_id: 't5' }),
    ev('customer_signal.theme_clustered', T + 23 * MIN, { theme_id: 't4' }),
    ev('customer_signal.theme_clustered', T + 23 * MIN),
    ...times(2, () => ev('ai_triage.escalation_triggered', T + 24 * MIN, { escalation_reason: 'angry' })),
    ev('ai_triage.escalation_triggered', T + 24 * MIN, { escalation_reason: 'refund' }),
    ev('ai_triage.escalation_triggered', T + 24 * MIN),
    ...times(2, () => ev('ai_triage.completed', T + 25 * MIN, { triage_result: 'escalated' })),
    ev('ai_triage.completed', T + 25 * MIN, { triage_result: 'auto_handled' }),
    ev('ai_triage.completed', T + 25 * MIN),
    ev('ai_reply.generated', T + 25 * MIN, { reply_mode: 'assisted' }),
    ...times(2, () => ev('ai_reply.sent', T + 26 * MIN, { reply_mode: 'auto' })),
    ev('ai_reply.sent', T + 26 * MIN, { reply_mode: 'human' }),
    ev('ai_reply.sent', T + 26 * MIN),
    ...times(2, () => ev('ai_reply.kb_gap_detected', T + 27 * MIN, { kb_gap_type: 'missing_article' })),
    ev('ai_reply.kb_gap_detected', T + 27 * MIN, { kb_gap_type: 'outdated_article' }),
    ...times(2, () => ev('interaction.outcome_resolved', T + 28 * MIN, { time_to_resolution_ms: 5 })),
    ev('interaction.outcome_recovered', T + 28 * MIN),
    ev('interaction.outcome_handoff_completed', T + 29 * MIN, { time_to_resolution_ms: 1000 }),
    ev('interaction.outcome_handoff_completed', T + 29 * MIN, { time_to_resolution_ms: 2000 }),
    ev('interaction.outcome_handoff_completed', T + 29 * MIN),

    // product events
    ...times(2, () => ev('auth.sign_in.failure', T + 30 * MIN, { error_code: 'bad_password' })),
    ev('auth.sign_in.failure', T + 30 * MIN),
    ev('auth.sign_in.success', T + 30 * MIN),
    ev('kb.created', T + 59 * MIN + 59 * SEC),

    // outside the selection: other tenant, other workspace, before and after the range
    ev('message.received', T + MIN, { org_id: 'o2', ...conv('x1'), customer_id: 'Z', channel_type: 'zalo' }),
    ev('message.received', T + MIN, { workspace_id: 'w2', ...conv('x2'), customer_id: 'Y', channel_type: 'zalo' }),
    ev('auth.sign_in.failure', T + MIN, { workspace_id: 'w2', error_code: 'mfa' }),
    ev('message.received', T - 1, { ...conv('x3'), customer_id: 'X', channel_type: 'zalo' }),
    ev('kb.created', T + 60 * MIN),
  ];
}

const RANGE: Selection = { org_id: 'o1', workspace_id: 'w1', fromMs: T, toMs: T + 60 * MIN };

const zeroCounts = Object.fromEntries(PRODUCT_EVENTS.map((n) => [n, 0]));

const EXPECTED: MetricsAnswer = {
  overview: {
    totalConversations: 4,
    totalMessages: 10,
    avgResponseTime: 3.75,
    escalationRate: 0.5,
    gatePassRate: 2 / 3,
    activeCustomers: 3,
  },
  gates: {
    gates: {
      repetition: { passRate: 2 / 3, failCount: 1, avgScore: 0.375 },
      hallucination: { passRate: 0.25, failCount: 3, commonClaims: ['a', 'c', 'b'] },
      tone: { passRate: 0.25, failCount: 3, bannedPhrasesTriggered: ['x', 'u', 'v', 'w', 'y'] },
      relevance: { passRate: 1, failCount: 0, avgScore: 0.875 },
      length: { passRate: 2 / 3, failCount: 1, avgWordCount: 150 },
    },
    totalGateChecks: 17,
  },
  channels: {
    channels: {
      facebook: { messageCount: 2, conversationCount: 1, escalationRate: 1 },
      webchat: { messageCount: 0, conversationCount: 0, escalationRate: null },
      zalo: { messageCount: 6, conversationCount: 2, escalationRate: 0 },
    },
  },
  cohorts: {
    cohorts: {
      new_customers: { count: 1, avgFirstResponseTime: 4, escalationRate: 0 },
      returning_customers: { count: 0, avgFirstResponseTime: null, escalationRate: null },
      vip_customers: { count: 1, avgFirstResponseTime: null, escalationRate: 1 },
    },
  },
  dashboard: {
    modules: {
      dissatisfactionDetected: 2,
      severeNegativeCount: 3,
      topFrictionThemes: [
        { themeId: 't1', count: 3 },
        { themeId: 't2', count: 2 },
        { themeId: 't3', count: 2 },
        { themeId: 't4', count: 1 },
        { themeId: 't5', count: 1 },
      ],
      escalatedForHumanReview: { total: 4, byReason: { angry: 2, refund: 1 } },
      handlingSplit: { triaged: 4, escalated: 2, repliesSent: { auto: 2, assisted: 0, human: 1 } },
      kbGaps: { total: 3, byType: { missing_article: 2, outdated_article: 1 } },
      resolved: 2,
      recovered: 1,
      reopened: 0,
      handoffsCompleted: 3,
      avgTimeToResolutionMs: 1500,
    },
  },
  events: {
    counts: { ...zeroCounts, 'auth.sign_in.failure': 3, 'auth.sign_in.success': 1, 'kb.created': 1 },
    signInFailuresByErrorCode: { bad_password: 2 },
  },
};

const EMPTY: MetricsAnswer = {
  overview: {
    totalConversations: 0,
    totalMessages: 0,
    avgResponseTime: null,
    escalationRate: null,
    gatePassRate: null,
    activeCustomers: 0,
  },
  gates: {
    gates: {
      repetition: { passRate: null, failCount: 0, avgScore: null },
      hallucination: { passRate: null, failCount: 0, commonClaims: [] },
      tone: { passRate: null, failCount: 0, bannedPhrasesTriggered: [] },
      relevance: { passRate: null, failCount: 0, avgScore: null },
      length: { passRate: null, failCount: 0, avgWordCount: null },
    },
    totalGateChecks: 0,
  },
  channels: { channels: {} },
  cohorts: {
    cohorts: {
      new_customers: { count: 0, avgFirstResponseTime: null, escalationRate: null },
      returning_customers: { count: 0, avgFirstResponseTime: null, escalationRate: null },
      vip_customers: { count: 0, avgFirstResponseTime: null, escalationRate: null },
    },
  },
  dashboard: {
    modules: {
      dissatisfactionDetected: 0,
      severeNegativeCount: 0,
      topFrictionThemes: [],
      escalatedForHumanReview: { total: 0, byReason: {} },
      handlingSplit: { triaged: 0, escalated: 0, repliesSent: { auto: 0, assisted: 0, human: 0 } },
      kbGaps: { total: 0, byType: {} },
      resolved: 0,
      recovered: 0,
      reopened: 0,
      handoffsCompleted: 0,
      avgTimeToResolutionMs: null,
    },
  },
  events: { counts: zeroCounts, signInFailuresByErrorCode: {} },
};

describe('hand-computed metrics', () => {
  const world = handWorld();

  it('mapping + window + evaluator give the hand-computed numbers', () => {
    const { rows } = rollUp(world, { flushEvery: 7 });
    expect(answerFromPartials(rows, RANGE)).toEqual(EXPECTED);
  });

  it('the naive ground truth gives the same numbers', () => {
    expect(groundTruth(world, RANGE)).toEqual(EXPECTED);
  });

  it('a store of merged numbers (what a ClickHouse query returns) gives the same numbers', () => {
    const { rows } = rollUp(world);
    expect(answerFromAggregates(rows, RANGE)).toEqual(EXPECTED);
  });

  it('the order of events and of flushes does not matter', () => {
    const reversed = [...world].reverse();
    const { rows } = rollUp(reversed, { flushEvery: 1 });
    expect(answerFromPartials(rows, RANGE)).toEqual(EXPECTED);
  });

  it('without the workspace filter the other workspace counts in', () => {
    const { rows } = rollUp(world);
    const all = answerFromPartials(rows, { ...RANGE, workspace_id: undefined });
    expect(all.overview.totalConversations).toBe(5);
    expect(all.overview.activeCustomers).toBe(4);
    expect(all.channels.channels['zalo']).toEqual({ messageCount: 7, conversationCount: 3, escalationRate: 0 });
    expect(all.events.signInFailuresByErrorCode).toEqual({ bad_password: 2, mfa: 1 });
    expect(all).toEqual(groundTruth(world, { ...RANGE, workspace_id: undefined }));
  });

  it('an empty selection gives zeros, empty lists and null rates', () => {
    expect(evaluateMetrics(new MemoryMeasureStore())).toEqual(EMPTY);
    expect(groundTruth(world, { ...RANGE, org_id: 'nobody' })).toEqual(EMPTY);
  });

  it('evaluates one section alone', () => {
    const { rows } = rollUp(world);
    const store = new MemoryMeasureStore(rows.filter((r) => r.org_id === 'o1' && r.workspace_id === 'w1' && r.bucket >= T && r.bucket < T + 60 * MIN));
    expect(evaluateSection('gates', store)).toEqual(EXPECTED.gates);
    expect(evaluateSection('overview', store)).toEqual(EXPECTED.overview);
  });
});

describe('evaluator on a hand-filled store', () => {
  /** A store given directly as numbers, as the query layer would. */
  function fixed(values: Record<string, Record<string, { count: number; sum?: number; distinct?: number }>>): MeasureStore {
    const cell = (m: string, d?: string) => {
      const dims = values[m] ?? {};
      if (d !== undefined) return dims[d];
      const cells = Object.values(dims);
      return {
        count: cells.reduce((s, c) => s + c.count, 0),
        sum: cells.reduce((s, c) => s + (c.sum ?? 0), 0),
        distinct: cells.reduce((s, c) => s + (c.distinct ?? 0), 0),
      };
    };
    return {
      count: (m, d) => cell(m, d)?.count ?? 0,
      sum: (m, d) => cell(m, d)?.sum ?? 0,
      distinct: (m, d) => cell(m, d)?.distinct ?? 0,
      dims: (m) => Object.keys(values[m] ?? {}),
    };
  }

  it('top-k breaks ties by string order and drops the empty dim', () => {
    const store = fixed({
      friction_themes: { b: { count: 2 }, a: { count: 2 }, '': { count: 9 }, c: { count: 3 }, e: { count: 1 }, d: { count: 1 }, f: { count: 1 } },
      hallucination_failed_claims: { Z: { count: 1 }, a: { count: 1 }, B: { count: 1 }, b: { count: 1 } },
    });
    const modules = evaluateSection('dashboard', store).modules;
    expect(modules.topFrictionThemes).toEqual([
      { themeId: 'c', count: 3 },
      { themeId: 'a', count: 2 },
      { themeId: 'b', count: 2 },
      { themeId: 'd', count: 1 },
      { themeId: 'e', count: 1 },
    ]);
    // code-unit order: upper case before lower case
    expect(evaluateSection('gates', store).gates.hallucination.commonClaims).toEqual(['B', 'Z', 'a']);
  });

  it('rates are unrounded fractions and null on a zero denominator', () => {
    const store = fixed({
      conversations: { zalo: { count: 3, distinct: 3 } },
      escalated_conversations: { zalo: { count: 1, distinct: 1 }, pancake: { count: 1, distinct: 1 } },
      first_attempts: { '': { count: 0 } },
      response_time_ms: { '': { count: 3, sum: 1000 } },
    });
    const overview = evaluateSection('overview', store);
    expect(overview.escalationRate).toBe(2 / 3);
    expect(overview.gatePassRate).toBeNull();
    expect(overview.avgResponseTime).toBe(1000 / 3 / 1000);
    expect(evaluateSection('channels', store).channels).toEqual({
      pancake: { messageCount: 0, conversationCount: 0, escalationRate: null },
      zalo: { messageCount: 0, conversationCount: 3, escalationRate: 1 / 3 },
    });
  });
});
