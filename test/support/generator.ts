/**
 * A seeded, deterministic generator of realistic, valid analytics events of every catalog type.
 *
 * Conversations (message.received -> message.processed -> gate.evaluated attempts -> message.delivered,
 * tool calls, escalations) make up most of the stream; dashboard signal events and product events are
 * sprinkled between them. Event time runs over `days` from `startMs`; the returned array is in
 * EMISSION order, which differs from event-time order: about `outOfOrderFraction` of the events are
 * emitted a few minutes late, and a share of those up to `lateHoursMax` hours late.
 *
 * Numbers are chosen so that sums are exact in floating point whatever the order of addition (whole
 * milliseconds and word counts, gate scores in 1/256 steps): a rollup and a naive recomputation then
 * agree to the last bit.
 */
import {
  GATE_NAMES,
  PRODUCT_EVENTS,
  REPLY_MODES,
  type AnalyticsEvent,
  type CustomerCohort,
  type EventName,
  type GateCheck,
} from '../../src/contract/catalog.js';
import { mulberry32 } from '../../src/demo/stream.js';

export interface GenerateOptions {
  seed: number;
  tenants: number;
  workspacesPerTenant: number;
  days: number;
  /** Event time of the start of the generated period, epoch ms. */
  startMs: number;
  /** Exact number of events returned. */
  count: number;
  /** Share of events emitted out of event-time order. Default 0.1. */
  outOfOrderFraction?: number;
  /** The most hours an event may be emitted after its event time. Default 6. */
  lateHoursMax?: number;
}

export { mulberry32 };

export const CHANNELS = ['pancake', 'facebook', 'zalo', 'instagram', 'webchat'] as const;
export const ESCALATION_REASONS = ['angry_customer', 'refund_request', 'legal_threat', 'low_confidence', 'vip_request'] as const;
export const THEMES = [
  'theme-shipping-delay', 'theme-refund', 'theme-login', 'theme-pricing', 'theme-damaged-item',
  'theme-wrong-size', 'theme-app-crash', 'theme-payment', 'theme-tracking', 'theme-cancellation',
] as const;
export const CLAIMS = [
  'free shipping worldwide', 'lifetime warranty', 'refund within 24h', 'in stock', 'price match',
  '50% discount', 'next-day delivery', 'certified organic',
] as const;
export const BANNED_PHRASES = [
  'calm down', 'as I said', 'not my problem', 'obviously', 'you should have', 'per my last message',
  'whatever', 'no offense',
] as const;
export const KB_GAP_TYPES = ['missing_article', 'outdated_article', 'ambiguous_answer', 'no_policy'] as const;
export const TRIAGE_RESULTS = ['auto_handled', 'escalated', 'needs_review', 'deferred'] as const;
export const SIGNAL_TYPES = ['dissatisfaction', 'confusion', 'urgency', 'praise', 'churn_risk'] as const;
export const SIGN_IN_ERRORS = ['invalid_password', 'mfa_failed', 'account_locked', 'sso_error'] as const;
const TOOLS = ['order_lookup', 'refund_status', 'kb_search', 'shipping_tracker'] as const;
const SEVERITIES = ['low', 'medium', 'high'] as const;
const CONFIDENCE = ['low', 'medium', 'high'] as const;
const SURFACES = ['web', 'mobile', 'desktop'] as const;
const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
const HANDOFF_TARGETS = ['tier1', 'tier2', 'billing'] as const;

/** Single (non-conversation) events and their relative weights. */
const SINGLE_EVENTS: ReadonlyArray<readonly [EventName, number]> = [
  ['customer_signal.detected', 8],
  ['customer_signal.severe_negative_detected', 2],
  ['customer_signal.success_detected', 3],
  ['customer_signal.theme_clustered', 6],
  ['ai_triage.completed', 8],
  ['ai_triage.escalation_triggered', 3],
  ['ai_reply.generated', 6],
  ['ai_reply.sent', 6],
  ['ai_reply.kb_gap_detected', 3],
  ['interaction.outcome_resolved', 4],
  ['interaction.outcome_recovered', 2],
  ['interaction.outcome_reopened', 1],
  ['interaction.outcome_handoff_completed', 2],
  ...PRODUCT_EVENTS.map((n): readonly [EventName, number] => [
    n,
    n === 'auth.sign_in.success' ? 6 : n === 'auth.sign_in.failure' ? 3 : 1,
  ]),
];

const PRODUCT_SET: ReadonlySet<string> = new Set(PRODUCT_EVENTS);
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

interface Customer {
  id: string;
  cohort: CustomerCohort;
}

interface Tenant {
  org: string;
  workspaces: string[];
  users: string[];
  customers: Customer[];
}

export function generateEvents(options: GenerateOptions): AnalyticsEvent[] {
  const { seed, tenants: tenantCount, workspacesPerTenant, days, startMs, count } = options;
  const outOfOrder = options.outOfOrderFraction ?? 0.1;
  const lateHoursMax = options.lateHoursMax ?? 6;
  const rand = mulberry32(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const chance = (p: number): boolean => rand() < p;
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const spanMs = Math.max(1, Math.round(days * DAY_MS));

  const singleTotal = SINGLE_EVENTS.reduce((s, [, w]) => s + w, 0);
  const pickSingle = (): EventName => {
    let r = rand() * singleTotal;
    for (const [name, w] of SINGLE_EVENTS) if ((r -= w) < 0) return name;
    return SINGLE_EVENTS[0]![0];
  };

  const tenants: Tenant[] = [];
  for (let t = 0; t < tenantCount; t++) {
    const org = `org-${seed}-${t + 1}`;
    const customers: Customer[] = [];
    const nCustomers = 50 + int(250);
    for (let c = 0; c < nCustomers; c++) {
      const r = rand();
      customers.push({ id: `cust-${t + 1}-${c + 1}`, cohort: r < 0.5 ? 'new' : r < 0.9 ? 'returning' : 'vip' });
    }
    tenants.push({
      org,
      workspaces: Array.from({ length: workspacesPerTenant }, (_, w) => `ws-${t + 1}-${w + 1}`),
      users: Array.from({ length: 3 + int(8) }, (_, u) => `user-${t + 1}-${u + 1}`),
      customers,
    });
  }

  const events: AnalyticsEvent[] = [];
  let serial = 0;
  const hex8 = (): string => ((rand() * 4294967296) >>> 0).toString(16).padStart(8, '0');
  // UUID-shaped ids, unique within one generation: a random per-run prefix and a serial number.
  const idPrefix = `${hex8()}-${hex8().slice(0, 4)}-4${hex8().slice(0, 3)}-${(8 + int(4)).toString(16)}${hex8().slice(0, 3)}-`;
  const uuid = (): string => idPrefix + (serial++).toString(16).padStart(12, '0');
  const base = (event: EventName, tenant: Tenant, workspace: string, user: string, timestamp: number): AnalyticsEvent => ({
    event,
    event_id: uuid(),
    org_id: tenant.org,
    workspace_id: workspace,
    user_id: user,
    timestamp,
  });
  /** A gate score in 1/256 steps (exact float sums). */
  const score = (lo: number): number => (lo + int(257 - lo)) / 256;

  const gateChecks = (attempt: number, lastAttempt: boolean): GateCheck[] => {
    const checks: GateCheck[] = [];
    const failP = lastAttempt ? 0.05 : 0.22 / attempt;
    for (const gate of GATE_NAMES) {
      if (chance(0.03)) continue; // a gate sometimes not run
      const passed = !chance(failP);
      const c: GateCheck = { gate, passed };
      if ((gate === 'repetition' || gate === 'relevance') && chance(0.92)) c.score = passed ? score(150) : score(0);
      if (gate === 'tone' && chance(0.2)) c.score = score(0);
      if (gate === 'length' && chance(0.95)) c.word_count = 5 + int(300);
      if (gate === 'length' && !passed && chance(0.5)) c.word_count = 300 + int(400);
      // claims are listed on failed checks, and sometimes on passed ones (checked and found fine)
      if (gate === 'hallucination' && (passed ? chance(0.3) : chance(0.9))) {
        const n = 1 + int(3);
        c.claims = Array.from({ length: n }, () => pick(CLAIMS));
      }
      if (gate === 'tone' && (passed ? chance(0.05) : chance(0.85))) {
        const n = 1 + int(2);
        c.banned_phrases = Array.from({ length: n }, () => pick(BANNED_PHRASES));
      }
      checks.push(c);
    }
    return checks;
  };

  const conversation = (tenant: Tenant, workspace: string, t0: number): void => {
    const convId = `conv-${t0.toString(36)}-${(serial++).toString(36)}`;
    const customer = pick(tenant.customers);
    const channel = chance(0.92) ? pick(CHANNELS) : undefined;
    const bot = 'dolly-assistant';
    const withCohort = (e: AnalyticsEvent, p: number): void => {
      if (chance(p)) e.customer_cohort = customer.cohort;
    };
    const withChannel = (e: AnalyticsEvent): void => {
      const ch = chance(0.04) ? pick(CHANNELS) : channel; // a conversation now and then moves channel
      if (ch !== undefined) e.channel_type = ch;
    };
    let t = t0;
    const turns = 1 + int(4);
    for (let turn = 0; turn < turns; turn++) {
      const messageId = `msg-${(serial++).toString(36)}`;
      const received = base('message.received', tenant, workspace, customer.id, t);
      received.conversation_id = convId;
      received.message_id = messageId;
      received.customer_id = customer.id;
      withCohort(received, 0.85);
      withChannel(received);
      events.push(received);

      const rt = 400 + int(9000) + (chance(0.05) ? int(120_000) : 0);
      const processed = base('message.processed', tenant, workspace, bot, t + Math.floor(rt / 2));
      processed.conversation_id = convId;
      processed.message_id = messageId;
      if (chance(0.9)) processed.response_time_ms = Math.floor(rt / 2);
      withChannel(processed);
      events.push(processed);

      const attempts = chance(0.3) ? (chance(0.3) ? 3 : 2) : 1;
      for (let a = 1; a <= attempts; a++) {
        const g = base('gate.evaluated', tenant, workspace, bot, t + Math.floor(rt / 2) + a * 200);
        g.conversation_id = convId;
        g.message_id = messageId;
        g.attempt = a;
        g.gates = gateChecks(a, a === attempts);
        events.push(g);
      }

      const delivered = base('message.delivered', tenant, workspace, bot, t + rt);
      delivered.conversation_id = convId;
      delivered.message_id = messageId;
      if (chance(0.88)) delivered.response_time_ms = rt;
      if (chance(0.92)) delivered.is_first_response = turn === 0;
      if (chance(0.7)) delivered.customer_id = customer.id;
      withCohort(delivered, 0.75);
      withChannel(delivered);
      events.push(delivered);

      if (chance(0.2)) {
        const tool = base('tool.executed', tenant, workspace, bot, t + int(rt));
        tool.conversation_id = convId;
        tool.tool_name = pick(TOOLS);
        if (chance(0.8)) tool.duration_ms = 20 + int(3000);
        if (chance(0.7)) tool.result = chance(0.9) ? 'success' : 'error';
        events.push(tool);
      }
      t += rt + 5_000 + int(10 * MINUTE_MS);
    }
    if (chance(0.17)) {
      const esc = base('escalation.created', tenant, workspace, bot, t);
      esc.conversation_id = convId;
      if (chance(0.8)) esc.escalation_reason = pick(ESCALATION_REASONS);
      if (chance(0.8)) esc.customer_id = customer.id;
      withCohort(esc, 0.8);
      withChannel(esc);
      events.push(esc);
    }
  };

  const single = (tenant: Tenant, workspace: string, t: number): void => {
    const name = pickSingle();
    const isProduct = PRODUCT_SET.has(name);
    const e = base(name, tenant, workspace, isProduct ? pick(tenant.users) : 'signal-service', t);
    const customer = pick(tenant.customers);
    if (!isProduct) {
      if (chance(0.7)) e.conversation_id = `conv-sig-${int(100_000)}`;
      if (chance(0.6)) e.customer_id = customer.id;
      if (chance(0.3)) e.customer_cohort = customer.cohort;
      if (chance(0.6)) e.channel_type = pick(CHANNELS);
      if (chance(0.3)) e.confidence_band = pick(CONFIDENCE);
    } else if (chance(0.8)) {
      e.app_surface = pick(SURFACES);
    }
    switch (name) {
      case 'customer_signal.detected':
        if (chance(0.95)) e.signal_type = pick(SIGNAL_TYPES);
        if (chance(0.8)) e.severity = pick(SEVERITIES);
        break;
      case 'customer_signal.severe_negative_detected':
        e.signal_type = 'severe_negative';
        e.severity = 'high';
        break;
      case 'customer_signal.success_detected':
        e.signal_type = 'success';
        break;
      case 'customer_signal.theme_clustered':
        // skewed: low-index themes are more frequent, so the top 5 is meaningful (and ties do happen)
        if (chance(0.95)) e.theme_id = THEMES[int(1 + int(THEMES.length))]!;
        break;
      case 'ai_triage.completed':
        if (chance(0.95)) e.triage_result = pick(TRIAGE_RESULTS);
        break;
      case 'ai_triage.escalation_triggered':
        e.triage_result = 'escalated';
        if (chance(0.9)) e.escalation_reason = pick(ESCALATION_REASONS);
        break;
      case 'ai_reply.generated':
        if (chance(0.9)) e.reply_mode = pick(REPLY_MODES);
        break;
      case 'ai_reply.sent':
        if (chance(0.95)) e.reply_mode = pick(REPLY_MODES);
        break;
      case 'ai_reply.kb_gap_detected':
        if (chance(0.9)) e.kb_gap_type = pick(KB_GAP_TYPES);
        break;
      case 'interaction.outcome_resolved':
        e.outcome_type = 'resolved';
        if (chance(0.5)) e.resolution_path = chance(0.6) ? 'ai' : 'human';
        if (chance(0.5)) e.time_to_resolution_ms = 10_000 + int(4 * HOUR_MS);
        break;
      case 'interaction.outcome_recovered':
        e.outcome_type = 'recovered';
        if (chance(0.8)) e.previous_signal_type = pick(SIGNAL_TYPES);
        break;
      case 'interaction.outcome_reopened':
        e.outcome_type = 'reopened';
        break;
      case 'interaction.outcome_handoff_completed':
        e.outcome_type = 'handoff_completed';
        if (chance(0.9)) e.handoff_target = pick(HANDOFF_TARGETS);
        if (chance(0.85)) e.time_to_resolution_ms = 30_000 + int(8 * HOUR_MS);
        break;
      case 'auth.sign_in.success':
        e.result = 'success';
        break;
      case 'auth.sign_in.failure':
        e.result = 'failure';
        if (chance(0.9)) e.error_code = pick(SIGN_IN_ERRORS);
        break;
      case 'channel.connected':
      case 'channel.disconnected':
        e.channel_type = pick(CHANNELS);
        break;
      case 'billing.plan_changed':
        e.result = pick(PLANS);
        break;
      default:
        break;
    }
    events.push(e);
  };

  while (events.length < count) {
    const tenant = tenants[int(tenants.length)]!;
    const workspace = pick(tenant.workspaces);
    const t = startMs + int(spanMs);
    if (chance(0.42)) conversation(tenant, workspace, t);
    else single(tenant, workspace, t);
  }
  events.length = count;

  // Emission order: event time plus a delivery delay; most events have none.
  const keys = new Float64Array(count);
  const lateMs = Math.max(0, lateHoursMax * HOUR_MS);
  for (let i = 0; i < count; i++) {
    let delay = 0;
    if (chance(outOfOrder)) delay = chance(0.15) && lateMs > 0 ? 1 + int(lateMs) : 1 + int(5 * MINUTE_MS);
    keys[i] = events[i]!.timestamp + delay;
  }
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => keys[a]! - keys[b]! || a - b);
  const out = new Array<AnalyticsEvent>(count);
  for (let i = 0; i < count; i++) out[i] = events[order[i]!]!;
  return out;
}
