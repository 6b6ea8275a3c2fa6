/**
 * Rows added up per (key, measure, dim): count and sum, and the id-set states a cell's distinct count
 * is to be taken from. Shared by an open tail's minutes (open-tail.ts) and a block joined with its tail
 * (settled-blocks.ts `joinSettled`).
 */
import type { KeyedAggregate } from './sql.js';

export interface Cell {
  readonly key: number;
  readonly measure: string;
  readonly dim: string | undefined;
  count: number;
  sum: number;
  /** States (`ids`, `idParts`) of the rows added: their union is the cell's ids. */
  readonly parts: Uint8Array[];
  /** Distinct counts of rows that came counted, without states (plain measures: 0). */
  counted: number;
  /** The settled block's row of this cell, when one was added with `addSettled`. */
  block: KeyedAggregate | undefined;
}

export class Cells {
  private readonly cells = new Map<string, Cell>();

  /** Adds a row under `key` (default its own): count, sum, and its states or counted distinct. */
  add(r: KeyedAggregate, key = r.key): Cell {
    const c = this.cell(key, r);
    c.count += r.count;
    c.sum += r.sum;
    if (r.idParts !== undefined) c.parts.push(...r.idParts);
    else if (r.ids !== undefined) c.parts.push(r.ids);
    else c.counted += r.distinct;
    return c;
  }

  /** Adds a settled block's row: count and sum, and the row itself (its member sets and their count). */
  addSettled(r: KeyedAggregate): void {
    const c = this.cell(r.key, r);
    c.count += r.count;
    c.sum += r.sum;
    c.block = r;
  }

  values(): IterableIterator<Cell> {
    return this.cells.values();
  }

  private cell(key: number, r: KeyedAggregate): Cell {
    const id = JSON.stringify([key, r.measure, r.dim ?? null]);
    let c = this.cells.get(id);
    if (c === undefined) this.cells.set(id, (c = { key, measure: r.measure, dim: r.dim, count: 0, sum: 0, parts: [], counted: 0, block: undefined }));
    return c;
  }
}
