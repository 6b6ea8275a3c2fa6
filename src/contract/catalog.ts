/**
 * The event catalog of contract section 4: the only place where event names and their fields are
 * listed. Validation, the Avro schema check and the metric mapping all read from here.
 */

export const PRODUCT_EVENTS = [
  'auth.sign_in.success',
  'auth.sign_in.failure',
  'workspace.created',
  'workspace.switched',
  'kb.created',
  'kb.published',
  'channel.connected',
  'channel.disconnected',
  'comment_responder.reply.generated',
  'comment_responder.reply.sent',
  'chatti_live.conversation.assigned',
  'billing.plan_changed',
] as const;

export const SIGNAL_EVENTS = [
  'customer_signal.detected',
  'customer_signal.severe_negative_detected',
  'customer_signal.success_detected',
  'customer_signal.theme_clustered',
  'ai_triage.completed',
  'ai_triage.escalation_triggered',
  'ai_reply.generated',
  'ai_reply.sent',
  'ai_reply.kb_gap_detected',
  'interaction.outcome_resolved',
  'interaction.outcome_recovered',
  'interaction.outcome_reopened',
  'interaction.outcome_handoff_completed',
] as const;

export const ASSISTANT_EVENTS = [
  'message.received',
  'message.processed',
  'message.delivered',
  'gate.evaluated',
  'escalation.created',
  'tool.executed',
] as const;

export const EVENT_NAMES = [...PRODUCT_EVENTS, ...SIGNAL_EVENTS, ...ASSISTANT_EVENTS] as const;

export type ProductEventName = (typeof PRODUCT_EVENTS)[number];
export type SignalEventName = (typeof SIGNAL_EVENTS)[number];
export type AssistantEventName = (typeof ASSISTANT_EVENTS)[number];
export type EventName = (typeof EVENT_NAMES)[number];

export const GATE_NAMES = ['repetition', 'hallucination', 'tone', 'relevance', 'length'] as const;
export type GateName = (typeof GATE_NAMES)[number];

export const CUSTOMER_COHORTS = ['new', 'returning', 'vip'] as const;
export type CustomerCohort = (typeof CUSTOMER_COHORTS)[number];

export const REPLY_MODES = ['auto', 'assisted', 'human'] as const;
export type ReplyMode = (typeof REPLY_MODES)[number];

/** One quality-gate check inside `gate.evaluated`. */
export interface GateCheck {
  gate: GateName;
  passed: boolean;
  score?: number;
  word_count?: number;
  claims?: string[];
  banned_phrases?: string[];
}

/**
 * A valid event, as the worker holds it after decoding and validation. Optional fields that were
 * absent (or null on the wire) are left out, never set to null, so two equal events compare equal
 * whichever wire form they came from. `timestamp` is event time in epoch milliseconds.
 */
export interface AnalyticsEvent {
  event: EventName;
  event_id: string;
  org_id: string;
  workspace_id: string;
  user_id: string;
  timestamp: number;

  channel_type?: string;
  app_surface?: string;
  result?: string;
  error_code?: string;
  conversation_id?: string;
  message_id?: string;
  customer_id?: string;
  customer_cohort?: CustomerCohort;

  signal_type?: string;
  severity?: string;
  theme_id?: string;
  confidence_band?: string;
  triage_result?: string;
  reply_mode?: ReplyMode;
  kb_gap_type?: string;
  outcome_type?: string;
  time_to_resolution_ms?: number;
  escalation_reason?: string;
  previous_signal_type?: string;
  handoff_target?: string;
  resolution_path?: string;

  response_time_ms?: number;
  is_first_response?: boolean;
  attempt?: number;
  gates?: GateCheck[];
  tool_name?: string;
  duration_ms?: number;
}

export type FieldName = keyof AnalyticsEvent;

/** How a field's value is checked. `long`/`int` are whole numbers (int fits 32 bits). */
export type FieldType = 'string' | 'long' | 'int' | 'boolean' | 'timestamp' | 'gates';

export const ENVELOPE_REQUIRED = ['event', 'event_id', 'org_id', 'workspace_id', 'user_id', 'timestamp'] as const;

/** Every field of the contract with its type; `enum` narrows a string field to listed values. */
export const FIELD_TYPES: Record<FieldName, { type: FieldType; enum?: readonly string[] }> = {
  event: { type: 'string', enum: EVENT_NAMES },
  event_id: { type: 'string' },
  org_id: { type: 'string' },
  workspace_id: { type: 'string' },
  user_id: { type: 'string' },
  timestamp: { type: 'timestamp' },
  channel_type: { type: 'string' },
  app_surface: { type: 'string' },
  result: { type: 'string' },
  error_code: { type: 'string' },
  conversation_id: { type: 'string' },
  message_id: { type: 'string' },
  customer_id: { type: 'string' },
  customer_cohort: { type: 'string', enum: CUSTOMER_COHORTS },
  signal_type: { type: 'string' },
  severity: { type: 'string' },
  theme_id: { type: 'string' },
  confidence_band: { type: 'string' },
  triage_result: { type: 'string' },
  reply_mode: { type: 'string', enum: REPLY_MODES },
  kb_gap_type: { type: 'string' },
  outcome_type: { type: 'string' },
  time_to_resolution_ms: { type: 'long' },
  escalation_reason: { type: 'string' },
  previous_signal_type: { type: 'string' },
  handoff_target: { type: 'string' },
  resolution_path: { type: 'string' },
  response_time_ms: { type: 'long' },
  is_first_response: { type: 'boolean' },
  attempt: { type: 'int' },
  gates: { type: 'gates' },
  tool_name: { type: 'string' },
  duration_ms: { type: 'long' },
};

/** Optional on every event: the envelope's optional fields and the dashboard fields. */
export const COMMON_OPTIONAL: readonly FieldName[] = [
  'channel_type', 'app_surface', 'result', 'error_code', 'conversation_id', 'message_id', 'customer_id',
  'customer_cohort', 'signal_type', 'severity', 'theme_id', 'confidence_band', 'triage_result', 'reply_mode',
  'kb_gap_type', 'outcome_type', 'time_to_resolution_ms', 'escalation_reason', 'previous_signal_type',
  'handoff_target', 'resolution_path',
];

/** Fields an assistant event requires beyond the envelope, and the ones it alone may carry. */
export const EVENT_FIELDS: Partial<Record<EventName, { required: readonly FieldName[]; optional: readonly FieldName[] }>> = {
  'message.received': { required: ['conversation_id', 'message_id', 'customer_id'], optional: [] },
  'message.processed': { required: ['conversation_id', 'message_id'], optional: ['response_time_ms'] },
  'message.delivered': { required: ['conversation_id', 'message_id'], optional: ['response_time_ms', 'is_first_response'] },
  'gate.evaluated': { required: ['conversation_id', 'message_id', 'attempt', 'gates'], optional: [] },
  'escalation.created': { required: ['conversation_id'], optional: [] },
  'tool.executed': { required: ['conversation_id', 'tool_name'], optional: ['duration_ms'] },
};

/** Machine-readable reasons an input ends in the dead-letter topic (header `x-dlq-reason`). */
export const REJECT_REASONS = [
  'not_avro', // no Confluent magic byte / too short to frame
  'unknown_schema', // schema id the registry does not know
  'registry_unavailable', // registry down for longer than the configured patience
  'decode_error', // Avro body does not decode with its writer schema
  'invalid_json', // a `rollups produce` line that is not a JSON object
  'missing_field',
  'unknown_event',
  'unknown_field', // a field outside the contract: the PII guard
  'invalid_field', // wrong type or value outside its enum
  'bad_timestamp', // unparsable
  'future_timestamp', // more than 7 days ahead of the worker's clock
  'too_late', // older than the lateness horizon of the windows
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const MAX_FUTURE_MS = 7 * 24 * 60 * 60 * 1000;
