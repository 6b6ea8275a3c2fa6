/**
 * The small formula language in which contract section 5 is written over measures (see mapping.ts
 * for the tables themselves and evaluate.ts for the evaluator).
 *
 * A formula tree is a plain object whose leaves are expressions; the evaluator returns an object of
 * the same shape with every leaf replaced by its value. `Out<typeof tree>` is the TypeScript type of
 * that answer, so the tables and the answer types cannot drift apart. The property name `op` is
 * reserved: an object with a string `op` is an expression, anything else is a branch.
 */

/** Stands for "the dim value of the group being evaluated" inside `groups` / `groupsFrom`. */
export const KEY: unique symbol = Symbol('group key');
export type DimRef = string | typeof KEY;

/** A measure value: `count` of contributions, `sum` of values, `distinct` ids (exact). */
export interface MeasureExpr<M extends string = string> {
  readonly op: 'count' | 'sum' | 'distinct';
  readonly measure: M;
  /** One dim value, `KEY` for the enclosing group's value, or undefined for the total over all dims. */
  readonly dim: DimRef | undefined;
}

/** `num / den`; null when `den` is 0. */
export interface RatioExpr<M extends string = string> {
  readonly op: 'ratio';
  readonly num: MeasureExpr<M>;
  readonly den: MeasureExpr<M>;
}

/** `(sum / count) / divisor` of a sum measure; null when count is 0. */
export interface MeanExpr<M extends string = string> {
  readonly op: 'mean';
  readonly measure: M;
  readonly dim: DimRef | undefined;
  readonly divisor: number;
}

/** The `k` dim values with the highest count (ties: string order), as a list of values. */
export interface TopKeysExpr<M extends string = string> {
  readonly op: 'topKeys';
  readonly measure: M;
  readonly k: number;
}

/** The `k` dim values with the highest count (ties: string order), as `[{ [key]: value, count }]`. */
export interface TopKExpr<K extends string = string, M extends string = string> {
  readonly op: 'topK';
  readonly measure: M;
  readonly k: number;
  readonly key: K;
}

/** Count per dim value: the listed `keys` (0 when absent), or every non-empty dim value seen. */
export interface ByDimExpr<M extends string = string> {
  readonly op: 'byDim';
  readonly measure: M;
  readonly keys: readonly string[] | undefined;
}

/** A fixed set of groups: answer name -> dim value bound to `KEY` while evaluating `each`. */
export interface GroupsExpr<G extends Readonly<Record<string, string>> = Readonly<Record<string, string>>, E = Spec> {
  readonly op: 'groups';
  readonly keys: G;
  readonly each: E;
}

/** One group per non-empty dim value seen in any of `measures`, in string order. */
export interface GroupsFromExpr<E = Spec, M extends string = string> {
  readonly op: 'groupsFrom';
  readonly measures: readonly M[];
  readonly each: E;
}

export type Expr =
  | MeasureExpr
  | RatioExpr
  | MeanExpr
  | TopKeysExpr
  | TopKExpr
  | ByDimExpr
  | GroupsExpr
  | GroupsFromExpr;

export type Spec = Expr | { readonly [name: string]: Spec };

/** The answer type of a formula tree. */
export type Out<S> = S extends MeasureExpr
  ? number
  : S extends RatioExpr | MeanExpr
    ? number | null
    : S extends TopKeysExpr
      ? string[]
      : S extends TopKExpr<infer K>
        ? Array<{ [P in K]: string } & { count: number }>
        : S extends ByDimExpr
          ? Record<string, number>
          : S extends GroupsExpr<infer G, infer E>
            ? { -readonly [P in keyof G]: Out<E> }
            : S extends GroupsFromExpr<infer E>
              ? Record<string, Out<E>>
              : { -readonly [P in keyof S]: Out<S[P]> };

export function isExpr(spec: Spec): spec is Expr {
  return typeof (spec as { op?: unknown }).op === 'string';
}

/**
 * Formula constructors typed to a set of measure names, so a typo in a table is a compile error:
 * `const { count, ratio } = formulas<MeasureName>()`.
 */
export function formulas<M extends string>() {
  const measure =
    <Op extends MeasureExpr['op']>(op: Op) =>
    (name: M, dim?: DimRef) =>
      ({ op, measure: name, dim }) as MeasureExpr<M> & { readonly op: Op };
  return {
    count: measure('count'),
    sum: measure('sum'),
    distinct: measure('distinct'),
    ratio: (num: MeasureExpr<M>, den: MeasureExpr<M>): RatioExpr<M> => ({ op: 'ratio', num, den }),
    mean: (name: M, opts: { dim?: DimRef; divisor?: number } = {}): MeanExpr<M> => ({
      op: 'mean',
      measure: name,
      dim: opts.dim,
      divisor: opts.divisor ?? 1,
    }),
    topKeys: (name: M, k: number): TopKeysExpr<M> => ({ op: 'topKeys', measure: name, k }),
    topK: <const K extends string>(name: M, k: number, key: K): TopKExpr<K, M> => ({
      op: 'topK',
      measure: name,
      k,
      key,
    }),
    byDim: (name: M, keys?: readonly string[]): ByDimExpr<M> => ({ op: 'byDim', measure: name, keys }),
    groups: <const G extends Readonly<Record<string, string>>, const E extends Spec>(
      keys: G,
      each: E,
    ): GroupsExpr<G, E> => ({ op: 'groups', keys, each }),
    groupsFrom: <const E extends Spec>(measures: readonly M[], each: E): GroupsFromExpr<E, M> => ({
      op: 'groupsFrom',
      measures,
      each,
    }),
  };
}

/** Every measure a formula tree reads (to know what to load for a section). */
export function measuresOf(spec: Spec, into: Set<string> = new Set()): Set<string> {
  if (!isExpr(spec)) {
    for (const sub of Object.values(spec)) measuresOf(sub, into);
    return into;
  }
  switch (spec.op) {
    case 'ratio':
      into.add(spec.num.measure).add(spec.den.measure);
      break;
    case 'groups':
      measuresOf(spec.each, into);
      break;
    case 'groupsFrom':
      for (const m of spec.measures) into.add(m);
      measuresOf(spec.each, into);
      break;
    default:
      into.add(spec.measure);
  }
  return into;
}

/**
 * How a formula tree reads distinct counts: measure -> true when some leaf reads it per dim value,
 * false when only as the measure's total. Measures absent from the map are never read as distinct
 * counts (count and sum only), so the query layer can skip their id sets, the costly part of a read.
 */
export function distinctReads(spec: Spec, into: Map<string, boolean> = new Map()): Map<string, boolean> {
  if (!isExpr(spec)) {
    for (const sub of Object.values(spec)) distinctReads(sub, into);
    return into;
  }
  switch (spec.op) {
    case 'distinct':
      into.set(spec.measure, (into.get(spec.measure) ?? false) || spec.dim !== undefined);
      break;
    case 'ratio':
      distinctReads(spec.num, into);
      distinctReads(spec.den, into);
      break;
    case 'groups':
    case 'groupsFrom':
      distinctReads(spec.each, into);
      break;
    default:
      break;
  }
  return into;
}
