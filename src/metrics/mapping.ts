/**
 * THE one place where metrics are defined (see docs/data-model.md).
 *
 * (a) `MEASURES`: which events contribute to which measure rows. ClickHouse keeps one generic row per
 *     (org_id, workspace_id, measure, dim, minute bucket) with `count`, `sum` and an exact `ids` set;
 *     a measure is one of three kinds:
 *       - `count`: count of contributions;
 *       - `sum`: sum of a numeric `value` AND count of the contributions that carried one (mean = sum/count);
 *       - `distinct`: exact distinct set of an `id` (count is still the number of contributions).
 *     `dim` is one optional dimension value ('' when a row has no dim function, or returns '').
 *     A contribution is dropped when `where` says no, or when `dim`, `value` (sum) or `id` (distinct)
 *     return undefined. `each` expands one event into several contributions (gate checks, claims...).
 *     The total of a measure is the merge over all its dim values (distinct sets merge exactly).
 *
 * (b) `METRICS`: every metric of contract section 5 as a formula over measures.
 *
 * Adding a metric = adding rows here (a measure row if no existing measure carries the numbers, and a
 * formula leaf). Nothing else in the worker changes; the query layer reads `measuresFor(section)`.
 */
import {
  PRODUCT_EVENTS,
  type AnalyticsEvent,
  type EventName,
  type GateCheck,
  type GateName,
} from '../contract/catalog.js';
import { RollupsError } from '../errors.js';
import { KEY, formulas, measuresOf, type Spec } from './formula.js';

export type MeasureKind = 'count' | 'sum' | 'distinct';

/**
 * One row of the measure table. `T` is the item type of `each` (the event itself when there is no
 * `each`); every function receives the item and the whole event.
 */
export interface MeasureDef<T = AnalyticsEvent, N extends string = string> {
  readonly measure: N;
  readonly kind: MeasureKind;
  /** The event name(s) this row listens to. */
  readonly on: EventName | readonly EventName[];
  /** Expansion: one contribution per element (undefined or empty: none). */
  readonly each?: (e: AnalyticsEvent) => readonly T[] | undefined;
  readonly where?: (x: T, e: AnalyticsEvent) => boolean;
  /** The dim value; undefined drops the contribution. Absent: dim ''. */
  readonly dim?: (x: T, e: AnalyticsEvent) => string | undefined;
  /** `sum` only: the number to add; undefined drops the contribution. */
  readonly value?: (x: T, e: AnalyticsEvent) => number | undefined;
  /** `distinct` only: the id to add to the set; undefined drops the contribution. */
  readonly id?: (x: T, e: AnalyticsEvent) => string | undefined;
  /** One line for people: what is counted, with which dim. */
  readonly doc: string;
}

/** A table row with its item type erased (what compileMapping works on). */
export type AnyMeasureDef = MeasureDef<unknown>;

function def<const N extends string, T = AnalyticsEvent>(d: MeasureDef<T, N>): MeasureDef<unknown, N> {
  return d as unknown as MeasureDef<unknown, N>;
}

// ---- small field helpers --------------------------------------------------------------------------

/** channel_type as a dim; events without one land in dim '' (still part of every total). */
const channelOrNone = (e: AnalyticsEvent): string => e.channel_type ?? '';
/** customer_cohort as a dim; events without one contribute nothing. */
const cohortOnly = (e: AnalyticsEvent): string | undefined => e.customer_cohort;
const conversationId = (e: AnalyticsEvent): string | undefined => e.conversation_id;
const gateChecks = (e: AnalyticsEvent): readonly GateCheck[] | undefined => e.gates;
const gateOf = (c: GateCheck): string => c.gate;
const allGatesPassed = (e: AnalyticsEvent): boolean => (e.gates ?? []).every((c) => c.passed);

/** The listed strings of every failed check of one gate in a gate.evaluated (occurrences, not sets). */
function failedListOf(gate: GateName, field: 'claims' | 'banned_phrases') {
  return (e: AnalyticsEvent): readonly string[] | undefined => {
    const checks = e.gates;
    if (checks === undefined) return undefined;
    let found: readonly string[] | undefined;
    let merged: string[] | undefined;
    for (const c of checks) {
      if (c.gate !== gate || c.passed) continue;
      const list = c[field];
      if (list === undefined || list.length === 0) continue;
      if (found === undefined) found = list;
      else (merged ??= [...found]).push(...list);
    }
    return merged ?? found;
  };
}

const OUTCOME_EVENTS = [
  'interaction.outcome_resolved',
  'interaction.outcome_recovered',
  'interaction.outcome_reopened',
  'interaction.outcome_handoff_completed',
] as const satisfies readonly EventName[];

// ---- (a) the measure table ------------------------------------------------------------------------

export const MEASURES = [
  // overview, channels
  def({
    measure: 'messages',
    kind: 'count',
    on: ['message.received', 'message.delivered'],
    dim: channelOrNone,
    doc: 'message.received + message.delivered; dim channel_type',
  }),
  def({
    measure: 'conversations',
    kind: 'distinct',
    on: 'message.received',
    id: conversationId,
    dim: channelOrNone,
    doc: 'distinct conversation_id of message.received; dim channel_type',
  }),
  def({
    measure: 'escalated_conversations',
    kind: 'distinct',
    on: 'escalation.created',
    id: conversationId,
    dim: channelOrNone,
    doc: 'distinct conversation_id of escalation.created; dim channel_type',
  }),
  def({
    measure: 'response_time_ms',
    kind: 'sum',
    on: 'message.delivered',
    value: (e) => e.response_time_ms,
    doc: 'response_time_ms of message.delivered that carry it',
  }),
  def({
    measure: 'customers',
    kind: 'distinct',
    on: 'message.received',
    id: (e) => e.customer_id,
    dim: (e) => e.customer_cohort ?? '',
    doc: 'distinct customer_id of message.received; dim customer_cohort',
  }),
  def({
    measure: 'first_attempts',
    kind: 'count',
    on: 'gate.evaluated',
    where: (e) => e.attempt === 1,
    doc: 'gate.evaluated with attempt = 1',
  }),
  def({
    measure: 'first_attempts_passed',
    kind: 'count',
    on: 'gate.evaluated',
    where: (e) => e.attempt === 1 && allGatesPassed(e),
    doc: 'gate.evaluated with attempt = 1 whose gates all passed',
  }),

  // cohorts
  def({
    measure: 'cohort_conversations',
    kind: 'distinct',
    on: 'message.received',
    id: conversationId,
    dim: cohortOnly,
    doc: 'distinct conversation_id of message.received carrying a customer_cohort; dim customer_cohort',
  }),
  def({
    measure: 'cohort_escalated_conversations',
    kind: 'distinct',
    on: 'escalation.created',
    id: conversationId,
    dim: cohortOnly,
    doc: 'distinct conversation_id of escalation.created carrying a customer_cohort; dim customer_cohort',
  }),
  def({
    measure: 'first_response_time_ms',
    kind: 'sum',
    on: 'message.delivered',
    where: (e) => e.is_first_response === true,
    value: (e) => e.response_time_ms,
    dim: cohortOnly,
    doc: 'response_time_ms of message.delivered with is_first_response = true; dim customer_cohort',
  }),

  // gates: one contribution per gate check of every attempt
  def({
    measure: 'gate_checks',
    kind: 'count',
    on: 'gate.evaluated',
    each: gateChecks,
    dim: gateOf,
    doc: 'gate checks; dim gate',
  }),
  def({
    measure: 'gate_checks_passed',
    kind: 'count',
    on: 'gate.evaluated',
    each: gateChecks,
    where: (c) => c.passed,
    dim: gateOf,
    doc: 'passed gate checks; dim gate',
  }),
  def({
    measure: 'gate_checks_failed',
    kind: 'count',
    on: 'gate.evaluated',
    each: gateChecks,
    where: (c) => !c.passed,
    dim: gateOf,
    doc: 'failed gate checks; dim gate',
  }),
  def({
    measure: 'gate_score',
    kind: 'sum',
    on: 'gate.evaluated',
    each: gateChecks,
    value: (c) => c.score,
    dim: gateOf,
    doc: 'score of gate checks that carry one; dim gate',
  }),
  def({
    measure: 'gate_word_count',
    kind: 'sum',
    on: 'gate.evaluated',
    each: gateChecks,
    value: (c) => c.word_count,
    dim: gateOf,
    doc: 'word_count of gate checks that carry one; dim gate',
  }),
  def({
    measure: 'hallucination_failed_claims',
    kind: 'count',
    on: 'gate.evaluated',
    each: failedListOf('hallucination', 'claims'),
    dim: (claim) => claim,
    doc: 'claims of failed hallucination checks (each occurrence); dim claim',
  }),
  def({
    measure: 'tone_failed_banned_phrases',
    kind: 'count',
    on: 'gate.evaluated',
    each: failedListOf('tone', 'banned_phrases'),
    dim: (phrase) => phrase,
    doc: 'banned_phrases of failed tone checks (each occurrence); dim phrase',
  }),

  // dashboard modules
  def({
    measure: 'dissatisfaction_signals',
    kind: 'count',
    on: 'customer_signal.detected',
    where: (e) => e.signal_type === 'dissatisfaction',
    doc: "customer_signal.detected with signal_type = 'dissatisfaction'",
  }),
  def({
    measure: 'severe_negative_signals',
    kind: 'count',
    on: 'customer_signal.severe_negative_detected',
    doc: 'customer_signal.severe_negative_detected',
  }),
  def({
    measure: 'friction_themes',
    kind: 'count',
    on: 'customer_signal.theme_clustered',
    dim: (e) => e.theme_id,
    doc: 'customer_signal.theme_clustered carrying a theme_id; dim theme_id',
  }),
  def({
    measure: 'human_review_escalations',
    kind: 'count',
    on: 'ai_triage.escalation_triggered',
    dim: (e) => e.escalation_reason ?? '',
    doc: 'ai_triage.escalation_triggered; dim escalation_reason',
  }),
  def({
    measure: 'triaged',
    kind: 'count',
    on: 'ai_triage.completed',
    dim: (e) => e.triage_result ?? '',
    doc: 'ai_triage.completed; dim triage_result',
  }),
  def({
    measure: 'replies_sent',
    kind: 'count',
    on: 'ai_reply.sent',
    dim: (e) => e.reply_mode ?? '',
    doc: 'ai_reply.sent; dim reply_mode',
  }),
  def({
    measure: 'kb_gaps',
    kind: 'count',
    on: 'ai_reply.kb_gap_detected',
    dim: (e) => e.kb_gap_type ?? '',
    doc: 'ai_reply.kb_gap_detected; dim kb_gap_type',
  }),
  def({
    measure: 'outcomes',
    kind: 'count',
    on: OUTCOME_EVENTS,
    dim: (e) => e.event,
    doc: 'interaction.outcome_resolved/_recovered/_reopened/_handoff_completed; dim event name',
  }),
  def({
    measure: 'handoff_time_to_resolution_ms',
    kind: 'sum',
    on: 'interaction.outcome_handoff_completed',
    value: (e) => e.time_to_resolution_ms,
    doc: 'time_to_resolution_ms of interaction.outcome_handoff_completed that carry it',
  }),

  // product events
  def({
    measure: 'product_events',
    kind: 'count',
    on: PRODUCT_EVENTS,
    dim: (e) => e.event,
    doc: 'product events (contract 4.2); dim event name',
  }),
  def({
    measure: 'sign_in_failures',
    kind: 'count',
    on: 'auth.sign_in.failure',
    dim: (e) => e.error_code ?? '',
    doc: 'auth.sign_in.failure; dim error_code',
  }),
] as const;

export type MeasureName = (typeof MEASURES)[number]['measure'];

// ---- (b) the contract section 5 metrics as formulas -----------------------------------------------

const { count, distinct, ratio, mean, topK, topKeys, byDim, groups, groupsFrom } = formulas<MeasureName>();

/** passRate (passed / checks, every attempt) and failCount of one gate. */
const gate = (g: GateName) =>
  ({
    passRate: ratio(count('gate_checks_passed', g), count('gate_checks', g)),
    failCount: count('gate_checks_failed', g),
  }) as const;

/**
 * Contract section 5, one section per read-API answer (the answer minus `period`; the overview
 * section is the `metrics` object). Rates are unrounded; null when a denominator is 0.
 */
export const METRICS = {
  overview: {
    totalConversations: distinct('conversations'),
    totalMessages: count('messages'),
    avgResponseTime: mean('response_time_ms', { divisor: 1000 }),
    escalationRate: ratio(distinct('escalated_conversations'), distinct('conversations')),
    gatePassRate: ratio(count('first_attempts_passed'), count('first_attempts')),
    activeCustomers: distinct('customers'),
  },
  gates: {
    gates: {
      repetition: { ...gate('repetition'), avgScore: mean('gate_score', { dim: 'repetition' }) },
      hallucination: { ...gate('hallucination'), commonClaims: topKeys('hallucination_failed_claims', 3) },
      tone: { ...gate('tone'), bannedPhrasesTriggered: topKeys('tone_failed_banned_phrases', 5) },
      relevance: { ...gate('relevance'), avgScore: mean('gate_score', { dim: 'relevance' }) },
      length: { ...gate('length'), avgWordCount: mean('gate_word_count', { dim: 'length' }) },
    },
    totalGateChecks: count('gate_checks'),
  },
  channels: {
    channels: groupsFrom(['messages', 'conversations', 'escalated_conversations'], {
      messageCount: count('messages', KEY),
      conversationCount: distinct('conversations', KEY),
      escalationRate: ratio(distinct('escalated_conversations', KEY), distinct('conversations', KEY)),
    }),
  },
  cohorts: {
    cohorts: groups(
      { new_customers: 'new', returning_customers: 'returning', vip_customers: 'vip' },
      {
        count: distinct('customers', KEY),
        avgFirstResponseTime: mean('first_response_time_ms', { dim: KEY, divisor: 1000 }),
        escalationRate: ratio(distinct('cohort_escalated_conversations', KEY), distinct('cohort_conversations', KEY)),
      },
    ),
  },
  dashboard: {
    modules: {
      dissatisfactionDetected: count('dissatisfaction_signals'),
      severeNegativeCount: count('severe_negative_signals'),
      topFrictionThemes: topK('friction_themes', 5, 'themeId'),
      escalatedForHumanReview: {
        total: count('human_review_escalations'),
        byReason: byDim('human_review_escalations'),
      },
      handlingSplit: {
        triaged: count('triaged'),
        escalated: count('triaged', 'escalated'),
        repliesSent: {
          auto: count('replies_sent', 'auto'),
          assisted: count('replies_sent', 'assisted'),
          human: count('replies_sent', 'human'),
        },
      },
      kbGaps: { total: count('kb_gaps'), byType: byDim('kb_gaps') },
      resolved: count('outcomes', 'interaction.outcome_resolved'),
      recovered: count('outcomes', 'interaction.outcome_recovered'),
      reopened: count('outcomes', 'interaction.outcome_reopened'),
      handoffsCompleted: count('outcomes', 'interaction.outcome_handoff_completed'),
      avgTimeToResolutionMs: mean('handoff_time_to_resolution_ms'),
    },
  },
  events: {
    counts: byDim('product_events', PRODUCT_EVENTS),
    signInFailuresByErrorCode: byDim('sign_in_failures'),
  },
} as const satisfies Readonly<Record<string, Spec>>;

export type MetricSection = keyof typeof METRICS;
export const METRIC_SECTIONS = Object.keys(METRICS) as MetricSection[];

/**
 * The overview's `trends` over the 60 minutes before now (contract section 6): not a section of its own
 * range, so kept apart from METRICS, but defined here like every other metric.
 *  - `messagesLastHour`: `totalMessages`;
 *  - `escalationsLastHour`: every `escalation.created` (events, not distinct conversations);
 *  - `responseTimeLastHour`: `avgResponseTime` (seconds; null when none).
 */
export const TRENDS = {
  messagesLastHour: METRICS.overview.totalMessages,
  escalationsLastHour: count('escalated_conversations'),
  responseTimeLastHour: METRICS.overview.avgResponseTime,
} as const;

/** The measures one section reads (what the query layer must load for it). */
export function measuresFor(section: MetricSection): MeasureName[] {
  return [...measuresOf(METRICS[section])].sort() as MeasureName[];
}

// ---- the compiled form for the hot path -----------------------------------------------------------

/** A table row ready for the hot path; `measureIndex` indexes `CompiledMapping.measures`. */
export interface CompiledRow {
  readonly measure: string;
  readonly measureIndex: number;
  readonly kind: MeasureKind;
  readonly each: ((e: AnalyticsEvent) => readonly unknown[] | undefined) | undefined;
  readonly where: ((x: unknown, e: AnalyticsEvent) => boolean) | undefined;
  readonly dim: ((x: unknown, e: AnalyticsEvent) => string | undefined) | undefined;
  readonly value: ((x: unknown, e: AnalyticsEvent) => number | undefined) | undefined;
  readonly id: ((x: unknown, e: AnalyticsEvent) => string | undefined) | undefined;
}

export interface CompiledMapping {
  /** Measure names, in table order; a row's `measureIndex` points here. */
  readonly measures: readonly string[];
  readonly kinds: readonly MeasureKind[];
  /** The rows that apply to one event name (empty for events no metric reads). */
  rowsFor(event: string): readonly CompiledRow[];
}

const NO_ROWS: readonly CompiledRow[] = Object.freeze([]);

function mappingError(message: string): RollupsError {
  return new RollupsError(`metric mapping: ${message}`, { code: 'MAPPING_INVALID' });
}

/**
 * Checks the table and indexes it by event name. Several rows may feed one measure (same kind);
 * a `sum` row needs `value`, a `distinct` row needs `id`, a `count` row has neither.
 */
export function compileMapping(defs: readonly AnyMeasureDef[] = MEASURES): CompiledMapping {
  const measures: string[] = [];
  const kinds: MeasureKind[] = [];
  const indexOf = new Map<string, number>();
  const byEvent = new Map<string, CompiledRow[]>();
  for (const d of defs) {
    if (!/^[a-z][a-z0-9_]*$/.test(d.measure)) throw mappingError(`bad measure name '${d.measure}'`);
    if (d.kind === 'sum' && d.value === undefined) throw mappingError(`sum measure '${d.measure}' has no value`);
    if (d.kind === 'distinct' && d.id === undefined) throw mappingError(`distinct measure '${d.measure}' has no id`);
    if (d.kind !== 'sum' && d.value !== undefined) throw mappingError(`'${d.measure}' is ${d.kind} but has a value`);
    if (d.kind !== 'distinct' && d.id !== undefined) throw mappingError(`'${d.measure}' is ${d.kind} but has an id`);
    let measureIndex = indexOf.get(d.measure);
    if (measureIndex === undefined) {
      measureIndex = measures.length;
      indexOf.set(d.measure, measureIndex);
      measures.push(d.measure);
      kinds.push(d.kind);
    } else if (kinds[measureIndex] !== d.kind) {
      throw mappingError(`measure '${d.measure}' is defined as both ${kinds[measureIndex]} and ${d.kind}`);
    }
    const row: CompiledRow = Object.freeze({
      measure: d.measure,
      measureIndex,
      kind: d.kind,
      each: d.each,
      where: d.where,
      dim: d.dim,
      value: d.value,
      id: d.id,
    });
    const events: readonly string[] = typeof d.on === 'string' ? [d.on] : d.on;
    if (events.length === 0) throw mappingError(`measure '${d.measure}' listens to no event`);
    for (const name of events) {
      let rows = byEvent.get(name);
      if (rows === undefined) byEvent.set(name, (rows = []));
      rows.push(row);
    }
  }
  for (const [name, rows] of byEvent) byEvent.set(name, Object.freeze(rows) as CompiledRow[]);
  return {
    measures: Object.freeze(measures),
    kinds: Object.freeze(kinds),
    rowsFor: (event) => byEvent.get(event) ?? NO_ROWS,
  };
}

/** Receives one contribution: the row, its dim, its value (sum rows; else 0) and id (distinct rows). */
export type ContributionVisitor = (row: CompiledRow, dim: string, value: number, id: string | undefined) => void;

/**
 * Applies the rows of one event and calls `visit` once per contribution; returns how many there were.
 * This is the only definition of "what contributes": a contribution is dropped when `where` is false,
 * or `dim` / `value` (sum) / `id` (distinct) is undefined; a non-finite value is dropped too.
 */
export function forEachContribution(
  e: AnalyticsEvent,
  rows: readonly CompiledRow[],
  visit: ContributionVisitor,
): number {
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.each === undefined) {
      n += contribute(row, e, e, visit);
    } else {
      const items = row.each(e);
      if (items === undefined) continue;
      for (let j = 0; j < items.length; j++) n += contribute(row, items[j], e, visit);
    }
  }
  return n;
}

function contribute(row: CompiledRow, x: unknown, e: AnalyticsEvent, visit: ContributionVisitor): 0 | 1 {
  if (row.where !== undefined && !row.where(x, e)) return 0;
  let dim = '';
  if (row.dim !== undefined) {
    const d = row.dim(x, e);
    if (d === undefined) return 0;
    dim = d;
  }
  let value = 0;
  let id: string | undefined;
  if (row.kind === 'sum') {
    const v = row.value!(x, e);
    if (v === undefined || !Number.isFinite(v)) return 0;
    value = v;
  } else if (row.kind === 'distinct') {
    id = row.id!(x, e);
    if (id === undefined) return 0;
  }
  visit(row, dim, value, id);
  return 1;
}
