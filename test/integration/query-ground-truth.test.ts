import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { METRIC_SECTIONS } from '../../src/metrics/mapping.js';
import { localDayRange, parseDay } from '../../src/query/zone.js';
import { OVERVIEW_METRICS, createQueryService, type QueryService } from '../../src/query/service.js';
import { writeRollups } from '../../src/sink/rollup-writer.js';
import { TumblingWindows } from '../../src/window/tumbling.js';
import { generateEvents, mulberry32 } from '../support/generator.js';
import { groundTruth, type GroundTruth } from '../support/ground-truth.js';
import { createTestDatabase } from '../support/services.js';
import { localClock } from '../support/local-clock.js';

/**
 * The query layer against the naive recomputation from raw events, exactly: generated events go
 * through the real window and the real writer into a fresh ClickHouse database (Null input, views,
 * 1m and 15m tables), and every section, every local day and hour, is read back through
 * createQueryService and compared with groundTruth(). Local dates and hours on the ground-truth side
 * are classified per event with Intl, not with the query layer's day boundaries.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// Three days around New York's 25-hour 2025-11-02.
const START = Date.UTC(2025, 10, 1);
// A second, smaller data set around Lord Howe's 2025-10-05 (02:00 -> 02:30).
const LH_START = Date.UTC(2025, 9, 3, 12);

const MAIN = { seed: 515, tenants: 5, workspacesPerTenant: 2, days: 3, startMs: START, count: 200_000, outOfOrderFraction: 0.1, lateHoursMax: 6 };
const LORD_HOWE = { seed: 616, tenants: 1, workspacesPerTenant: 2, days: 3, startMs: LH_START, count: 20_000, outOfOrderFraction: 0.1, lateHoursMax: 6 };

const WHOLE = { fromMs: START - DAY, toMs: START + 4 * DAY };

const ALL_TIME = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER };

describe('query layer equals the ground truth on 200,000 events', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let service: QueryService;
  let events: AnalyticsEvent[];
  let lhEvents: AnalyticsEvent[];
  const byOrg = new Map<string, AnalyticsEvent[]>();
  let orgs: string[];
  const stats = { late: 0, tooLate: 0, recorded: 0, inserts: 0 };

  async function pipe(list: AnalyticsEvent[], label: string): Promise<void> {
    const now = list.reduce((m, e) => Math.max(m, e.timestamp), 0) + MIN;
    const windows = new TumblingWindows({ now: () => now });
    for (let i = 0; i < list.length; i++) {
      windows.record(list[i]!);
      if ((i + 1) % 5_000 === 0 || i === list.length - 1) {
        await writeRollups(db.client, db.database, windows.flush(), `${label}-${i}`);
        stats.inserts++;
      }
    }
    stats.late += windows.stats.late;
    stats.tooLate += windows.stats.tooLate;
    stats.recorded += windows.stats.recorded;
  }

  beforeAll(async () => {
    events = generateEvents(MAIN);
    lhEvents = generateEvents(LORD_HOWE);
    for (const e of [...events, ...lhEvents]) {
      let list = byOrg.get(e.org_id);
      if (list === undefined) byOrg.set(e.org_id, (list = []));
      list.push(e);
    }
    orgs = [...new Set(events.map((e) => e.org_id))].sort();
    db = await createTestDatabase('query');
    await migrate(db.client, db.database);
    await pipe(events, 'main');
    await pipe(lhEvents, 'lh');
    service = createQueryService({ client: db.client, database: db.database });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const truth = (org: string, q: { workspace_id?: string; fromMs: number; toMs: number }): GroundTruth =>
    groundTruth(byOrg.get(org) ?? [], { org_id: org, ...q });
  const sections = (org: string, q: { workspaceId?: string; fromMs: number; toMs: number }) =>
    service.sections({ orgId: org, ...q }, METRIC_SECTIONS);

  it('the data is what the test claims: 5 tenants x 2 workspaces, out of order and late, nothing refused', () => {
    expect(orgs).toHaveLength(5);
    for (const org of orgs) expect(new Set(byOrg.get(org)!.map((e) => e.workspace_id)).size).toBe(2);
    expect(stats.recorded).toBe(MAIN.count + LORD_HOWE.count);
    expect(stats.tooLate).toBe(0);
    expect(stats.late).toBeGreaterThan(MAIN.count * 0.02);
    expect(stats.inserts).toBeGreaterThanOrEqual(44);
  });

  it('every section of every tenant over the whole range, and of one workspace', async () => {
    for (const org of orgs) {
      const expected = truth(org, WHOLE);
      expect(expected.overview.totalConversations).toBeGreaterThan(1000);
      expect(await sections(org, WHOLE)).toEqual(expected);
      const ws = `ws-${org.split('-').pop()}-2`;
      expect(await sections(org, { workspaceId: ws, ...WHOLE })).toEqual(truth(org, { workspace_id: ws, ...WHOLE }));
    }
  });

  it('ranges cutting through hours and quarter hours (minute edges + 15-minute interior)', async () => {
    const rand = mulberry32(99);
    const minute = (ms: number) => Math.floor(ms / MIN) * MIN;
    for (const org of orgs) {
      const ranges: Array<{ fromMs: number; toMs: number; workspaceId?: string }> = [];
      for (const length of [7 * MIN, 13 * MIN, 47 * MIN, 3 * HOUR + 11 * MIN, 29 * HOUR + 37 * MIN]) {
        const from = minute(START + rand() * (3 * DAY - length));
        ranges.push({ fromMs: from, toMs: from + length });
      }
      const q = minute(START + rand() * 2 * DAY);
      ranges.push({ fromMs: q - (q % (15 * MIN)) + MIN, toMs: q - (q % (15 * MIN)) + 14 * MIN }); // inside one quarter hour
      ranges.push({ fromMs: START + 10 * HOUR, toMs: START + 34 * HOUR }); // aligned: 15m table only
      ranges.push({ fromMs: START + 10 * HOUR + 1 * MIN, toMs: START + 10 * HOUR + 1 * MIN }); // empty
      ranges.push({ ...ranges[3]!, workspaceId: `ws-${org.split('-').pop()}-1` });
      for (const r of ranges) {
        const { workspaceId, ...range } = r;
        const expected = truth(org, { ...(workspaceId === undefined ? {} : { workspace_id: workspaceId }), ...range });
        expect(await sections(org, r), JSON.stringify(r)).toEqual(expected);
      }
    }
  });

  it.each(['UTC', 'Asia/Ho_Chi_Minh', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York'])(
    'local days in %s (sections over the day range = events whose local date is that day)',
    async (tz) => {
      const clock = localClock(tz);
      for (const org of orgs.slice(0, 2)) {
        for (const date of ['2025-11-01', '2025-11-02', '2025-11-03']) {
          const ofDay = byOrg.get(org)!.filter((e) => clock(e.timestamp).date === date);
          const expected = groundTruth(ofDay, { org_id: org, ...ALL_TIME });
          expect(await sections(org, localDayRange(parseDay(date, 'date'), tz))).toEqual(expected);
        }
      }
    },
  );

  it.each([
    ['UTC', orgs_main, ['2025-10-31', '2025-11-01', '2025-11-02', '2025-11-03', '2025-11-04']],
    ['Asia/Kathmandu', orgs_main, ['2025-11-01', '2025-11-02', '2025-11-03', '2025-11-04']],
    ['America/New_York', orgs_main, ['2025-10-31', '2025-11-01', '2025-11-02', '2025-11-03']],
    ['Australia/Lord_Howe', orgs_lh, ['2025-10-04', '2025-10-05', '2025-10-06', '2025-10-07']],
  ] as const)('daily() per local date in %s', async (tz, which, dates) => {
    const clock = localClock(tz);
    for (const org of which()) {
      for (const workspaceId of [undefined, `ws-${org.split('-').pop()}-1`]) {
        const mine = byOrg.get(org)!.filter((e) => workspaceId === undefined || e.workspace_id === workspaceId);
        const expected = dates.map((date) => ({
          date,
          metrics: groundTruth(
            mine.filter((e) => clock(e.timestamp).date === date),
            { org_id: org, ...ALL_TIME },
          ).overview,
        }));
        expect(expected.some((d) => d.metrics.totalMessages > 0)).toBe(true);
        const q = { orgId: org, workspaceId, tz, dates };
        expect(await service.dailyOverview(q)).toEqual(expected);
        for (const metric of OVERVIEW_METRICS) {
          expect(await service.daily(q, metric)).toEqual(expected.map((d) => ({ date: d.date, value: d.metrics[metric] })));
        }
      }
    }
  });

  it.each([
    ['UTC', '2025-11-02', orgs_main],
    ['Asia/Kolkata', '2025-11-02', orgs_main],
    ['Asia/Kathmandu', '2025-11-03', orgs_main],
    ['America/New_York', '2025-11-02', orgs_main], // 01:00-01:59 twice: both add into hour 1
    ['Australia/Lord_Howe', '2025-10-05', orgs_lh], // 02:00-02:29 skipped: hour 2 is half an hour
  ] as const)('hourly() per local hour in %s on %s', async (tz, date, which) => {
    const clock = localClock(tz);
    for (const org of which()) {
      const expected = Array.from({ length: 24 }, (_, hour) => ({ hour, messages: 0 }));
      for (const e of byOrg.get(org)!) {
        if (e.event !== 'message.received' && e.event !== 'message.delivered') continue;
        const c = clock(e.timestamp);
        if (c.date === date) expected[c.hour]!.messages++;
      }
      expect(expected.filter((h) => h.messages > 0).length).toBeGreaterThan(20);
      expect(await service.hourly({ orgId: org, tz, date })).toEqual(expected);
    }
  });

  it('the repeated New York hour really holds events from both passes', () => {
    const org = orgs[0]!;
    const first = byOrg.get(org)!.filter((e) => e.timestamp >= Date.parse('2025-11-02T05:00:00Z') && e.timestamp < Date.parse('2025-11-02T06:00:00Z'));
    const second = byOrg.get(org)!.filter((e) => e.timestamp >= Date.parse('2025-11-02T06:00:00Z') && e.timestamp < Date.parse('2025-11-02T07:00:00Z'));
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
  });

  it('trends: the 60 minutes ending with the minute in progress', async () => {
    for (const [i, org] of orgs.entries()) {
      const nowMs = START + 30 * HOUR + i * 7 * HOUR + 17 * MIN + 23_456;
      const to = Math.floor(nowMs / MIN) * MIN + MIN;
      const range = { fromMs: to - HOUR, toMs: to };
      const overview = truth(org, range).overview;
      const escalations = byOrg
        .get(org)!
        .filter((e) => e.event === 'escalation.created' && e.timestamp >= range.fromMs && e.timestamp < range.toMs).length;
      expect(await service.trends({ orgId: org, nowMs })).toEqual({
        messagesLastHour: overview.totalMessages,
        escalationsLastHour: escalations,
        responseTimeLastHour: overview.avgResponseTime,
      });
      expect(overview.totalMessages).toBeGreaterThan(0);
    }
  });

  it('overview(): the overview and its trends, in one statement for ranges ending with the trends hour', async () => {
    for (const [i, org] of orgs.entries()) {
      const nowMs = START + 2 * DAY + 7 * HOUR + i * 3 * HOUR + 37 * MIN + 41_250;
      const to = Math.floor(nowMs / MIN) * MIN + MIN;
      const last = { fromMs: to - HOUR, toMs: to };
      const trendsOf = (o: ReturnType<typeof truth>['overview'], range: { fromMs: number; toMs: number }) => ({
        messagesLastHour: o.totalMessages,
        escalationsLastHour: byOrg.get(org)!.filter((e) => e.event === 'escalation.created' && e.timestamp >= range.fromMs && e.timestamp < range.toMs).length,
        responseTimeLastHour: o.avgResponseTime,
      });
      const trends = trendsOf(truth(org, last).overview, last);
      expect(trends.messagesLastHour).toBeGreaterThan(0);
      // A period up to now (3 days and more: whole days from the distinct cache), today so far, exactly the last hour,
      // one workspace; and a range that does not end now (two reads).
      for (const fromMs of [START - DAY, START, to - 5 * HOUR - 13 * MIN, to - HOUR]) {
        for (const workspaceId of [undefined, `ws-${org.split('-').pop()}-1`]) {
          const want = truth(org, { ...(workspaceId === undefined ? {} : { workspace_id: workspaceId }), fromMs, toMs: to }).overview;
          const wsTrends = trendsOf(truth(org, { ...(workspaceId === undefined ? {} : { workspace_id: workspaceId }), ...last }).overview, last);
          const wantTrends = workspaceId === undefined ? trends : { ...wsTrends, escalationsLastHour: byOrg.get(org)!.filter((e) => e.event === 'escalation.created' && e.workspace_id === workspaceId && e.timestamp >= last.fromMs && e.timestamp < last.toMs).length };
          expect(await service.overview({ orgId: org, workspaceId, fromMs, toMs: to }, nowMs), `${org} ${fromMs} ${workspaceId}`).toEqual({ overview: want, trends: wantTrends });
        }
      }
      const past = { fromMs: START, toMs: START + DAY };
      expect(await service.overview({ orgId: org, ...past }, nowMs)).toEqual({ overview: truth(org, past).overview, trends });
    }
  });

  it("a tenant never sees another tenant's data, whatever the workspace asked for", async () => {
    const [a, b] = [orgs[0]!, orgs[1]!];
    const bWorkspace = byOrg.get(b)![0]!.workspace_id;
    const got = await sections(a, { workspaceId: bWorkspace, ...WHOLE });
    expect(got).toEqual(truth(a, { workspace_id: bWorkspace, ...WHOLE }));
    expect(got.overview).toEqual({
      totalConversations: 0,
      totalMessages: 0,
      avgResponseTime: null,
      escalationRate: null,
      gatePassRate: null,
      activeCustomers: 0,
    });
    expect(got.channels.channels).toEqual({});
    expect(got.events.signInFailuresByErrorCode).toEqual({});
    expect((await sections('org-unknown', WHOLE)).overview.totalMessages).toBe(0);
    const days = await service.daily({ orgId: a, workspaceId: bWorkspace, tz: 'UTC', dates: ['2025-11-01', '2025-11-02'] }, 'totalMessages');
    expect(days).toEqual([
      { date: '2025-11-01', value: 0 },
      { date: '2025-11-02', value: 0 },
    ]);
    const hours = await service.hourly({ orgId: a, workspaceId: bWorkspace, tz: 'UTC', date: '2025-11-02' });
    expect(hours.every((h) => h.messages === 0)).toBe(true);
    expect(await service.trends({ orgId: a, workspaceId: bWorkspace, nowMs: START + DAY })).toEqual({
      messagesLastHour: 0,
      escalationsLastHour: 0,
      responseTimeLastHour: null,
    });
    // and B's own answer is not empty: the filter, not missing data, made A's answer empty
    expect((await sections(b, { workspaceId: bWorkspace, ...WHOLE })).overview.totalMessages).toBeGreaterThan(0);
  });

  it('a workspace id or org id that tries SQL is just a value', async () => {
    const got = await sections(orgs[0]!, { workspaceId: "x' OR 1=1 --", ...WHOLE });
    expect(got.overview.totalMessages).toBe(0);
    expect((await sections("' OR ''='", WHOLE)).overview.totalMessages).toBe(0);
  });

  it('refuses bad requests with INVALID_REQUEST naming the parameter', async () => {
    const bad = (p: Promise<unknown>, param: string) => expect(p).rejects.toMatchObject({ code: 'INVALID_REQUEST', param });
    await bad(service.sections({ orgId: '', ...WHOLE }, ['overview']), 'org_id');
    await bad(service.sections({ orgId: orgs[0]!, fromMs: START + 1, toMs: START + DAY }, ['overview']), 'from');
    await bad(service.daily({ orgId: orgs[0]!, tz: 'Mars/Olympus', dates: ['2025-11-01'] }, 'totalMessages'), 'tz');
    await bad(service.daily({ orgId: orgs[0]!, tz: 'UTC', dates: ['2025-11-31'] }, 'totalMessages'), 'dates');
    await bad(service.daily({ orgId: orgs[0]!, tz: 'UTC', dates: ['2025-11-01'] }, 'nope' as 'totalMessages'), 'metric');
    await bad(service.hourly({ orgId: orgs[0]!, tz: 'UTC', date: 'today' }), 'date');
  });

  function orgs_main(): string[] {
    return orgs;
  }
  function orgs_lh(): string[] {
    return [...new Set(lhEvents.map((e) => e.org_id))];
  }
});
