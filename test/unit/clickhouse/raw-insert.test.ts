import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { ndjsonValues, rawInsertOf } from '../../../src/clickhouse/client.js';
import { encodeRows, toRow } from '../../../src/sink/rollup-writer.js';
import type { PartialRow } from '../../../src/window/tumbling.js';

describe('rawInsertOf (the embedded engine raw insert)', () => {
  it('turns JSONEachRow rows into one NDJSON buffer and keeps the settings for the SETTINGS clause', () => {
    const r = rawInsertOf({
      table: 'db.rollup_input',
      values: [
        { bucket: 60, org_id: "o'1\n", ids: ['a', 'b"'] },
        { bucket: 120, org_id: 'o2', ids: [] },
      ],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: 't/0/1-2', deduplicate_blocks_in_dependent_materialized_views: 1, max_insert_block_size: '10000000', wait_end_of_query: undefined },
    });
    expect(r).toEqual({
      table: 'db.rollup_input',
      values: Buffer.from('{"bucket":60,"org_id":"o\'1\\n","ids":["a","b\\""]}\n{"bucket":120,"org_id":"o2","ids":[]}\n'),
      settings: { insert_deduplication_token: 't/0/1-2', deduplicate_blocks_in_dependent_materialized_views: 1, max_insert_block_size: '10000000' },
    });
  });

  it('no settings: an empty SETTINGS map (nothing session-wide, so no token to clear)', () => {
    expect(rawInsertOf({ table: 'db.t', values: [{ a: 1 }], format: 'JSONEachRow' })).toEqual({ table: 'db.t', values: Buffer.from('{"a":1}\n'), settings: {} });
    expect(rawInsertOf({ table: 'db.t', values: [], format: 'JSONEachRow' })!.values.length).toBe(0);
  });

  it('leaves everything else to the generic path', () => {
    expect(rawInsertOf({ table: 'db.t', values: [{ a: 1 }], format: 'JSONCompactEachRow' })).toBeUndefined();
    expect(rawInsertOf({ table: 'db.t', values: [{ a: 1 }] })).toBeUndefined();
    expect(rawInsertOf({ table: 'db.t', values: Readable.from(['{"a":1}\n']), format: 'JSONEachRow' })).toBeUndefined();
    expect(rawInsertOf({ table: 'db.t', values: [{ a: 1 }], format: 'JSONEachRow', columns: ['a'] })).toBeUndefined();
    expect(rawInsertOf({ table: '`db`.`t-x`', values: [{ a: 1 }], format: 'JSONEachRow' })).toBeUndefined();
  });
});

describe('encodeRows + ndjsonValues (the rollup insert payload)', () => {
  const rows: PartialRow[] = [
    { bucket: 1_700_000_040_000, org_id: "o'1\n", workspace_id: 'w"\\', measure: 'messages', dim: '', count: 2, sum: 0, ids: [] },
    { bucket: 1_700_000_100_000, org_id: 'o2', workspace_id: 'w', measure: 'response_time_ms', dim: 'zalo', count: 3, sum: 1.5, ids: [] },
    { bucket: 1_700_000_100_000, org_id: 'o2', workspace_id: 'w', measure: 'conversations', dim: 'zalo', count: 3, sum: 0, ids: ['c1', 'c"2', 'ü\u2028'] },
  ];

  it('is JSON.stringify(toRow(row)) per line, byte for byte', () => {
    expect(encodeRows(rows).toString('utf8')).toBe(rows.map((r) => `${JSON.stringify(toRow(r))}\n`).join(''));
    expect(encodeRows(rows.slice(1, 2)).toString('utf8')).toBe(
      '{"bucket":1700000100,"org_id":"o2","workspace_id":"w","measure":"response_time_ms","dim":"zalo","count":3,"sum":1.5,"ids":[]}\n',
    );
    expect(encodeRows([]).length).toBe(0);
  });

  it('grows its buffer past the first guess (long id lists, multi-byte text)', () => {
    const big: PartialRow[] = Array.from({ length: 50 }, (_, i) => ({
      bucket: 60_000 * i, org_id: `ö${i}`, workspace_id: '工作区', measure: 'customers', dim: '', count: i, sum: 0,
      ids: Array.from({ length: 40 }, (_, k) => `customer-${i}-${k}-ü`),
    }));
    const text = big.map((r) => `${JSON.stringify(toRow(r))}\n`).join('');
    expect(encodeRows(big).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('the embedded insert takes the encoded text as its payload, without reading the stream', () => {
    const payload = encodeRows(rows);
    const r = rawInsertOf({ table: 'db.rollup_input', values: ndjsonValues(payload), format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'tok' } });
    expect(r).toEqual({ table: 'db.rollup_input', values: payload, settings: { insert_deduplication_token: 'tok' } });
    expect(r!.values).toBe(payload);
  });

  it('a server reads the same bytes from the stream', async () => {
    const chunks: Buffer[] = [];
    for await (const c of ndjsonValues('{"a":1}\n')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"a":1}\n');
  });
});
