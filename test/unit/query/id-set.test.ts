import { describe, expect, it } from 'vitest';
import { IdHashSet, IdStateFormatError } from '../../../src/query/id-set.js';
import { idKey, idKeys, idState } from '../../support/id-states.js';

const state = idState;
const key = idKey;
const keys = idKeys;

describe('IdHashSet', () => {
  it('holds the elements of a state and counts those of another it lacks', () => {
    const a = IdHashSet.fromState(state(keys(0, 1000)));
    expect(a.size).toBe(1000);
    expect(a.countMissing(state(keys(900, 1300)))).toBe(300);
    expect(a.countMissing(state(keys(0, 1000)))).toBe(0);
    expect(a.countMissing(state([]))).toBe(0);
  });

  it('sizes its table for at most 75 % load and keeps every element (a two-byte count)', () => {
    const a = IdHashSet.fromState(state(keys(0, 20_000)));
    expect(a.size).toBe(20_000);
    expect(a.countMissing(state(keys(19_999, 20_001)))).toBe(1);
    expect(a.bytes).toBe(32_768 * 16);
  });

  it('an empty state is an empty set', () => {
    const a = IdHashSet.fromState(Uint8Array.of(0));
    expect(a.size).toBe(0);
    expect(a.countMissing(state(keys(0, 3)))).toBe(3);
  });

  it('keeps the all-zero hash apart from empty slots', () => {
    const zero = new Uint8Array(16);
    const a = IdHashSet.fromState(state([zero, key(1)]));
    expect(a.size).toBe(2);
    expect(a.countMissing(state([zero, key(2)]))).toBe(1);
    expect(IdHashSet.fromState(state([key(1)])).countMissing(state([zero]))).toBe(1);
  });

  it('builds a layer without the elements other sets hold, and counts what none of the layers holds', () => {
    const base = IdHashSet.fromState(state(keys(0, 1000)));
    const layer = IdHashSet.fromState(state(keys(900, 1500)), [base]);
    expect(layer.size).toBe(500);
    expect(layer.countMissing(state(keys(900, 1000)))).toBe(100);
    // The union of 0..1500 with 1400..1700: 200 new.
    expect(IdHashSet.countMissingFromAll(state(keys(1400, 1700)), [base, layer])).toBe(200);
    expect(IdHashSet.countMissingFromAll(state(keys(0, 10)), [base, layer])).toBe(0);
    expect(IdHashSet.countMissingFromAll(state(keys(0, 10)), [])).toBe(10);
    expect(IdHashSet.countMissingFromAll(state(keys(995, 1005)), [base])).toBe(5);
    expect(IdHashSet.fromState(state(keys(0, 1000)), [base]).size).toBe(0);
  });

  it('reads states at any byte offset (a Buffer in a shared pool)', () => {
    const a = IdHashSet.fromState(state(keys(0, 50), 3));
    expect(a.size).toBe(50);
    expect(a.countMissing(state(keys(40, 60), 1))).toBe(10);
  });

  it('refuses bytes that are not a state, naming what is wrong', () => {
    const good = state(keys(0, 2));
    expect(() => IdHashSet.fromState(good.subarray(0, good.length - 1))).toThrow(IdStateFormatError);
    expect(() => IdHashSet.fromState(good.subarray(0, good.length - 1))).toThrow('31 bytes for 2 elements of 16 bytes');
    expect(() => IdHashSet.fromState(new Uint8Array(0))).toThrow('truncated element count');
    expect(() => IdHashSet.fromState(Uint8Array.of(0x80, 0x80))).toThrow('truncated element count');
    expect(() => IdHashSet.fromState(good).countMissing(Uint8Array.of(1))).toThrow('0 bytes for 1 elements');
    try {
      IdHashSet.fromState(Uint8Array.of(5));
    } catch (err) {
      expect((err as IdStateFormatError).code).toBe('ID_STATE_FORMAT');
      expect((err as IdStateFormatError).retriable).toBe(false);
    }
    expect.assertions(7);
  });
});
