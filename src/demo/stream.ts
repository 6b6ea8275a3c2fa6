import { randomUUID } from 'node:crypto';
import { PRODUCT_EVENTS, type AnalyticsEvent, type EventName, type GateCheck } from '../contract/catalog.js';

/**
 * A realistic live stream for `rollups demo`: conversations that arrive, get AI replies through the
 * quality gates, sometimes escalate, and end in outcomes; customer signals, triage, KB gaps and product
 * events around them; several tenants, workspaces and channels. Deterministic for a seed.
 */
export const DEMO_TENANTS = ['org_acme', 'org_globex', 'org_initech'] as const;
const CHANNELS = ['pancake', 'facebook', 'zalo', 'webchat'];
const COHORTS = ['new', 'returning', 'vip'] as const;
const CLAIMS = ['refund within 24h', 'free shipping', 'lifetime warranty', 'same-day delivery'];
const PHRASES = ['calm down', 'as I said', 'unfortunately'];
const THEMES = ['late_delivery', 'billing_confusion', 'login_issue', 'damaged_item'];
const REASONS = ['angry_customer', 'policy_exception', 'low_confidence'];

/** mulberry32: a tiny, fast 32-bit PRNG with floats in [0, 1); the test generator uses it too. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createDemoStream(seed = 1) {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  let conv = 0;

  function base(event: EventName, org: string, ws: string, ts: number): AnalyticsEvent {
    return { event, event_id: randomUUID(), org_id: org, workspace_id: ws, user_id: `usr_${Math.floor(rnd() * 40)}`, timestamp: ts };
  }

  function gates(ok: boolean): GateCheck[] {
    const fail = ok ? undefined : pick(['hallucination', 'tone', 'length', 'repetition', 'relevance'] as const);
    return [
      { gate: 'repetition', passed: fail !== 'repetition', score: Math.round(rnd() * 100) / 100 },
      { gate: 'hallucination', passed: fail !== 'hallucination', ...(fail === 'hallucination' ? { claims: [pick(CLAIMS)] } : {}) },
      { gate: 'tone', passed: fail !== 'tone', ...(fail === 'tone' ? { banned_phrases: [pick(PHRASES)] } : {}) },
      { gate: 'relevance', passed: fail !== 'relevance', score: Math.round(rnd() * 100) / 100 },
      { gate: 'length', passed: fail !== 'length', word_count: 20 + Math.floor(rnd() * 180) },
    ];
  }

  /** About `n` events of one moment: whole conversations plus the signals around them. */
  return function next(n: number, now: number): AnalyticsEvent[] {
    const out: AnalyticsEvent[] = [];
    while (out.length < n) {
      const org = pick(DEMO_TENANTS);
      const ws = `${org.replace('org_', 'ws_')}_${Math.floor(rnd() * 2) + 1}`;
      const channel = pick(CHANNELS);
      const cohort = pick(COHORTS);
      const conversation_id = `conv_${seed}_${++conv}`;
      const customer_id = `cust_${org}_${Math.floor(rnd() * 500)}`;
      const t = now - Math.floor(rnd() * 5000);
      const common = { channel_type: channel, conversation_id, customer_id, customer_cohort: cohort };
      out.push({ ...base('message.received', org, ws, t), ...common, message_id: `m_${conv}_1` });
      const passed = rnd() < 0.8;
      out.push({ ...base('gate.evaluated', org, ws, t + 300), channel_type: channel, conversation_id, message_id: `m_${conv}_2`, attempt: 1, gates: gates(passed) });
      if (!passed) out.push({ ...base('gate.evaluated', org, ws, t + 600), channel_type: channel, conversation_id, message_id: `m_${conv}_2`, attempt: 2, gates: gates(true) });
      out.push({ ...base('ai_reply.generated', org, ws, t + 250), channel_type: channel, conversation_id, reply_mode: 'auto' });
      if (rnd() < 0.3) out.push({ ...base('tool.executed', org, ws, t + 400), channel_type: channel, conversation_id, tool_name: pick(['order_lookup', 'refund_status']), duration_ms: 50 + Math.floor(rnd() * 400), result: 'success' });
      out.push({ ...base('message.processed', org, ws, t + 700), channel_type: channel, conversation_id, message_id: `m_${conv}_2`, response_time_ms: 400 + Math.floor(rnd() * 2000) });
      out.push({ ...base('message.delivered', org, ws, t + 900), ...common, message_id: `m_${conv}_2`, response_time_ms: 900 + Math.floor(rnd() * 4000), is_first_response: true });
      out.push({ ...base('ai_triage.completed', org, ws, t + 200), channel_type: channel, conversation_id, triage_result: rnd() < 0.15 ? 'escalated' : 'auto_handled' });
      out.push({ ...base('ai_reply.sent', org, ws, t + 900), channel_type: channel, conversation_id, reply_mode: pick(['auto', 'auto', 'assisted', 'human'] as const) });
      if (rnd() < 0.12) {
        out.push({ ...base('escalation.created', org, ws, t + 1000), ...common, escalation_reason: pick(REASONS) });
        out.push({ ...base('ai_triage.escalation_triggered', org, ws, t + 1000), channel_type: channel, conversation_id, escalation_reason: pick(REASONS) });
      }
      if (rnd() < 0.2) out.push({ ...base('customer_signal.detected', org, ws, t + 100), ...common, signal_type: rnd() < 0.5 ? 'dissatisfaction' : 'confusion' });
      if (rnd() < 0.1) out.push({ ...base('customer_signal.success_detected', org, ws, t + 1100), ...common, signal_type: 'gratitude' });
      if (rnd() < 0.05) out.push({ ...base('customer_signal.severe_negative_detected', org, ws, t + 100), ...common, severity: 'high' });
      if (rnd() < 0.1) out.push({ ...base('customer_signal.theme_clustered', org, ws, t + 100), conversation_id, theme_id: pick(THEMES) });
      if (rnd() < 0.08) out.push({ ...base('ai_reply.kb_gap_detected', org, ws, t + 800), conversation_id, kb_gap_type: pick(['missing_article', 'outdated_article']) });
      const outcome = rnd();
      if (outcome < 0.6) out.push({ ...base('interaction.outcome_resolved', org, ws, t + 1200), conversation_id, outcome_type: 'resolved' });
      else if (outcome < 0.7) out.push({ ...base('interaction.outcome_reopened', org, ws, t + 1200), conversation_id });
      else if (outcome < 0.75) out.push({ ...base('interaction.outcome_recovered', org, ws, t + 1200), conversation_id });
      else if (outcome < 0.8) out.push({ ...base('interaction.outcome_handoff_completed', org, ws, t + 1200), conversation_id, handoff_target: 'tier2', time_to_resolution_ms: 60_000 + Math.floor(rnd() * 600_000) });
      if (rnd() < 0.3) {
        const p = pick(PRODUCT_EVENTS);
        out.push({ ...base(p, org, ws, t), app_surface: 'web_dashboard', ...(p === 'auth.sign_in.failure' ? { error_code: pick(['invalid_password', 'mfa_timeout']) } : {}) });
      }
    }
    return out;
  };
}
