/**
 * The rollup path (mapping -> windows -> partial rows -> merged store -> evaluator) against the naive
 * recomputation from raw events, on generated data: several tenants and workspaces, out-of-order and
 * late events, ranges cut at minute boundaries. Equality is exact (see generator.ts on float sums).
 */
import { describe, expect, it } from 'vitest';
import { mulberry32, generateEvents } from '../../support/generator.js';
import { groundTruth } from '../../support/ground-truth.js';
import { answerFromAggregates, answerFromPartials, rollUp, type Selection } from './pipeline.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 2, 3, 0, 0, 0);

describe.each([
  { seed: 7, tenants: 3, workspacesPerTenant: 2, days: 2, count: 40_000 },
  { seed: 2024, tenants: 4, workspacesPerTenant: 3, days: 1, count: 30_000 },
])('generated data, seed $seed', (gen) => {
  const events = generateEvents({ ...gen, startMs: START, outOfOrderFraction: 0.1, lateHoursMax: 5 });
  const { rows, windows } = rollUp(events, { flushEvery: 2_500 });
  const orgs = [...new Set(events.map((e) => e.org_id))].sort();
  const rand = mulberry32(gen.seed);
  const minute = (ms: number) => Math.floor(ms / MIN) * MIN;

  const selections: Array<Selection & { label: string }> = [];
  for (const org of orgs) {
    selections.push({ label: 'everything', org_id: org, fromMs: START - DAY, toMs: START + 3 * DAY });
    selections.push({
      label: 'one workspace',
      org_id: org,
      workspace_id: `ws-${org.split('-').pop()}-2`,
      fromMs: START - DAY,
      toMs: START + 3 * DAY,
    });
    const a = minute(START + rand() * gen.days * DAY);
    const b = minute(START + rand() * gen.days * DAY);
    selections.push({ label: 'random minute-cut range', org_id: org, fromMs: Math.min(a, b), toMs: Math.max(a, b) + MIN });
    const h = minute(START + rand() * gen.days * DAY);
    selections.push({ label: 'one hour, one workspace', org_id: org, workspace_id: `ws-${org.split('-').pop()}-1`, fromMs: h, toMs: h + HOUR });
    selections.push({ label: 'one minute', org_id: org, fromMs: h, toMs: h + MIN });
    selections.push({ label: 'empty range', org_id: org, fromMs: h, toMs: h });
  }

  it('the stream really is out of order and late, and nothing is refused', () => {
    expect(windows.stats.late).toBeGreaterThan(events.length * 0.01);
    expect(windows.stats.tooLate).toBe(0);
    expect(windows.stats.recorded).toBe(events.length);
  });

  it.each(selections)('$label of $org_id equals the naive recomputation', (s) => {
    const expected = groundTruth(events, s);
    expect(answerFromPartials(rows, s)).toEqual(expected);
    expect(answerFromAggregates(rows, s)).toEqual(expected);
  });

  it('the selections are not trivial', () => {
    const whole = groundTruth(events, selections[0]!);
    expect(whole.overview.totalConversations).toBeGreaterThan(100);
    expect(whole.gates.gates.hallucination.commonClaims).toHaveLength(3);
    expect(whole.gates.gates.tone.bannedPhrasesTriggered).toHaveLength(5);
    expect(whole.dashboard.modules.topFrictionThemes).toHaveLength(5);
    expect(Object.keys(whole.channels.channels).length).toBeGreaterThanOrEqual(5);
    expect(whole.cohorts.cohorts.vip_customers.count).toBeGreaterThan(0);
    expect(Object.keys(whole.events.signInFailuresByErrorCode).length).toBeGreaterThan(1);
  });
});
