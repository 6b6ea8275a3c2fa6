/** What every stage receives from the orchestrator. */
import { loadConfig } from '../../src/config/load.js';
import type { Counter, Histogram } from 'prom-client';
import type { Config } from '../../src/config/schema.js';

export interface StageInput {
  topic: string;
  /** Messages on the topic (the stage is done when it handled all of them). */
  events: number;
  groupId: string;
  /** Overrides of the standard configuration (KAFKA_*, CLICKHOUSE_*, ROLLUPS_*...). */
  env: Record<string, string>;
  /** Stage-specific knobs. */
  options?: Record<string, string | number | boolean>;
}

export function stageConfig(input: StageInput): Config {
  return loadConfig({ ...process.env, ...input.env });
}


export async function counterValue(c: Counter<string>): Promise<number> {
  return (await c.get()).values.reduce((s, v) => s + v.value, 0);
}

export async function histogramCountSum(h: Histogram<string>): Promise<{ count: number; sum: number }> {
  const values = (await h.get()).values;
  const count = values.filter((v) => v.metricName?.endsWith('_count')).reduce((s, v) => s + v.value, 0);
  const sum = values.filter((v) => v.metricName?.endsWith('_sum')).reduce((s, v) => s + v.value, 0);
  return { count, sum };
}
