import { mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient, type InsertParams } from '@clickhouse/client';
import { RollupsError } from '../errors.js';
import { createRequire } from 'node:module';

/**
 * The one module that knows whether ClickHouse is a server (HTTP) or the embedded engine (chDB).
 * Everything else receives a plain @clickhouse/client and writes the same SQL for both. The embedded
 * engine ignores the client's `database` option, so all SQL names its tables as `db.table`.
 */
export interface ClickHouseTarget {
  /** HTTP endpoint; undefined selects the embedded engine. */
  url?: string | undefined;
  username?: string;
  password?: string;
  /** Data directory of the embedded engine. One process owns it. */
  path: string;
}

export type { ClickHouseClient };

/** The embedded engine's directory is owned by another process (chDB: one process per directory). */
export class EmbeddedEngineBusyError extends RollupsError {
  constructor(path: string, cause: unknown) {
    super(
      `the embedded ClickHouse at ${path} cannot be opened: another process (a \`rollups worker\`, \`rollups run\`, \`rollups api\` or the demo) owns it. ` +
        'One process owns the embedded engine: run the worker and the API together with `rollups run`, stop the other process, or set CLICKHOUSE_URL to a ClickHouse server.',
      { code: 'CLICKHOUSE_DIR_LOCKED', cause },
    );
  }
}

/** The target the configuration names (contract section 2). */
export function targetOf(cfg: { CLICKHOUSE_URL?: string | undefined; CLICKHOUSE_USER: string; CLICKHOUSE_PASSWORD: string; CLICKHOUSE_PATH: string }): ClickHouseTarget {
  return { url: cfg.CLICKHOUSE_URL, username: cfg.CLICKHOUSE_USER, password: cfg.CLICKHOUSE_PASSWORD, path: cfg.CLICKHOUSE_PATH };
}
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

interface Embedded {
  path: string;
  client: ClickHouseClient;
  users: number;
}

// chDB runs one engine per process bound to one directory, so every caller in this process shares it;
// the engine closes when the last user does.
let embedded: Embedded | undefined;

export function describeTarget(t: ClickHouseTarget): string {
  return t.url ? `ClickHouse server ${new URL(t.url).host}` : `embedded ClickHouse at ${resolve(t.path)}`;
}

export function openClickHouse(t: ClickHouseTarget): ClickHouseClient {
  if (t.url) {
    return createClient({
      url: t.url,
      username: t.username ?? 'default',
      password: t.password ?? '',
      request_timeout: 60_000,
      // The embedded engine returns 64-bit integers as JSON numbers; the server quotes them by
      // default. Same answers from both: numbers (our counts stay far below 2^53).
      clickhouse_settings: { date_time_input_format: 'best_effort', output_format_json_quote_64bit_integers: 0 },
    });
  }
  const path = resolve(t.path);
  if (embedded) {
    if (embedded.path !== path) {
      throw new Error(`the embedded engine is already open at ${embedded.path}; one process can open one directory (asked for ${path})`);
    }
    embedded.users += 1;
    return shared(embedded);
  }
  mkdirSync(path, { recursive: true });
  // The engine (a ~500 MB native library) is loaded only when a process really opens it, so commands
  // such as `--help` or `stack up` stay light.
  const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as typeof import('chdb/connection');
  // chdb types its connection against @clickhouse/client-common, which the client now bundles under
  // another path: the shapes are identical, the declarations are not the same symbols.
  let connection: ClientConnection;
  try {
    connection = createChdbConnection({ path }) as unknown as ClientConnection;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'CHDB_CONNECTION') throw err;
    throw new EmbeddedEngineBusyError(path, err);
  }
  const client = createClient({ connection });
  embedded = { path, client, users: 1 };
  return shared(embedded);
}

/** A view of the shared embedded client whose close() releases one user, not the engine. */
function shared(e: Embedded): ClickHouseClient {
  let closed = false;
  return new Proxy(e.client, {
    get(target, prop, receiver) {
      if (prop === 'close') {
        return async () => {
          if (closed) return;
          closed = true;
          e.users -= 1;
          if (e.users === 0) {
            embedded = undefined;
            await target.close();
          }
        };
      }
      if (prop === 'insert') {
        // chDB applies per-call settings as session-wide SETs, so a deduplication token would leak into
        // every later insert of the process and silently drop it. Every insert states its own token.
        return (params: InsertParams<Readable, unknown>) =>
          target.insert({ ...params, clickhouse_settings: { insert_deduplication_token: '', ...params.clickhouse_settings } });
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
