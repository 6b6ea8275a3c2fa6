import { describe, expect, it } from 'vitest';
import { IdHashSet } from '../../../src/query/id-set.js';
import { createSettledBlocks, extendRows, joinSettled, settledCut, settledRows } from '../../../src/query/settled-blocks.js';
import type { KeyedAggregate } from '../../../src/query/sql.js';
import { createRollupChanges } from '../../../src/sink/changes.js';
import type { PartialRow } from '../../../src/window/tumbling.js';
import { idKeys, idState } from '../../support/id-states.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2025, 10, 5);

const dim = (measure: string, d: string, count: number, sum = 0, key = 0): KeyedAggregate => ({ key, measure, dim: d, count, sum, distinct: 0, covered: 0 });

describe('settledCut', () => {
  it('ends the settled part at the start of the hour before the last minute\'s hour', () => {
    expect(settledCut({ fromMs: T0, toMs: T0 + 9 * HOUR + 38 * MIN })).toBe(T0 + 8 * HOUR);
    // A range ending on the hour: its last minute is in the hour before.
    expect(settledCut({ fromMs: T0, toMs: T0 + 10 * HOUR })).toBe(T0 + 8 * HOUR);
    expect(settledCut({ fromMs: T0 + 7 * HOUR, toMs: T0 + 9 * HOUR + MIN })).toBe(T0 + 8 * HOUR);
  });

  it('settles nothing when less than an hour would be', () => {
    expect(settledCut({ fromMs: T0 + 7 * HOUR + MIN, toMs: T0 + 9 * HOUR + MIN })).toBeUndefined();
    expect(settledCut({ fromMs: T0, toMs: T0 + 90 * MIN })).toBeUndefined();
  });
});

describe('joinSettled', () => {
  const members = [IdHashSet.fromState(idState(idKeys(0, 100))), IdHashSet.fromState(idState(idKeys(100, 130)))];
  const settledTotal: KeyedAggregate = { key: 0, measure: 'conversations', count: 400, sum: 0, distinct: 130, covered: 0, members };

  it('adds counts and sums per key, measure and dim, and counts the tail ids the block lacks', () => {
    const settled = [dim('messages', 'web', 10, 5), dim('messages', 'sms', 3), dim('conversations', 'web', 400), settledTotal];
    const open: KeyedAggregate[] = [
      dim('messages', 'web', 2, 1, 0),
      dim('messages', 'web', 4, 2, 1),
      { key: 0, measure: 'conversations', count: 9, sum: 0, distinct: 0, covered: 0, ids: idState(idKeys(120, 140)) },
    ];
    const rows = joinSettled(settled, open);
    expect(rows.filter((r) => r.dim !== undefined)).toEqual([
      { ...dim('messages', 'web', 12, 6), covered: 0 },
      dim('messages', 'sms', 3),
      dim('conversations', 'web', 400),
      dim('messages', 'web', 4, 2, 1),
    ]);
    expect(rows.find((r) => r.dim === undefined)).toEqual({ key: 0, measure: 'conversations', count: 409, sum: 0, distinct: 140, covered: 0 });
  });

  it('a block total without a tail, and a tail total without a block', () => {
    expect(joinSettled([settledTotal], [])).toEqual([{ key: 0, measure: 'conversations', count: 400, sum: 0, distinct: 130, covered: 0 }]);
    const tail: KeyedAggregate = { key: 0, measure: 'customers', count: 2, sum: 0, distinct: 0, covered: 0, ids: idState(idKeys(0, 7)) };
    expect(joinSettled([], [tail])).toEqual([{ key: 0, measure: 'customers', count: 2, sum: 0, distinct: 7, covered: 0 }]);
  });

  it('distinct counts per dim (channels, cohorts): the block\'s set per dim value plus the tail\'s ids it lacks', () => {
    const web = [IdHashSet.fromState(idState(idKeys(0, 50)))];
    const settled: KeyedAggregate[] = [{ ...dim('conversations', 'web', 60), distinct: 50, members: web }];
    const open: KeyedAggregate[] = [
      { ...dim('conversations', 'web', 5), idParts: [idState(idKeys(45, 52)), idState(idKeys(51, 53))] },
      { ...dim('conversations', 'sms', 2), ids: idState(idKeys(100, 102)) },
    ];
    expect(joinSettled(settled, open)).toEqual([
      { ...dim('conversations', 'web', 65), distinct: 53 },
      { ...dim('conversations', 'sms', 2), distinct: 2 },
    ]);
  });

  it('refuses what a block never holds: a total without sets, a counted distinct count without sets or states', () => {
    expect(() => joinSettled([{ ...settledTotal, members: undefined }], [])).toThrow('has no member sets');
    expect(() => joinSettled([{ ...dim('c', 'web', 1), distinct: 1 }], [])).toThrow('without member sets or states');
    expect(() => joinSettled([], [{ ...dim('c', 'web', 1), distinct: 1 }])).toThrow('without member sets or states');
  });
});

describe('settledRows', () => {
  it('keeps dim rows, turns states into sets (in total and per dim), and gives every distinct total a row', () => {
    const rows = settledRows(
      [
        dim('messages', 'web', 3),
        { key: 0, measure: 'conversations', count: 5, sum: 0, distinct: 0, covered: 0, ids: idState(idKeys(0, 4)) },
        { ...dim('cohort_conversations', 'vip', 2), ids: idState(idKeys(0, 2)) },
      ],
      ['conversations', 'customers'],
    )!;
    expect(rows[0]).toEqual(dim('messages', 'web', 3));
    expect(rows[1]).toMatchObject({ measure: 'conversations', count: 5, distinct: 4 });
    expect(rows[1]!.members!.map((s) => s.size)).toEqual([4]);
    expect(rows[2]).toMatchObject({ measure: 'cohort_conversations', dim: 'vip', distinct: 2 });
    expect(rows[2]!.ids).toBeUndefined();
    expect(rows[3]).toEqual({ key: 0, measure: 'customers', count: 0, sum: 0, distinct: 0, covered: 0, members: [] });
  });

  it('passes sets through, and gives up on a total counted in the engine', () => {
    const members = [IdHashSet.fromState(idState(idKeys(0, 2)))];
    expect(settledRows([{ key: 0, measure: 'c', count: 1, sum: 0, distinct: 2, covered: 1, members }], ['c'])![0]!.members).toBe(members);
    expect(settledRows([{ key: 0, measure: 'c', count: 1, sum: 0, distinct: 2, covered: 0 }], ['c'])).toBeUndefined();
  });
});

describe('extendRows', () => {
  it('adds the later hours: counts and sums, and a layer of the ids each set lacks', () => {
    const total: KeyedAggregate = { key: 0, measure: 'conversations', count: 10, sum: 0, distinct: 100, covered: 0, members: [IdHashSet.fromState(idState(idKeys(0, 100)))] };
    const rows = extendRows(
      [dim('messages', 'web', 10, 4), total, { ...dim('cohort_conversations', 'vip', 3), distinct: 100, members: total.members }],
      [
        dim('messages', 'web', 2, 1),
        dim('messages', 'sms', 1),
        { key: 0, measure: 'conversations', count: 3, sum: 0, distinct: 0, covered: 0, ids: idState(idKeys(95, 110)) },
        { ...dim('cohort_conversations', 'vip', 1), ids: idState(idKeys(0, 5)) },
        { ...dim('cohort_conversations', 'new', 1), ids: idState(idKeys(200, 201)) },
      ],
    )!;
    expect(rows.map((r) => [r.measure, r.dim ?? '*', r.count, r.sum, r.distinct, r.members?.length ?? null])).toEqual([
      ['messages', 'web', 12, 5, 0, null],
      ['conversations', '*', 13, 0, 110, 2],
      ['cohort_conversations', 'vip', 4, 0, 100, 1],
      ['messages', 'sms', 1, 0, 0, null],
      ['cohort_conversations', 'new', 1, 0, 1, 1],
    ]);
    // The original rows are untouched: the earlier block still answers its own reads.
    expect(total.count).toBe(10);
  });

  it('gives up (a whole build instead) on added rows that hold sets or a counted total', () => {
    const members = [IdHashSet.fromState(idState(idKeys(0, 2)))];
    expect(extendRows([], [{ key: 0, measure: 'c', count: 1, sum: 0, distinct: 2, covered: 0, members }])).toBeUndefined();
    expect(extendRows([], [{ key: 0, measure: 'c', count: 1, sum: 0, distinct: 2, covered: 0 }])).toBeUndefined();
  });
});

describe('createSettledBlocks', () => {
  const range = { fromMs: T0, toMs: T0 + 8 * HOUR };
  const tenant = { orgId: 'o', workspaceId: undefined };
  const sig = (signature: string) => ({ signature, totals: [] as string[] });
  const row = (org_id: string, workspace_id: string, bucket: number): PartialRow => ({ bucket, org_id, workspace_id, measure: 'm', dim: '', count: 1, sum: 0, ids: [] });

  function setup(o: { maxBlocks?: number; maxBytes?: number } = {}) {
    const changes = createRollupChanges();
    let clock = 0;
    const blocks = createSettledBlocks({ changes, now: () => clock, rebuildAfterMs: 60_000, ...o });
    const reads: Array<{ fromMs: number; toMs: number }> = [];
    const build = async (r: { fromMs: number; toMs: number }) => {
      reads.push(r);
      return [dim('m', '', reads.length)];
    };
    return { changes, blocks, build, builds: () => reads.length, reads, tick: (ms: number) => (clock += ms) };
  }

  it('builds once and hands the same block to later reads, and to reads arriving while it builds', async () => {
    const s = setup();
    const [a, b] = await Promise.all([s.blocks.get(tenant, range, sig('sig'), s.build), s.blocks.get(tenant, range, sig('sig'), s.build)]);
    expect(a!.rows).toEqual([dim('m', '', 1)]);
    expect(a!.tail.cutMs).toBe(range.toMs);
    expect(b).toBe(a);
    expect(await s.blocks.get(tenant, range, sig('sig'), s.build)).toBe(a);
    expect(s.builds()).toBe(1);
    // Another read shape, start or scope is another block, read whole.
    await s.blocks.get(tenant, range, sig('other'), s.build);
    await s.blocks.get(tenant, { ...range, fromMs: range.fromMs + HOUR }, sig('sig'), s.build);
    await s.blocks.get({ orgId: 'o', workspaceId: 'w' }, range, sig('sig'), s.build);
    expect(s.reads.slice(1)).toEqual([range, { ...range, fromMs: range.fromMs + HOUR }, range]);
  });

  it('a later cut of the same start and shape extends the latest block by the hours in between', async () => {
    const s = setup();
    await s.blocks.get(tenant, range, sig('sig'), s.build);
    const later = { ...range, toMs: range.toMs + 2 * HOUR };
    const b = await s.blocks.get(tenant, later, sig('sig'), s.build);
    expect(s.reads).toEqual([range, { fromMs: range.toMs, toMs: later.toMs }]);
    expect(b!.rows).toEqual([{ ...dim('m', '', 3), covered: 0 }]);
    expect(b!.tail.cutMs).toBe(later.toMs);
    // A write before the first cut drops both; the next later cut is built whole.
    s.changes.published([row('o', 'w', T0 + HOUR)]);
    s.tick(60_000);
    const last = { ...range, toMs: range.toMs + 3 * HOUR };
    await s.blocks.get(tenant, last, sig('sig'), s.build);
    expect(s.reads.at(-1)).toEqual(last);
  });

  it('a write before the cut drops the block; the key goes without one for a minute, then is built again', async () => {
    const s = setup();
    await s.blocks.get(tenant, range, sig('sig'), s.build);
    s.changes.published([row('o', 'w', range.toMs - MIN)]);
    expect(await s.blocks.get(tenant, range, sig('sig'), s.build)).toBeUndefined();
    s.tick(59_999);
    expect(await s.blocks.get(tenant, range, sig('sig'), s.build)).toBeUndefined();
    expect(s.builds()).toBe(1);
    s.tick(1);
    expect((await s.blocks.get(tenant, range, sig('sig'), s.build))?.rows).toEqual([dim('m', '', 2)]);
  });

  it('keeps the block for writes at or after the cut, of another tenant, or of another workspace than its own', async () => {
    const s = setup();
    const ws = { orgId: 'o', workspaceId: 'w1' };
    await s.blocks.get(tenant, range, sig('sig'), s.build);
    await s.blocks.get(ws, range, sig('sig'), s.build);
    s.changes.published([row('o', 'w1', range.toMs), row('p', 'w1', T0)]);
    s.changes.published([row('o', 'w2', T0)]);
    expect((await s.blocks.get(ws, range, sig('sig'), s.build))?.rows).toEqual([dim('m', '', 2)]);
    // The tenant's block holds w2's rows too.
    expect(await s.blocks.get(tenant, range, sig('sig'), s.build)).toBeUndefined();
    expect(s.builds()).toBe(2);
  });

  it('a write landing while a block builds spoils it: not kept, the read goes without', async () => {
    const s = setup();
    const spoiled = async () => {
      s.changes.published([row('o', 'w', T0 + HOUR)]);
      return [dim('m', '', 1)];
    };
    expect(await s.blocks.get(tenant, range, sig('sig'), spoiled)).toBeUndefined();
    s.tick(60_000);
    expect((await s.blocks.get(tenant, range, sig('sig'), s.build))?.rows).toEqual([dim('m', '', 1)]);
  });

  it('a total that came back counted gives no block; a failing read fails the request; neither is remembered', async () => {
    const s = setup();
    const counted = async () => [{ key: 0, measure: 'c', count: 1, sum: 0, distinct: 1, covered: 0 }];
    expect(await s.blocks.get(tenant, range, sig('sig'), counted)).toBeUndefined();
    await expect(s.blocks.get(tenant, range, sig('sig'), () => Promise.reject(new Error('engine down')))).rejects.toThrow('engine down');
    expect((await s.blocks.get(tenant, range, sig('sig'), s.build))?.rows).toEqual([dim('m', '', 1)]);
  });

  it('drops the least recently used blocks beyond maxBlocks and maxBytes; a block over maxBytes is used once, not kept', async () => {
    const s = setup({ maxBlocks: 2 });
    for (const name of ['a', 'b']) await s.blocks.get(tenant, range, sig(name), s.build);
    await s.blocks.get(tenant, range, sig('a'), s.build);
    await s.blocks.get(tenant, range, sig('c'), s.build);
    expect(s.builds()).toBe(3);
    await s.blocks.get(tenant, range, sig('a'), s.build);
    expect(s.builds()).toBe(3);
    await s.blocks.get(tenant, range, sig('b'), s.build);
    expect(s.builds()).toBe(4);

    const set = IdHashSet.fromState(idState(idKeys(0, 100)));
    const big = setup({ maxBytes: set.bytes });
    const withSet = async (): Promise<KeyedAggregate[]> => [{ key: 0, measure: 'c', count: 1, sum: 0, distinct: 100, covered: 0, members: [set, set] }];
    expect((await big.blocks.get(tenant, range, sig('x'), withSet))?.rows).toHaveLength(1);
    let again = 0;
    await big.blocks.get(tenant, range, sig('x'), async () => (again++, withSet()));
    expect(again).toBe(1);
  });
});
