import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApi, type ApiApp } from '../../../src/api/app.js';
import { CSV_HEADER, overviewCsv } from '../../../src/api/csv.js';
import { mintToken } from '../../../src/api/token.js';
import { createLogger } from '../../../src/ops/logger.js';
import type { OverviewMetrics } from '../../../src/metrics/evaluate.js';
import type { QueryService } from '../../../src/query/service.js';

/**
 * The app with a recording double of OUR query service (no ClickHouse): which scope and range each
 * request reads, defaults, validation, the error answers and what reaches the log.
 */
const SECRET = 'unit-test-secret-0123456789abcdef';
const NOW = Date.parse('2025-11-05T09:37:41.250Z');
const P = '/api/tenants/me/analytics';
const METRICS: OverviewMetrics = { totalConversations: 4, totalMessages: 9, avgResponseTime: 1.25, escalationRate: null, gatePassRate: 0.5, activeCustomers: 3 };

type Call = { method: string; arg: Record<string, unknown> };

function recordingQuery(calls: Call[], fail?: Error): QueryService {
  const rec = (method: string, arg: object) => {
    calls.push({ method, arg: arg as Record<string, unknown> });
    if (fail) throw fail;
  };
  return {
    async sections(q, sections) {
      rec('sections', { ...q, sections });
      return { overview: METRICS, channels: { channels: {} }, events: { counts: {}, signInFailuresByErrorCode: {} } } as never;
    },
    async daily(q, metric) {
      rec('daily', { ...q, metric });
      return q.dates.map((date) => ({ date, value: null }));
    },
    async dailyOverview(q) {
      rec('dailyOverview', q);
      return q.dates.map((date) => ({ date, metrics: METRICS }));
    },
    async hourly(q) {
      rec('hourly', q);
      return Array.from({ length: 24 }, (_, hour) => ({ hour, messages: 0 }));
    },
    async trends(q) {
      rec('trends', q);
      return { messagesLastHour: 0, escalationsLastHour: 0, responseTimeLastHour: null };
    },
    async overview(q, nowMs) {
      rec('overview', { ...q, nowMs });
      return { overview: METRICS, trends: { messagesLastHour: 0, escalationsLastHour: 0, responseTimeLastHour: null } };
    },
  };
}

describe('read API (query service double)', () => {
  let app: ApiApp;
  let calls: Call[];
  let logs: string[];
  let token: string;

  function start(fail?: Error) {
    calls = [];
    logs = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
    app = buildApi({ query: recordingQuery(calls, fail), jwtSecret: SECRET, logger: createLogger('info', sink), now: () => NOW });
  }
  /** GET with the tenant's token, another token, or none (null). */
  const get = (url: string, t: string | null = token) => app.inject({ url, headers: t === null ? {} : { authorization: `Bearer ${t}` } });

  beforeEach(async () => {
    token = await mintToken({ secret: SECRET, orgId: 'org-a', ttlSeconds: 3600, nowMs: NOW });
    start();
  });
  afterEach(async () => {
    await app.close();
  });

  it('reads the token tenant, today in UTC by default, up to the end of the minute in progress', async () => {
    const r = await get(`${P}/channels`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ period: 'today', channels: {} });
    expect(calls).toEqual([
      { method: 'sections', arg: { orgId: 'org-a', fromMs: Date.parse('2025-11-05T00:00:00Z'), toMs: Date.parse('2025-11-05T09:38:00Z'), sections: ['channels'] } },
    ]);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('period in the answer is the word given, or custom; tz shifts the day', async () => {
    expect((await get(`${P}/events?period=yesterday&tz=Asia/Kathmandu`)).json().period).toBe('yesterday');
    expect(calls[0]!.arg).toMatchObject({ fromMs: Date.parse('2025-11-03T18:15:00Z'), toMs: Date.parse('2025-11-04T18:15:00Z') });
    const custom = await get(`${P}/events?from=2025-11-04T10:07:30%2B05:30&to=2025-11-04T12:00:59Z`);
    expect(custom.json().period).toBe('custom');
    expect(calls[1]!.arg).toMatchObject({ fromMs: Date.parse('2025-11-04T04:37:00Z'), toMs: Date.parse('2025-11-04T12:00:00Z') });
  });

  it('overview adds trends at now and generatedAt', async () => {
    const r = await get(`${P}/overview?period=7d&workspace_id=ws-1`);
    expect(r.json()).toEqual({
      period: '7d',
      metrics: METRICS,
      trends: { messagesLastHour: 0, escalationsLastHour: 0, responseTimeLastHour: null },
      generatedAt: '2025-11-05T09:37:41.250Z',
    });
    expect(calls.find((c) => c.method === 'overview')!.arg).toEqual({
      orgId: 'org-a',
      workspaceId: 'ws-1',
      fromMs: Date.parse('2025-10-30T00:00:00Z'),
      toMs: Date.parse('2025-11-05T09:38:00Z'),
      nowMs: NOW,
    });
  });

  it('defaults: timeseries and export 7 local days, volume-by-hour today in tz', async () => {
    expect((await get(`${P}/timeseries?metric=gatePassRate&tz=Asia/Kolkata`)).json()).toEqual({
      metric: 'gatePassRate',
      data: ['2025-10-30', '2025-10-31', '2025-11-01', '2025-11-02', '2025-11-03', '2025-11-04', '2025-11-05'].map((date) => ({ date, value: null })),
    });
    const csv = await get(`${P}/export`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.split('\n')).toHaveLength(9);
    expect((await get(`${P}/volume-by-hour?tz=Pacific/Kiritimati`)).json().date).toBe('2025-11-05');
    expect((await get(`${P}/volume-by-hour?tz=America/Los_Angeles`)).json().date).toBe('2025-11-05');
    expect((await get(`${P}/volume-by-hour?tz=Pacific/Pago_Pago`)).json().date).toBe('2025-11-04');
  });

  it('a token limited to a workspace reads that workspace; another one is refused', async () => {
    const ws = await mintToken({ secret: SECRET, orgId: 'org-a', workspaceId: 'ws-9', ttlSeconds: 60, nowMs: NOW });
    expect((await get(`${P}/channels`, ws)).statusCode).toBe(200);
    expect(calls[0]!.arg).toMatchObject({ orgId: 'org-a', workspaceId: 'ws-9' });
    expect((await get(`${P}/channels?workspace_id=ws-9`, ws)).statusCode).toBe(200);
    const other = await get(`${P}/channels?workspace_id=ws-1`, ws);
    expect(other.statusCode).toBe(400);
    expect(other.json().error.code).toBe('INVALID_REQUEST');
    expect(calls).toHaveLength(2);
  });

  it.each([
    [`${P}/overview?foo=1`, /unknown parameter "foo"/],
    [`${P}/overview?Period=today`, /unknown parameter "Period"/],
    [`${P}/overview?org_id=org-b`, /unknown parameter "org_id"/],
    [`${P}/overview?period=today&period=7d`, /"period" is given more than once/],
    [`${P}/overview?period=TODAY`, /period "TODAY" is not one of today, yesterday, 7d, 30d/],
    [`${P}/overview?workspace_id=`, /workspace_id "" is not valid: must not be empty/],
    [`${P}/overview?tz=Mars/Olympus`, /tz "Mars\/Olympus" is not an IANA time zone/],
    [`${P}/overview?from=2025-11-04T10:00:00Z`, /to is required/],
    [`${P}/overview?from=2025-11-04T10:00:00&to=2025-11-04T11:00:00Z`, /ISO-8601 instant with an offset/],
    [`${P}/overview?from=2025-11-04T10:00:00 05:30&to=2025-11-04T11:00:00Z`, /ISO-8601 instant with an offset/],
    [`${P}/overview?from=2025-11-04T10:00:00Z&to=2025-11-04T10:00:00Z`, /from must be before to/],
    [`${P}/overview?period=7d&from=2025-11-04T10:00:00Z&to=2025-11-04T11:00:00Z`, /either period or from and to/],
    [`${P}/timeseries`, /"metric" is required/],
    [`${P}/timeseries?metric=totalmessages`, /metric "totalmessages" is not one of/],
    [`${P}/timeseries?metric=totalMessages&days=0`, /days "0"/],
    [`${P}/timeseries?metric=totalMessages&days=7d`, /days "7d" is not valid: expected a whole number/],
    [`${P}/timeseries?metric=totalMessages&from=2025-11-05&to=2025-11-01`, /from must not be after to/],
    [`${P}/timeseries?metric=totalMessages&from=2025-02-30&to=2025-03-01`, /from/],
    [`${P}/export?format=json`, /format "json" is not one of csv/],
    [`${P}/volume-by-hour?date=05-11-2025`, /date "05-11-2025" is not valid: expected a date/],
  ])('400 INVALID_REQUEST for %s', async (url, message) => {
    const r = await get(url);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: { code: 'INVALID_REQUEST', message: expect.stringMatching(message) } });
    expect(calls).toEqual([]);
  });

  it('authenticates before it validates: an anonymous caller learns nothing about parameters', async () => {
    const r = await get(`${P}/overview?foo=1`, null);
    expect(r.statusCode).toBe(401);
    expect(r.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    expect(r.headers['www-authenticate']).toBe('Bearer');
  });

  it('health and the OpenAPI document need no token; unknown paths are 404', async () => {
    expect((await get('/healthz', null)).json()).toEqual({ status: 'ok' });
    expect((await get('/readyz', null)).json()).toEqual({ status: 'ok' });
    expect((await get('/openapi.json', null)).json().openapi).toMatch(/^3\./);
    expect((await get('/metrics', null)).body).toContain('rollups_api_requests_total');
    const nf = await get('/api/tenants/org-b/analytics/overview');
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.code).toBe('NOT_FOUND');
  });

  it('500: a generic message with the request id; the error goes to the log, the token never', async () => {
    await app.close();
    start(new Error("DB::Exception: Unknown table. Query: SELECT secret FROM t WHERE org_id = 'org-a'"));
    const r = await get(`${P}/overview`);
    expect(r.statusCode).toBe(500);
    const id = r.headers['x-request-id'] as string;
    expect(r.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: `internal error; the request id is ${id}` } });
    expect(r.body).not.toMatch(/SELECT|secret|DB::|at .*\.ts/);
    const failed = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request failed');
    expect(failed).toMatchObject({ level: 50, reqId: id, err: { message: expect.stringContaining('SELECT secret FROM t') } });
    expect(logs.join('')).not.toContain(token);
    expect(logs.join('')).not.toContain(token.split('.')[2]!);
  });
});

describe('export CSV', () => {
  it('has the contract header, one row per date, empty cells for null, \\n line ends', () => {
    expect(CSV_HEADER).toBe('date,totalConversations,totalMessages,avgResponseTime,escalationRate,gatePassRate,activeCustomers');
    expect(overviewCsv([{ date: '2025-11-04', metrics: METRICS }, { date: '2025-11-05', metrics: { ...METRICS, gatePassRate: 1 / 3, avgResponseTime: null } }])).toBe(
      `${CSV_HEADER}\n2025-11-04,4,9,1.25,,0.5,3\n2025-11-05,4,9,,,0.3333333333333333,3\n`,
    );
    expect(overviewCsv([])).toBe(`${CSV_HEADER}\n`);
  });
});
