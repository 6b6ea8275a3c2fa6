/**
 * A DELIBERATELY NAIVE recomputation of every contract section 5 metric, straight from raw events.
 *
 * Written from the contract text alone. It shares no code with src/metrics (no mapping, no evaluator,
 * no store): only the event types of the catalog. It scans arrays, builds Sets, and divides; it is
 * slow and obviously right, which is the point. Output shapes are those of the read API answers
 * (minus `period`), as produced by `evaluateMetrics`.
 *
 * Readings of the contract shared with the product (and documented in docs/data-model.md):
 *  - a field that is absent or '' (channel_type, escalation_reason, kb_gap_type, theme_id, error_code)
 *    names no group: such events count in totals, never under a '' key;
 *  - claims / banned phrases are counted per occurrence; "string order" is UTF-16 code-unit order;
 *  - a gate.evaluated with an empty `gates` list has "all gates passed";
 *  - `counts` lists every product event name (0 when none).
 */
import { PRODUCT_EVENTS, type AnalyticsEvent, type GateCheck } from '../../src/contract/catalog.js';

export interface GroundTruthQuery {
  org_id: string;
  workspace_id?: string;
  /** Inclusive, epoch ms. */
  fromMs: number;
  /** Exclusive, epoch ms. */
  toMs: number;
}

type Rate = number | null;

export interface GroundTruth {
  overview: {
    totalConversations: number;
    totalMessages: number;
    avgResponseTime: Rate;
    escalationRate: Rate;
    gatePassRate: Rate;
    activeCustomers: number;
  };
  gates: {
    gates: {
      repetition: { passRate: Rate; failCount: number; avgScore: Rate };
      hallucination: { passRate: Rate; failCount: number; commonClaims: string[] };
      tone: { passRate: Rate; failCount: number; bannedPhrasesTriggered: string[] };
      relevance: { passRate: Rate; failCount: number; avgScore: Rate };
      length: { passRate: Rate; failCount: number; avgWordCount: Rate };
    };
    totalGateChecks: number;
  };
  channels: {
    channels: Record<string, { messageCount: number; conversationCount: number; escalationRate: Rate }>;
  };
  cohorts: {
    cohorts: Record<
      'new_customers' | 'returning_customers' | 'vip_customers',
      { count: number; avgFirstResponseTime: Rate; escalationRate: Rate }
    >;
  };
  dashboard: {
    modules: {
      dissatisfactionDetected: number;
      severeNegativeCount: number;
      topFrictionThemes: Array<{ themeId: string; count: number }>;
      escalatedForHumanReview: { total: number; byReason: Record<string, number> };
      handlingSplit: { triaged: number; escalated: number; repliesSent: { auto: number; assisted: number; human: number } };
      kbGaps: { total: number; byType: Record<string, number> };
      resolved: number;
      recovered: number;
      reopened: number;
      handoffsCompleted: number;
      avgTimeToResolutionMs: Rate;
    };
  };
  events: {
    counts: Record<string, number>;
    signInFailuresByErrorCode: Record<string, number>;
  };
}

function divide(a: number, b: number): Rate {
  return b === 0 ? null : a / b;
}

function average(values: number[]): Rate {
  if (values.length === 0) return null;
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

function seconds(ms: Rate): Rate {
  return ms === null ? null : ms / 1000;
}

function distinctCount(values: Array<string | undefined>): number {
  const set = new Set<string>();
  for (const v of values) if (v !== undefined) set.add(v);
  return set.size;
}

/** Counts per value, sorted by count desc then string, first `k` of them. */
function mostFrequent(values: string[], k: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => {
      if (a[1] !== b[1]) return b[1] - a[1];
      if (a[0] < b[0]) return -1;
      if (a[0] > b[0]) return 1;
      return 0;
    })
    .slice(0, k);
}

function countBy(values: Array<string | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) if (v) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export function groundTruth(all: readonly AnalyticsEvent[], q: GroundTruthQuery): GroundTruth {
  const events = all.filter(
    (e) =>
      e.org_id === q.org_id &&
      (q.workspace_id === undefined || e.workspace_id === q.workspace_id) &&
      e.timestamp >= q.fromMs &&
      e.timestamp < q.toMs,
  );
  const named = (name: string): AnalyticsEvent[] => events.filter((e) => e.event === name);

  const received = named('message.received');
  const delivered = named('message.delivered');
  const escalations = named('escalation.created');
  const gateEvents = named('gate.evaluated');

  // ---- overview
  const totalConversations = distinctCount(received.map((e) => e.conversation_id));
  const firstAttempts = gateEvents.filter((e) => e.attempt === 1);
  const overview = {
    totalConversations,
    totalMessages: received.length + delivered.length,
    avgResponseTime: seconds(
      average(delivered.filter((e) => e.response_time_ms !== undefined).map((e) => e.response_time_ms!)),
    ),
    escalationRate: divide(distinctCount(escalations.map((e) => e.conversation_id)), totalConversations),
    gatePassRate: divide(
      firstAttempts.filter((e) => (e.gates ?? []).every((g) => g.passed)).length,
      firstAttempts.length,
    ),
    activeCustomers: distinctCount(received.map((e) => e.customer_id)),
  };

  // ---- gates
  const checks: GateCheck[] = [];
  for (const e of gateEvents) for (const c of e.gates ?? []) checks.push(c);
  const checksOf = (gate: string): GateCheck[] => checks.filter((c) => c.gate === gate);
  const base = (gate: string) => {
    const mine = checksOf(gate);
    return {
      passRate: divide(mine.filter((c) => c.passed).length, mine.length),
      failCount: mine.filter((c) => !c.passed).length,
    };
  };
  const meanOf = (gate: string, field: 'score' | 'word_count'): Rate =>
    average(checksOf(gate).filter((c) => c[field] !== undefined).map((c) => c[field]!));
  const failedClaims: string[] = [];
  for (const c of checksOf('hallucination')) if (!c.passed) failedClaims.push(...(c.claims ?? []));
  const failedPhrases: string[] = [];
  for (const c of checksOf('tone')) if (!c.passed) failedPhrases.push(...(c.banned_phrases ?? []));
  const gates = {
    gates: {
      repetition: { ...base('repetition'), avgScore: meanOf('repetition', 'score') },
      hallucination: { ...base('hallucination'), commonClaims: mostFrequent(failedClaims, 3).map(([c]) => c) },
      tone: { ...base('tone'), bannedPhrasesTriggered: mostFrequent(failedPhrases, 5).map(([p]) => p) },
      relevance: { ...base('relevance'), avgScore: meanOf('relevance', 'score') },
      length: { ...base('length'), avgWordCount: meanOf('length', 'word_count') },
    },
    totalGateChecks: checks.length,
  };

  // ---- channels
  const channelNames = new Set<string>();
  for (const e of [...received, ...delivered, ...escalations]) if (e.channel_type) channelNames.add(e.channel_type);
  const channels: GroundTruth['channels']['channels'] = {};
  for (const ch of [...channelNames].sort()) {
    const conversations = distinctCount(received.filter((e) => e.channel_type === ch).map((e) => e.conversation_id));
    const escalated = distinctCount(escalations.filter((e) => e.channel_type === ch).map((e) => e.conversation_id));
    channels[ch] = {
      messageCount:
        received.filter((e) => e.channel_type === ch).length + delivered.filter((e) => e.channel_type === ch).length,
      conversationCount: conversations,
      escalationRate: divide(escalated, conversations),
    };
  }

  // ---- cohorts
  const cohort = (c: string) => {
    const conversations = distinctCount(
      received.filter((e) => e.customer_cohort === c).map((e) => e.conversation_id),
    );
    return {
      count: distinctCount(received.filter((e) => e.customer_cohort === c).map((e) => e.customer_id)),
      avgFirstResponseTime: seconds(
        average(
          delivered
            .filter((e) => e.is_first_response === true && e.customer_cohort === c && e.response_time_ms !== undefined)
            .map((e) => e.response_time_ms!),
        ),
      ),
      escalationRate: divide(
        distinctCount(escalations.filter((e) => e.customer_cohort === c).map((e) => e.conversation_id)),
        conversations,
      ),
    };
  };

  // ---- dashboard modules
  const themes = named('customer_signal.theme_clustered')
    .map((e) => e.theme_id)
    .filter((t): t is string => !!t);
  const triggered = named('ai_triage.escalation_triggered');
  const triaged = named('ai_triage.completed');
  const sent = named('ai_reply.sent');
  const gaps = named('ai_reply.kb_gap_detected');
  const handoffs = named('interaction.outcome_handoff_completed');
  const modules = {
    dissatisfactionDetected: named('customer_signal.detected').filter((e) => e.signal_type === 'dissatisfaction').length,
    severeNegativeCount: named('customer_signal.severe_negative_detected').length,
    topFrictionThemes: mostFrequent(themes, 5).map(([themeId, count]) => ({ themeId, count })),
    escalatedForHumanReview: {
      total: triggered.length,
      byReason: countBy(triggered.map((e) => e.escalation_reason)),
    },
    handlingSplit: {
      triaged: triaged.length,
      escalated: triaged.filter((e) => e.triage_result === 'escalated').length,
      repliesSent: {
        auto: sent.filter((e) => e.reply_mode === 'auto').length,
        assisted: sent.filter((e) => e.reply_mode === 'assisted').length,
        human: sent.filter((e) => e.reply_mode === 'human').length,
      },
    },
    kbGaps: { total: gaps.length, byType: countBy(gaps.map((e) => e.kb_gap_type)) },
    resolved: named('interaction.outcome_resolved').length,
    recovered: named('interaction.outcome_recovered').length,
    reopened: named('interaction.outcome_reopened').length,
    handoffsCompleted: handoffs.length,
    avgTimeToResolutionMs: average(
      handoffs.filter((e) => e.time_to_resolution_ms !== undefined).map((e) => e.time_to_resolution_ms!),
    ),
  };

  // ---- product events
  const counts: Record<string, number> = {};
  for (const name of PRODUCT_EVENTS) counts[name] = named(name).length;

  return {
    overview,
    gates,
    channels: { channels },
    cohorts: {
      cohorts: {
        new_customers: cohort('new'),
        returning_customers: cohort('returning'),
        vip_customers: cohort('vip'),
      },
    },
    dashboard: { modules },
    events: {
      counts,
      signInFailuresByErrorCode: countBy(named('auth.sign_in.failure').map((e) => e.error_code)),
    },
  };
}
