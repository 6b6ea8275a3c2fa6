import type { ClickHouseClient } from '../clickhouse/client.js';
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

function toRow(r: PartialRow) {
  // DateTime takes seconds; buckets are whole windows, hence whole seconds.
  return { bucket: Math.floor(r.bucket / 1000), org_id: r.org_id, workspace_id: r.workspace_id, measure: r.measure, dim: r.dim, count: r.count, sum: r.sum, ids: r.ids };
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
      values: rows.map(toRow),
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
