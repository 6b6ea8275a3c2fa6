import { z } from 'zod';
import { KAFKA_CLIENTS } from '../source/consumer.js';

/**
 * The one configuration schema (contract section 2 plus the worker's tuning knobs). Every variable
 * has its default here and nowhere else; `docs/configuration.md` is the reader's copy of this table.
 * Secrets are marked so the loader never prints their values.
 */

const DEV_JWT_SECRET = 'analytics-rollups-dev-secret-change-me';

const hostPort = /^[A-Za-z0-9.\-_]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
const topicName = /^[A-Za-z0-9._-]{1,249}$/;
const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function commaList(what: string, pattern: RegExp, example: string) {
  return z
    .string()
    .transform((s, ctx) => {
      const items = s.split(',').map((x) => x.trim());
      if (items.length === 0 || items.some((x) => x === '')) {
        ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${what}, e.g. ${example} (no empty items)` });
        return z.NEVER;
      }
      const bad = items.find((x) => !pattern.test(x));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${bad}" is not a valid ${what}; expected e.g. ${example}` });
        return z.NEVER;
      }
      if (pattern === hostPort) {
        const badPort = items.find((x) => {
          const port = Number(x.slice(x.lastIndexOf(':') + 1));
          return port < 1 || port > 65535;
        });
        if (badPort !== undefined) {
          ctx.addIssue({ code: 'custom', message: `"${badPort}" has a port outside 1-65535` });
          return z.NEVER;
        }
      }
      return items;
    });
}

function httpUrl() {
  return z.string().transform((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL such as http://localhost:8123' });
      return z.NEVER;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
      return z.NEVER;
    }
    return s.replace(/\/+$/, '');
  });
}

function int(min: number, max: number) {
  return z
    .string()
    .transform((s, ctx) => {
      const n = Number(s);
      if (!/^-?\d+$/.test(s.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });
}

const port = () => int(1, 65535);

/** The 15-minute rollup grain must be a whole number of windows, so windows divide 15 minutes. */
function windowMs() {
  return int(1000, 900_000).refine((n) => 900_000 % n === 0, { message: 'expected a window that divides 15 minutes (900000 ms), e.g. 60000' });
}

/** Field → [schema, default as the environment would spell it, secret?, doc]. */
export const CONFIG_VARIABLES = {
  KAFKA_BROKERS: [commaList('host:port broker address', hostPort, 'localhost:9092,kafka-2:9092'), 'localhost:9092', false, 'bootstrap brokers'],
  KAFKA_TOPICS: [commaList('Kafka topic name', topicName, 'analytics-events'), 'analytics-events', false, 'input topics'],
  KAFKA_DLQ_TOPIC: [commaList('Kafka topic name', topicName, 'analytics-events.dlq').pipe(z.array(z.string()).length(1, 'expected exactly one topic')).transform((a) => a[0] as string), 'analytics-events.dlq', false, 'dead-letter topic'],
  KAFKA_GROUP_ID: [z.string().min(1, 'expected a non-empty consumer group id'), 'analytics-rollups', false, 'consumer group'],
  KAFKA_SESSION_TIMEOUT_MS: [int(6000, 300_000), '30000', false, 'consumer group session timeout: how soon a dead worker\'s partitions move'],
  KAFKA_CLIENT_ID: [z.string().min(1, 'expected a non-empty client id'), 'analytics-rollups', false, 'Kafka client id'],
  KAFKA_CLIENT: [z.enum(KAFKA_CLIENTS), 'kafkajs', false, 'the consuming Kafka client; the others are for benchmarks (npm run bench:clients)'],
  SCHEMA_REGISTRY_URL: [httpUrl(), 'http://127.0.0.1:8081/apis/ccompat/v7', false, 'Confluent-compatible registry base URL'],
  CLICKHOUSE_URL: [httpUrl().optional(), undefined, false, 'ClickHouse HTTP endpoint; unset = embedded engine'],
  CLICKHOUSE_USER: [z.string().min(1), 'default', false, 'ClickHouse user (HTTP only)'],
  CLICKHOUSE_PASSWORD: [z.string(), '', true, 'ClickHouse password (HTTP only)'],
  CLICKHOUSE_PATH: [z.string().min(1, 'expected a directory path'), './.data/clickhouse', false, 'embedded engine data directory'],
  CLICKHOUSE_DATABASE: [z.string().regex(identifier, 'expected a ClickHouse identifier: letters, digits, underscore, not starting with a digit'), 'analytics', false, 'rollup database'],
  API_PORT: [port(), '8080', false, 'read API port'],
  API_JWT_SECRET: [z.string().min(16, 'expected at least 16 characters'), DEV_JWT_SECRET, true, 'HS256 secret for read-API tokens'],
  METRICS_PORT: [port(), '9464', false, 'worker /metrics, /healthz, /readyz port'],
  LOG_LEVEL: [z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info', false, 'pino level'],
  ROLLUPS_WINDOW_MS: [windowMs(), '60000', false, 'base tumbling window size; must divide 15 minutes'],
  ROLLUPS_FLUSH_INTERVAL_MS: [int(10, 60_000), '1000', false, 'longest a flush waits for data (the fetch wait)'],
  ROLLUPS_FLUSH_MIN_BYTES: [int(1, 64 * 1024 * 1024), String(1024 * 1024), false, 'bytes of records that make a flush before the interval (the fetch minimum)'],
  ROLLUPS_ALLOWED_LATENESS_MS: [int(0, 90 * 86_400_000), String(7 * 86_400_000), false, 'events older than this (vs the worker clock) go to the DLQ as too_late'],
  ROLLUPS_MAX_BUFFER_MB: [int(16, 65_536), '256', false, 'memory cap for buffered batches while the sink is down'],
  ROLLUPS_SHUTDOWN_GRACE_MS: [int(1000, 600_000), '30000', false, 'SIGTERM grace period'],
  STACK_DIR: [z.string().min(1), './.data/stack', false, 'where `rollups stack` keeps downloads, data, logs and PIDs'],
  STACK_KAFKA_PORT: [port(), '9092', false, 'local broker listener port'],
  STACK_CONTROLLER_PORT: [port(), '9093', false, 'local KRaft controller port'],
  STACK_REGISTRY_PORT: [port(), '8081', false, 'local registry port'],
  STACK_KAFKA_VERSION: [z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a version like 4.1.1'), '4.1.1', false, 'Apache Kafka version fetched from Maven Central'],
  STACK_REGISTRY_VERSION: [z.string().regex(/^\d+\.\d+\.\d+(\.Final)?$/, 'expected a version like 3.3.3'), '3.3.3', false, 'Apicurio Registry version fetched from Maven Central'],
} as const;

export type ConfigKey = keyof typeof CONFIG_VARIABLES;
type Schema<K extends ConfigKey> = (typeof CONFIG_VARIABLES)[K][0];
export type Config = { [K in ConfigKey]: z.output<Schema<K>> };

export const SECRET_KEYS = (Object.keys(CONFIG_VARIABLES) as ConfigKey[]).filter((k) => CONFIG_VARIABLES[k][2]);
export const DEV_SECRET = DEV_JWT_SECRET;

/** Prefixes we own: a variable with one of these that we do not know is a typo, and is refused. */
export const OWNED_PREFIXES = ['KAFKA_', 'SCHEMA_REGISTRY_', 'CLICKHOUSE_', 'API_', 'METRICS_', 'ROLLUPS_', 'STACK_'];
