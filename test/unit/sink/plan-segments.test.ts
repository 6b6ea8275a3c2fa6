import { describe, expect, it } from 'vitest';
import type { AnalyticsEvent } from '../../../src/contract/catalog.js';
import type { DecodedEvent } from '../../../src/pipeline/types.js';
import { planSegments, tokenFor } from '../../../src/sink/rollup-sink.js';

function at(offset: number): DecodedEvent {
  return {
    event: { event: 'message.received', event_id: `e${offset}`, org_id: 'o', workspace_id: 'w', user_id: 'u', timestamp: 0 } as AnalyticsEvent,
    message: { topic: 't', partition: 0, offset: String(offset), key: null, value: null, timestamp: '0' },
  };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => at(from + i));
const offsets = (events: readonly DecodedEvent[]) => events.map((e) => Number(e.message.offset));

describe('planSegments', () => {
  it('a batch with no intent before it is one new segment of every event (a copy, not the caller array)', () => {
    const events = range(10, 14);
    const p = planSegments(10n, 14n, events, undefined);
    expect(p.skipped).toBe(0);
    expect(p.incomplete).toBe(false);
    expect(p.segments).toHaveLength(1);
    expect(p.segments[0]!.first).toBe(10n);
    expect(p.segments[0]!.last).toBe(14n);
    expect(p.segments[0]!.replayOf).toBeUndefined();
    expect(offsets(p.segments[0]!.events)).toEqual([10, 11, 12, 13, 14]);
    expect(p.segments[0]!.events).not.toBe(events);
  });

  it('a batch after the last intent is wholly new', () => {
    const p = planSegments(20n, 22n, range(20, 22), { first: 10n, last: 19n, token: 'x' });
    expect(p.segments.map((s) => [s.first, s.last, offsets(s.events), s.replayOf])).toEqual([[20n, 22n, [20, 21, 22], undefined]]);
    expect(p.skipped).toBe(0);
  });

  it('splits against the intent: before it skipped, inside it replayed under its token, after it new', () => {
    const intent = { first: 12n, last: 14n, token: tokenFor('t', 0, 12n, 14n) };
    const p = planSegments(10n, 17n, range(10, 17), intent);
    expect(p.skipped).toBe(2);
    expect(p.incomplete).toBe(false);
    expect(p.segments.map((s) => [s.first, s.last, offsets(s.events)])).toEqual([
      [12n, 14n, [12, 13, 14]],
      [15n, 17n, [15, 16, 17]],
    ]);
    expect(p.segments[0]!.replayOf).toBe(intent);
    expect(p.segments[0]!.replayOf!.token).toBe('t/0/12-14');
    expect(p.segments[1]!.replayOf).toBeUndefined();
  });

  it('a batch ending exactly at the intent replays it and has nothing new', () => {
    const intent = { first: 10n, last: 12n, token: 'tok' };
    const p = planSegments(10n, 12n, range(10, 12), intent);
    expect(p.segments.map((s) => [s.first, s.last, offsets(s.events), s.replayOf?.token])).toEqual([[10n, 12n, [10, 11, 12], 'tok']]);
  });

  it('a batch ending inside the intent is incomplete: nothing is planned', () => {
    expect(planSegments(10n, 13n, range(10, 13), { first: 11n, last: 15n, token: 'tok' })).toEqual({ segments: [], skipped: 0, incomplete: true });
  });
});
