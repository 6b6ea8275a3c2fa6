import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { services } from './services.js';

/** A validated config for an in-process worker on a test's own topic, group and database. */
export function testWorkerConfig(o: { topic: string; groupId: string; database: string; clickhousePath: string }): Config {
  const env: NodeJS.ProcessEnv = {
    KAFKA_BROKERS: services().brokers.join(','),
    SCHEMA_REGISTRY_URL: services().registryUrl,
    KAFKA_TOPICS: o.topic,
    KAFKA_DLQ_TOPIC: `${o.topic}.dlq`,
    KAFKA_GROUP_ID: o.groupId,
    CLICKHOUSE_DATABASE: o.database,
    CLICKHOUSE_PATH: o.clickhousePath,
    LOG_LEVEL: 'warn',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
  const url = services().clickhouseUrl;
  if (url) env.CLICKHOUSE_URL = url;
  return loadConfig(env);
}
