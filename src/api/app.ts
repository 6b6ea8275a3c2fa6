/**
 * The read API (contract section 6) as a Fastify app: `buildApi` wires the query service, the bearer
 * authentication, the route schemas, the error answers and the OpenAPI document; it does not listen
 * (server.ts does). Every analytics endpoint lives under `/api/tenants/me/analytics/` and reads the
 * token's tenant only.
 *
 *   GET /healthz        the process lives (no token)
 *   GET /readyz         ClickHouse answers, when a readiness check is given (no token)
 *   GET /metrics        Prometheus text (no token)
 *   GET /openapi.json   the OpenAPI 3 document (no token)
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../ops/logger.js';
import type { QueryService } from '../query/service.js';
import { authenticate, secretKey } from './auth.js';
import { handleError, handleNotFound } from './errors.js';
import { createApiMetrics, recordRequest } from './metrics.js';
import { swaggerOptions } from './openapi.js';
import { dateRoutes } from './routes/dates.js';
import { sectionRoutes } from './routes/sections.js';
import { HealthAnswer, ReadyAnswer } from './schemas.js';

export const ANALYTICS_PREFIX = '/api/tenants/me/analytics';

export interface ApiOptions {
  query: QueryService;
  /** API_JWT_SECRET: the HS256 key of the bearer tokens. */
  jwtSecret: string;
  logger: Logger;
  /** The clock (epoch ms) of "today", the periods, the trends, `generatedAt` and token expiry. */
  now?: () => number;
  /** `/readyz` answers 200 while this is true (503 otherwise); without it, `/readyz` is `/healthz`. */
  ready?: () => Promise<boolean>;
  /** Where `/metrics` registers its series (a fresh registry by default). */
  metricsRegistry?: Registry;
}

export function buildApi(options: ApiOptions) {
  const now = options.now ?? Date.now;
  const key = secretKey(options.jwtSecret);
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: () => randomUUID(),
    // Query strings are validated as they are: no type coercion, no silent removal of unknown
    // parameters (they are refused), no defaults filled in by the validator.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const metrics = createApiMetrics(options.metricsRegistry);
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', recordRequest(metrics));
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  void app.register(swagger, swaggerOptions());

  // Registered as plugins (not directly) so that @fastify/swagger, loaded first, sees every route.
  void app.register(async (ops) => {
    const health = { schema: { tags: ['operations'], summary: 'The API process lives', response: { 200: HealthAnswer } } };
    ops.get('/healthz', health, async () => ({ status: 'ok' as const }));
    ops.get(
      '/readyz',
      { schema: { tags: ['operations'], summary: 'ClickHouse answers', response: { 200: ReadyAnswer, 503: ReadyAnswer } } },
      async (req, reply) => {
        let ok = true;
        try {
          ok = options.ready === undefined || (await options.ready());
        } catch (err) {
          req.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'readiness check failed');
          ok = false;
        }
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'not ready' });
      },
    );
    ops.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
    ops.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });

  void app.register(
    async (analytics) => {
      analytics.addHook('onRequest', authenticate(key, now));
      analytics.addHook('onRequest', async (_req, reply) => {
        void reply.header('cache-control', 'no-store');
      });
      await analytics.register(sectionRoutes, { query: options.query, now });
      await analytics.register(dateRoutes, { query: options.query, now });
    },
    { prefix: ANALYTICS_PREFIX },
  );
  return app;
}

export type ApiApp = ReturnType<typeof buildApi>;
