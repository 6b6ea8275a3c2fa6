import { describe, expect, it } from 'vitest';
import { joinPlans, planRead } from '../../../src/query/plan.js';
import { staleMeasures, withMembers } from '../../../src/query/distinct-cache.js';
import { IdHashSet } from '../../../src/query/id-set.js';
import { buildLoadQuery, checkDatabaseName, readLoadedRows } from '../../../src/query/sql.js';

const iso = (s: string) => Date.parse(s);
const plan = planRead({ fromMs: iso('2025-11-02T00:07:00Z'), toMs: iso('2025-11-02T06:52:00Z') });
const none = new Map<string, boolean>();
const evil = "org'); DROP TABLE x; --";

describe('buildLoadQuery', () => {
  it('keeps every value out of the SQL text and always filters the tenant', () => {
    const q = buildLoadQuery({ database: 'analytics', orgId: evil, workspaceId: "ws'1", measures: ['messages', 'conversations'], distinct: new Map([['conversations', false]]), plan })!;
    expect(q.query).not.toContain(evil);
    expect(q.query).not.toContain("ws'1");
    expect(q.query).toContain('org_id = {org:String}');
    expect(q.query).toContain('workspace_id = {ws:String}');
    for (const t of ['rollup_1h', 'rollup_1m']) expect(q.query).toContain(`analytics.${t} `);
    for (const t of ['rollup_1d', 'rollup_15m']) expect(q.query).not.toContain(t);
    expect(q.query_params).toMatchObject({
      org: evil,
      ws: "ws'1",
      mp: ['messages', 'conversations'],
      mt: ['conversations'],
      h0_from: iso('2025-11-02T01:00:00Z') / 1000,
      h0_to: iso('2025-11-02T06:00:00Z') / 1000,
      m0_from: iso('2025-11-02T00:07:00Z') / 1000,
      m0_to: iso('2025-11-02T01:00:00Z') / 1000,
      m1_from: iso('2025-11-02T06:00:00Z') / 1000,
      m1_to: iso('2025-11-02T06:52:00Z') / 1000,
    });
  });

  it('merges id sets only for the distinct reads: totals only, or per dim and in total', () => {
    const counts = buildLoadQuery({ database: 'analytics', orgId: 'o', workspaceId: undefined, measures: ['messages'], distinct: none, plan })!;
    expect(counts.query).not.toContain('uniqExactMerge');
    expect(counts.query).not.toContain('ids');
    const totals = buildLoadQuery({ database: 'analytics', orgId: 'o', workspaceId: undefined, measures: ['conversations'], distinct: new Map([['conversations', false]]), plan })!;
    expect(totals.query).toContain('uniqExactMerge(st) AS d, sum(cv) AS v FROM (SELECT bucket, measure, count AS cnt, sum AS val, ids AS st');
    expect(totals.query).toContain('GROUP BY measure SETTINGS');
    const perDim = buildLoadQuery({ database: 'analytics', orgId: 'o', workspaceId: undefined, measures: ['conversations', 'messages'], distinct: new Map([['conversations', true]]), plan })!;
    expect(perDim.query).toContain('GROUPING SETS ((measure, dim), (measure))');
    expect(perDim.query_params).toMatchObject({ mp: ['messages'], md: ['conversations'] });
    expect(perDim.query_params).not.toHaveProperty('mt');
  });

  it('has no workspace filter without a workspace, and nothing to run for an empty plan', () => {
    const q = buildLoadQuery({ database: 'analytics', orgId: 'o', workspaceId: undefined, measures: ['messages'], distinct: none, plan })!;
    expect(q.query).not.toContain('workspace_id');
    expect(q.query_params).not.toHaveProperty('ws');
    expect(buildLoadQuery({ database: 'analytics', orgId: 'o', workspaceId: undefined, measures: ['messages'], distinct: none, plan: { pieces: [] } })).toBeUndefined();
    expect(buildLoadQuery({ database: 'analytics', orgId: 'o', workspaceId: undefined, measures: [], distinct: none, plan })).toBeUndefined();
  });

  it('groups by a local unit with the offsets in force', () => {
    const q = buildLoadQuery({
      database: 'analytics',
      orgId: 'o',
      workspaceId: undefined,
      measures: ['messages'],
      distinct: none,
      plan,
      groupBy: {
        unitSeconds: 3600,
        segments: [
          { fromMs: iso('2025-11-02T00:00:00Z'), offsetMs: -4 * 3_600_000 },
          { fromMs: iso('2025-11-02T06:00:00Z'), offsetMs: -5 * 3_600_000 },
        ],
      },
    })!;
    expect(q.query).toContain('multiIf(bucket < toDateTime({s1:UInt32}');
    expect(q.query).toContain('GROUP BY k, measure, dim');
    expect(q.query_params).toMatchObject({ o0: -14400, o1: -18000, s1: iso('2025-11-02T06:00:00Z') / 1000, unit: 3600 });
  });

  it('refuses a database name that is not a plain identifier', () => {
    expect(checkDatabaseName('analytics_1')).toBe('analytics_1');
    for (const bad of ['', 'a.b', 'a;b', '1abc', 'a b']) expect(() => checkDatabaseName(bad)).toThrow();
  });
});

describe('buildLoadQuery with cached days', () => {
  const month = planRead({ fromMs: iso('2025-10-07T00:00:00Z'), toMs: iso('2025-11-05T09:38:00Z') });
  const days = { fromMs: iso('2025-10-07T00:00:00Z'), toMs: iso('2025-11-05T00:00:00Z') };
  const base = { database: 'analytics', orgId: 'o', workspaceId: undefined, measures: ['conversations', 'messages'], plan: month };

  it('reads the whole days of the distinct totals from the entries named by their counts, and the count of those days as read now', () => {
    const q = buildLoadQuery({ ...base, distinct: new Map([['conversations', false]]), cached: { days, entries: new Map([['conversations', 1234]]) } })!;
    const [plain, totals] = q.query.split(" UNION ALL SELECT measure, '' AS dim");
    // Counts per dim still come from every table; only the daily rows carry the count of the cached days.
    expect(plain).toContain('count AS cv FROM analytics.rollup_1d');
    expect(plain).toContain('toUInt64(0) AS cv FROM analytics.rollup_1h');
    // The distinct totals read the entry instead of the daily table.
    expect(totals).toContain('FROM analytics.distinct_cache WHERE org_id = {org:String} AND workspace_id = {cws:String}');
    expect(totals).toContain('((measure = {cm0:String} AND count = {cc0:UInt64})) LIMIT 1 BY measure');
    expect(totals).not.toContain('rollup_1d');
    expect(totals).toContain('analytics.rollup_1h');
    expect(q.query_params).toMatchObject({ cws: '', cm0: 'conversations', cc0: 1234, c_from: days.fromMs / 1000, c_to: days.toMs / 1000 });
  });

  it('scopes the entry to the workspace asked for, and a measure without an entry to count 0', () => {
    const q = buildLoadQuery({ ...base, workspaceId: 'w1', measures: ['a', 'b'], distinct: new Map([['a', false], ['b', false]]), cached: { days, entries: new Map([['a', 7]]) } })!;
    expect(q.query_params).toMatchObject({ cws: 'w1', ws: 'w1', cm0: 'a', cc0: 7, cm1: 'b', cc1: 0 });
  });

  it('with the members in memory: no entry and no daily id set read, the other pieces\' merged state returned', () => {
    const distinct = new Map([['conversations', false], ['cohort_conversations', true]]);
    const q = buildLoadQuery({ ...base, measures: ['conversations', 'messages', 'cohort_conversations'], distinct, cached: { days, entries: new Map([['conversations', 1234]]) }, states: true })!;
    expect(q.query).not.toContain('distinct_cache');
    const [plain, totals, perDim] = q.query.split(' UNION ALL SELECT measure, ');
    expect(plain).toContain('count AS cv FROM analytics.rollup_1d');
    expect(plain).toContain(", '' AS b FROM");
    expect(totals).toContain('base64Encode(toString(uniqExactMergeState(st))) AS b');
    expect(totals).not.toContain('rollup_1d');
    expect(totals).toContain('analytics.rollup_1h');
    // Per dim and in total, as states (settled blocks keep them as sets).
    expect(perDim).toContain('toUInt64(0) AS d, toUInt64(0) AS v, base64Encode(toString(uniqExactMergeState(st))) AS b FROM');
    expect(q.query_params).not.toHaveProperty('cc0');
  });

  it('states without cached days: the merged state of every piece, the daily table included', () => {
    const q = buildLoadQuery({ ...base, measures: ['conversations', 'messages'], distinct: new Map([['conversations', false]]), states: true })!;
    const [, totals] = q.query.split(' UNION ALL SELECT measure, ');
    expect(totals).toContain('base64Encode(toString(uniqExactMergeState(st))) AS b');
    expect(totals).toContain('analytics.rollup_1d');
    expect(q.query).not.toContain('distinct_cache');
    // Grouped (the open tail's minutes): one state per key and measure.
    const grouped = buildLoadQuery({ ...base, distinct: new Map([['conversations', false]]), measures: ['conversations'], states: true, groupBy: { segments: [{ fromMs: 0, offsetMs: 0 }], unitSeconds: 60 } })!;
    expect(grouped.query).toContain('base64Encode(toString(uniqExactMergeState(st))) AS b FROM');
    expect(grouped.query).toContain('GROUP BY k, measure');
  });

  it('with the members in memory and nothing outside the cached days: no totals part at all', () => {
    const whole = planRead(days);
    const q = buildLoadQuery({ ...base, plan: whole, distinct: new Map([['conversations', false]]), cached: { days, entries: new Map([['conversations', 1]]) }, states: true })!;
    expect(q.query).not.toContain('uniqExact');
    expect(q.query).toContain('count AS cv FROM analytics.rollup_1d');
  });

  it('refuses cached days that are not the daily range of the plan, or a grouped read', () => {
    const distinct = new Map([['conversations', false]]);
    const entries = new Map<string, number>();
    expect(() => buildLoadQuery({ ...base, distinct, cached: { days: { ...days, toMs: days.toMs - 86_400_000 }, entries } })).toThrow(/daily range/);
    expect(() => buildLoadQuery({ ...base, distinct, plan, cached: { days, entries } })).toThrow(/daily range/);
    expect(() =>
      buildLoadQuery({ ...base, distinct, cached: { days, entries }, groupBy: { segments: [{ fromMs: 0, offsetMs: 0 }], unitSeconds: 86_400 } }),
    ).toThrow(/daily range/);
  });
});

describe('buildLoadQuery with a recent split', () => {
  const at = iso('2025-11-05T08:39:00Z');
  const split = joinPlans(planRead({ fromMs: iso('2025-11-04T00:00:00Z'), toMs: at }), planRead({ fromMs: at, toMs: iso('2025-11-05T09:38:00Z') }, 60_000));

  it('keys count-and-sum rows by before / from the instant; distinct totals are not split', () => {
    const q = buildLoadQuery({ database: 'a', orgId: 'o', workspaceId: undefined, measures: ['conversations', 'messages'], distinct: new Map([['conversations', false]]), plan: split, recentFromMs: at })!;
    const [plain, totals] = q.query.split(" UNION ALL SELECT toInt64(0) AS k, measure, '' AS dim");
    expect(plain).toMatch(/^SELECT toInt64\(bucket >= toDateTime\(\{recent:UInt32\}, 'UTC'\)\) AS k, measure, dim/);
    expect(plain).toContain('GROUP BY k, measure, dim');
    expect(totals).toContain('GROUP BY measure');
    expect(q.query_params.recent).toBe(at / 1000);
  });

  it('refuses a plan with a bucket across the instant, or a grouped read', () => {
    const base = { database: 'a', orgId: 'o', workspaceId: undefined, measures: ['messages'], distinct: new Map<string, boolean>() };
    expect(() => buildLoadQuery({ ...base, plan: planRead({ fromMs: iso('2025-11-04T00:00:00Z'), toMs: iso('2025-11-05T09:38:00Z') }), recentFromMs: at })).toThrow(/recent split/);
    expect(() => buildLoadQuery({ ...base, plan: split, recentFromMs: at, groupBy: { segments: [{ fromMs: 0, offsetMs: 0 }], unitSeconds: 3600 } })).toThrow(/recent split/);
  });
});

describe('withMembers', () => {
  const state = (...words: number[][]) => {
    const out = new Uint8Array(1 + words.length * 16);
    out[0] = words.length;
    words.forEach((w, i) => new DataView(out.buffer).setUint32(1 + i * 16, w[0]!, true));
    return out;
  };
  const members = IdHashSet.fromState(state([1], [2], [3]));
  const entries = new Map([
    ['conversations', { count: 40, sum: 0, members }],
    ['customers', { count: 0, sum: 0, members: IdHashSet.fromState(state()) }],
  ]);

  it("adds each entry to the rows read outside its days: the entry's count and sum, its members plus the ids it lacks", () => {
    const rows = [
      { key: 0, measure: 'conversations', dim: 'x', count: 45, sum: 0, distinct: 0, covered: 40 },
      { key: 0, measure: 'conversations', count: 5, sum: 2, distinct: 0, covered: 0, ids: state([3], [4], [5]) },
      { key: 0, measure: 'messages', count: 9, sum: 1, distinct: 0, covered: 0 },
    ];
    expect(withMembers(rows, entries)).toEqual([
      rows[0],
      rows[2],
      { key: 0, measure: 'conversations', count: 45, sum: 2, distinct: 5, covered: 40 },
      // No rows at all, no entry: a total of zeros, as the engine would answer.
      { key: 0, measure: 'customers', count: 0, sum: 0, distinct: 0, covered: 0 },
    ]);
  });
});

describe('staleMeasures', () => {
  const row = (measure: string, covered: number, dim?: string) => ({ key: 0, measure, count: 1, sum: 0, distinct: 0, covered, ...(dim === undefined ? {} : { dim }) });

  it('is empty when the days read now count what each entry recorded', () => {
    expect(staleMeasures([row('a', 3, 'x'), row('a', 4, 'y'), row('a', 7), row('b', 0, 'x')], ['a', 'b'])).toEqual([]);
  });

  it('names the measures whose days changed since their entry, or that have rows but no entry', () => {
    expect(staleMeasures([row('a', 3, 'x'), row('a', 5, 'y'), row('a', 7), row('b', 2, 'x'), row('c', 1, 'x'), row('c', 1)], ['a', 'b', 'c'])).toEqual(['a', 'b']);
  });
});

describe('readLoadedRows', () => {
  it('decodes the merged state of a total row read with the members in memory (base64), and no empty one', () => {
    const [total, dim] = readLoadedRows([
      { measure: 'conversations', dim: '', is_total: 1, c: 2, s: 0, d: 0, v: 0, b: Buffer.from([1, 9, 8]).toString('base64') },
      { measure: 'conversations', dim: 'x', is_total: 0, c: 2, s: 0, d: 0, v: 0, b: '' },
    ]);
    expect([...total!.ids!]).toEqual([1, 9, 8]);
    expect(dim).not.toHaveProperty('ids');
  });

  it('reads total rows (grouping = 1) without dim, 64-bit numbers as numbers or strings', () => {
    expect(
      readLoadedRows([
        { measure: 'messages', dim: 'zalo', is_total: 0, c: '5', s: 0, d: '0', v: '4' },
        { measure: 'messages', dim: '', is_total: 1, c: 7, s: 0, d: 0, v: 0 },
        { k: '20394', measure: 'conversations', dim: '', is_total: 0, c: 3, s: 0, d: 2 },
      ]),
    ).toEqual([
      { key: 0, measure: 'messages', dim: 'zalo', count: 5, sum: 0, distinct: 0, covered: 4 },
      { key: 0, measure: 'messages', count: 7, sum: 0, distinct: 0, covered: 0 },
      { key: 20394, measure: 'conversations', dim: '', count: 3, sum: 0, distinct: 2, covered: 0 },
    ]);
    expect(() => readLoadedRows([{ measure: 'm', dim: '', is_total: 0, c: 'x', s: 0, d: 0 }])).toThrow();
  });
});
