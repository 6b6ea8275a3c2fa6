/**
 * Test helper: the worker's pure path (compiled mapping -> tumbling windows -> flushed partial rows)
 * and the read side as ClickHouse would do it (select partials of a tenant/workspace/bucket range,
 * merge them exactly in a MeasureStore, evaluate).
 */
import type { AnalyticsEvent } from '../../../src/contract/catalog.js';
import { evaluateMetrics, type MetricsAnswer } from '../../../src/metrics/evaluate.js';
import { AggregateMeasureStore, MemoryMeasureStore, type MeasureAggregate } from '../../../src/metrics/store.js';
import { TumblingWindows, type PartialRow } from '../../../src/window/index.js';

export interface Selection {
  org_id: string;
  workspace_id?: string;
  fromMs: number;
  toMs: number;
}

/** Records every event (flushing every `flushEvery`, like the per-second flush) and returns all partials. */
export function rollUp(
  events: readonly AnalyticsEvent[],
  opts: { flushEvery?: number; now?: number } = {},
): { rows: PartialRow[]; windows: TumblingWindows } {
  let max = 0;
  for (const e of events) if (e.timestamp > max) max = e.timestamp;
  const now = opts.now ?? max + 1;
  const windows = new TumblingWindows({ now: () => now });
  const rows: PartialRow[] = [];
  const flushEvery = opts.flushEvery ?? 1000;
  events.forEach((e, i) => {
    windows.record(e);
    if ((i + 1) % flushEvery === 0) rows.push(...windows.flush());
  });
  rows.push(...windows.flush());
  return { rows, windows };
}

export function select(rows: readonly PartialRow[], s: Selection): PartialRow[] {
  return rows.filter(
    (r) =>
      r.org_id === s.org_id &&
      (s.workspace_id === undefined || r.workspace_id === s.workspace_id) &&
      r.bucket >= s.fromMs &&
      r.bucket < s.toMs,
  );
}

export function answerFromPartials(rows: readonly PartialRow[], s: Selection): MetricsAnswer {
  return evaluateMetrics(new MemoryMeasureStore(select(rows, s)));
}

/** What a ClickHouse query returns: merged numbers per (measure, dim) and per measure. */
export function aggregatesOf(rows: readonly PartialRow[]): MeasureAggregate[] {
  const byKey = new Map<string, { measure: string; dim?: string; count: number; sum: number; ids: Set<string> }>();
  const add = (key: string, measure: string, dim: string | undefined, r: PartialRow) => {
    let a = byKey.get(key);
    if (a === undefined) byKey.set(key, (a = { measure, ...(dim === undefined ? {} : { dim }), count: 0, sum: 0, ids: new Set() }));
    a.count += r.count;
    a.sum += r.sum;
    for (const id of r.ids) a.ids.add(id);
  };
  for (const r of rows) {
    add(`${r.measure}\u0000${r.dim}`, r.measure, r.dim, r);
    add(`${r.measure}\u0001`, r.measure, undefined, r);
  }
  return [...byKey.values()].map(({ ids, ...rest }) => ({ ...rest, distinct: ids.size }));
}

export function answerFromAggregates(rows: readonly PartialRow[], s: Selection): MetricsAnswer {
  return evaluateMetrics(new AggregateMeasureStore(aggregatesOf(select(rows, s))));
}
