/**
 * The query layer: contract section 5 answers for one tenant, optional workspace, a UTC `[from, to)`
 * or local dates / hours in a zone, from the rollup tables alone. One SQL statement per call
 * (sql.ts); metric definitions stay in src/metrics/mapping.ts, this module only decides what to load
 * and how to group it. The tenant filter is always applied; a workspace narrows within the tenant.
 *
 * Ranges given here are UTC instants on whole minutes (range.ts resolves the read API's selections to
 * them); dates are local `YYYY-MM-DD` in `tz`.
 */
import type { ClickHouseClient } from '../clickhouse/client.js';
import {
  evaluateChannels,
  evaluateCohorts,
  evaluateDashboard,
  evaluateEvents,
  evaluateGates,
  evaluateOverview,
  evaluateSpec,
  type MeasureStore,
  type MetricsAnswer,
  type OverviewMetrics,
} from '../metrics/evaluate.js';
import { distinctReads, measuresOf, type Spec } from '../metrics/formula.js';
import { METRICS, METRIC_SECTIONS, type MetricSection } from '../metrics/mapping.js';
import { AggregateMeasureStore } from '../metrics/store.js';
import type { RollupChanges } from '../sink/changes.js';
import { toSinkError } from '../sink/rollup-writer.js';
import { createDistinctCache, readThroughCache, type DistinctCache } from './distinct-cache.js';
import { QueryError, shown } from './errors.js';
import { coarsestGrainFor, dailyRange, planRead, planTotals } from './plan.js';
import { MAX_DATES, floorToMinute } from './range.js';
import { buildLoadQuery, checkDatabaseName, readLoadedRows, type CachedDays, type KeyedAggregate, type LocalGrouping } from './sql.js';
import { createSettledBlocks, joinSettled, settledCut, type SettledBlocks } from './settled-blocks.js';
import { TRENDS, trendsRange, type Trends } from './trends.js';
import { DAY_MS, HOUR_MS, formatDay, offsetSegments, parseDay, resolveZone, startOfLocalDay, type TimeRange } from './zone.js';

/** Whose data: always one tenant; optionally one of its workspaces. */
export interface Scope {
  orgId: string;
  workspaceId?: string | undefined;
}

/** A UTC `[fromMs, toMs)` on whole minutes, fromMs <= toMs (equal: an empty range, all zeros / nulls). */
export interface RangeQuery extends Scope {
  fromMs: number;
  toMs: number;
}

/** Local dates `YYYY-MM-DD` in `tz`; one answer per date, in the order given. */
export interface DatesQuery extends Scope {
  tz: string;
  dates: readonly string[];
}

/** One local date `YYYY-MM-DD` in `tz`. */
export interface DateQuery extends Scope {
  tz: string;
  date: string;
}

export interface TrendsQuery extends Scope {
  nowMs: number;
}

export type OverviewMetric = keyof OverviewMetrics;
/** The six overview metrics, in the contract's (and the export header's) order. */
export const OVERVIEW_METRICS = Object.keys(METRICS.overview) as OverviewMetric[];

export function isOverviewMetric(name: string): name is OverviewMetric {
  return (OVERVIEW_METRICS as readonly string[]).includes(name);
}

export interface DailyValue {
  date: string;
  value: number | null;
}

export interface DailyOverview {
  date: string;
  metrics: OverviewMetrics;
}

export interface HourlyVolume {
  /** 0..23, local wall-clock hour. */
  hour: number;
  /** As `totalMessages`. */
  messages: number;
}

export interface QueryService {
  /** The answers of the given sections (each the read-API answer minus `period`) over `[fromMs, toMs)`. */
  sections<S extends MetricSection>(q: RangeQuery, sections: readonly S[]): Promise<Pick<MetricsAnswer, S>>;
  /** One overview metric per local date (timeseries). */
  daily(q: DatesQuery, metric: OverviewMetric): Promise<DailyValue[]>;
  /** All six overview metrics per local date (export). */
  dailyOverview(q: DatesQuery): Promise<DailyOverview[]>;
  /** 24 entries, hour 0..23 of the local date: a repeated hour adds into its entry, a skipped one is 0. */
  hourly(q: DateQuery): Promise<HourlyVolume[]>;
  /** The overview's trends over the 60 minutes ending with the minute of `nowMs` (trends.ts). */
  trends(q: TrendsQuery): Promise<Trends>;
  /**
   * The overview over `[fromMs, toMs)` and the trends at `nowMs`: one statement when the range ends with
   * the trends' hour (the periods up to now), else the two reads above.
   */
  overview(q: RangeQuery, nowMs: number): Promise<{ overview: OverviewMetrics; trends: Trends }>;
}

export interface QueryServiceOptions {
  client: ClickHouseClient;
  /** The rollups' database (CLICKHOUSE_DATABASE). */
  database: string;
  /** Pre-merged distinct states of whole days (distinct-cache.ts); `false` reads without. Default: one per service. */
  distinctCache?: DistinctCache | false;
  /**
   * Every rollup write of this process, when it owns the engine (the embedded engine): ungrouped reads
   * then keep their settled part in memory (settled-blocks.ts). Without it every read goes to the engine.
   */
  changes?: RollupChanges | undefined;
  /** The settled blocks themselves (tests, tuning); default: one over `changes`, when given. */
  settledBlocks?: SettledBlocks | undefined;
}

/** What a read loads: its measures, how it reads distinct counts, and which are distinct totals. */
interface ReadShape {
  readonly measures: readonly string[];
  readonly distinct: ReadonlyMap<string, boolean>;
  /** Measures read as a distinct total only. */
  readonly totals: readonly string[];
}

function shapeOf(specs: readonly Spec[]): ReadShape {
  const measureSet = new Set<string>();
  const distinct = new Map<string, boolean>();
  for (const spec of specs) {
    measuresOf(spec, measureSet);
    distinctReads(spec, distinct);
  }
  const measures = [...measureSet].sort();
  return { measures, distinct, totals: measures.filter((m) => distinct.get(m) === false) };
}

const EVALUATE: { [S in MetricSection]: (store: MeasureStore) => MetricsAnswer[S] } = {
  overview: evaluateOverview,
  gates: evaluateGates,
  channels: evaluateChannels,
  cohorts: evaluateCohorts,
  dashboard: evaluateDashboard,
  events: evaluateEvents,
};


function checkScope(q: Scope): void {
  if (typeof q.orgId !== 'string' || q.orgId === '') throw new QueryError('org_id', 'org_id is required');
  if (q.workspaceId !== undefined && (typeof q.workspaceId !== 'string' || q.workspaceId === '')) {
    throw new QueryError('workspace_id', `workspace_id ${shown(q.workspaceId)} is not a workspace id`);
  }
}

/** Rows grouped by key, each group a store. */
function storesByKey(rows: readonly KeyedAggregate[]): Map<number, AggregateMeasureStore> {
  const groups = new Map<number, KeyedAggregate[]>();
  for (const r of rows) {
    let g = groups.get(r.key);
    if (g === undefined) groups.set(r.key, (g = []));
    g.push(r);
  }
  return new Map([...groups].map(([k, g]) => [k, new AggregateMeasureStore(g)]));
}

const EMPTY = new AggregateMeasureStore([]);

export function createQueryService(options: QueryServiceOptions): QueryService {
  const { client } = options;
  const database = checkDatabaseName(options.database);
  const cache = options.distinctCache === false ? undefined : (options.distinctCache ?? createDistinctCache({ client, database }));

  const blocks = options.settledBlocks ?? (options.changes === undefined ? undefined : createSettledBlocks({ changes: options.changes }));

  /**
   * Loads what `specs` read: their measures, id sets merged only where a spec reads a distinct count.
   * An ungrouped read takes its settled part from a block when it can (settled-blocks.ts) and asks
   * the engine only for the rest.
   */
  async function load(scope: Scope, specs: readonly Spec[], range: TimeRange, groupBy?: LocalGrouping, recentFromMs?: number): Promise<KeyedAggregate[]> {
    checkScope(scope);
    const shape = shapeOf(specs);
    const cut = blocks === undefined || groupBy !== undefined ? undefined : settledCut(range);
    if (blocks !== undefined && cut !== undefined && (recentFromMs === undefined || recentFromMs >= cut)) {
      const settledRange = { fromMs: range.fromMs, toMs: cut };
      const shapeOfBlock = { signature: JSON.stringify([shape.measures, shape.totals]), totals: shape.totals };
      const block = await blocks.get({ orgId: scope.orgId, workspaceId: scope.workspaceId }, settledRange, shapeOfBlock, (r) => direct(scope, shape, r, undefined, undefined, true));
      if (block !== undefined) {
        const rows = await block.read(range.toMs, recentFromMs, (r) => direct(scope, shape, r, { segments: [{ fromMs: r.fromMs, offsetMs: 0 }], unitSeconds: 60 }, undefined, true));
        return rows ?? joinSettled(block.rows, await direct(scope, shape, { fromMs: cut, toMs: range.toMs }, undefined, recentFromMs, true));
      }
    }
    return direct(scope, shape, range, groupBy, recentFromMs);
  }

  /** One read from the engine; with `sets`, distinct totals come back as states or member sets (readThroughCache). */
  async function direct(scope: Scope, shape: ReadShape, range: TimeRange, groupBy?: LocalGrouping, recentFromMs?: number, sets = false): Promise<KeyedAggregate[]> {
    const { measures, distinct, totals } = shape;
    const plan = groupBy === undefined ? planTotals(range, recentFromMs) : planRead(range, coarsestGrainFor(groupBy.segments, groupBy.unitSeconds * 1000));
    const run = async (cached?: CachedDays, states?: boolean): Promise<KeyedAggregate[]> => {
      const sql = buildLoadQuery({ database, orgId: scope.orgId, workspaceId: scope.workspaceId, measures, distinct, plan, groupBy, cached, recentFromMs, states });
      if (sql === undefined) return [];
      try {
        const rs = await client.query({ query: sql.query, query_params: sql.query_params, format: 'JSONEachRow' });
        return readLoadedRows(await rs.json<Record<string, unknown>>());
      } catch (err) {
        throw toSinkError('rollup query', err);
      }
    };
    const days = groupBy === undefined ? dailyRange(plan) : undefined;
    if (cache === undefined || days === undefined || totals.length === 0) return run(undefined, sets);
    return readThroughCache(cache, { orgId: scope.orgId, workspaceId: scope.workspaceId }, totals, days, run, sets);
  }

  /** Loads `measures` for local dates, grouped by local date (key = epoch day). */
  async function byLocalDay(q: DatesQuery, spec: Spec): Promise<Array<{ date: string; store: MeasureStore }>> {
    const tz = resolveZone(q.tz);
    if (!Array.isArray(q.dates)) throw new QueryError('dates', 'dates must be a list of YYYY-MM-DD');
    if (q.dates.length > MAX_DATES) throw new QueryError('dates', `more than ${MAX_DATES} dates`);
    const days = q.dates.map((d) => parseDay(d, 'dates'));
    if (days.length === 0) return [];
    const first = Math.min(...days);
    const last = Math.max(...days);
    if (last - first + 1 > MAX_DATES) throw new QueryError('dates', `dates span more than ${MAX_DATES} days`);
    const range = { fromMs: floorToMinute(startOfLocalDay(first, tz)), toMs: floorToMinute(startOfLocalDay(last + 1, tz)) };
    const rows = await load(q, [spec], range, { segments: offsetSegments(range, tz), unitSeconds: DAY_MS / 1000 });
    const stores = storesByKey(rows);
    return days.map((day) => ({ date: formatDay(day), store: stores.get(day) ?? EMPTY }));
  }

  const service: QueryService = {
    async sections<S extends MetricSection>(q: RangeQuery, sections: readonly S[]): Promise<Pick<MetricsAnswer, S>> {
      const wanted = [...new Set(sections)];
      for (const s of wanted) {
        if (!(METRIC_SECTIONS as readonly string[]).includes(s)) throw new QueryError('section', `unknown section ${shown(s)}`);
      }
      const rows = await load(q, wanted.map((s) => METRICS[s]), { fromMs: q.fromMs, toMs: q.toMs });
      const store = new AggregateMeasureStore(rows);
      const out: Partial<MetricsAnswer> = {};
      for (const s of wanted) (out as Record<MetricSection, unknown>)[s] = EVALUATE[s](store);
      return out as Pick<MetricsAnswer, S>;
    },

    async daily(q: DatesQuery, metric: OverviewMetric): Promise<DailyValue[]> {
      if (!isOverviewMetric(metric)) {
        throw new QueryError('metric', `metric ${shown(metric)} is not one of ${OVERVIEW_METRICS.join(', ')}`);
      }
      const spec = METRICS.overview[metric];
      const days = await byLocalDay(q, spec);
      return days.map(({ date, store }) => ({ date, value: evaluateSpec(spec, store) }));
    },

    async dailyOverview(q: DatesQuery): Promise<DailyOverview[]> {
      const days = await byLocalDay(q, METRICS.overview);
      return days.map(({ date, store }) => ({ date, metrics: evaluateOverview(store) }));
    },

    async hourly(q: DateQuery): Promise<HourlyVolume[]> {
      const tz = resolveZone(q.tz);
      const day = parseDay(q.date, 'date');
      const range = { fromMs: floorToMinute(startOfLocalDay(day, tz)), toMs: floorToMinute(startOfLocalDay(day + 1, tz)) };
      const spec = METRICS.overview.totalMessages;
      const rows = await load(q, [spec], range, { segments: offsetSegments(range, tz), unitSeconds: HOUR_MS / 1000 });
      const hourly: HourlyVolume[] = Array.from({ length: 24 }, (_, hour) => ({ hour, messages: 0 }));
      // key = local epoch hour; a repeated wall-clock hour has one key, so its two passes are merged.
      for (const [key, store] of storesByKey(rows)) hourly[((key % 24) + 24) % 24]!.messages += evaluateSpec(spec, store);
      return hourly;
    },

    async trends(q: TrendsQuery): Promise<Trends> {
      if (!Number.isFinite(q.nowMs)) throw new QueryError('now', 'now must be an epoch-ms instant');
      const rows = await load(q, [TRENDS], trendsRange(q.nowMs));
      return evaluateSpec(TRENDS, new AggregateMeasureStore(rows));
    },

    async overview(q: RangeQuery, nowMs: number) {
      if (!Number.isFinite(nowMs)) throw new QueryError('now', 'now must be an epoch-ms instant');
      const last = trendsRange(nowMs);
      if (!(q.fromMs <= last.fromMs && q.toMs === last.toMs)) {
        const [{ overview }, trends] = await Promise.all([service.sections(q, ['overview']), service.trends({ ...q, nowMs })]);
        return { overview, trends };
      }
      const rows = await load(q, [METRICS.overview, TRENDS], { fromMs: q.fromMs, toMs: q.toMs }, undefined, last.fromMs);
      return {
        overview: evaluateOverview(new AggregateMeasureStore(sumOverKeys(rows))),
        trends: evaluateSpec(TRENDS, new AggregateMeasureStore(rows.filter((r) => r.key === 1))),
      };
    },
  };
  return service;
}

/** Count-and-sum rows of one (measure, dim) under several keys, added up; total rows as they are. */
function sumOverKeys(rows: readonly KeyedAggregate[]): KeyedAggregate[] {
  const out: KeyedAggregate[] = [];
  const byDim = new Map<string, KeyedAggregate>();
  for (const r of rows) {
    if (r.dim === undefined) {
      out.push(r);
      continue;
    }
    const id = JSON.stringify([r.measure, r.dim]);
    const seen = byDim.get(id);
    byDim.set(id, seen === undefined ? { ...r, key: 0 } : { ...seen, count: seen.count + r.count, sum: seen.sum + r.sum, covered: seen.covered + r.covered });
  }
  return [...out, ...byDim.values()];
}
