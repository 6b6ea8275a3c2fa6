/**
 * The API's Prometheus metrics, at `/metrics` on the API port (the deployment scrapes it). Labels are
 * bounded: the route template (never the raw URL), the method and the status code; never a tenant.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';

export function createApiMetrics(registry = new Registry()) {
  return {
    registry,
    requests: new Counter({
      name: 'rollups_api_requests_total',
      help: 'read-API requests answered, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'rollups_api_request_duration_seconds',
      help: 'read-API request duration, by route template',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** An `onResponse` hook recording one request. */
export function recordRequest(m: ApiMetrics): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    m.requests.labels(route, req.method, String(reply.statusCode)).inc();
    m.duration.labels(route).observe(reply.elapsedTime / 1000);
  };
}
