/**
 * A set of the 128-bit element hashes of a ClickHouse `uniqExact(String)` state, held in this process
 * (docs/query.md, "Member sets"). `uniqExact` keeps a string as its SipHash-128 and counts distinct
 * hashes; this set keeps the same hashes, so `size + countMissing(other)` is exactly what ClickHouse
 * would answer for the union, without the engine deserializing the big state on every read (22-25 ms
 * for 740,000 ids, most of a month's overview).
 *
 * The state's serialized form (`toString(state)`, HashTable::write): a LEB128 varint with the number
 * of elements, then each element as 16 raw bytes. Anything else is refused with an error, never
 * guessed at: a different engine version that changed the layout must not produce numbers.
 */
import { RollupsError } from '../errors.js';

const KEY_BYTES = 16;
/** Most slots filled: linear probing stays short on uniform hashes. */
const MAX_LOAD = 0.75;

/** A state's bytes are not laid out as described above (an engine whose format changed). */
export class IdStateFormatError extends RollupsError {
  constructor(message: string) {
    super(message, { code: 'ID_STATE_FORMAT' });
  }
}

/** The element count and where the elements start in a serialized state. */
function header(bytes: Uint8Array): { size: number; offset: number } {
  let size = 0;
  let shift = 0;
  let offset = 0;
  for (;;) {
    if (offset >= bytes.length || offset > 8) throw new IdStateFormatError('uniqExact state: truncated element count');
    const b = bytes[offset++]!;
    size += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  if (bytes.length - offset !== size * KEY_BYTES) {
    throw new IdStateFormatError(`uniqExact state: ${bytes.length - offset} bytes for ${size} elements of ${KEY_BYTES} bytes`);
  }
  return { size, offset };
}

function words(bytes: Uint8Array): Uint32Array {
  // Uint32Array needs 4-byte alignment; a Buffer may sit at any offset of its pool (and Buffer#slice
  // does not copy, hence the constructor). Word order does not matter: words are only compared.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
}

export class IdHashSet {
  /** Four words per slot; an all-zero slot is empty (the zero hash itself is kept in `hasZero`). */
  // Sized once from the state's element count: a set is never added to after it is read.
  private readonly table: Uint32Array;
  private readonly mask: number;
  private count = 0;
  private hasZero = false;

  private constructor(expected: number) {
    let slots = 16;
    while (slots * MAX_LOAD < expected) slots *= 2;
    this.table = new Uint32Array(slots * 4);
    this.mask = slots - 1;
  }

  /**
   * The set of a serialized `uniqExact(String)` state, less the elements any of `without` holds: a
   * layer on top of those sets, disjoint from them, so that sizes add up (`countMissingFromAll`).
   */
  static fromState(bytes: Uint8Array, without: readonly IdHashSet[] = []): IdHashSet {
    const { size, offset } = header(bytes);
    const set = new IdHashSet(size);
    const w = words(bytes.subarray(offset));
    for (let i = 0; i < w.length; i += 4) {
      const a = w[i]!, b = w[i + 1]!, c = w[i + 2]!, d = w[i + 3]!;
      if (!without.some((s) => s.has(a, b, c, d))) set.add(a, b, c, d);
    }
    return set;
  }

  /** How many distinct elements of the union of serialized states none of `sets` holds. */
  static countMissingInUnion(states: readonly Uint8Array[], sets: readonly IdHashSet[]): number {
    if (states.length === 1) return IdHashSet.countMissingFromAll(states[0]!, sets);
    let n = 0;
    for (const s of states) n += header(s).size;
    const seen = new IdHashSet(n);
    for (const s of states) {
      const w = words(s.subarray(header(s).offset));
      for (let i = 0; i < w.length; i += 4) {
        const a = w[i]!, b = w[i + 1]!, c = w[i + 2]!, d = w[i + 3]!;
        if (!sets.some((x) => x.has(a, b, c, d))) seen.add(a, b, c, d);
      }
    }
    return seen.size;
  }

  /** How many distinct elements of a serialized state none of `sets` holds. */
  static countMissingFromAll(state: Uint8Array, sets: readonly IdHashSet[]): number {
    if (sets.length === 1) return sets[0]!.countMissing(state);
    const { offset } = header(state);
    const w = words(state.subarray(offset));
    let missing = 0;
    for (let i = 0; i < w.length; i += 4) {
      const a = w[i]!, b = w[i + 1]!, c = w[i + 2]!, d = w[i + 3]!;
      if (!sets.some((s) => s.has(a, b, c, d))) missing++;
    }
    return missing;
  }

  /** Distinct elements held. */
  get size(): number {
    return this.count + (this.hasZero ? 1 : 0);
  }

  /** Bytes of the table (what an entry costs in memory). */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** How many distinct elements of a serialized state are not in this set. */
  countMissing(state: Uint8Array): number {
    const { offset } = header(state);
    const w = words(state.subarray(offset));
    let missing = 0;
    for (let i = 0; i < w.length; i += 4) {
      if (!this.has(w[i]!, w[i + 1]!, w[i + 2]!, w[i + 3]!)) missing++;
    }
    // A state holds each element once, so no element of it is counted twice.
    return missing;
  }

  private has(a: number, b: number, c: number, d: number): boolean {
    if ((a | b | c | d) === 0) return this.hasZero;
    const t = this.table;
    // SipHash output is uniform: its first word is as good an index as any mix of it.
    for (let s = a & this.mask; ; s = (s + 1) & this.mask) {
      const i = s * 4;
      if (t[i] === a && t[i + 1] === b && t[i + 2] === c && t[i + 3] === d) return true;
      if ((t[i]! | t[i + 1]! | t[i + 2]! | t[i + 3]!) === 0) return false;
    }
  }

  private add(a: number, b: number, c: number, d: number): void {
    if ((a | b | c | d) === 0) {
      this.hasZero = true;
      return;
    }
    const t = this.table;
    for (let s = a & this.mask; ; s = (s + 1) & this.mask) {
      const i = s * 4;
      if (t[i] === a && t[i + 1] === b && t[i + 2] === c && t[i + 3] === d) return;
      if ((t[i]! | t[i + 1]! | t[i + 2]! | t[i + 3]!) === 0) {
        t[i] = a;
        t[i + 1] = b;
        t[i + 2] = c;
        t[i + 3] = d;
        this.count++;
        return;
      }
    }
  }
}
