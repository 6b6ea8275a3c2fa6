import { describe, expect, it } from 'vitest';
import { createRollupChanges, ownedEngineChanges, touchesOf, type RollupTouch } from '../../../src/sink/changes.js';
import type { PartialRow } from '../../../src/window/tumbling.js';

const row = (org_id: string, workspace_id: string, bucket: number): PartialRow => ({ bucket, org_id, workspace_id, measure: 'messages', dim: '', count: 1, sum: 0, ids: [] });

describe('rollup changes', () => {
  it('names each workspace a write touched, with its earliest bucket', () => {
    const rows = [row('a', 'w1', 300), row('a', 'w1', 120), row('a', 'w2', 600), row('b', 'w1', 60), row('a', 'w1', 180)];
    expect(touchesOf(rows)).toEqual([
      { orgId: 'a', workspaceId: 'w1', fromMs: 120 },
      { orgId: 'a', workspaceId: 'w2', fromMs: 600 },
      { orgId: 'b', workspaceId: 'w1', fromMs: 60 },
    ]);
    expect(touchesOf([])).toEqual([]);
  });

  it('tells every subscriber, synchronously, until it unsubscribes; an empty write tells nobody', () => {
    const changes = createRollupChanges();
    const a: RollupTouch[][] = [];
    const b: RollupTouch[][] = [];
    const stopA = changes.subscribe((t) => a.push([...t]));
    changes.subscribe((t) => b.push([...t]));
    changes.published([row('o', 'w', 60_000)]);
    expect(a).toEqual([[{ orgId: 'o', workspaceId: 'w', fromMs: 60_000 }]]);
    stopA();
    changes.published([row('o', 'w', 0)]);
    changes.published([]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(2);
  });

  it('a failing listener does not keep the others from hearing, and its failure is not swallowed', () => {
    const changes = createRollupChanges();
    const heard: number[] = [];
    changes.subscribe(() => {
      throw new Error('boom');
    });
    changes.subscribe((t) => heard.push(t.length));
    expect(() => changes.published([row('o', 'w', 0)])).toThrow('a rollup change listener failed');
    expect(heard).toEqual([1]);
  });

  it('exists for an owned engine only: embedded, not a ClickHouse server', () => {
    expect(ownedEngineChanges({ CLICKHOUSE_URL: undefined })).toBeDefined();
    expect(ownedEngineChanges({ CLICKHOUSE_URL: 'http://localhost:8123' })).toBeUndefined();
  });
});
