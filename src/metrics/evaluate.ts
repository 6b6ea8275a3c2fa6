/**
 * The pure evaluator: merged measure values in, contract section 5 answers out. It knows nothing
 * about any metric; it walks the formula trees of `METRICS` (mapping.ts).
 */
import { isExpr, KEY, type DimRef, type Out, type Spec } from './formula.js';
import { METRICS, type MetricSection } from './mapping.js';

/**
 * Merged measure values over one selection (tenant, optional workspace, time range). The query layer
 * fills it from ClickHouse; tests fill it from window partials (store.ts). `dim` undefined means the
 * total over every dim value of the measure (for `distinct`, the exact merge of the sets).
 * Unknown measures and dims answer 0.
 */
export interface MeasureStore {
  /** Number of contributions. */
  count(measure: string, dim?: string): number;
  /** Sum of the contributed values (`sum` measures). */
  sum(measure: string, dim?: string): number;
  /** Number of distinct ids (`distinct` measures), exact. */
  distinct(measure: string, dim?: string): number;
  /** Every dim value the measure has contributions for ('' included when present). */
  dims(measure: string): readonly string[];
}

// ---- answer types (contract section 6 field names) ------------------------------------------------

export interface OverviewMetrics {
  totalConversations: number;
  totalMessages: number;
  /** Seconds. */
  avgResponseTime: number | null;
  escalationRate: number | null;
  gatePassRate: number | null;
  activeCustomers: number;
}

export interface GateStats {
  passRate: number | null;
  failCount: number;
}

export interface GatesAnswer {
  gates: {
    repetition: GateStats & { avgScore: number | null };
    hallucination: GateStats & { commonClaims: string[] };
    tone: GateStats & { bannedPhrasesTriggered: string[] };
    relevance: GateStats & { avgScore: number | null };
    length: GateStats & { avgWordCount: number | null };
  };
  totalGateChecks: number;
}

export interface ChannelMetrics {
  messageCount: number;
  conversationCount: number;
  escalationRate: number | null;
}

export interface ChannelsAnswer {
  channels: Record<string, ChannelMetrics>;
}

export interface CohortMetrics {
  count: number;
  /** Seconds. */
  avgFirstResponseTime: number | null;
  escalationRate: number | null;
}

export interface CohortsAnswer {
  cohorts: {
    new_customers: CohortMetrics;
    returning_customers: CohortMetrics;
    vip_customers: CohortMetrics;
  };
}

export interface DashboardModules {
  dissatisfactionDetected: number;
  severeNegativeCount: number;
  topFrictionThemes: Array<{ themeId: string; count: number }>;
  escalatedForHumanReview: { total: number; byReason: Record<string, number> };
  handlingSplit: {
    triaged: number;
    escalated: number;
    repliesSent: { auto: number; assisted: number; human: number };
  };
  kbGaps: { total: number; byType: Record<string, number> };
  resolved: number;
  recovered: number;
  reopened: number;
  handoffsCompleted: number;
  avgTimeToResolutionMs: number | null;
}

export interface DashboardAnswer {
  modules: DashboardModules;
}

export interface EventsAnswer {
  /** Every product event name of contract 4.2, 0 when none. */
  counts: Record<string, number>;
  signInFailuresByErrorCode: Record<string, number>;
}

/** Every section at once. Each section is its read-API answer minus `period` (overview: `metrics`). */
export interface MetricsAnswer {
  overview: OverviewMetrics;
  gates: GatesAnswer;
  channels: ChannelsAnswer;
  cohorts: CohortsAnswer;
  dashboard: DashboardAnswer;
  events: EventsAnswer;
}

/** The answer type of one section, as derived from its formula tree. */
export type SectionAnswer<S extends MetricSection> = Out<(typeof METRICS)[S]>;

// ---- evaluation -----------------------------------------------------------------------------------

export function evaluateSection<S extends MetricSection>(section: S, store: MeasureStore): SectionAnswer<S> {
  return evaluateSpec(METRICS[section], store);
}

export function evaluateMetrics(store: MeasureStore): MetricsAnswer {
  return {
    overview: evaluateOverview(store),
    gates: evaluateGates(store),
    channels: evaluateChannels(store),
    cohorts: evaluateCohorts(store),
    dashboard: evaluateDashboard(store),
    events: evaluateEvents(store),
  };
}

export const evaluateOverview = (store: MeasureStore): OverviewMetrics => evaluateSection('overview', store);
export const evaluateGates = (store: MeasureStore): GatesAnswer => evaluateSection('gates', store);
export const evaluateChannels = (store: MeasureStore): ChannelsAnswer => evaluateSection('channels', store);
export const evaluateCohorts = (store: MeasureStore): CohortsAnswer => evaluateSection('cohorts', store);
export const evaluateDashboard = (store: MeasureStore): DashboardAnswer => evaluateSection('dashboard', store);
export const evaluateEvents = (store: MeasureStore): EventsAnswer => evaluateSection('events', store);

/** Evaluates any formula tree against a store. */
export function evaluateSpec<S extends Spec>(spec: S, store: MeasureStore): Out<S> {
  return evalNode(spec, store, undefined) as Out<S>;
}

function resolveDim(dim: DimRef | undefined, key: string | undefined): string | undefined {
  if (dim !== KEY) return dim;
  if (key === undefined) throw new Error('formula uses KEY outside of a group');
  return key;
}

/** String order: UTF-16 code units, as `<` compares (not locale collation). */
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ranked(store: MeasureStore, measure: string, k: number): Array<[string, number]> {
  const entries: Array<[string, number]> = [];
  for (const d of store.dims(measure)) {
    if (d === '') continue;
    const c = store.count(measure, d);
    if (c > 0) entries.push([d, c]);
  }
  entries.sort((a, b) => b[1] - a[1] || byString(a[0], b[0]));
  return entries.slice(0, k);
}

function evalNode(spec: Spec, store: MeasureStore, key: string | undefined): unknown {
  if (!isExpr(spec)) {
    const out: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(spec)) out[name] = evalNode(sub, store, key);
    return out;
  }
  switch (spec.op) {
    case 'count':
      return store.count(spec.measure, resolveDim(spec.dim, key));
    case 'sum':
      return store.sum(spec.measure, resolveDim(spec.dim, key));
    case 'distinct':
      return store.distinct(spec.measure, resolveDim(spec.dim, key));
    case 'ratio': {
      const den = evalNode(spec.den, store, key) as number;
      if (den === 0) return null;
      return (evalNode(spec.num, store, key) as number) / den;
    }
    case 'mean': {
      const dim = resolveDim(spec.dim, key);
      const n = store.count(spec.measure, dim);
      if (n === 0) return null;
      return store.sum(spec.measure, dim) / n / spec.divisor;
    }
    case 'topKeys':
      return ranked(store, spec.measure, spec.k).map(([d]) => d);
    case 'topK':
      return ranked(store, spec.measure, spec.k).map(([d, count]) => ({ [spec.key]: d, count }));
    case 'byDim': {
      const out: Record<string, number> = {};
      if (spec.keys !== undefined) {
        for (const k of spec.keys) out[k] = store.count(spec.measure, k);
      } else {
        for (const d of [...store.dims(spec.measure)].sort(byString)) {
          if (d === '') continue;
          const c = store.count(spec.measure, d);
          if (c > 0) out[d] = c;
        }
      }
      return out;
    }
    case 'groups': {
      const out: Record<string, unknown> = {};
      for (const [name, dim] of Object.entries(spec.keys)) out[name] = evalNode(spec.each, store, dim);
      return out;
    }
    case 'groupsFrom': {
      const keys = new Set<string>();
      for (const m of spec.measures) for (const d of store.dims(m)) if (d !== '') keys.add(d);
      const out: Record<string, unknown> = {};
      for (const k of [...keys].sort(byString)) out[k] = evalNode(spec.each, store, k);
      return out;
    }
  }
}
