/**
 * One valid event of every catalog type (contract 4.2), with realistic dashboard fields, for tests of
 * any module. Timestamps are at or a little before `now`, in the order of the catalog.
 */
import { EVENT_NAMES, type AnalyticsEvent, type EventName } from '../../src/contract/catalog.js';

export const SAMPLE_ORG = 'org_7f3a9c';
export const SAMPLE_WORKSPACE = 'ws_support_vn';

function envelope(event: EventName, index: number, now: number): AnalyticsEvent {
  const n = String(index + 1).padStart(12, '0');
  return {
    event,
    event_id: `0b5f2d3e-7c1a-4e8b-9f60-${n}`,
    org_id: SAMPLE_ORG,
    workspace_id: SAMPLE_WORKSPACE,
    user_id: 'usr_agent_42',
    timestamp: now - (EVENT_NAMES.length - index) * 1000,
  };
}

const EXTRA: Record<EventName, Partial<AnalyticsEvent>> = {
  'auth.sign_in.success': { app_surface: 'web_dashboard', result: 'success' },
  'auth.sign_in.failure': { app_surface: 'web_dashboard', result: 'failure', error_code: 'invalid_password' },
  'workspace.created': { app_surface: 'web_dashboard' },
  'workspace.switched': { app_surface: 'mobile_app' },
  'kb.created': { app_surface: 'web_dashboard', result: 'success' },
  'kb.published': { app_surface: 'web_dashboard', result: 'success' },
  'channel.connected': { channel_type: 'zalo', result: 'success' },
  'channel.disconnected': { channel_type: 'facebook', result: 'success' },
  'comment_responder.reply.generated': { channel_type: 'facebook', conversation_id: 'conv_fb_1001', reply_mode: 'auto' },
  'comment_responder.reply.sent': { channel_type: 'facebook', conversation_id: 'conv_fb_1001', reply_mode: 'assisted' },
  'chatti_live.conversation.assigned': { channel_type: 'pancake', conversation_id: 'conv_pc_2002', handoff_target: 'tier2_agents' },
  'billing.plan_changed': { app_surface: 'web_dashboard', result: 'upgraded' },

  'customer_signal.detected': {
    channel_type: 'zalo', conversation_id: 'conv_zl_3003', customer_id: 'cust_88121', customer_cohort: 'returning',
    signal_type: 'dissatisfaction', severity: 'medium', confidence_band: 'high',
  },
  'customer_signal.severe_negative_detected': {
    channel_type: 'zalo', conversation_id: 'conv_zl_3003', customer_id: 'cust_88121', customer_cohort: 'returning',
    signal_type: 'severe_negative', severity: 'high', confidence_band: 'high', previous_signal_type: 'dissatisfaction',
  },
  'customer_signal.success_detected': {
    channel_type: 'facebook', conversation_id: 'conv_fb_1001', customer_id: 'cust_10233', signal_type: 'success',
    severity: 'low', confidence_band: 'medium',
  },
  'customer_signal.theme_clustered': { theme_id: 'theme_late_delivery', signal_type: 'dissatisfaction', confidence_band: 'medium' },
  'ai_triage.completed': { channel_type: 'zalo', conversation_id: 'conv_zl_3003', triage_result: 'escalated', confidence_band: 'high' },
  'ai_triage.escalation_triggered': {
    channel_type: 'zalo', conversation_id: 'conv_zl_3003', escalation_reason: 'refund_request', severity: 'high',
  },
  'ai_reply.generated': { channel_type: 'pancake', conversation_id: 'conv_pc_2002', reply_mode: 'auto' },
  'ai_reply.sent': { channel_type: 'pancake', conversation_id: 'conv_pc_2002', reply_mode: 'assisted' },
  'ai_reply.kb_gap_detected': { channel_type: 'pancake', conversation_id: 'conv_pc_2002', kb_gap_type: 'missing_article' },
  'interaction.outcome_resolved': {
    conversation_id: 'conv_fb_1001', outcome_type: 'resolved', resolution_path: 'ai_only', time_to_resolution_ms: 540_000,
  },
  'interaction.outcome_recovered': {
    conversation_id: 'conv_zl_3003', outcome_type: 'recovered', previous_signal_type: 'severe_negative', resolution_path: 'human_followup',
  },
  'interaction.outcome_reopened': { conversation_id: 'conv_fb_1001', outcome_type: 'reopened' },
  'interaction.outcome_handoff_completed': {
    conversation_id: 'conv_zl_3003', outcome_type: 'handoff_completed', handoff_target: 'tier2_agents',
    resolution_path: 'human', time_to_resolution_ms: 1_860_000,
  },

  'message.received': {
    channel_type: 'zalo', conversation_id: 'conv_zl_3003', message_id: 'msg_zl_0001', customer_id: 'cust_88121',
    customer_cohort: 'returning',
  },
  'message.processed': { channel_type: 'zalo', conversation_id: 'conv_zl_3003', message_id: 'msg_zl_0002', response_time_ms: 1840 },
  'message.delivered': {
    channel_type: 'zalo', conversation_id: 'conv_zl_3003', message_id: 'msg_zl_0002', response_time_ms: 2350,
    is_first_response: true, customer_id: 'cust_88121', customer_cohort: 'returning',
  },
  'gate.evaluated': {
    channel_type: 'zalo', conversation_id: 'conv_zl_3003', message_id: 'msg_zl_0002', attempt: 1,
    gates: [
      { gate: 'repetition', passed: true, score: 0.12 },
      { gate: 'hallucination', passed: false, claims: ['free shipping on all orders', 'refund within 24 hours'] },
      { gate: 'tone', passed: false, banned_phrases: ['calm down', 'as I already said'] },
      { gate: 'relevance', passed: true, score: 0.91 },
      { gate: 'length', passed: true, word_count: 87 },
    ],
  },
  'escalation.created': {
    channel_type: 'zalo', conversation_id: 'conv_zl_3003', escalation_reason: 'refund_request', customer_id: 'cust_88121',
    customer_cohort: 'returning',
  },
  'tool.executed': { channel_type: 'zalo', conversation_id: 'conv_zl_3003', tool_name: 'order_lookup', duration_ms: 312, result: 'ok' },
};

/** One valid event of every `EVENT_NAMES` type, in catalog order. */
export function sampleEvents(now: number): AnalyticsEvent[] {
  return EVENT_NAMES.map((name, i) => sampleEvent(name, now, i));
}

/** The sample event of one catalog type (a fresh object: tests may change it). */
export function sampleEvent(name: EventName, now: number, index = EVENT_NAMES.indexOf(name)): AnalyticsEvent {
  const extra = structuredClone(EXTRA[name]);
  return { ...envelope(name, index, now), ...extra };
}
