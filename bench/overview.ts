/**
 * The overview metrics (contract section 5, `METRICS.overview`) over the whole topic, read from our rollup
 * tables and from the peer's tables: the two must agree, which shows the peer computes the same thing.
 */
import type { ClickHouseClient } from '../src/clickhouse/client.js';

export interface OverviewTotals {
  messages: number;
  conversations: number;
  escalatedConversations: number;
  responseTimeSum: number;
  responseTimeCount: number;
  firstAttempts: number;
  firstAttemptsPassed: number;
  customers: number;
}

async function one(client: ClickHouseClient, query: string): Promise<Record<string, number | string>> {
  const rs = await client.query({ query, format: 'JSONEachRow' });
  const [row] = await rs.json<Record<string, number | string>>();
  return row ?? {};
}

/** From the worker's measure rows (`rollup_1m`). */
export async function ourOverview(client: ClickHouseClient, db: string): Promise<OverviewTotals> {
  const r = await one(
    client,
    `SELECT
       sumIf(count, measure = 'messages') AS messages,
       uniqExactMergeIf(ids, measure = 'conversations') AS conversations,
       uniqExactMergeIf(ids, measure = 'escalated_conversations') AS escalated,
       sumIf(sum, measure = 'response_time_ms') AS rt_sum,
       sumIf(count, measure = 'response_time_ms') AS rt_count,
       sumIf(count, measure = 'first_attempts') AS fa,
       sumIf(count, measure = 'first_attempts_passed') AS fap,
       uniqExactMergeIf(ids, measure = 'customers') AS customers
     FROM ${db}.rollup_1m
     WHERE measure IN ('messages', 'conversations', 'escalated_conversations', 'response_time_ms', 'first_attempts', 'first_attempts_passed', 'customers')
       AND org_id != 'bench-marker'`,
  );
  return totals(r);
}

function totals(r: Record<string, number | string>): OverviewTotals {
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    messages: n('messages'),
    conversations: n('conversations'),
    escalatedConversations: n('escalated'),
    responseTimeSum: n('rt_sum'),
    responseTimeCount: n('rt_count'),
    firstAttempts: n('fa'),
    firstAttemptsPassed: n('fap'),
    customers: n('customers'),
  };
}

// ---- the peer: ClickHouse's Kafka engine + a materialized view -----------------------------------------

/** Columns the peer reads from the Avro records (the rest of the schema is skipped by the format). */
export const PEER_KAFKA_COLUMNS = `
  event String,
  org_id String,
  workspace_id String,
  timestamp DateTime64(3, 'UTC'),
  conversation_id Nullable(String),
  customer_id Nullable(String),
  response_time_ms Nullable(Int64),
  attempt Nullable(Int32),
  gates Array(Tuple(gate String, passed Bool, score Nullable(Float64), word_count Nullable(Int32), claims Array(String), banned_phrases Array(String)))`;

/** The peer's rollup: the overview metrics per tenant, workspace and minute, as mergeable states. */
export function peerSchema(db: string, kafkaSettings: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE ${db}.overview_1m (
       org_id String,
       workspace_id String,
       bucket DateTime('UTC'),
       messages SimpleAggregateFunction(sum, UInt64),
       conversations AggregateFunction(uniqExact, String),
       escalated_conversations AggregateFunction(uniqExact, String),
       response_time_sum SimpleAggregateFunction(sum, Float64),
       response_time_count SimpleAggregateFunction(sum, UInt64),
       first_attempts SimpleAggregateFunction(sum, UInt64),
       first_attempts_passed SimpleAggregateFunction(sum, UInt64),
       customers AggregateFunction(uniqExact, String)
     ) ENGINE = AggregatingMergeTree ORDER BY (org_id, bucket, workspace_id)`,
    `CREATE TABLE ${db}.events_kafka (${PEER_KAFKA_COLUMNS}) ENGINE = Kafka SETTINGS ${kafkaSettings}`,
  ];
}

/** Created last: attaching the view starts the engine's background consumption. */
export function peerView(db: string): string {
  return `CREATE MATERIALIZED VIEW ${db}.overview_1m_mv TO ${db}.overview_1m AS
    SELECT
      org_id,
      workspace_id,
      toStartOfMinute(timestamp) AS bucket,
      countIf(event IN ('message.received', 'message.delivered')) AS messages,
      uniqExactStateIf(assumeNotNull(conversation_id), event = 'message.received' AND conversation_id IS NOT NULL) AS conversations,
      uniqExactStateIf(assumeNotNull(conversation_id), event = 'escalation.created' AND conversation_id IS NOT NULL) AS escalated_conversations,
      sumIf(toFloat64(assumeNotNull(response_time_ms)), event = 'message.delivered' AND response_time_ms IS NOT NULL) AS response_time_sum,
      countIf(event = 'message.delivered' AND response_time_ms IS NOT NULL) AS response_time_count,
      countIf(event = 'gate.evaluated' AND attempt = 1) AS first_attempts,
      countIf(event = 'gate.evaluated' AND attempt = 1 AND arrayAll(g -> tupleElement(g, 'passed'), gates)) AS first_attempts_passed,
      uniqExactStateIf(assumeNotNull(customer_id), event = 'message.received' AND customer_id IS NOT NULL) AS customers
    FROM ${db}.events_kafka
    GROUP BY org_id, workspace_id, bucket`;
}

export async function peerOverview(client: ClickHouseClient, db: string): Promise<OverviewTotals> {
  const r = await one(
    client,
    `SELECT sum(messages) AS messages, uniqExactMerge(conversations) AS conversations, uniqExactMerge(escalated_conversations) AS escalated,
            sum(response_time_sum) AS rt_sum, sum(response_time_count) AS rt_count, sum(first_attempts) AS fa,
            sum(first_attempts_passed) AS fap, uniqExactMerge(customers) AS customers
     FROM ${db}.overview_1m`,
  );
  return totals(r);
}
