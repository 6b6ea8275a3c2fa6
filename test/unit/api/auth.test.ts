import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerToken, secretKey, verifyToken } from '../../../src/api/auth.js';
import { mintToken, parseTtl } from '../../../src/api/token.js';

const SECRET = 'unit-test-secret-0123456789abcdef';
const KEY = secretKey(SECRET);
const NOW = Date.parse('2025-11-05T09:37:41Z');
const sec = (ms: number) => Math.floor(ms / 1000);

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function sign(claims: Record<string, unknown>, opts: { alg?: string; secret?: string; exp?: number | null; nbf?: number } = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256' }).setIssuedAt(sec(NOW));
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? sec(NOW) + 3600);
  if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
  return jwt.sign(secretKey(opts.secret ?? SECRET));
}

async function refused(token: string, message: RegExp): Promise<void> {
  await expect(verifyToken(token, KEY, NOW)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(message) });
}

describe('bearer header', () => {
  it('takes the token of "Bearer <token>", scheme in any case', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  abc.def.ghi ')).toBe('abc.def.ghi');
  });
  it.each([undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Token abc', 'Bearer abc\u0000'])('refuses %j', (h) => {
    expect(() => bearerToken(h)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
  });
});

describe('verifyToken', () => {
  it('gives the tenant and the workspace of a good token', async () => {
    expect(await verifyToken(await sign({ org_id: 'org-1' }), KEY, NOW)).toEqual({ orgId: 'org-1' });
    expect(await verifyToken(await sign({ org_id: 'org-1', workspace_id: 'ws-1' }), KEY, NOW)).toEqual({ orgId: 'org-1', workspaceId: 'ws-1' });
  });

  it('refuses a wrong signature, another algorithm, alg none', async () => {
    await refused(await sign({ org_id: 'org-1' }, { secret: 'another-secret-0123456789abcdef' }), /signature/);
    await refused(await sign({ org_id: 'org-1' }, { alg: 'HS512' }), /HS256/);
    await refused(await sign({ org_id: 'org-1' }, { alg: 'HS384' }), /HS256/);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ org_id: 'org-1', exp: sec(NOW) + 3600 })}.`;
    await refused(none, /HS256|not a valid JWT/);
  });

  it('enforces exp (required, and not past) and nbf', async () => {
    await refused(await sign({ org_id: 'org-1' }, { exp: sec(NOW) - 1 }), /expired/);
    await refused(await sign({ org_id: 'org-1' }, { exp: null }), /exp/);
    await refused(await sign({ org_id: 'org-1' }, { nbf: sec(NOW) + 600 }), /nbf/);
  });

  it('requires org_id as a non-empty string; workspace_id, when present, too', async () => {
    await refused(await sign({ sub: 'org-1' }), /org_id/);
    await refused(await sign({ org_id: '' }), /org_id/);
    await refused(await sign({ org_id: 42 }), /org_id/);
    await refused(await sign({ org_id: ['org-1', 'org-2'] }), /org_id/);
    await refused(await sign({ org_id: 'org-1', workspace_id: 7 }), /workspace_id/);
  });

  it('refuses what is not a JWT', async () => {
    for (const t of ['abc', 'a.b.c', `${b64({ alg: 'HS256' })}.not-json.sig`]) await refused(t, /not a valid JWT|signature/);
  });

  it('never echoes the token in its message', async () => {
    const token = await sign({ org_id: 'org-1' }, { secret: 'another-secret-0123456789abcdef' });
    await expect(verifyToken(token, KEY, NOW)).rejects.toSatisfy((e: Error) => !e.message.includes(token.split('.')[2]!));
  });
});

describe('dev tokens', () => {
  it('parses lifetimes in s, m, h, d', () => {
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('15m')).toBe(900);
    expect(parseTtl('1h')).toBe(3600);
    expect(parseTtl('7d')).toBe(604_800);
    for (const bad of ['', '1', 'h', '1w', '-1h', '0s', '1.5h', '367d', '1h30m']) expect(() => parseTtl(bad)).toThrow(/--ttl/);
  });

  it('mints a token verifyToken accepts until it expires', async () => {
    const token = await mintToken({ secret: SECRET, orgId: 'org-9', workspaceId: 'ws-3', ttlSeconds: 3600, nowMs: NOW });
    expect(await verifyToken(token, KEY, NOW + 3_599_000)).toEqual({ orgId: 'org-9', workspaceId: 'ws-3' });
    await expect(verifyToken(token, KEY, NOW + 3_600_000)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });
});
