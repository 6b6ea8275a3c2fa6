import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type ApiApp } from '../../src/api/app.js';
import { migrate } from '../../src/clickhouse/migrations.js';
import { createLogger } from '../../src/ops/logger.js';
import { createQueryService } from '../../src/query/service.js';
import { createTestDatabase } from '../support/services.js';

/**
 * GET /openapi.json over HTTP: an OpenAPI 3.0 document generated from the route schemas, listing every
 * endpoint with its parameters, answers and the bearer scheme. Checked structurally against the
 * OpenAPI 3.0 rules that matter here (no validator package is installed): required fields, parameter
 * objects, media types, and Schema Objects that use only OpenAPI 3.0 keywords (a JSON-Schema-only
 * keyword such as `const`, `patternProperties` or `examples` inside a schema would make it invalid).
 */
const P = '/api/tenants/me/analytics';
const RANGE = ['period', 'from', 'to', 'tz', 'workspace_id'];
const DATES = ['days', 'from', 'to', 'tz', 'workspace_id'];
const ENDPOINTS: Record<string, string[]> = {
  [`${P}/overview`]: RANGE,
  [`${P}/gates`]: RANGE,
  [`${P}/channels`]: RANGE,
  [`${P}/cohorts`]: RANGE,
  [`${P}/dashboard`]: RANGE,
  [`${P}/events`]: RANGE,
  [`${P}/timeseries`]: ['metric', ...DATES],
  [`${P}/export`]: ['format', ...DATES],
  [`${P}/volume-by-hour`]: ['date', 'tz', 'workspace_id'],
  '/healthz': [],
  '/readyz': [],
};

/** Schema Object keywords of OpenAPI 3.0.3. */
const SCHEMA_KEYWORDS = new Set([
  'title', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required', 'enum', 'type', 'allOf', 'oneOf',
  'anyOf', 'not', 'items', 'properties', 'additionalProperties', 'description', 'format', 'default', 'nullable',
  'discriminator', 'readOnly', 'writeOnly', 'xml', 'externalDocs', 'example', 'deprecated', '$ref',
]);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => {
  expect(v !== null && typeof v === 'object' && !Array.isArray(v), JSON.stringify(v)).toBe(true);
  return v as Json;
};

/** The object at a path of keys. */
const dig = (root: unknown, ...keys: string[]): Json => keys.reduce((o: Json, k) => obj(o[k]), obj(root));

function checkSchema(s: unknown, where: string): void {
  const schema = obj(s);
  for (const k of Object.keys(schema)) expect(SCHEMA_KEYWORDS.has(k) || k.startsWith('x-'), `${where}: keyword ${k}`).toBe(true);
  if (schema.type !== undefined) expect(['string', 'number', 'integer', 'boolean', 'array', 'object'], `${where}: type`).toContain(schema.type);
  if (schema.type === 'array') checkSchema(schema.items, `${where}.items`);
  if (schema.required !== undefined) expect(Array.isArray(schema.required), `${where}: required`).toBe(true);
  for (const [name, sub] of Object.entries(obj(schema.properties ?? {}))) checkSchema(sub, `${where}.${name}`);
  if (typeof schema.additionalProperties === 'object') checkSchema(schema.additionalProperties, `${where}.*`);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) for (const [i, sub] of ((schema[k] as unknown[] | undefined) ?? []).entries()) checkSchema(sub, `${where}.${k}[${i}]`);
}

describe('GET /openapi.json', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: ApiApp;
  let doc: Json;

  beforeAll(async () => {
    db = await createTestDatabase('api_openapi');
    await migrate(db.client, db.database);
    app = buildApi({ query: createQueryService({ client: db.client, database: db.database }), jwtSecret: 'api-openapi-test-secret-0123456789', logger: createLogger('warn') });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const r = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/openapi.json`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await r.json()) as Json;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('is an OpenAPI 3.0 document with info and the bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    const info = obj(doc.info);
    expect(typeof info.title).toBe('string');
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(obj(obj(obj(doc.components).securitySchemes).bearerAuth)).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('lists every path, each a GET with its exact query parameters, answers and security', () => {
    const paths = obj(doc.paths);
    expect(Object.keys(paths).sort()).toEqual(Object.keys(ENDPOINTS).sort());
    for (const [path, params] of Object.entries(ENDPOINTS)) {
      const item = obj(paths[path]);
      expect(Object.keys(item), path).toEqual(['get']);
      const op = obj(item.get);
      expect(typeof op.summary, path).toBe('string');
      const declared = ((op.parameters as unknown[] | undefined) ?? []).map((p) => obj(p));
      expect(declared.map((p) => p.name).sort(), path).toEqual([...params].sort());
      for (const p of declared) {
        expect(p.in, `${path} ${String(p.name)}`).toBe('query');
        expect(typeof p.required).toBe('boolean');
        expect(p.required).toBe(p.name === 'metric');
        checkSchema(p.schema, `${path} ?${String(p.name)}`);
      }
      const responses = obj(op.responses);
      const analytics = path.startsWith(P);
      expect(Object.keys(responses).sort(), path).toEqual(analytics ? ['200', '400', '401', '500'] : path === '/readyz' ? ['200', '503'] : ['200']);
      for (const [status, res] of Object.entries(responses)) {
        const response = obj(res);
        expect(typeof response.description, `${path} ${status}`).toBe('string');
        const content = obj(response.content);
        const types = Object.keys(content);
        expect(types, `${path} ${status}`).toEqual([path.endsWith('/export') && status === '200' ? 'text/csv' : 'application/json']);
        checkSchema(obj(content[types[0]!]).schema, `${path} ${status}`);
      }
      if (analytics) expect(op.security, path).toEqual([{ bearerAuth: [] }]);
      else expect(op.security, path).toBeUndefined();
    }
  });

  it('describes the answers with their fields (enough for a client generator)', () => {
    const schemaOf = (path: string) => dig(doc, 'paths', path, 'get', 'responses', '200', 'content', 'application/json', 'schema');
    const overview = obj(schemaOf(`${P}/overview`));
    expect(overview.required).toEqual(['period', 'metrics', 'trends', 'generatedAt']);
    expect(Object.keys(obj(obj(overview.properties).metrics).properties as Json)).toEqual([
      'totalConversations', 'totalMessages', 'avgResponseTime', 'escalationRate', 'gatePassRate', 'activeCustomers',
    ]);
    expect(obj(obj(obj(obj(overview.properties).metrics).properties).escalationRate)).toMatchObject({ type: 'number', nullable: true });
    const channels = obj(schemaOf(`${P}/channels`));
    expect(obj(obj(obj(channels.properties).channels).additionalProperties).required).toEqual(['messageCount', 'conversationCount', 'escalationRate']);
    const ts = obj(schemaOf(`${P}/timeseries`));
    expect(obj(obj(ts.properties).metric).enum).toEqual(['totalConversations', 'totalMessages', 'avgResponseTime', 'escalationRate', 'gatePassRate', 'activeCustomers']);
  });
});
