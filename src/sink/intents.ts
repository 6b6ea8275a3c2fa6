import type { ClickHouseClient } from '../clickhouse/client.js';
import { toSinkError } from './rollup-writer.js';

/**
 * The write-ahead record of a partition's flush: "offsets first..last are about to be written with
 * this token". Written before the rollup insert; read back when a partition is (re)assigned, so the
 * new owner replays exactly that range with exactly that token (docs/exactly-once.md).
 */
export interface Intent {
  first: bigint;
  last: bigint;
  token: string;
}

export interface PartitionRef {
  groupId: string;
  topic: string;
  partition: number;
}

export async function readIntent(client: ClickHouseClient, db: string, ref: PartitionRef): Promise<Intent | undefined> {
  try {
    const rs = await client.query({
      query: `SELECT count() AS n, toString(max(last_offset)) AS last, toString(argMax(first_offset, last_offset)) AS first, argMax(token, last_offset) AS token
              FROM ${db}.sink_intents WHERE group_id = {g:String} AND topic = {t:String} AND partition = {p:UInt32}`,
      query_params: { g: ref.groupId, t: ref.topic, p: ref.partition },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: number | string; first: string; last: string; token: string }>();
    if (!row || Number(row.n) === 0) return undefined;
    return { first: BigInt(row.first), last: BigInt(row.last), token: row.token };
  } catch (err) {
    throw toSinkError('reading the sink intent', err);
  }
}

export async function writeIntent(client: ClickHouseClient, db: string, ref: PartitionRef, intent: Intent, nowMs: number): Promise<void> {
  try {
    await client.insert({
      table: `${db}.sink_intents`,
      values: [{ group_id: ref.groupId, topic: ref.topic, partition: ref.partition, first_offset: intent.first.toString(), last_offset: intent.last.toString(), token: intent.token, written_at: nowMs }],
      format: 'JSONEachRow',
    });
  } catch (err) {
    throw toSinkError('writing the sink intent', err);
  }
}
