/**
 * The per-date endpoints: timeseries (one metric per local date), export (all six, as CSV) and
 * volume-by-hour (24 local hours of one date).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { resolveDateSelection, resolveHourSelection, todayIn, type ResolvedDateSelection } from '../../query/range.js';
import { overviewCsv } from '../csv.js';
import { ERROR_RESPONSES, ExportAnswer, ExportQuery, TimeseriesAnswer, TimeseriesQuery, VolumeAnswer, VolumeQuery } from '../schemas.js';
import { scopeOf } from '../scope.js';
import { DEFAULT_DAYS, SECURED, type RouteDeps } from './common.js';

const DATES = `Dates: days (the last N local days, today included) or from + to (local dates, both included), in tz (default UTC); default days=${DEFAULT_DAYS}. Optional workspace_id.`;

function dates(q: { days?: string | undefined; from?: string | undefined; to?: string | undefined; tz?: string | undefined }, nowMs: number): ResolvedDateSelection {
  const none = q.days === undefined && q.from === undefined && q.to === undefined;
  return resolveDateSelection({ days: none ? String(DEFAULT_DAYS) : q.days, from: q.from, to: q.to, tz: q.tz }, nowMs);
}

export const dateRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { query, now }) => {
  app.get(
    '/timeseries',
    {
      schema: {
        ...SECURED,
        summary: 'One overview metric per local date',
        description: DATES,
        querystring: TimeseriesQuery,
        response: { 200: TimeseriesAnswer, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const { tz, dates: list } = dates(req.query, now());
      const data = await query.daily({ ...scopeOf(req, req.query.workspace_id), tz, dates: list }, req.query.metric);
      return { metric: req.query.metric, data };
    },
  );

  app.get(
    '/export',
    {
      schema: {
        ...SECURED,
        summary: 'The six overview metrics per local date, as CSV',
        description: `${DATES} format=csv (the default and only format).`,
        querystring: ExportQuery,
        response: { 200: { description: 'CSV, one row per local date.', content: { 'text/csv': { schema: ExportAnswer } } }, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const { tz, dates: list } = dates(req.query, now());
      const days = await query.dailyOverview({ ...scopeOf(req, req.query.workspace_id), tz, dates: list });
      const name = `analytics_${list[0] ?? ''}_${list[list.length - 1] ?? ''}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(overviewCsv(days));
    },
  );

  app.get(
    '/volume-by-hour',
    {
      schema: {
        ...SECURED,
        summary: 'Messages per local hour (0 to 23) of one date',
        description: 'date (YYYY-MM-DD, default today in tz), tz (default UTC), optional workspace_id. A repeated hour adds into its entry; a skipped one is 0.',
        querystring: VolumeQuery,
        response: { 200: VolumeAnswer, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const { tz, date } = resolveHourSelection({ date: req.query.date ?? todayIn(req.query.tz ?? 'UTC', now()), tz: req.query.tz });
      const hourly = await query.hourly({ ...scopeOf(req, req.query.workspace_id), tz, date });
      return { date, hourly };
    },
  );
};
