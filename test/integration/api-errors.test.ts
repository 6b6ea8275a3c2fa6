import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type ApiApp } from '../../src/api/app.js';
import { secretKey } from '../../src/api/auth.js';
import { mintToken } from '../../src/api/token.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { createLogger } from '../../src/ops/logger.js';
import { createQueryService, type QueryService } from '../../src/query/service.js';
import { createTestDatabase } from '../support/services.js';

/**
 * The error answers of the read API over real HTTP (contract section 6): 401 UNAUTHORIZED for every
 * kind of bad token, 400 INVALID_REQUEST for bad parameters (from the real query service over a real,
 * empty database), and 500 INTERNAL_ERROR that tells nothing but the request id — for an error of our
 * own query service (a test double whose methods throw an error carrying SQL) and for a real ClickHouse
 * failure (a database that does not exist). The log gets the error with the request id, never a token.
 */
const SECRET = 'api-errors-test-secret-0123456789abc';
const NOW = Date.parse('2025-11-05T09:37:41.250Z');
const P = '/api/tenants/me/analytics';
const SQL_ERROR = "DB::Exception: Table analytics.rollup_1m does not exist. (UNKNOWN_TABLE) SELECT secret FROM t WHERE org_id = 'org-a'";

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const sec = (ms: number) => Math.floor(ms / 1000);

interface Server {
  app: ApiApp;
  base: string;
  logs: string[];
}

async function serve(query: QueryService): Promise<Server> {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
  const app = buildApi({ query, jwtSecret: SECRET, logger: createLogger('info', sink), now: () => NOW });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, logs };
}

function throwing(message: string): QueryService {
  const fail = async (): Promise<never> => {
    throw new Error(message);
  };
  return { sections: fail, daily: fail, dailyOverview: fail, hourly: fail, trends: fail, overview: fail };
}

describe('read API errors', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let real: Server;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase('api_errors');
    await migrate(db.client, db.database);
    real = await serve(createQueryService({ client: db.client, database: db.database }));
    token = await mintToken({ secret: SECRET, orgId: 'org-a', ttlSeconds: 3600, nowMs: NOW });
  });
  afterAll(async () => {
    await real?.app.close();
    await db?.drop();
  });

  const get = (s: Server, path: string, authorization?: string) =>
    fetch(`${s.base}${path}`, { headers: authorization === undefined ? {} : { authorization } });

  async function expectError(r: Response, status: number, code: string): Promise<string> {
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(body).toEqual({ error: { code, message: expect.any(String) } });
    expect(Object.keys(body)).toEqual(['error']);
    return body.error.message;
  }

  it('a good token reads (the baseline of everything below)', async () => {
    const r = await get(real, `${P}/overview`, `Bearer ${token}`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { metrics: { totalMessages: number } }).metrics.totalMessages).toBe(0);
  });

  it('401 UNAUTHORIZED: missing, malformed, wrongly signed, expired, alg none, another alg, no org_id, no exp', async () => {
    const key = secretKey(SECRET);
    const sign = (claims: Record<string, unknown>, o: { alg?: string; key?: Uint8Array; exp?: number | null } = {}) => {
      let j = new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt(sec(NOW) - 60);
      if (o.exp !== null) j = j.setExpirationTime(o.exp ?? sec(NOW) + 600);
      return j.sign(o.key ?? key);
    };
    const [head, payload] = token.split('.') as [string, string, string];
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['missing', undefined, /missing bearer token/],
      ['empty', '', /missing bearer token/],
      ['another scheme', `Basic ${Buffer.from('org-a:pw').toString('base64')}`, /not "Bearer <JWT>"/],
      ['scheme only', 'Bearer', /not "Bearer <JWT>"/],
      ['not a JWT', 'Bearer not-a-jwt', /not a valid JWT/],
      ['two parts', `Bearer ${head}.${payload}`, /not a valid JWT/],
      ['payload not JSON', `Bearer ${head}.${Buffer.from('not-json').toString('base64url')}.${token.split('.')[2]}`, /not a valid JWT|signature/],
      ['characters outside base64url', `Bearer ${head}.!!!.${token.split('.')[2]}`, /not "Bearer <JWT>"/],
      ['wrong signature', `Bearer ${await sign({ org_id: 'org-a' }, { key: secretKey('another-secret-0123456789abcdef') })}`, /signature/],
      ['tampered payload', `Bearer ${head}.${b64({ org_id: 'org-b', exp: sec(NOW) + 600 })}.${token.split('.')[2]}`, /signature/],
      ['expired', `Bearer ${await sign({ org_id: 'org-a' }, { exp: sec(NOW) - 1 })}`, /expired/],
      ['alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ org_id: 'org-a', exp: sec(NOW) + 600 })}.`, /HS256|not a valid JWT/],
      ['alg HS512', `Bearer ${await sign({ org_id: 'org-a' }, { alg: 'HS512' })}`, /HS256/],
      ['no org_id', `Bearer ${await sign({ sub: 'org-a' })}`, /org_id/],
      ['org_id not a string', `Bearer ${await sign({ org_id: 7 })}`, /org_id/],
      ['no exp', `Bearer ${await sign({ org_id: 'org-a' }, { exp: null })}`, /exp/],
    ];
    for (const [what, header, message] of cases) {
      const r = await get(real, `${P}/overview`, header);
      const m = await expectError(r, 401, 'UNAUTHORIZED');
      expect(m, what).toMatch(message);
      expect(r.headers.get('www-authenticate'), what).toBe('Bearer');
      if (header !== undefined && header.length > 20) expect(m, what).not.toContain(header.slice(7, 40));
    }
    // every endpoint is behind the token, and a bad token is refused before parameters are looked at
    for (const ep of ['overview', 'gates', 'channels', 'cohorts', 'dashboard', 'events', 'timeseries', 'export', 'volume-by-hour']) {
      await expectError(await get(real, `${P}/${ep}?bogus=1`), 401, 'UNAUTHORIZED');
    }
  });

  it('400 INVALID_REQUEST: bad metric, date, zone, range, unknown or repeated parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/timeseries?metric=revenue', /metric "revenue" is not one of totalConversations, /],
      ['/timeseries', /"metric" is required/],
      ['/timeseries?metric=totalMessages&from=2025-02-30&to=2025-03-02', /from/],
      ['/timeseries?metric=totalMessages&from=2025-11-05&to=2025-11-01', /from must not be after to/],
      ['/timeseries?metric=totalMessages&days=0', /days "0"/],
      ['/timeseries?metric=totalMessages&days=367', /days "367"/],
      ['/timeseries?metric=totalMessages&days=3&from=2025-11-01&to=2025-11-02', /either days or from and to/],
      ['/export?days=2&format=xlsx', /format "xlsx" is not one of csv/],
      ['/volume-by-hour?date=2025-13-01', /date/],
      ['/volume-by-hour?date=yesterday', /date "yesterday" is not valid/],
      ['/overview?tz=Mars/Olympus', /tz "Mars\/Olympus" is not an IANA time zone/],
      ['/overview?tz=UTC%2B5', /tz/],
      ['/overview?period=week', /period "week" is not one of today, yesterday, 7d, 30d/],
      ['/overview?from=2025-11-04T10:00:00Z&to=2025-11-04T10:00:00Z', /from must be before to/],
      ['/overview?from=2025-11-04T11:00:00Z&to=2025-11-04T10:00:00Z', /from must be before to/],
      ['/overview?from=2025-11-04T10:00:10Z&to=2025-11-04T10:00:50Z', /same minute/],
      ['/overview?from=2020-01-01T00:00:00Z&to=2025-11-04T10:00:00Z', /longer than 400 days/],
      ['/overview?from=2025-11-04T10:00:00Z', /to is required with from/],
      ['/overview?from=2025-11-04%2010:00:00&to=2025-11-04T11:00:00Z', /ISO-8601 instant with an offset/],
      ['/gates?limit=10', /unknown parameter "limit"/],
      ['/channels?org_id=org-b', /unknown parameter "org_id"/],
      ['/events?period=7d&period=30d', /"period" is given more than once/],
      ['/dashboard?workspace_id=', /workspace_id "" is not valid/],
    ];
    for (const [path, message] of cases) {
      const m = await expectError(await get(real, `${P}${path}`, `Bearer ${token}`), 400, 'INVALID_REQUEST');
      expect(m, path).toMatch(message);
    }
  });

  it('500 INTERNAL_ERROR from our query service: no SQL, no stack, the request id; the log has the error', async () => {
    const broken = await serve(throwing(SQL_ERROR));
    try {
      for (const ep of ['overview', 'gates', 'channels', 'cohorts', 'dashboard', 'events', 'timeseries?metric=totalMessages', 'export', 'volume-by-hour']) {
        const r = await get(broken, `${P}/${ep}`, `Bearer ${token}`);
        const id = r.headers.get('x-request-id');
        const text = await r.clone().text();
        const m = await expectError(r, 500, 'INTERNAL_ERROR');
        expect(m).toBe(`internal error; the request id is ${id}`);
        expect(text).not.toMatch(/SELECT|secret|DB::|rollup_1m|UNKNOWN_TABLE|at \S+ \(|\.ts:\d+|node:/);
        const failed = broken.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === id && l.msg === 'request failed');
        expect(failed, ep).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ message: SQL_ERROR, stack: expect.any(String) }) })]);
      }
      // request ids are in the request logs too, and no log line carries the token
      const lines = broken.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.filter((l) => l.msg === 'incoming request').every((l) => typeof l.reqId === 'string')).toBe(true);
      expect(broken.logs.join('\n')).not.toContain(token.split('.')[2]!);
      expect(broken.logs.join('\n')).not.toContain(token.split('.')[1]!);
    } finally {
      await broken.app.close();
    }
  });

  it('500 INTERNAL_ERROR from a real ClickHouse failure (a database that does not exist) tells nothing', async () => {
    const missing = await serve(createQueryService({ client: db.client, database: `${db.database}_missing` }));
    try {
      const r = await get(missing, `${P}/overview?period=7d`, `Bearer ${token}`);
      const text = await r.clone().text();
      await expectError(r, 500, 'INTERNAL_ERROR');
      expect(text).not.toMatch(/SELECT|_missing|rollup|Exception|at \S+ \(/);
      expect(missing.logs.some((l) => l.includes('"msg":"request failed"') && l.includes(r.headers.get('x-request-id')!))).toBe(true);
    } finally {
      await missing.app.close();
    }
  });

  it('the logs of the real server never carry a token', () => {
    const all = real.logs.join('\n');
    expect(all).toContain('"reqId"');
    expect(all).not.toContain(token.split('.')[2]!);
    expect(all).not.toMatch(/Bearer [A-Za-z0-9_-]{10,}/);
  });
});
