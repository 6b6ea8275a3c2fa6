import { ndjsonValues, type ClickHouseClient } from '../clickhouse/client.js';
import { SinkError } from '../errors.js';
import type { PartialRow } from '../window/tumbling.js';

/** ClickHouse error codes that no retry can fix: the schema or the query is wrong. */
const PERMANENT_CODES = new Set(['60', '81', '62', '53', '47', '16', '43', '386', '6', '27', '117']);

/** Wraps a ClickHouse failure: retriable unless the server says the request itself is wrong. */
export function toSinkError(what: string, err: unknown): SinkError {
  const code = (err as { code?: unknown }).code;
  const permanent = typeof code === 'string' && PERMANENT_CODES.has(code);
  return new SinkError(`${what} failed${typeof code === 'string' ? ` (ClickHouse code ${code})` : ''}`, !permanent, err);
}

/** The row `rollup_input` takes for a partial row (DateTime takes seconds; buckets are whole seconds). */
export function toRow(r: PartialRow) {
  return { bucket: Math.floor(r.bucket / 1000), org_id: r.org_id, workspace_id: r.workspace_id, measure: r.measure, dim: r.dim, count: r.count, sum: r.sum, ids: r.ids };
}

const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/**
 * The JSONEachRow payload of the rows: exactly `JSON.stringify(toRow(r))` per row, each line ending in a
 * newline, as UTF-8. Built without an object per row, and line by line into one buffer: concatenating
 * ~100,000 lines into one string and encoding that costs twice as much (the string is a rope that has to
 * be flattened). Tenant, workspace, measure and dim strings repeat across the rows of a flush, so each
 * distinct one is JSON-quoted once.
 */
export function encodeRows(rows: readonly PartialRow[]): Buffer {
  const quoted = new Map<string, string>();
  const q = (s: string): string => {
    let j = quoted.get(s);
    if (j === undefined) quoted.set(s, (j = JSON.stringify(s)));
    return j;
  };
  let buf = Buffer.allocUnsafe(Math.max(1024, rows.length * 160));
  let off = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const line =
      `{"bucket":${jsonNumber(Math.floor(r.bucket / 1000))},"org_id":${q(r.org_id)},"workspace_id":${q(r.workspace_id)},"measure":${q(r.measure)},"dim":${q(r.dim)}` +
      `,"count":${jsonNumber(r.count)},"sum":${jsonNumber(r.sum)},"ids":${r.ids.length === 0 ? '[]' : JSON.stringify(r.ids)}}\n`;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (off + line.length * 3 > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, off + line.length * 3));
      buf.copy(bigger, 0, 0, off);
      buf = bigger;
    }
    off += buf.write(line, off, 'utf8');
  }
  return buf.subarray(0, off);
}

/**
 * One idempotent insert of partial rows. The token names what the rows cover (topic, partition,
 * offset range): the same token inserted again is dropped by ClickHouse in every rollup table, which is
 * what makes replays after a crash safe (docs/exactly-once.md).
 */
export async function writeRollups(client: ClickHouseClient, db: string, rows: readonly PartialRow[], token: string): Promise<void> {
  if (rows.length === 0) return;
  try {
    await client.insert({
      table: `${db}.rollup_input`,
      values: ndjsonValues(encodeRows(rows)),
      format: 'JSONEachRow',
      clickhouse_settings: {
        insert_deduplication_token: token,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        // One block, one part per table: a flush lands whole or not at all in each table.
        max_insert_block_size: '10000000',
        min_insert_block_size_rows: '0',
        min_insert_block_size_bytes: '0',
      },
    });
  } catch (err) {
    throw toSinkError('rollup insert', err);
  }
}
