import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ClickHouseError, createClient, parseError, type ClickHouseClient, type InsertParams, type InsertResult } from '@clickhouse/client';
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

/** The part of chDB's connection extension (`connection.chdb`) the embedded insert uses. */
interface ChdbRaw {
  rawInsert(params: { table: string; values: Buffer; format: 'JSONEachRow'; settings?: Record<string, string | number | boolean> }): Promise<{ rowsWritten: number; bytesWritten: number; elapsed: number }>;
}

interface Embedded {
  path: string;
  client: ClickHouseClient;
  raw: ChdbRaw;
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
  embedded = { path, client, raw: (connection as unknown as { chdb: ChdbRaw }).chdb, users: 1 };
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
        return (params: InsertParams<Readable, unknown>) => {
          const raw = rawInsertOf(params);
          if (raw !== undefined) return embeddedRawInsert(e.raw, raw);
          // The generic path: chDB applies per-call settings as session-wide SETs, so a deduplication
          // token would leak into every later insert of the process and silently drop it. Every insert
          // on this path states its own token.
          return target.insert({ ...params, clickhouse_settings: { insert_deduplication_token: '', ...params.clickhouse_settings } });
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** What a raw insert needs: an NDJSON payload, its table and the settings of its own SETTINGS clause. */
export interface RawInsert {
  table: string;
  values: Buffer;
  settings: Record<string, string | number | boolean>;
}

const PLAIN_TABLE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

/**
 * The raw form of an insert of JSONEachRow rows given as an array, or undefined when the insert must take
 * the generic path (a stream, another format, a column list, a table name chDB's raw insert refuses). The
 * rows become one NDJSON buffer (`JSON.stringify` per row, as @clickhouse/client encodes JSONEachRow); the
 * settings go into the statement's own `SETTINGS` clause, so they apply to that insert only.
 */
export function rawInsertOf(params: InsertParams<Readable, unknown>): RawInsert | undefined {
  const values: unknown = params.values;
  const encoded = values instanceof Readable ? ndjsonPayloadOf(values) : undefined;
  if ((!Array.isArray(values) && encoded === undefined) || params.format !== 'JSONEachRow' || params.columns !== undefined) return undefined;
  if (!PLAIN_TABLE.test(params.table)) return undefined;
  const settings: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params.clickhouse_settings ?? {})) {
    if (v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
    settings[k] = v;
  }
  if (encoded !== undefined) return { table: params.table, values: encoded, settings };
  const rows = values as unknown[];
  let text = '';
  for (let i = 0; i < rows.length; i++) text += `${JSON.stringify(rows[i])}\n`;
  return { table: params.table, values: Buffer.from(text), settings };
}

const NDJSON_PAYLOAD = Symbol('ndjson payload');

/**
 * Rows the caller already encoded as JSONEachRow text (one JSON object per line, each line ending in a
 * newline), as insert `values`: a byte stream, which @clickhouse/client sends to a server as it is, and
 * which the embedded engine takes as its raw insert payload without reading the stream. Use with
 * `format: 'JSONEachRow'`.
 */
export function ndjsonValues(text: string | Buffer): Readable {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const stream = Readable.from(payload.length === 0 ? [] : [payload], { objectMode: false });
  return Object.assign(stream, { [NDJSON_PAYLOAD]: payload });
}

function ndjsonPayloadOf(s: Readable): Buffer | undefined {
  const p = (s as Readable & { [NDJSON_PAYLOAD]?: Buffer })[NDJSON_PAYLOAD];
  return Buffer.isBuffer(p) ? p : undefined;
}

/** chDB's raw insert (`connection.chdb.rawInsert`), answering like @clickhouse/client's insert. */
async function embeddedRawInsert(raw: ChdbRaw, r: RawInsert): Promise<InsertResult> {
  const query_id = randomUUID();
  if (r.values.length === 0) return { executed: false, query_id, response_headers: {} };
  try {
    const s = await raw.rawInsert({ table: r.table, values: r.values, format: 'JSONEachRow', settings: r.settings });
    return {
      executed: true,
      query_id,
      response_headers: {},
      summary: { read_rows: '0', read_bytes: '0', written_rows: String(s.rowsWritten), written_bytes: String(s.bytesWritten), total_rows_to_read: '0', result_rows: '0', result_bytes: '0', elapsed_ns: String(Math.round(s.elapsed * 1e9)) },
    };
  } catch (err) {
    throw asClickHouseError(err);
  }
}

/** chDB's insert errors carry the engine's code as `clickhouseCode`; the rest of the worker reads `code`. */
function asClickHouseError(err: unknown): Error {
  const message = err instanceof Error && err.message ? err.message : String(err);
  const mapped = parseError(message);
  const code = (err as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  if (!(mapped instanceof ClickHouseError) && (typeof code === 'number' || typeof code === 'string')) {
    return Object.assign(new ClickHouseError({ message, code: String(code), type: undefined }), { cause: err });
  }
  if (mapped !== err) Object.assign(mapped, { cause: err });
  return mapped;
}
