/**
 * The range endpoints (overview, gates, channels, cohorts, dashboard, events): a time selection
 * (`period` or `from`/`to`, in `tz`) and an optional workspace; each answer is the query layer's
 * section plus `period` (the word given, or `custom`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { resolveTimeSelection, type ResolvedTimeSelection } from '../../query/range.js';
import type { RangeQuery as RangeRead } from '../../query/service.js';
import type { FastifyRequest } from 'fastify';
import {
  ChannelsAnswer,
  CohortsAnswer,
  DashboardAnswer,
  ERROR_RESPONSES,
  EventsAnswer,
  GatesAnswer,
  OverviewAnswer,
  RangeQuery,
} from '../schemas.js';
import { scopeOf } from '../scope.js';
import { SECURED, type RouteDeps } from './common.js';

const TIME = 'Time selection: period (default today) or from + to, in tz (default UTC); optional workspace_id.';

function selection(req: FastifyRequest, q: RangeQuery, nowMs: number): { sel: ResolvedTimeSelection; read: RangeRead } {
  const sel = resolveTimeSelection({ period: q.period, from: q.from, to: q.to, tz: q.tz }, nowMs);
  return { sel, read: { ...scopeOf(req, q.workspace_id), fromMs: sel.fromMs, toMs: sel.toMs } };
}

const schema = <R>(summary: string, answer: R) => ({
  ...SECURED,
  summary,
  description: TIME,
  querystring: RangeQuery,
  response: { 200: answer, ...ERROR_RESPONSES },
});

export const sectionRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { query, now }) => {
  app.get('/overview', { schema: schema('The six overview metrics, and the trends of the last hour', OverviewAnswer) }, async (req) => {
    const nowMs = now();
    const { sel, read } = selection(req, req.query, nowMs);
    const { overview, trends } = await query.overview(read, nowMs);
    return { period: sel.period, metrics: overview, trends, generatedAt: new Date(nowMs).toISOString() };
  });

  app.get('/gates', { schema: schema('Quality gates: pass rates, failures, scores, claims, phrases', GatesAnswer) }, async (req) => {
    const { sel, read } = selection(req, req.query, now());
    const { gates } = await query.sections(read, ['gates']);
    return { period: sel.period, ...gates };
  });

  app.get('/channels', { schema: schema('Messages, conversations and escalation rate per channel', ChannelsAnswer) }, async (req) => {
    const { sel, read } = selection(req, req.query, now());
    const { channels } = await query.sections(read, ['channels']);
    return { period: sel.period, ...channels };
  });

  app.get('/cohorts', { schema: schema('New, returning and VIP customers', CohortsAnswer) }, async (req) => {
    const { sel, read } = selection(req, req.query, now());
    const { cohorts } = await query.sections(read, ['cohorts']);
    return { period: sel.period, ...cohorts };
  });

  app.get('/dashboard', { schema: schema('The dashboard modules (signals, triage, replies, KB gaps, outcomes)', DashboardAnswer) }, async (req) => {
    const { sel, read } = selection(req, req.query, now());
    const { dashboard } = await query.sections(read, ['dashboard']);
    return { period: sel.period, ...dashboard };
  });

  app.get('/events', { schema: schema('Product event counts, and sign-in failures by error code', EventsAnswer) }, async (req) => {
    const { sel, read } = selection(req, req.query, now());
    const { events } = await query.sections(read, ['events']);
    return { period: sel.period, ...events };
  });
};
