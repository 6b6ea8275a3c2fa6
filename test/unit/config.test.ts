import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has a working default for every variable', () => {
    const c = loadConfig({});
    expect(c.KAFKA_BROKERS).toEqual(['localhost:9092']);
    expect(c.KAFKA_TOPICS).toEqual(['analytics-events']);
    expect(c.KAFKA_DLQ_TOPIC).toBe('analytics-events.dlq');
    expect(c.KAFKA_GROUP_ID).toBe('analytics-rollups');
    expect(c.SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(c.CLICKHOUSE_URL).toBeUndefined();
    expect(c.CLICKHOUSE_PATH).toBe('./.data/clickhouse');
    expect(c.CLICKHOUSE_DATABASE).toBe('analytics');
    expect(c.API_PORT).toBe(8080);
    expect(c.METRICS_PORT).toBe(9464);
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.ROLLUPS_WINDOW_MS).toBe(60_000);
  });

  it('parses lists and numbers', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:9092, b.example:19092', KAFKA_TOPICS: 'x,y.z', API_PORT: '3000', CLICKHOUSE_URL: 'http://ch:8123/' });
    expect(c.KAFKA_BROKERS).toEqual(['a:9092', 'b.example:19092']);
    expect(c.KAFKA_TOPICS).toEqual(['x', 'y.z']);
    expect(c.API_PORT).toBe(3000);
    expect(c.CLICKHOUSE_URL).toBe('http://ch:8123');
  });

  it('names the variable, the value and what is expected on one line', () => {
    expect(errorOf({ KAFKA_BROKERS: 'localhost' })).toBe(
      'KAFKA_BROKERS="localhost" is invalid: "localhost" is not a valid host:port broker address; expected e.g. localhost:9092,kafka-2:9092',
    );
    expect(errorOf({ KAFKA_BROKERS: 'a:1,,b:2' })).toMatch(/^KAFKA_BROKERS="a:1,,b:2" is invalid: expected a comma-separated list/);
    expect(errorOf({ KAFKA_BROKERS: 'a:70000' })).toBe('KAFKA_BROKERS="a:70000" is invalid: "a:70000" has a port outside 1-65535');
    expect(errorOf({ API_PORT: '-1' })).toBe('API_PORT="-1" is invalid: expected a whole number from 1 to 65535');
    expect(errorOf({ ROLLUPS_FLUSH_MIN_BYTES: '1e3' })).toBe('ROLLUPS_FLUSH_MIN_BYTES="1e3" is invalid: expected a whole number from 1 to 67108864');
    expect(errorOf({ ROLLUPS_WINDOW_MS: '70000' })).toBe('ROLLUPS_WINDOW_MS="70000" is invalid: expected a window that divides 15 minutes (900000 ms), e.g. 60000');
    expect(errorOf({ CLICKHOUSE_URL: 'not a url' })).toBe('CLICKHOUSE_URL="not a url" is invalid: expected an http(s) URL such as http://localhost:8123');
    expect(errorOf({ KAFKA_TOPICS: 'bad topic' })).toMatch(/^KAFKA_TOPICS="bad topic" is invalid: "bad topic" is not a valid Kafka topic name/);
    expect(errorOf({ LOG_LEVEL: 'loud' })).toMatch(/^LOG_LEVEL="loud" is invalid: /);
    for (const m of [errorOf({ API_PORT: 'x' })]) expect(m.split('\n')).toHaveLength(1);
  });

  it('never prints a secret value', () => {
    const m = errorOf({ API_JWT_SECRET: 'tooshort' });
    expect(m).toBe('API_JWT_SECRET=(secret, not shown) is invalid: expected at least 16 characters');
    expect(m).not.toContain('tooshort');
  });

  it('refuses unknown variables of our own prefixes, with a suggestion', () => {
    expect(errorOf({ KAFKA_BROKER: 'a:1' })).toBe('KAFKA_BROKER is not a known variable (did you mean KAFKA_BROKERS?); see docs/configuration.md');
    expect(errorOf({ ROLLUPS_NOPE_NOTHING_LIKE: '1' })).toBe('ROLLUPS_NOPE_NOTHING_LIKE is not a known variable; see docs/configuration.md');
    expect(loadConfig({ HOME: '/root', KAFKAJS_NO_PARTITIONER_WARNING: '1' }).API_PORT).toBe(8080);
  });
});
