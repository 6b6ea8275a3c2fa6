import { describe, expect, it } from 'vitest';
import type { AnalyticsEvent, EventName } from '../../../src/contract/catalog.js';
import { RollupsError } from '../../../src/errors.js';
import { DEFAULT_ALLOWED_LATENESS_MS, TumblingWindows, type PartialRow } from '../../../src/window/index.js';

const T = Date.UTC(2025, 5, 1, 12, 0, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

let n = 0;
function ev(event: EventName, timestamp: number, fields: Partial<AnalyticsEvent> = {}): AnalyticsEvent {
  return { event, event_id: `e${++n}`, org_id: 'o1', workspace_id: 'w1', user_id: 'u', timestamp, ...fields };
}
const received = (timestamp: number, conversation_id: string, fields: Partial<AnalyticsEvent> = {}) =>
  ev('message.received', timestamp, { conversation_id, message_id: `m${n}`, customer_id: 'cust', ...fields });

const sortRows = (rows: PartialRow[]) =>
  [...rows]
    .map((r) => ({ ...r, ids: [...r.ids].sort() }))
    .sort((a, b) =>
      `${a.bucket}|${a.org_id}|${a.workspace_id}|${a.measure}|${a.dim}` <
      `${b.bucket}|${b.org_id}|${b.workspace_id}|${b.measure}|${b.dim}`
        ? -1
        : 1,
    );

describe('TumblingWindows', () => {
  it('accumulates partials per (minute bucket, org, workspace, measure, dim) with exact id sets', () => {
    const w = new TumblingWindows({ now: () => T });
    w.record(received(T + 1_000, 'c1', { channel_type: 'zalo' }));
    w.record(received(T + 59_999, 'c1', { channel_type: 'zalo' }));
    w.record(received(T + 60_000, 'c2', { channel_type: 'zalo' }));
    w.record(received(T + 2_000, 'c3', { workspace_id: 'w2' }));
    w.record(ev('message.delivered', T + 3_000, { conversation_id: 'c1', message_id: 'x', response_time_ms: 250 }));
    w.record(ev('message.delivered', T + 4_000, { conversation_id: 'c1', message_id: 'y', response_time_ms: 500 }));

    const rows = sortRows(w.flush()).filter((r) => ['conversations', 'response_time_ms'].includes(r.measure));
    expect(rows).toEqual([
      { bucket: T, org_id: 'o1', workspace_id: 'w1', measure: 'conversations', dim: 'zalo', count: 2, sum: 0, ids: ['c1'] },
      { bucket: T, org_id: 'o1', workspace_id: 'w1', measure: 'response_time_ms', dim: '', count: 2, sum: 750, ids: [] },
      { bucket: T, org_id: 'o1', workspace_id: 'w2', measure: 'conversations', dim: '', count: 1, sum: 0, ids: ['c3'] },
      { bucket: T + MIN, org_id: 'o1', workspace_id: 'w1', measure: 'conversations', dim: 'zalo', count: 1, sum: 0, ids: ['c2'] },
    ]);
  });

  it('buckets follow windowMs', () => {
    const w = new TumblingWindows({ windowMs: 10_000, now: () => T });
    w.record(ev('kb.created', T + 9_999));
    w.record(ev('kb.created', T + 10_000));
    w.record(ev('kb.created', T - 1));
    expect(w.flush().map((r) => r.bucket).sort()).toEqual([T - 10_000, T, T + 10_000]);
  });

  it('flush returns everything once and clears the state', () => {
    const w = new TumblingWindows({ now: () => T });
    w.record(received(T, 'c1'));
    w.record(received(T, 'c2'));
    expect(w.keys).toBe(3); // messages, conversations, customers (each dim '')
    expect(w.ids).toBe(3); // c1, c2, cust
    expect(w.size).toBe(6);
    const first = w.flush();
    expect(first.length).toBe(3);
    expect(w.size).toBe(0);
    expect(w.flush()).toEqual([]);

    // the same key after a flush starts a fresh partial (ClickHouse merges both)
    w.record(received(T, 'c1'));
    const second = w.flush();
    expect(second.find((r) => r.measure === 'conversations')).toMatchObject({ count: 1, ids: ['c1'] });
  });

  it('an event no metric reads is recorded but adds nothing', () => {
    const w = new TumblingWindows({ now: () => T });
    expect(w.record(ev('tool.executed', T, { conversation_id: 'c', tool_name: 't' }))).toEqual({ outcome: 'ok' });
    expect(w.stats).toEqual({ recorded: 1, late: 0, tooLate: 0, contributions: 0 });
    expect(w.flush()).toEqual([]);
  });

  it('counts late events (behind the watermark) and still records them', () => {
    const w = new TumblingWindows({ now: () => T + DAY });
    expect(w.watermark).toBe(Number.NEGATIVE_INFINITY);
    expect(w.record(ev('kb.created', T + 10 * MIN))).toEqual({ outcome: 'ok' });
    expect(w.watermark).toBe(T + 9 * MIN);
    // within one window of the max: not late
    expect(w.record(ev('kb.created', T + 9 * MIN))).toEqual({ outcome: 'ok' });
    // behind the watermark: late, recorded into its old bucket
    expect(w.record(ev('kb.created', T + 9 * MIN - 1))).toEqual({ outcome: 'late' });
    expect(w.record(ev('kb.created', T))).toEqual({ outcome: 'late' });
    expect(w.stats).toMatchObject({ recorded: 4, late: 2, tooLate: 0 });
    const buckets = w
      .flush()
      .filter((r) => r.measure === 'product_events')
      .map((r) => [r.bucket, r.count])
      .sort((a, b) => a[0]! - b[0]!);
    expect(buckets).toEqual([
      [T, 1],
      [T + 8 * MIN, 1],
      [T + 9 * MIN, 1],
      [T + 10 * MIN, 1],
    ]);
  });

  it('refuses events older than the allowed lateness against the worker clock', () => {
    let now = T;
    const w = new TumblingWindows({ allowedLatenessMs: 2 * DAY, now: () => now });
    expect(w.record(ev('kb.created', T - 2 * DAY))).toEqual({ outcome: 'ok' }); // exactly at the horizon
    expect(w.record(ev('kb.created', T - 2 * DAY - 1))).toEqual({ outcome: 'too_late' });
    now = T + 1;
    expect(w.record(ev('kb.created', T - 2 * DAY))).toEqual({ outcome: 'too_late' });
    expect(w.stats).toMatchObject({ recorded: 1, tooLate: 2 });
    // a refused event neither adds partials nor moves the watermark
    expect(w.flush().reduce((s, r) => s + (r.measure === 'product_events' ? r.count : 0), 0)).toBe(1);
    expect(w.watermark).toBe(T - 2 * DAY - MIN);
  });

  it('defaults: one-minute windows, seven days of lateness', () => {
    const w = new TumblingWindows();
    expect(w.windowMs).toBe(60_000);
    expect(w.allowedLatenessMs).toBe(DEFAULT_ALLOWED_LATENESS_MS);
    expect(DEFAULT_ALLOWED_LATENESS_MS).toBe(7 * DAY);
    expect(w.record(ev('kb.created', Date.now() - 6 * DAY)).outcome).not.toBe('too_late');
    expect(w.record(ev('kb.created', Date.now() - 8 * DAY)).outcome).toBe('too_late');
  });

  it('rejects bad options', () => {
    expect(() => new TumblingWindows({ windowMs: 0 })).toThrow(RollupsError);
    expect(() => new TumblingWindows({ windowMs: 1.5 })).toThrow(/windowMs/);
    expect(() => new TumblingWindows({ allowedLatenessMs: -1 })).toThrow(/allowedLatenessMs/);
  });

  it('keeps tenants apart even when consecutive events share a bucket', () => {
    const w = new TumblingWindows({ now: () => T });
    w.record(received(T, 'c1'));
    w.record(received(T, 'c1', { org_id: 'o2' }));
    w.record(received(T, 'c1'));
    const conv = sortRows(w.flush()).filter((r) => r.measure === 'conversations');
    expect(conv.map((r) => [r.org_id, r.count, r.ids])).toEqual([
      ['o1', 2, ['c1']],
      ['o2', 1, ['c1']],
    ]);
  });

  it('records 200k events and flush leaves nothing behind', () => {
    const w = new TumblingWindows({ now: () => T + DAY });
    const events: AnalyticsEvent[] = [];
    for (let i = 0; i < 200_000; i++) {
      events.push(
        i % 3 === 0
          ? ev('gate.evaluated', T + i * 100, {
              conversation_id: `c${i % 5000}`,
              message_id: 'm',
              attempt: 1,
              gates: [
                { gate: 'repetition', passed: true, score: 0.5 },
                { gate: 'hallucination', passed: i % 7 !== 0, claims: ['a'] },
                { gate: 'length', passed: true, word_count: 10 },
              ],
            })
          : received(T + i * 100, `c${i % 5000}`, { channel_type: 'zalo', customer_cohort: 'new', org_id: `o${i % 4}` }),
      );
    }
    for (const e of events) w.record(e);
    const rows = w.flush();
    expect(rows.length).toBeGreaterThan(0);
    expect(w.size).toBe(0);
  });
});
