import { ConfigError } from '../errors.js';
import { CONFIG_VARIABLES, OWNED_PREFIXES, SECRET_KEYS, type Config, type ConfigKey } from './schema.js';

/** Variables with an owned prefix that other tools set and we deliberately ignore. */
const FOREIGN_ALLOWED = new Set(['KAFKAJS_NO_PARTITIONER_WARNING', 'KAFKAJS_LOG_LEVEL']);

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = levenshtein(name, c);
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return bestScore <= 3 ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

/**
 * Reads and validates the whole configuration at once. The first bad variable stops start-up with
 * one line naming the variable, the value (unless secret) and what is expected.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const keys = Object.keys(CONFIG_VARIABLES) as ConfigKey[];
  for (const name of Object.keys(env)) {
    if (FOREIGN_ALLOWED.has(name) || (keys as string[]).includes(name)) continue;
    if (OWNED_PREFIXES.some((p) => name.startsWith(p))) {
      const hint = closest(name, keys);
      throw new ConfigError(`${name} is not a known variable${hint ? ` (did you mean ${hint}?)` : ''}; see docs/configuration.md`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const [schema, def] = CONFIG_VARIABLES[key];
    const given = env[key];
    const raw = given === undefined || given === '' ? def : given;
    if (raw === undefined) {
      out[key] = undefined;
      continue;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'invalid value';
      const shown = SECRET_KEYS.includes(key) ? '(secret, not shown)' : JSON.stringify(raw);
      throw new ConfigError(`${key}=${shown} is invalid: ${why}`);
    }
    out[key] = parsed.data;
  }
  return out as Config;
}
