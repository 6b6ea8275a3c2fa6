import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type ApiApp } from '../../src/api/app.js';
import { secretKey } from '../../src/api/auth.js';
import { mintToken } from '../../src/api/token.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { createLogger } from '../../src/ops/logger.js';
import { createQueryService } from '../../src/query/service.js';
import { createRollupChanges } from '../../src/sink/changes.js';
import { writeRollups } from '../../src/sink/rollup-writer.js';
import { TumblingWindows } from '../../src/window/tumbling.js';
import { generateEvents } from '../support/generator.js';
import { groundTruth } from '../support/ground-truth.js';
import { createTestDatabase } from '../support/services.js';

/**
 * With a token for tenant A, no combination of parameters (B's workspace, a workspace id that A and B
 * both use, odd casing of names and values, repeated parameters, SQL in every text parameter, org_id
 * as a parameter or a header, other paths) ever answers with a number that includes B's events: every
 * answer is a 400 (or 401 / 404), or exactly A's data (A's ground truth, or A's in one workspace).
 *
 * To make a leak visible, B's first workspace is renamed to A's first workspace id ("ws-1-1"): A and
 * B share a workspace id, and only the tenant filter keeps them apart.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.parse('2025-11-05T09:37:41.250Z');
// "Now" ends with the minute in progress (docs/api.md).
const CUT = Math.floor(NOW / MIN) * MIN + MIN;
const SECRET = 'api-isolation-test-secret-0123456789';
const P = '/api/tenants/me/analytics';
const ALL_TIME = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER };
const SHARED_WS = 'ws-1-1';

function localClock(tz: string): (ms: number) => { date: string; hour: number } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' });
  return (ms) => {
    const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
    return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour) % 24 };
  };
}
const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const canonicalZone = (tz: string) => new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;

/** What A's answer must be computed from when the API accepts a request. */
interface Reading {
  tz: string;
  workspace?: string;
  selection: { period: 'today' | 'yesterday' | '7d' | '30d' } | { from: string; to: string };
}

type Endpoint = 'overview' | 'gates' | 'channels' | 'cohorts' | 'dashboard' | 'events' | 'timeseries' | 'export' | 'volume-by-hour';
const RANGE_ENDPOINTS: Endpoint[] = ['overview', 'gates', 'channels', 'cohorts', 'dashboard', 'events'];

// Each on its own database: every read in the engine, and with settled blocks (as under `rollups run`).
describe.each([{ mode: 'every read in the engine', blocks: false }, { mode: 'settled blocks', blocks: true }])("a tenant never sees another tenant's data ($mode)", ({ blocks }) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: ApiApp;
  let base: string;
  let events: AnalyticsEvent[];
  let A: string;
  let B: string;
  let tokenA: string;

  beforeAll(async () => {
    events = generateEvents({ seed: 777, tenants: 3, workspacesPerTenant: 2, days: 3, startMs: NOW - 3 * DAY + HOUR, count: 30_000 });
    [A, B] = [...new Set(events.map((e) => e.org_id))].sort() as [string, string];
    for (const e of events) if (e.org_id === B && e.workspace_id === 'ws-2-1') e.workspace_id = SHARED_WS;
    db = await createTestDatabase('api_isolation');
    await migrate(db.client, db.database);
    const last = events.reduce((m, e) => Math.max(m, e.timestamp), 0);
    const windows = new TumblingWindows({ now: () => last + MIN });
    for (const e of events) windows.record(e);
    await writeRollups(db.client, db.database, windows.flush(), 'isolation');
    app = buildApi({ query: createQueryService({ client: db.client, database: db.database, changes: blocks ? createRollupChanges() : undefined }), jwtSecret: SECRET, logger: createLogger('warn'), now: () => NOW });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    tokenA = await mintToken({ secret: SECRET, orgId: A, ttlSeconds: 3600, nowMs: NOW });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  function eventsOf(org: string, r: Reading): AnalyticsEvent[] {
    const clock = localClock(r.tz);
    const today = clock(NOW).date;
    const s = r.selection;
    const inRange =
      'from' in s
        ? (e: AnalyticsEvent) => e.timestamp >= Math.floor(Date.parse(s.from) / MIN) * MIN && e.timestamp < Math.floor(Date.parse(s.to) / MIN) * MIN
        : s.period === 'yesterday'
          ? (e: AnalyticsEvent) => clock(e.timestamp).date === addDays(today, -1)
          : (e: AnalyticsEvent) => e.timestamp < CUT && clock(e.timestamp).date >= addDays(today, s.period === 'today' ? 0 : s.period === '7d' ? -6 : -29);
    return events.filter((e) => e.org_id === org && (r.workspace === undefined || e.workspace_id === r.workspace) && inRange(e));
  }

  /** A's answer for an accepted request (time-independent parts as the API computes them). */
  function expected(endpoint: Endpoint, r: Reading): unknown {
    const clock = localClock(r.tz);
    const today = clock(NOW).date;
    const mine = events.filter((e) => e.org_id === A && (r.workspace === undefined || e.workspace_id === r.workspace));
    const day = (d: string) => groundTruth(mine.filter((e) => clock(e.timestamp).date === d), { org_id: A, ...ALL_TIME });
    const period = 'from' in r.selection ? 'custom' : r.selection.period;
    const t = groundTruth(eventsOf(A, r), { org_id: A, ...ALL_TIME });
    switch (endpoint) {
      case 'overview': {
        const hour = mine.filter((e) => e.timestamp >= CUT - HOUR && e.timestamp < CUT);
        return {
          period,
          metrics: t.overview,
          trends: {
            messagesLastHour: hour.filter((e) => e.event === 'message.received' || e.event === 'message.delivered').length,
            escalationsLastHour: hour.filter((e) => e.event === 'escalation.created').length,
            responseTimeLastHour: groundTruth(hour, { org_id: A, ...ALL_TIME }).overview.avgResponseTime,
          },
          generatedAt: new Date(NOW).toISOString(),
        };
      }
      case 'gates':
      case 'channels':
      case 'cohorts':
      case 'dashboard':
      case 'events':
        return { period, ...t[endpoint] };
      case 'timeseries': {
        const dates = [addDays(today, -2), addDays(today, -1), today];
        return { metric: 'totalMessages', data: dates.map((date) => ({ date, value: day(date).overview.totalMessages })) };
      }
      case 'export': {
        const dates = [addDays(today, -1), today];
        const cell = (v: number | null) => (v === null ? '' : String(v));
        const rows = dates.map((d) => {
          const m = day(d).overview;
          return [d, m.totalConversations, m.totalMessages, cell(m.avgResponseTime), cell(m.escalationRate), cell(m.gatePassRate), m.activeCustomers].join(',');
        });
        return ['date,totalConversations,totalMessages,avgResponseTime,escalationRate,gatePassRate,activeCustomers', ...rows].join('\n') + '\n';
      }
      case 'volume-by-hour': {
        const hourly = Array.from({ length: 24 }, (_, hour) => ({ hour, messages: 0 }));
        for (const e of mine) {
          const c = clock(e.timestamp);
          if ((e.event === 'message.received' || e.event === 'message.delivered') && c.date === addDays(today, -1)) hourly[c.hour]!.messages++;
        }
        return { date: addDays(today, -1), hourly };
      }
    }
  }

  /** The parameters an endpoint needs besides the ones under test. */
  const FIXED: Partial<Record<Endpoint, string>> = { timeseries: 'metric=totalMessages&days=3', export: 'days=2', 'volume-by-hour': '' };
  const volumeDate = () => `date=${addDays(localClock('UTC')(NOW).date, -1)}`;

  async function call(endpoint: Endpoint, query: string, headers: Record<string, string> = {}, token = tokenA): Promise<{ status: number; body: string }> {
    let fixed = FIXED[endpoint] ?? '';
    if (endpoint === 'volume-by-hour' && !/(^|&)date=/.test(query)) fixed = volumeDate();
    const q = [fixed, query].filter((x) => x !== '').join('&');
    const r = await fetch(`${base}${P}/${endpoint}${q === '' ? '' : `?${q}`}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    return { status: r.status, body: await r.text() };
  }

  // Each case: a query string (raw, as a client could send it), and how A's answer must read it when
  // accepted (or 400 when it must be refused).
  const e = encodeURIComponent;
  // A function: A and B are known once beforeAll has run.
  const rangeCases = (): Array<[string, Reading | 400]> => [
    ['', { tz: 'UTC', selection: { period: 'today' } }],
    ['period=7d', { tz: 'UTC', selection: { period: '7d' } }],
    // B's workspaces, and the workspace id both tenants use
    ['period=7d&workspace_id=ws-2-2', { tz: 'UTC', workspace: 'ws-2-2', selection: { period: '7d' } }],
    [`period=7d&workspace_id=${SHARED_WS}`, { tz: 'UTC', workspace: SHARED_WS, selection: { period: '7d' } }],
    ['period=30d&workspace_id=ws-2-1', { tz: 'UTC', workspace: 'ws-2-1', selection: { period: '30d' } }],
    ['period=yesterday&workspace_id=WS-1-1', { tz: 'UTC', workspace: 'WS-1-1', selection: { period: 'yesterday' } }],
    // odd casing of names and values
    ['Period=7d', 400],
    ['PERIOD=7d', 400],
    ['period=7D', 400],
    ['period=Today', 400],
    ['period=7d&Workspace_Id=ws-2-2', 400],
    ['period=7d&WORKSPACE_ID=ws-2-2', 400],
    ['period=yesterday&tz=asia/kolkata', { tz: 'Asia/Kolkata', selection: { period: 'yesterday' } }],
    ['period=yesterday&tz=ASIA/KATHMANDU', { tz: 'Asia/Kathmandu', selection: { period: 'yesterday' } }],
    ['period=yesterday&TZ=Asia/Kolkata', 400],
    // repeated parameters
    ['period=7d&period=7d', 400],
    ['period=7d&workspace_id=ws-1-2&workspace_id=ws-2-2', 400],
    [`period=7d&workspace_id=${SHARED_WS}&workspace_id=${SHARED_WS}`, 400],
    ['tz=UTC&tz=Asia/Kolkata', 400],
    ['workspace_id[]=ws-2-2', 400],
    ['workspace_id[0]=ws-2-2', 400],
    // the tenant as a parameter
    [`org_id=${B}`, 400],
    [`period=7d&org_id=${B}`, 400],
    [`orgId=${B}`, 400],
    [`org=${B}`, 400],
    [`tenant=${B}`, 400],
    [`me=${B}`, 400],
    [`__proto__[org_id]=${B}`, 400],
    [`constructor[prototype][org_id]=${B}`, 400],
    // SQL and other tricks in every text parameter
    [`period=7d&workspace_id=${e("' OR 1=1 --")}`, { tz: 'UTC', workspace: "' OR 1=1 --", selection: { period: '7d' } }],
    [`period=7d&workspace_id=${e(`${SHARED_WS}' OR org_id='${B}`)}`, { tz: 'UTC', workspace: `${SHARED_WS}' OR org_id='${B}`, selection: { period: '7d' } }],
    [`period=7d&workspace_id=${e(`${SHARED_WS}') OR ('1'='1`)}`, { tz: 'UTC', workspace: `${SHARED_WS}') OR ('1'='1`, selection: { period: '7d' } }],
    [`period=7d&workspace_id=${e(`{ws:String}`)}`, { tz: 'UTC', workspace: '{ws:String}', selection: { period: '7d' } }],
    [`period=7d&workspace_id=${e(`${SHARED_WS}\u0000`)}`, { tz: 'UTC', workspace: `${SHARED_WS}\u0000`, selection: { period: '7d' } }],
    [`period=7d&workspace_id=${e(`${SHARED_WS} `)}`, { tz: 'UTC', workspace: `${SHARED_WS} `, selection: { period: '7d' } }],
    [`period=7d&workspace_id=${e('%')}`, { tz: 'UTC', workspace: '%', selection: { period: '7d' } }],
    [`period=7d&workspace_id=${e('*')}`, { tz: 'UTC', workspace: '*', selection: { period: '7d' } }],
    ['period=7d&workspace_id=', 400],
    [`period=7d&workspace_id=${'x'.repeat(300)}`, 400],
    [`tz=${e("UTC'; DROP TABLE x; --")}`, 400],
    [`tz=${e("UTC') OR 1=1 --")}`, 400],
    [`tz=${e('../../etc/passwd')}`, 400],
    [`period=${e("7d' OR '1'='1")}`, 400],
    [`from=${e("2025-11-03T00:00:00Z' OR '1'='1")}&to=2025-11-04T00:00:00Z`, 400],
    [`from=2025-11-03T00:00:00Z&to=${e('2025-11-04T00:00:00Z; SELECT 1')}`, 400],
    // a custom range, with and without B's workspace
    [`from=${e('2025-11-03T10:07:30+05:30')}&to=${e('2025-11-04T03:33:00+05:30')}`, { tz: 'UTC', selection: { from: '2025-11-03T10:07:30+05:30', to: '2025-11-04T03:33:00+05:30' } }],
    [
      `from=2025-11-03T00:00:00Z&to=2025-11-05T00:00:00Z&workspace_id=ws-2-2`,
      { tz: 'UTC', workspace: 'ws-2-2', selection: { from: '2025-11-03T00:00:00Z', to: '2025-11-05T00:00:00Z' } },
    ],
  ];

  /** Checks one answer: a refusal (400), or exactly A's data as `reading` says. */
  async function check(endpoint: Endpoint, query: string, reading: Reading | 400, headers: Record<string, string> = {}): Promise<void> {
    const r = await call(endpoint, query, headers);
    const label = `${endpoint}?${query} ${JSON.stringify(headers)} -> ${r.status} ${r.body.slice(0, 200)}`;
    if (reading === 400) {
      expect(r.status, label).toBe(400);
      expect(JSON.parse(r.body), label).toEqual({ error: { code: 'INVALID_REQUEST', message: expect.any(String) } });
      return;
    }
    expect(r.status, label).toBe(200);
    const want = expected(endpoint, { ...reading, tz: canonicalZone(reading.tz) });
    expect(endpoint === 'export' ? r.body : JSON.parse(r.body), label).toEqual(want);
  }

  it('the data makes a leak visible: B is busy, also in the workspace id A uses', () => {
    const bShared = events.filter((x) => x.org_id === B && x.workspace_id === SHARED_WS);
    const aShared = events.filter((x) => x.org_id === A && x.workspace_id === SHARED_WS);
    expect(bShared.length).toBeGreaterThan(3000);
    expect(aShared.length).toBeGreaterThan(3000);
    const reading: Reading = { tz: 'UTC', selection: { period: '7d' } };
    expect(groundTruth(eventsOf(B, reading), { org_id: B, ...ALL_TIME }).overview).not.toEqual(
      groundTruth(eventsOf(A, reading), { org_id: A, ...ALL_TIME }).overview,
    );
  });

  it.each(RANGE_ENDPOINTS)('%s: every parameter combination is A\'s data or a 400', async (endpoint) => {
    const cases = rangeCases();
    expect(cases.join(' ')).not.toContain('undefined');
    for (const [query, reading] of cases) await check(endpoint, query, reading);
  });

  it.each(['timeseries', 'export', 'volume-by-hour'] as const)('%s: workspaces, casing, repetition, injection', async (endpoint) => {
    const utc: Reading = { tz: 'UTC', selection: { period: 'today' } };
    const cases: Array<[string, Reading | 400]> = [
      ['', utc],
      ['workspace_id=ws-2-2', { ...utc, workspace: 'ws-2-2' }],
      [`workspace_id=${SHARED_WS}`, { ...utc, workspace: SHARED_WS }],
      [`workspace_id=${e(`${SHARED_WS}' OR 1=1 --`)}`, { ...utc, workspace: `${SHARED_WS}' OR 1=1 --` }],
      ['tz=asia/kathmandu', { ...utc, tz: 'Asia/Kathmandu' }],
      ['Workspace_id=ws-2-2', 400],
      [`workspace_id=${SHARED_WS}&workspace_id=ws-2-1`, 400],
      [`org_id=${B}`, 400],
      [`tz=${e("UTC' OR '1'='1")}`, 400],
      ['period=7d', 400],
    ];
    if (endpoint === 'timeseries') {
      cases.push([`metric=${e("totalMessages' OR '1'='1")}`, 400], ['metric=TOTALMESSAGES', 400], ['metric=totalMessages', 400]);
      cases.push([`days=${e('3 OR 1=1')}`, 400], ['days=3', 400], [`from=${e("2025-11-01' OR '1'='1")}&to=2025-11-02`, 400]);
    }
    if (endpoint === 'export') cases.push(['format=CSV', 400], ['format=csv&format=csv', 400], [`days=${e('2; DROP TABLE x')}`, 400]);
    if (endpoint === 'volume-by-hour') cases.push([`date=${e("2025-11-04' OR '1'='1")}`, 400], ['date=2025-11-31', 400]);
    expect(cases.join(' ')).not.toContain('undefined');
    for (const [query, reading] of cases) await check(endpoint, query, reading);
  });

  it('headers that name another tenant are ignored', async () => {
    const reading: Reading = { tz: 'UTC', selection: { period: '7d' } };
    const tries: Array<Record<string, string>> = [{ 'x-org-id': B }, { 'x-tenant-id': B }, { org_id: B }, { 'x-forwarded-for': B }, { cookie: `org_id=${B}` }];
    for (const headers of tries) {
      await check('overview', 'period=7d', reading, headers);
    }
  });

  it("other paths never reach B's data: 404", async () => {
    for (const path of [`/api/tenants/${B}/analytics/overview`, `/api/tenants/ME/analytics/overview`, `/api/tenants/me/analytics/overview/${B}`, `/api/tenants/me/../${B}/analytics/overview`]) {
      const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tokenA}` } });
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toMatch(/totalMessages/);
    }
  });

  it('a token never stands for two tenants: org_id lists, extra claims and a B token signed with another key', async () => {
    const key = secretKey(SECRET);
    const sign = (claims: Record<string, unknown>, k = key) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(Math.floor(NOW / 1000)).setExpirationTime(Math.floor(NOW / 1000) + 600).sign(k);
    for (const claims of [{ org_id: [A, B] }, { org_id: [B] }, { org_id: { $ne: A } }, { org: B }, { org_id: null }, { org_id: '' }]) {
      const r = await call('overview', 'period=7d', {}, await sign(claims));
      expect(r.status, JSON.stringify(claims)).toBe(401);
    }
    // a list spelled as one string is one (unknown) tenant id: nothing, not A + B
    const joined = await call('overview', 'period=7d', {}, await sign({ org_id: `${A},${B}` }));
    expect(JSON.parse(joined.body).metrics.totalMessages).toBe(0);
    const wildcard = await call('overview', 'period=7d', {}, await sign({ org_id: '%' }));
    expect(JSON.parse(wildcard.body).metrics.totalMessages).toBe(0);
    const forged = await call('overview', 'period=7d', {}, await sign({ org_id: B }, secretKey('a-guessed-secret-0123456789abcdef')));
    expect(forged.status).toBe(401);
    // extra claims do not widen the token: A's data only
    const extra = await sign({ org_id: A, tenants: [B], workspace: 'ws-2-2', admin: true });
    const r = await call('overview', 'period=7d', {}, extra);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual(expected('overview', { tz: 'UTC', selection: { period: '7d' } }));
    // a token limited to A's shared workspace reads that workspace only, and refuses B's ids
    const ws = await mintToken({ secret: SECRET, orgId: A, workspaceId: SHARED_WS, ttlSeconds: 600, nowMs: NOW });
    const limited = await call('overview', 'period=7d', {}, ws);
    expect(JSON.parse(limited.body)).toEqual(expected('overview', { tz: 'UTC', workspace: SHARED_WS, selection: { period: '7d' } }));
    expect((await call('overview', 'period=7d&workspace_id=ws-2-2', {}, ws)).status).toBe(400);
  });
});
