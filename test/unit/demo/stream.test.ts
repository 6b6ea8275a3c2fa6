import { describe, expect, it } from 'vitest';
import { EVENT_NAMES } from '../../../src/contract/catalog.js';
import { validateEvent } from '../../../src/contract/validate.js';
import { DEMO_TENANTS, createDemoStream } from '../../../src/demo/stream.js';

describe('demo stream', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);
  const events = createDemoStream(7)(20_000, now);

  it('emits only valid events, of every catalog type, for every demo tenant', () => {
    const bad = events.map((e) => validateEvent(e as unknown as Record<string, unknown>, now)).filter((r) => !r.ok);
    expect(bad).toEqual([]);
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(EVENT_NAMES));
    expect(new Set(events.map((e) => e.org_id))).toEqual(new Set(DEMO_TENANTS));
  });

  it('has gate failures, escalations and several channels', () => {
    expect(events.some((e) => e.event === 'gate.evaluated' && e.gates?.some((g) => !g.passed))).toBe(true);
    expect(events.filter((e) => e.event === 'escalation.created').length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.channel_type).filter(Boolean)).size).toBe(4);
  });

  it('is deterministic for a seed', () => {
    const a = createDemoStream(3)(500, now).map(({ event_id: _, ...rest }) => rest);
    const b = createDemoStream(3)(500, now).map(({ event_id: _, ...rest }) => rest);
    expect(a).toEqual(b);
  });
});
