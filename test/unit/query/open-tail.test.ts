import { describe, expect, it } from 'vitest';
import { OpenTail } from '../../../src/query/open-tail.js';
import type { KeyedAggregate } from '../../../src/query/sql.js';
import type { TimeRange } from '../../../src/query/zone.js';
import { idKeys, idState } from '../../support/id-states.js';

const MIN = 60_000;
const CUT = Date.UTC(2025, 10, 5, 8);
const minute = (ms: number) => ms / MIN;

/** An engine stand-in for the loader's contract: per minute, 1 message per minute read so far and that minute's ids. */
function engine() {
  const written = new Map<number, { count: number; ids: number[] }>();
  const loads: TimeRange[] = [];
  const load = async (r: TimeRange): Promise<KeyedAggregate[]> => {
    loads.push(r);
    const out: KeyedAggregate[] = [];
    for (const [m, w] of written) {
      if (m * MIN < r.fromMs || m * MIN >= r.toMs) continue;
      out.push({ key: m, measure: 'messages', dim: 'web', count: w.count, sum: 0, distinct: 0, covered: 0 });
      out.push({ key: m, measure: 'conversations', count: w.count, sum: 0, distinct: 0, covered: 0, ids: idState(w.ids.flatMap((i) => idKeys(i, i + 1))) });
    }
    return out;
  };
  const write = (atMs: number, ids: number[]) => {
    const w = written.get(minute(atMs)) ?? { count: 0, ids: [] };
    written.set(minute(atMs), { count: w.count + 1, ids: [...new Set([...w.ids, ...ids])] });
  };
  return { load, loads, write };
}

const totals = (rows: readonly KeyedAggregate[] | undefined) =>
  rows === undefined ? undefined : Object.fromEntries(rows.map((r) => [`${r.key}:${r.measure}:${r.dim ?? '*'}`, r.dim === undefined ? [r.count, r.distinct] : r.count]));

describe('OpenTail', () => {
  it('reads the minutes from the cut once, then answers from memory until a write dirties them', async () => {
    const e = engine();
    e.write(CUT, [1, 2]);
    e.write(CUT + 5 * MIN, [2, 3]);
    const tail = new OpenTail(CUT);
    const to = CUT + 10 * MIN;
    expect(totals(await tail.read(to, undefined, e.load))).toEqual({ '0:messages:web': 2, '0:conversations:*': [2, 3] });
    expect(e.loads).toEqual([{ fromMs: CUT, toMs: to }]);
    await tail.read(to, undefined, e.load);
    expect(e.loads).toHaveLength(1);
    // A write at minute 7: only minutes from 7 on are read again, and replace what was held.
    e.write(CUT + 7 * MIN, [3, 4]);
    tail.touched(CUT + 7 * MIN);
    expect(totals(await tail.read(to, undefined, e.load))).toEqual({ '0:messages:web': 3, '0:conversations:*': [3, 4] });
    expect(e.loads[1]).toEqual({ fromMs: CUT + 7 * MIN, toMs: to });
    e.write(CUT + 7 * MIN, [5]);
    tail.touched(CUT + 7 * MIN);
    expect(totals(await tail.read(to, undefined, e.load))).toEqual({ '0:messages:web': 4, '0:conversations:*': [4, 5] });
    expect(tail.size).toBe(3);
  });

  it('a later end reads the new minutes only; an earlier end reads nothing and leaves later minutes out', async () => {
    const e = engine();
    const tail = new OpenTail(CUT);
    e.write(CUT + 2 * MIN, [1]);
    e.write(CUT + 12 * MIN, [2]);
    await tail.read(CUT + 10 * MIN, undefined, e.load);
    expect(totals(await tail.read(CUT + 20 * MIN, undefined, e.load))).toEqual({ '0:messages:web': 2, '0:conversations:*': [2, 2] });
    expect(e.loads.at(-1)).toEqual({ fromMs: CUT + 10 * MIN, toMs: CUT + 20 * MIN });
    expect(totals(await tail.read(CUT + 5 * MIN, undefined, e.load))).toEqual({ '0:messages:web': 1, '0:conversations:*': [1, 1] });
    expect(e.loads).toHaveLength(2);
  });

  it('splits counts at the recent instant (key 1 from it on); distinct totals stay whole', async () => {
    const e = engine();
    e.write(CUT + MIN, [1]);
    e.write(CUT + 30 * MIN, [1, 2]);
    const tail = new OpenTail(CUT);
    expect(totals(await tail.read(CUT + 40 * MIN, CUT + 10 * MIN, e.load))).toEqual({ '0:messages:web': 1, '1:messages:web': 1, '0:conversations:*': [2, 2] });
  });

  it('a write landing while the engine reads overlaps that read (it may go without it); the next read asks once more', async () => {
    const e = engine();
    const tail = new OpenTail(CUT);
    const to = CUT + 10 * MIN;
    e.write(CUT + 3 * MIN, [1]);
    const racing = async (r: TimeRange) => {
      const rows = await e.load(r);
      e.write(CUT + 4 * MIN, [2]);
      tail.touched(CUT + 4 * MIN);
      return rows;
    };
    expect(totals(await tail.read(to, undefined, racing))).toEqual({ '0:messages:web': 1, '0:conversations:*': [1, 1] });
    expect(totals(await tail.read(to, undefined, e.load))).toEqual({ '0:messages:web': 2, '0:conversations:*': [2, 2] });
    expect(e.loads.at(-1)).toEqual({ fromMs: CUT + 4 * MIN, toMs: to });
  });

  it('reads arriving together share one refresh; a read arriving during a refresh waits for one that began after it', async () => {
    const e = engine();
    const tail = new OpenTail(CUT);
    const to = CUT + 10 * MIN;
    e.write(CUT, [1]);
    await Promise.all([tail.read(to, undefined, e.load), tail.read(to, undefined, e.load)]);
    expect(e.loads).toHaveLength(1);
    // A write is acknowledged while a refresh is under way; a read arriving then must see it.
    let late: Promise<KeyedAggregate[] | undefined> | undefined;
    const slow = async (r: TimeRange) => {
      const rows = await e.load(r);
      e.write(CUT + 2 * MIN, [2]);
      tail.touched(CUT + 2 * MIN);
      late = tail.read(to, undefined, e.load);
      return rows;
    };
    e.write(CUT + MIN, [3]);
    tail.touched(CUT + MIN);
    expect(totals(await tail.read(to, undefined, slow))).toEqual({ '0:messages:web': 2, '0:conversations:*': [2, 2] });
    expect(totals(await late)).toEqual({ '0:messages:web': 3, '0:conversations:*': [3, 3] });
    expect(e.loads).toHaveLength(3);
  });

  it('a failing read keeps the minutes dirty and fails the read; a write before the cut counts from the cut', async () => {
    const e = engine();
    const tail = new OpenTail(CUT);
    const to = CUT + 10 * MIN;
    await tail.read(to, undefined, e.load);
    e.write(CUT + 6 * MIN, [9]);
    tail.touched(CUT + 6 * MIN);
    await expect(tail.read(to, undefined, () => Promise.reject(new Error('engine down')))).rejects.toThrow('engine down');
    expect(totals(await tail.read(to, undefined, e.load))).toEqual({ '0:messages:web': 1, '0:conversations:*': [1, 1] });
    expect(e.loads.at(-1)).toEqual({ fromMs: CUT + 6 * MIN, toMs: to });
    tail.touched(CUT - 5 * MIN);
    await tail.read(to, undefined, e.load);
    expect(e.loads.at(-1)).toEqual({ fromMs: CUT, toMs: to });
  });

  it('a write dated after what was read stays dirty until it is read', async () => {
    const e = engine();
    const tail = new OpenTail(CUT);
    await tail.read(CUT + 10 * MIN, undefined, e.load);
    e.write(CUT + 15 * MIN, [1]);
    tail.touched(CUT + 15 * MIN);
    e.write(CUT + 2 * MIN, [2]);
    tail.touched(CUT + 2 * MIN);
    await tail.read(CUT + 10 * MIN, undefined, e.load);
    expect(e.loads.at(-1)).toEqual({ fromMs: CUT + 2 * MIN, toMs: CUT + 10 * MIN });
    expect(totals(await tail.read(CUT + 20 * MIN, undefined, e.load))).toEqual({ '0:messages:web': 2, '0:conversations:*': [2, 2] });
    expect(e.loads.at(-1)).toEqual({ fromMs: CUT + 10 * MIN, toMs: CUT + 20 * MIN });
  });
});
