/**
 * In-memory `MeasureStore`s: one that merges raw partial rows exactly (ids as sets; what ClickHouse
 * does with uniqExact states), and one over already-merged numbers (what a ClickHouse query returns:
 * one row per (measure, dim) plus one total row per measure, since distinct counts do not add up).
 */
import type { MeasureStore } from './evaluate.js';

/** A partial row as the window emits it (`PartialRow` fits); bucket and tenant are not looked at. */
export interface MeasurePartial {
  readonly measure: string;
  readonly dim: string;
  readonly count: number;
  readonly sum: number;
  readonly ids: readonly string[];
}

/** Merged numbers of one (measure, dim), or of a measure's total when `dim` is absent. */
export interface MeasureAggregate {
  readonly measure: string;
  readonly dim?: string;
  readonly count: number;
  readonly sum: number;
  readonly distinct: number;
}

interface Cell {
  count: number;
  sum: number;
  ids: Set<string>;
}

/** Merges partial rows exactly, as ClickHouse merges `count`, `sum` and uniqExact states. */
export class MemoryMeasureStore implements MeasureStore {
  private readonly cells = new Map<string, Map<string, Cell>>();
  private readonly totals = new Map<string, Cell>();

  constructor(rows: Iterable<MeasurePartial> = []) {
    for (const row of rows) this.add(row);
  }

  add(row: MeasurePartial): void {
    let byDim = this.cells.get(row.measure);
    if (byDim === undefined) this.cells.set(row.measure, (byDim = new Map()));
    let cell = byDim.get(row.dim);
    if (cell === undefined) byDim.set(row.dim, (cell = { count: 0, sum: 0, ids: new Set() }));
    let total = this.totals.get(row.measure);
    if (total === undefined) this.totals.set(row.measure, (total = { count: 0, sum: 0, ids: new Set() }));
    for (const c of [cell, total]) {
      c.count += row.count;
      c.sum += row.sum;
      for (const id of row.ids) c.ids.add(id);
    }
  }

  private cell(measure: string, dim: string | undefined): Cell | undefined {
    return dim === undefined ? this.totals.get(measure) : this.cells.get(measure)?.get(dim);
  }

  count(measure: string, dim?: string): number {
    return this.cell(measure, dim)?.count ?? 0;
  }

  sum(measure: string, dim?: string): number {
    return this.cell(measure, dim)?.sum ?? 0;
  }

  distinct(measure: string, dim?: string): number {
    return this.cell(measure, dim)?.ids.size ?? 0;
  }

  dims(measure: string): readonly string[] {
    return [...(this.cells.get(measure)?.keys() ?? [])];
  }
}

/**
 * A store over merged numbers: rows with `dim` (one per measure and dim value) and rows without
 * (the measure's total). A measure with no total row gets count and sum added up from its dims; its
 * distinct total cannot be derived from per-dim counts (sets overlap), so asking for it throws
 * unless the measure has at most one dim value.
 */
export class AggregateMeasureStore implements MeasureStore {
  private readonly byDim = new Map<string, Map<string, MeasureAggregate>>();
  private readonly totals = new Map<string, MeasureAggregate>();

  constructor(rows: Iterable<MeasureAggregate>) {
    for (const row of rows) {
      if (row.dim === undefined) {
        this.totals.set(row.measure, row);
        continue;
      }
      let m = this.byDim.get(row.measure);
      if (m === undefined) this.byDim.set(row.measure, (m = new Map()));
      m.set(row.dim, row);
    }
  }

  private total(measure: string): MeasureAggregate | undefined {
    const t = this.totals.get(measure);
    if (t !== undefined) return t;
    const dims = this.byDim.get(measure);
    if (dims === undefined) return undefined;
    let count = 0;
    let sum = 0;
    for (const a of dims.values()) {
      count += a.count;
      sum += a.sum;
    }
    const only = dims.size === 1 ? [...dims.values()][0] : undefined;
    return { measure, count, sum, distinct: only?.distinct ?? Number.NaN };
  }

  private get(measure: string, dim: string | undefined): MeasureAggregate | undefined {
    return dim === undefined ? this.total(measure) : this.byDim.get(measure)?.get(dim);
  }

  count(measure: string, dim?: string): number {
    return this.get(measure, dim)?.count ?? 0;
  }

  sum(measure: string, dim?: string): number {
    return this.get(measure, dim)?.sum ?? 0;
  }

  distinct(measure: string, dim?: string): number {
    const d = this.get(measure, dim)?.distinct ?? 0;
    if (Number.isNaN(d)) throw new Error(`distinct total of measure '${measure}' needs a total row`);
    return d;
  }

  dims(measure: string): readonly string[] {
    return [...(this.byDim.get(measure)?.keys() ?? [])];
  }
}
