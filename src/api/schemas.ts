/**
 * The route schemas of the read API (typebox → JSON Schema): Fastify validates every query string
 * with them and serializes every answer with them, and @fastify/swagger publishes them as
 * /openapi.json. One source for the three.
 *
 * Query strings: every parameter is a single string; an unknown parameter (names are case-sensitive)
 * or a repeated one is refused with 400 (additionalProperties: false; no coercion, no removal: see
 * app.ts). Meaning (zones, instants, dates, ranges) is checked by the query layer, which names the
 * parameter in its message.
 */
import { Type, type Static } from '@fastify/type-provider-typebox';
import { PERIODS } from '../query/range.js';
import { OVERVIEW_METRICS } from '../query/service.js';

// ---- parameters ------------------------------------------------------------------------------------

const tz = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone of "today", of local days and hours (case-insensitive). Default UTC.',
  examples: ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York'],
});

const workspaceId = Type.String({
  minLength: 1,
  maxLength: 256,
  description: "Narrows the answer to one workspace of the token's tenant. Default: the whole tenant (or the token's workspace).",
});

const period = Type.Enum([...PERIODS], {
  type: 'string',
  description: 'today = local midnight to now; yesterday; 7d / 30d = the last 7 / 30 local days, today included, up to now. Default today. Not together with from/to.',
});

const instant = (end: 'from' | 'to') =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: `${end === 'from' ? 'Start (inclusive)' : 'End (exclusive)'} of a custom range: an ISO-8601 instant with an offset (Z or ±HH:MM); floored to the minute. Needs ${end === 'from' ? 'to' : 'from'}; replaces period.`,
    examples: [end === 'from' ? '2025-11-02T08:15:00Z' : '2025-11-02T20:45:00+05:30'],
  });

const localDate = (description: string) => Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description, examples: ['2025-11-02'] });

const days = Type.String({
  pattern: '^[0-9]{1,4}$',
  description: 'The last N local days in tz, today included (1 to 366). Default 7 when neither days nor from/to is given.',
  examples: ['7'],
});

const metric = Type.Enum(OVERVIEW_METRICS, { type: 'string', description: 'One of the six overview metrics.' });

const strict = { additionalProperties: false } as const;

export const RangeQuery = Type.Object(
  {
    period: Type.Optional(period),
    from: Type.Optional(instant('from')),
    to: Type.Optional(instant('to')),
    tz: Type.Optional(tz),
    workspace_id: Type.Optional(workspaceId),
  },
  strict,
);
export type RangeQuery = Static<typeof RangeQuery>;

const dateParams = {
  days: Type.Optional(days),
  from: Type.Optional(localDate('First local date (YYYY-MM-DD in tz, included). Needs to; replaces days.')),
  to: Type.Optional(localDate('Last local date (YYYY-MM-DD in tz, included). Needs from; replaces days.')),
  tz: Type.Optional(tz),
  workspace_id: Type.Optional(workspaceId),
};

export const TimeseriesQuery = Type.Object({ metric, ...dateParams }, strict);
export type TimeseriesQuery = Static<typeof TimeseriesQuery>;

export const ExportQuery = Type.Object(
  { format: Type.Optional(Type.Enum(['csv'], { type: 'string', description: 'csv (the only format; the default).' })), ...dateParams },
  strict,
);
export type ExportQuery = Static<typeof ExportQuery>;

export const VolumeQuery = Type.Object(
  {
    date: Type.Optional(localDate('The local date (YYYY-MM-DD in tz). Default: today in tz.')),
    tz: Type.Optional(tz),
    workspace_id: Type.Optional(workspaceId),
  },
  strict,
);
export type VolumeQuery = Static<typeof VolumeQuery>;

// ---- answers ---------------------------------------------------------------------------------------

const rate = Type.Union([Type.Number(), Type.Null()]);
const count = Type.Integer({ minimum: 0 });
const counts = Type.Record(Type.String(), count);
const periodOut = Type.Enum([...PERIODS, 'custom'], { type: 'string', description: 'The period asked for, or custom for from/to.' });

const overviewMetrics = Type.Object({
  totalConversations: count,
  totalMessages: count,
  avgResponseTime: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds.' }),
  escalationRate: rate,
  gatePassRate: rate,
  activeCustomers: count,
});

export const OverviewAnswer = Type.Object({
  period: periodOut,
  metrics: overviewMetrics,
  trends: Type.Object(
    {
      messagesLastHour: count,
      escalationsLastHour: count,
      responseTimeLastHour: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds.' }),
    },
    { description: 'The 60 whole minutes before now, whatever the period.' },
  ),
  generatedAt: Type.String({ description: 'ISO-8601 instant the answer was computed at.' }),
}, { description: 'The six overview metrics over the selection, and the trends of the last hour.' });

const gate = { passRate: rate, failCount: count };
export const GatesAnswer = Type.Object({
  period: periodOut,
  gates: Type.Object({
    repetition: Type.Object({ ...gate, avgScore: rate }),
    hallucination: Type.Object({ ...gate, commonClaims: Type.Array(Type.String()) }),
    tone: Type.Object({ ...gate, bannedPhrasesTriggered: Type.Array(Type.String()) }),
    relevance: Type.Object({ ...gate, avgScore: rate }),
    length: Type.Object({ ...gate, avgWordCount: rate }),
  }),
  totalGateChecks: count,
}, { description: 'Quality gates over the selection.' });

export const ChannelsAnswer = Type.Object({
  period: periodOut,
  channels: Type.Record(Type.String(), Type.Object({ messageCount: count, conversationCount: count, escalationRate: rate })),
}, { description: 'Per channel_type over the selection.' });

const cohort = Type.Object({
  count,
  avgFirstResponseTime: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds.' }),
  escalationRate: rate,
});
export const CohortsAnswer = Type.Object({
  period: periodOut,
  cohorts: Type.Object({ new_customers: cohort, returning_customers: cohort, vip_customers: cohort }),
}, { description: 'Per customer cohort over the selection.' });

export const DashboardAnswer = Type.Object({
  period: periodOut,
  modules: Type.Object({
    dissatisfactionDetected: count,
    severeNegativeCount: count,
    topFrictionThemes: Type.Array(Type.Object({ themeId: Type.String(), count })),
    escalatedForHumanReview: Type.Object({ total: count, byReason: counts }),
    handlingSplit: Type.Object({
      triaged: count,
      escalated: count,
      repliesSent: Type.Object({ auto: count, assisted: count, human: count }),
    }),
    kbGaps: Type.Object({ total: count, byType: counts }),
    resolved: count,
    recovered: count,
    reopened: count,
    handoffsCompleted: count,
    avgTimeToResolutionMs: rate,
  }),
}, { description: 'The dashboard modules over the selection.' });

export const EventsAnswer = Type.Object({
  period: periodOut,
  counts: Type.Record(Type.String(), count, { description: 'Every product event name, 0 when none.' }),
  signInFailuresByErrorCode: counts,
}, { description: 'Product event counts over the selection.' });

export const TimeseriesAnswer = Type.Object({
  metric,
  data: Type.Array(Type.Object({ date: Type.String(), value: rate })),
}, { description: 'One value per local date, ascending.' });

export const VolumeAnswer = Type.Object({
  date: Type.String(),
  hourly: Type.Array(Type.Object({ hour: Type.Integer({ minimum: 0, maximum: 23 }), messages: count }), { minItems: 24, maxItems: 24 }),
}, { description: '24 local hours of the date.' });

export const ExportAnswer = Type.String({
  description: 'CSV: header date,totalConversations,totalMessages,avgResponseTime,escalationRate,gatePassRate,activeCustomers; one row per local date; null as an empty cell; lines end with \\n.',
});

const errorAnswer = (description: string) =>
  Type.Object(
    {
      error: Type.Object({
        code: Type.String({ description: 'INVALID_REQUEST (400), UNAUTHORIZED (401), INTERNAL_ERROR (500); NOT_FOUND (404) for an unknown path.' }),
        message: Type.String(),
      }),
    },
    { description },
  );

/** The error answers every authenticated endpoint may give. */
export const ERROR_RESPONSES = {
  400: errorAnswer('INVALID_REQUEST: an unknown, repeated or invalid parameter, a bad zone, date or range.'),
  401: errorAnswer('UNAUTHORIZED: no token, a malformed, wrongly signed or expired token, or no org_id.'),
  500: errorAnswer('INTERNAL_ERROR: the request id is in the message; nothing else is told.'),
};

export const HealthAnswer = Type.Object({ status: Type.Literal('ok') }, { description: 'The process lives.' });
export const ReadyAnswer = Type.Object({ status: Type.Enum(['ok', 'not ready'], { type: 'string' }) }, { description: 'ok while ClickHouse answers; not ready (503) otherwise.' });
