import { describe, expect, it } from 'vitest';
import { planRead } from '../../../src/query/plan.js';
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
    expect(totals.query).toContain('uniqExactMerge(st) AS d FROM (SELECT bucket, measure, count AS cnt, sum AS val, ids AS st');
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

describe('readLoadedRows', () => {
  it('reads total rows (grouping = 1) without dim, 64-bit numbers as numbers or strings', () => {
    expect(
      readLoadedRows([
        { measure: 'messages', dim: 'zalo', is_total: 0, c: '5', s: 0, d: '0' },
        { measure: 'messages', dim: '', is_total: 1, c: 7, s: 0, d: 0 },
        { k: '20394', measure: 'conversations', dim: '', is_total: 0, c: 3, s: 0, d: 2 },
      ]),
    ).toEqual([
      { key: 0, measure: 'messages', dim: 'zalo', count: 5, sum: 0, distinct: 0 },
      { key: 0, measure: 'messages', count: 7, sum: 0, distinct: 0 },
      { key: 20394, measure: 'conversations', dim: '', count: 3, sum: 0, distinct: 2 },
    ]);
    expect(() => readLoadedRows([{ measure: 'm', dim: '', is_total: 0, c: 'x', s: 0, d: 0 }])).toThrow();
  });
});
