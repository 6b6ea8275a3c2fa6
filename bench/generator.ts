/**
 * A fast, seeded generator of realistic, valid analytics events for the benchmark.
 *
 * Shape (defaults): 50 tenants, 10 workspaces each (500), 100,000 conversations, 20 channels, about 100,000
 * customers. Conversations are short-lived: at any moment about `activeConversations` of them are live,
 * and each walks a state machine (message.received -> message.processed -> gate.evaluated attempts ->
 * message.delivered -> sometimes tool.executed / escalation.created -> next turn). Signal, triage, reply,
 * outcome and product events are sprinkled between them with fixed weights, so every catalog event type
 * appears.
 *
 * Event time advances at `eventRate` events per second of event time and ends at `endMs`: the stream looks
 * like a live one that was recorded at that rate. About `outOfOrderFraction` of the events carry an event
 * time up to `maxDelayMs` older than their neighbours (late deliveries). Nothing is older than
 * `endMs - span - maxDelayMs`, so with the defaults nothing is anywhere near the 7-day lateness horizon.
 *
 * The generator is a pull iterator (`next()`), so 2,000,000 events never sit in memory at once.
 */
import { GATE_NAMES, PRODUCT_EVENTS, REPLY_MODES, type AnalyticsEvent, type CustomerCohort, type EventName, type GateCheck } from '../src/contract/catalog.js';
import { mulberry32 } from '../src/demo/stream.js';

export interface BenchGeneratorOptions {
  seed: number;
  tenants?: number;
  workspacesPerTenant?: number;
  conversations?: number;
  channels?: number;
  customersPerTenant?: number;
  /** Conversations live at the same time (a sliding window over the conversation ids). */
  activeConversations?: number;
  /** Total events the stream will have (sets where the sliding window of conversations is). */
  total: number;
  /** Event-time rate, events per second. Default 20,000. */
  eventRate?: number;
  /** Event time of the last event, epoch ms. */
  endMs: number;
  outOfOrderFraction?: number;
  maxDelayMs?: number;
  /** Live mode: event time is this clock (minus the out-of-order delay) instead of the recorded schedule. */
  clock?: () => number;
}

export const BENCH_SHAPE = { tenants: 50, workspacesPerTenant: 10, conversations: 100_000, channels: 20, customersPerTenant: 2_000 } as const;

export const CHANNELS_20 = [
  'webchat', 'facebook', 'zalo', 'instagram', 'whatsapp', 'telegram', 'line', 'viber', 'sms', 'email',
  'pancake', 'tiktok', 'shopee', 'lazada', 'messenger', 'wechat', 'slack', 'teams', 'discord', 'voice',
] as const;

const ESCALATION_REASONS = ['angry_customer', 'refund_request', 'legal_threat', 'low_confidence', 'vip_request'] as const;
const THEMES = ['theme-shipping-delay', 'theme-refund', 'theme-login', 'theme-pricing', 'theme-damaged-item', 'theme-wrong-size', 'theme-app-crash', 'theme-payment'] as const;
const CLAIMS = ['free shipping worldwide', 'lifetime warranty', 'refund within 24h', 'in stock', 'price match', 'next-day delivery'] as const;
const BANNED = ['calm down', 'as I said', 'not my problem', 'obviously', 'per my last message', 'whatever'] as const;
const KB_GAPS = ['missing_article', 'outdated_article', 'ambiguous_answer', 'no_policy'] as const;
const TRIAGE = ['auto_handled', 'escalated', 'needs_review', 'deferred'] as const;
const SIGNALS = ['dissatisfaction', 'confusion', 'urgency', 'praise', 'churn_risk'] as const;
const SIGN_IN_ERRORS = ['invalid_password', 'mfa_failed', 'account_locked', 'sso_error'] as const;
const TOOLS = ['order_lookup', 'refund_status', 'kb_search', 'shipping_tracker'] as const;
const SEVERITIES = ['low', 'medium', 'high'] as const;
const SURFACES = ['web', 'mobile', 'desktop'] as const;
const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
const HANDOFF = ['tier1', 'tier2', 'billing'] as const;
const COHORTS: readonly CustomerCohort[] = ['new', 'returning', 'vip'];
const BOT = 'dolly-assistant';

/** Non-conversation events and their weights (per 100 side events). */
const SIDE_EVENTS: ReadonlyArray<readonly [EventName, number]> = [
  ['customer_signal.detected', 10],
  ['customer_signal.severe_negative_detected', 2],
  ['customer_signal.success_detected', 3],
  ['customer_signal.theme_clustered', 6],
  ['ai_triage.completed', 12],
  ['ai_triage.escalation_triggered', 3],
  ['ai_reply.generated', 10],
  ['ai_reply.sent', 10],
  ['ai_reply.kb_gap_detected', 3],
  ['interaction.outcome_resolved', 6],
  ['interaction.outcome_recovered', 2],
  ['interaction.outcome_reopened', 1],
  ['interaction.outcome_handoff_completed', 2],
  ...PRODUCT_EVENTS.map((n): readonly [EventName, number] => [n, n === 'auth.sign_in.success' ? 8 : n === 'auth.sign_in.failure' ? 4 : 1]),
];

/** Conversation states. */
const S_RECEIVED = 0;
const S_PROCESSED = 1;
const S_GATE = 2;
const S_DELIVERED = 3;
const S_AFTER = 4;

export interface BenchGenerator {
  /** The next event (a fresh object the caller may keep), or undefined after `total`. */
  next(): AnalyticsEvent | undefined;
  readonly produced: number;
}

export function createBenchGenerator(o: BenchGeneratorOptions): BenchGenerator {
  const tenants = o.tenants ?? BENCH_SHAPE.tenants;
  const wsPer = o.workspacesPerTenant ?? BENCH_SHAPE.workspacesPerTenant;
  // 100,000 conversations at 2,000,000 events (about 15 events each); proportionally fewer for a smaller
  // run, so a conversation still lives through several turns.
  const nConv = Math.max(100, o.conversations ?? Math.round(BENCH_SHAPE.conversations * Math.min(1, o.total / 2_000_000)));
  const channels = CHANNELS_20.slice(0, Math.min(CHANNELS_20.length, o.channels ?? BENCH_SHAPE.channels));
  const custPer = o.customersPerTenant ?? BENCH_SHAPE.customersPerTenant;
  const active = Math.max(1, Math.min(nConv, o.activeConversations ?? 2_000));
  const rate = o.eventRate ?? 20_000;
  const total = o.total;
  const ooo = o.outOfOrderFraction ?? 0.05;
  const maxDelay = o.maxDelayMs ?? 5 * 60_000;
  const startMs = o.endMs - Math.ceil((total / rate) * 1000);

  const rnd = mulberry32(o.seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const chance = (p: number): boolean => rnd() < p;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

  const orgs = Array.from({ length: tenants }, (_, t) => `org-${String(t + 1).padStart(2, '0')}`);
  const workspaces = orgs.map((_, t) => Array.from({ length: wsPer }, (_, w) => `ws-${t + 1}-${w + 1}`));
  const users = orgs.map((_, t) => Array.from({ length: 8 }, (_, u) => `user-${t + 1}-${u + 1}`));
  const convIds = new Array<string>(nConv);
  for (let i = 0; i < nConv; i++) convIds[i] = `conv-${o.seed}-${i.toString(36)}`;
  // Per conversation: tenant, workspace, channel, customer (ids derived from the index), and its state.
  const convTenant = new Uint16Array(nConv);
  const convWs = new Uint16Array(nConv);
  const convChannel = new Uint8Array(nConv);
  const convCustomer = new Uint32Array(nConv);
  const convState = new Uint8Array(nConv);
  const convTurn = new Uint16Array(nConv);
  const convAttempt = new Uint8Array(nConv);
  const convAttempts = new Uint8Array(nConv);
  const convRt = new Uint32Array(nConv);
  for (let i = 0; i < nConv; i++) {
    convTenant[i] = int(tenants);
    convWs[i] = int(wsPer);
    convChannel[i] = int(channels.length);
    convCustomer[i] = int(custPer);
  }
  const customerId = (t: number, c: number): string => `cust-${t + 1}-${c + 1}`;
  const cohortOf = (c: number): CustomerCohort => COHORTS[c % 10 < 5 ? 0 : c % 10 < 9 ? 1 : 2]!;

  const sideTotal = SIDE_EVENTS.reduce((s, [, w]) => s + w, 0);
  const pickSide = (): EventName => {
    let r = rnd() * sideTotal;
    for (const [name, w] of SIDE_EVENTS) if ((r -= w) < 0) return name;
    return SIDE_EVENTS[0]![0];
  };

  const idPrefix = `${(o.seed >>> 0).toString(16).padStart(8, '0')}-b3c4-4d5e-8f60-`;
  let serial = 0;
  let produced = 0;

  const score = (lo: number): number => (lo + int(257 - lo)) / 256;
  const gateChecks = (attempt: number, last: boolean): GateCheck[] => {
    const failP = last ? 0.05 : 0.22 / attempt;
    const checks: GateCheck[] = [];
    for (const gate of GATE_NAMES) {
      if (chance(0.03)) continue;
      const passed = !chance(failP);
      const c: GateCheck = { gate, passed };
      if ((gate === 'repetition' || gate === 'relevance') && chance(0.92)) c.score = passed ? score(150) : score(0);
      if (gate === 'length' && chance(0.95)) c.word_count = 5 + int(300);
      if (gate === 'hallucination' && !passed && chance(0.9)) c.claims = [pick(CLAIMS), ...(chance(0.3) ? [pick(CLAIMS)] : [])];
      if (gate === 'tone' && !passed && chance(0.85)) c.banned_phrases = [pick(BANNED)];
      checks.push(c);
    }
    return checks;
  };

  function envelope(event: EventName, t: number, w: number, user: string, ts: number): AnalyticsEvent {
    return { event, event_id: idPrefix + (serial++).toString(16).padStart(12, '0'), org_id: orgs[t]!, workspace_id: workspaces[t]![w]!, user_id: user, timestamp: ts };
  }

  /** The next event of conversation i. */
  function conversationEvent(i: number, ts: number): AnalyticsEvent {
    const t = convTenant[i]!;
    const w = convWs[i]!;
    const conv = convIds[i]!;
    const cust = convCustomer[i]!;
    const channel = channels[convChannel[i]!]!;
    const msg = `msg-${i.toString(36)}-${convTurn[i]!}`;
    const state = convState[i]!;
    if (state === S_RECEIVED) {
      const e = envelope('message.received', t, w, customerId(t, cust), ts);
      e.conversation_id = conv;
      e.message_id = msg;
      e.customer_id = customerId(t, cust);
      if (chance(0.85)) e.customer_cohort = cohortOf(cust);
      if (chance(0.95)) e.channel_type = channel;
      convState[i] = S_PROCESSED;
      convRt[i] = 400 + int(9000) + (chance(0.05) ? int(120_000) : 0);
      return e;
    }
    if (state === S_PROCESSED) {
      const e = envelope('message.processed', t, w, BOT, ts);
      e.conversation_id = conv;
      e.message_id = msg;
      if (chance(0.9)) e.response_time_ms = Math.floor(convRt[i]! / 2);
      e.channel_type = channel;
      convState[i] = S_GATE;
      convAttempt[i] = 1;
      convAttempts[i] = chance(0.3) ? (chance(0.3) ? 3 : 2) : 1;
      return e;
    }
    if (state === S_GATE) {
      const a = convAttempt[i]!;
      const e = envelope('gate.evaluated', t, w, BOT, ts);
      e.conversation_id = conv;
      e.message_id = msg;
      e.attempt = a;
      e.gates = gateChecks(a, a === convAttempts[i]!);
      if (a >= convAttempts[i]!) convState[i] = S_DELIVERED;
      else convAttempt[i] = a + 1;
      return e;
    }
    if (state === S_DELIVERED) {
      const e = envelope('message.delivered', t, w, BOT, ts);
      e.conversation_id = conv;
      e.message_id = msg;
      if (chance(0.88)) e.response_time_ms = convRt[i]!;
      if (chance(0.92)) e.is_first_response = convTurn[i] === 0;
      if (chance(0.7)) e.customer_id = customerId(t, cust);
      if (chance(0.75)) e.customer_cohort = cohortOf(cust);
      e.channel_type = channel;
      convState[i] = S_AFTER;
      return e;
    }
    // After a reply: a tool call, an escalation, or the next turn.
    convState[i] = S_RECEIVED;
    convTurn[i] = convTurn[i]! + 1;
    if (chance(0.12)) {
      const e = envelope('escalation.created', t, w, BOT, ts);
      e.conversation_id = conv;
      if (chance(0.8)) e.escalation_reason = pick(ESCALATION_REASONS);
      if (chance(0.8)) e.customer_id = customerId(t, cust);
      if (chance(0.8)) e.customer_cohort = cohortOf(cust);
      e.channel_type = channel;
      return e;
    }
    const e = envelope('tool.executed', t, w, BOT, ts);
    e.conversation_id = conv;
    e.tool_name = pick(TOOLS);
    if (chance(0.8)) e.duration_ms = 20 + int(3000);
    if (chance(0.7)) e.result = chance(0.9) ? 'success' : 'error';
    return e;
  }

  function sideEvent(i: number, ts: number): AnalyticsEvent {
    const name = pickSide();
    const t = convTenant[i]!;
    const w = convWs[i]!;
    const isProduct = (PRODUCT_EVENTS as readonly string[]).includes(name);
    const e = envelope(name, t, w, isProduct ? pick(users[t]!) : 'signal-service', ts);
    if (!isProduct) {
      if (chance(0.8)) e.conversation_id = convIds[i]!;
      const cust = convCustomer[i]!;
      if (chance(0.6)) e.customer_id = customerId(t, cust);
      if (chance(0.3)) e.customer_cohort = cohortOf(cust);
      if (chance(0.6)) e.channel_type = channels[convChannel[i]!]!;
      if (chance(0.3)) e.confidence_band = pick(SEVERITIES);
    } else if (chance(0.8)) {
      e.app_surface = pick(SURFACES);
    }
    switch (name) {
      case 'customer_signal.detected':
        if (chance(0.95)) e.signal_type = pick(SIGNALS);
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
        if (chance(0.95)) e.theme_id = THEMES[int(1 + int(THEMES.length))] ?? THEMES[0];
        break;
      case 'ai_triage.completed':
        if (chance(0.95)) e.triage_result = pick(TRIAGE);
        break;
      case 'ai_triage.escalation_triggered':
        e.triage_result = 'escalated';
        if (chance(0.9)) e.escalation_reason = pick(ESCALATION_REASONS);
        break;
      case 'ai_reply.generated':
      case 'ai_reply.sent':
        if (chance(0.95)) e.reply_mode = pick(REPLY_MODES);
        break;
      case 'ai_reply.kb_gap_detected':
        if (chance(0.9)) e.kb_gap_type = pick(KB_GAPS);
        break;
      case 'interaction.outcome_resolved':
        e.outcome_type = 'resolved';
        if (chance(0.5)) e.resolution_path = chance(0.6) ? 'ai' : 'human';
        if (chance(0.5)) e.time_to_resolution_ms = 10_000 + int(4 * 3_600_000);
        break;
      case 'interaction.outcome_recovered':
        e.outcome_type = 'recovered';
        if (chance(0.8)) e.previous_signal_type = pick(SIGNALS);
        break;
      case 'interaction.outcome_reopened':
        e.outcome_type = 'reopened';
        break;
      case 'interaction.outcome_handoff_completed':
        e.outcome_type = 'handoff_completed';
        if (chance(0.9)) e.handoff_target = pick(HANDOFF);
        if (chance(0.85)) e.time_to_resolution_ms = 30_000 + int(8 * 3_600_000);
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
        e.channel_type = pick(channels);
        break;
      case 'billing.plan_changed':
        e.result = pick(PLANS);
        break;
      default:
        break;
    }
    return e;
  }

  const spanMs = o.endMs - startMs;
  return {
    get produced() {
      return produced;
    },
    next(): AnalyticsEvent | undefined {
      if (produced >= total) return undefined;
      const s = produced++;
      let ts = o.clock ? o.clock() : startMs + Math.floor((s / Math.max(1, total - 1)) * spanMs);
      if (chance(ooo)) ts -= 1 + int(maxDelay);
      // The live window of conversations slides over all ids during the stream.
      const base = Math.floor((s / total) * nConv);
      const i = (base + int(active)) % nConv;
      return chance(0.76) ? conversationEvent(i, ts) : sideEvent(i, ts);
    },
  };
}
