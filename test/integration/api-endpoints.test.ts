import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type ApiApp } from '../../src/api/app.js';
import { CSV_HEADER } from '../../src/api/csv.js';
import { mintToken } from '../../src/api/token.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { createLogger } from '../../src/ops/logger.js';
import { OVERVIEW_METRICS, createQueryService } from '../../src/query/service.js';
import { createRollupChanges } from '../../src/sink/changes.js';
import { writeRollups } from '../../src/sink/rollup-writer.js';
import { TumblingWindows } from '../../src/window/tumbling.js';
import { generateEvents } from '../support/generator.js';
import { groundTruth, type GroundTruth } from '../support/ground-truth.js';
import { createTestDatabase } from '../support/services.js';
import { localClock } from '../support/local-clock.js';

/**
 * Every endpoint of the read API over real HTTP, against rollups of 50,000 generated events (3 tenants
 * x 2 workspaces, the 3 days before a fixed `now`, the last hour of them after it) built with the real
 * window and writer in a fresh ClickHouse database, compared exactly with the naive ground truth.
 * Local dates and hours on the expected side are read per event with Intl; the expected ranges follow
 * the documented rules (docs/api.md): periods up to the end of the minute in progress, custom ranges floored
 * to the minute, timeseries / export / volume-by-hour over whole local days.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.parse('2025-11-05T09:37:41.250Z');
// "Now" ends with the minute in progress (docs/api.md).
const CUT = Math.floor(NOW / MIN) * MIN + MIN;
const GEN = { seed: 4242, tenants: 3, workspacesPerTenant: 2, days: 3, startMs: NOW - 3 * DAY + HOUR, count: 50_000 };
const SECRET = 'api-endpoints-test-secret-0123456789';
const P = '/api/tenants/me/analytics';
const ALL_TIME = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER };
const TZS = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu'] as const;

/** Custom ranges per zone: both ends inside an hour, with seconds, in several offset spellings. */
const CUSTOM: Record<(typeof TZS)[number], { from: string; to: string }> = {
  UTC: { from: '2025-11-03T07:13:45Z', to: '2025-11-04T19:52:10Z' },
  'Asia/Kolkata': { from: '2025-11-03T10:07:30+05:30', to: '2025-11-04T03:33:00+0530' },
  'Asia/Kathmandu': { from: '2025-11-04T01:50:59+05:45', to: '2025-11-05T13:16:01+05:45' },
};

const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const floorMinute = (ms: number) => Math.floor(ms / MIN) * MIN;

type Selection = { period: 'today' | 'yesterday' | '7d' } | { period: 'custom'; from: string; to: string };

// Each on its own database: every read in the engine (a ClickHouse server's path), and with the write
// feed of a process that owns its engine (settled blocks and open tails, as under `rollups run`).
describe.each([{ mode: 'every read in the engine', blocks: false }, { mode: 'settled blocks', blocks: true }])('read API endpoints equal the ground truth over HTTP ($mode)', ({ blocks }) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: ApiApp;
  let base: string;
  let events: AnalyticsEvent[];
  let orgs: string[];
  const tokens = new Map<string, string>();
  const byOrg = new Map<string, AnalyticsEvent[]>();

  beforeAll(async () => {
    events = generateEvents(GEN);
    for (const e of events) {
      let list = byOrg.get(e.org_id);
      if (list === undefined) byOrg.set(e.org_id, (list = []));
      list.push(e);
    }
    orgs = [...byOrg.keys()].sort();
    db = await createTestDatabase('api_endpoints');
    await migrate(db.client, db.database);
    const last = events.reduce((m, e) => Math.max(m, e.timestamp), 0);
    const windows = new TumblingWindows({ now: () => last + MIN });
    for (let i = 0; i < events.length; i++) {
      windows.record(events[i]!);
      if ((i + 1) % 10_000 === 0 || i === events.length - 1) await writeRollups(db.client, db.database, windows.flush(), `api-${i}`);
    }
    const changes = blocks ? createRollupChanges() : undefined;
    app = buildApi({ query: createQueryService({ client: db.client, database: db.database, changes }), jwtSecret: SECRET, logger: createLogger('warn'), now: () => NOW });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const org of orgs) tokens.set(org, await mintToken({ secret: SECRET, orgId: org, ttlSeconds: 3600, nowMs: NOW }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  async function get(org: string, path: string, params: Record<string, string | undefined>): Promise<Response> {
    const q = new URLSearchParams(Object.entries(params).filter((kv): kv is [string, string] => kv[1] !== undefined));
    const url = `${base}${P}${path}${q.size > 0 ? `?${q}` : ''}`;
    return fetch(url, { headers: { authorization: `Bearer ${tokens.get(org)!}` } });
  }
  async function json(org: string, path: string, params: Record<string, string | undefined>): Promise<unknown> {
    const r = await get(org, path, params);
    const body = await r.text();
    expect(r.status, `${path} ${JSON.stringify(params)}: ${body}`).toBe(200);
    return JSON.parse(body);
  }

  const mine = (org: string, ws: string | undefined) => byOrg.get(org)!.filter((e) => ws === undefined || e.workspace_id === ws);
  const truthOf = (list: AnalyticsEvent[], org: string): GroundTruth => groundTruth(list, { org_id: org, ...ALL_TIME });

  function inSelection(sel: Selection, tz: string): (e: AnalyticsEvent) => boolean {
    const clock = localClock(tz);
    const today = clock(NOW).date;
    switch (sel.period) {
      case 'today':
        return (e) => e.timestamp < CUT && clock(e.timestamp).date === today;
      case 'yesterday':
        return (e) => clock(e.timestamp).date === addDays(today, -1);
      case '7d':
        return (e) => e.timestamp < CUT && clock(e.timestamp).date >= addDays(today, -6);
      case 'custom': {
        const [from, to] = [floorMinute(Date.parse(sel.from)), floorMinute(Date.parse(sel.to))];
        return (e) => e.timestamp >= from && e.timestamp < to;
      }
    }
  }

  function trends(org: string, ws: string | undefined) {
    const hour = mine(org, ws).filter((e) => e.timestamp >= CUT - HOUR && e.timestamp < CUT);
    return {
      messagesLastHour: hour.filter((e) => e.event === 'message.received' || e.event === 'message.delivered').length,
      escalationsLastHour: hour.filter((e) => e.event === 'escalation.created').length,
      responseTimeLastHour: truthOf(hour, org).overview.avgResponseTime,
    };
  }

  /** Per local date of `dates`, the whole-day ground truth (events after now included, as stored). */
  function byDate(org: string, ws: string | undefined, tz: string, dates: string[]): GroundTruth[] {
    const clock = localClock(tz);
    const list = mine(org, ws);
    return dates.map((d) => truthOf(list.filter((e) => clock(e.timestamp).date === d), org));
  }

  it('the data is what the test claims: 3 tenants, 2 workspaces each, events in the last hour and after now', () => {
    expect(orgs).toHaveLength(3);
    for (const org of orgs) expect(new Set(byOrg.get(org)!.map((e) => e.workspace_id)).size).toBe(2);
    expect(events.filter((e) => e.timestamp >= NOW).length).toBeGreaterThan(200);
    for (const org of orgs) expect(trends(org, undefined).messagesLastHour).toBeGreaterThan(10);
    expect(Math.min(...events.map((e) => e.timestamp))).toBeGreaterThanOrEqual(NOW - 3 * DAY);
  });

  it.each(TZS)('overview, gates, channels, cohorts, dashboard, events for today, yesterday, 7d, custom in %s, per tenant and workspace', async (tz) => {
    const selections: Selection[] = [{ period: 'today' }, { period: 'yesterday' }, { period: '7d' }, { period: 'custom', ...CUSTOM[tz] }];
    for (const org of orgs) {
      for (const ws of [undefined, `ws-${org.split('-').pop()}-1`]) {
        for (const sel of selections) {
          const params = { tz, workspace_id: ws, ...(sel.period === 'custom' ? { from: sel.from, to: sel.to } : { period: sel.period }) };
          const want = truthOf(mine(org, ws).filter(inSelection(sel, tz)), org);
          const label = JSON.stringify({ org, ...params });
          expect(want.overview.totalMessages, label).toBeGreaterThan(0);
          expect(await json(org, '/overview', params), label).toEqual({
            period: sel.period,
            metrics: want.overview,
            trends: trends(org, ws),
            generatedAt: '2025-11-05T09:37:41.250Z',
          });
          expect(await json(org, '/gates', params), label).toEqual({ period: sel.period, ...want.gates });
          expect(await json(org, '/channels', params), label).toEqual({ period: sel.period, ...want.channels });
          expect(await json(org, '/cohorts', params), label).toEqual({ period: sel.period, ...want.cohorts });
          expect(await json(org, '/dashboard', params), label).toEqual({ period: sel.period, ...want.dashboard });
          expect(await json(org, '/events', params), label).toEqual({ period: sel.period, ...want.events });
        }
      }
    }
  });

  it('the default selection is today in UTC; 30d covers every event before now', async () => {
    const org = orgs[0]!;
    const today = truthOf(byOrg.get(org)!.filter(inSelection({ period: 'today' }, 'UTC')), org);
    expect(await json(org, '/events', {})).toEqual({ period: 'today', ...today.events });
    const before = truthOf(byOrg.get(org)!.filter((e) => e.timestamp < CUT), org);
    expect(await json(org, '/dashboard', { period: '30d', tz: 'Asia/Kathmandu' })).toEqual({ period: '30d', ...before.dashboard });
  });

  it('a workspace narrows: its numbers differ from the whole tenant and add up with the other workspace', async () => {
    const org = orgs[1]!;
    const n = org.split('-').pop();
    const whole = (await json(org, '/overview', { period: '7d' })) as { metrics: { totalMessages: number } };
    const w1 = (await json(org, '/overview', { period: '7d', workspace_id: `ws-${n}-1` })) as typeof whole;
    const w2 = (await json(org, '/overview', { period: '7d', workspace_id: `ws-${n}-2` })) as typeof whole;
    expect(w1.metrics.totalMessages).toBeGreaterThan(0);
    expect(w2.metrics.totalMessages).toBeGreaterThan(0);
    expect(w1.metrics.totalMessages + w2.metrics.totalMessages).toBe(whole.metrics.totalMessages);
  });

  it.each(TZS)('timeseries per local date in %s: days=N, from/to dates, the default 7 days, every metric, per workspace', async (tz) => {
    const today = localClock(tz)(NOW).date;
    for (const org of orgs) {
      for (const ws of [undefined, `ws-${org.split('-').pop()}-2`]) {
        const last3 = [addDays(today, -2), addDays(today, -1), today];
        const span = [addDays(today, -4), addDays(today, -3), ...last3];
        const t3 = byDate(org, ws, tz, last3);
        const tSpan = byDate(org, ws, tz, span);
        for (const metric of OVERVIEW_METRICS) {
          expect(await json(org, '/timeseries', { metric, days: '3', tz, workspace_id: ws })).toEqual({
            metric,
            data: last3.map((date, i) => ({ date, value: t3[i]!.overview[metric] })),
          });
          expect(await json(org, '/timeseries', { metric, from: span[0], to: span[4], tz, workspace_id: ws })).toEqual({
            metric,
            data: span.map((date, i) => ({ date, value: tSpan[i]!.overview[metric] })),
          });
        }
        expect(t3.every((d) => d.overview.totalMessages > 0)).toBe(true);
        expect(tSpan[0]!.overview.totalMessages).toBe(0); // before the data: zeros and nulls, not missing
      }
      const week = Array.from({ length: 7 }, (_, i) => addDays(today, i - 6));
      const tWeek = byDate(org, undefined, tz, week);
      expect(await json(org, '/timeseries', { metric: 'activeCustomers', tz })).toEqual({
        metric: 'activeCustomers',
        data: week.map((date, i) => ({ date, value: tWeek[i]!.overview.activeCustomers })),
      });
    }
  });

  it.each(TZS)('export CSV per local date in %s, exactly', async (tz) => {
    const today = localClock(tz)(NOW).date;
    const cell = (v: number | null) => (v === null ? '' : String(v));
    const csv = (dates: string[], truths: GroundTruth[]) =>
      [
        'date,totalConversations,totalMessages,avgResponseTime,escalationRate,gatePassRate,activeCustomers',
        ...dates.map((d, i) => {
          const m = truths[i]!.overview;
          return [d, m.totalConversations, m.totalMessages, cell(m.avgResponseTime), cell(m.escalationRate), cell(m.gatePassRate), m.activeCustomers].join(',');
        }),
      ].join('\n') + '\n';
    for (const org of orgs) {
      for (const ws of [undefined, `ws-${org.split('-').pop()}-1`]) {
        const days = [addDays(today, -4), addDays(today, -3), addDays(today, -2), addDays(today, -1), today];
        const r = await get(org, '/export', { format: 'csv', days: '5', tz, workspace_id: ws });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(r.headers.get('content-disposition')).toBe(`attachment; filename="analytics_${days[0]}_${today}.csv"`);
        const text = await r.text();
        expect(text).toBe(csv(days, byDate(org, ws, tz, days)));
        expect(text.split('\n')[0]).toBe(CSV_HEADER);
        expect(text.split('\n')[1]).toBe(`${days[0]},0,0,,,,0`); // the day before the data: nulls are empty cells
        const range = [addDays(today, -1), today];
        const r2 = await get(org, '/export', { from: range[0], to: range[1], tz, workspace_id: ws });
        expect(await r2.text()).toBe(csv(range, byDate(org, ws, tz, range)));
      }
    }
  });

  it.each(TZS)('volume-by-hour per local hour in %s: yesterday, today (the default), per workspace', async (tz) => {
    const clock = localClock(tz);
    const today = clock(NOW).date;
    for (const org of orgs) {
      for (const ws of [undefined, `ws-${org.split('-').pop()}-2`]) {
        for (const date of [addDays(today, -1), today, undefined]) {
          const day = date ?? today;
          const hourly = Array.from({ length: 24 }, (_, hour) => ({ hour, messages: 0 }));
          for (const e of mine(org, ws)) {
            if (e.event !== 'message.received' && e.event !== 'message.delivered') continue;
            const c = clock(e.timestamp);
            if (c.date === day) hourly[c.hour]!.messages++;
          }
          expect(hourly.filter((h) => h.messages > 0).length).toBeGreaterThan(date === addDays(today, -1) ? 20 : 5);
          expect(await json(org, '/volume-by-hour', { date, tz, workspace_id: ws })).toEqual({ date: day, hourly });
        }
      }
    }
  });
});
