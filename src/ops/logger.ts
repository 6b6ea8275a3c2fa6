import pino, { type Logger } from 'pino';

/**
 * Redaction is by allow-list of shapes we know carry secrets or content. Beyond that, the rule is
 * structural: nothing on the event path ever passes an event, a payload or a key to the logger, only
 * counts, codes, topic/partition/offset and field NAMES.
 */
export const REDACT_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token', 'authorization', '*.authorization',
  'req.headers.authorization', 'headers.authorization', 'API_JWT_SECRET', '*.API_JWT_SECRET',
  'CLICKHOUSE_PASSWORD', '*.CLICKHOUSE_PASSWORD', 'value', '*.value', 'payload', '*.payload', 'event', '*.event',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'analytics-rollups' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
