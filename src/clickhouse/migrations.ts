import type { ClickHouseClient } from './client.js';

/**
 * Versioned, idempotent schema. A migration is applied once, in order, and recorded in
 * `schema_migrations`; every statement is also written to be harmless when repeated (IF NOT EXISTS),
 * so a migration interrupted half-way can simply run again. The same DDL runs on the embedded engine
 * and on a ClickHouse server 24.x or newer.
 *
 * The model (docs/data-model.md): the worker inserts partial "measure" rows into `rollup_input`
 * (engine Null: it stores nothing); two materialized views fold each insert into the minute grain and
 * the 15-minute grain. 15 minutes is the coarsest grain that every time zone's hours and days are made
 * of (offsets such as +05:45 and +05:30 are multiples of 15 minutes). Migration 2 adds hourly and daily
 * rollups, each fed from the next finer table, so a month is read as days plus its edges.
 */
export interface Migration {
  version: number;
  name: string;
  statements: (db: string) => string[];
}

/** Enough blocks for a replay after a rebalance while other workers keep writing. */
export const DEDUP_WINDOW = 10_000;

const rollupTable = (db: string, name: string) => `
CREATE TABLE IF NOT EXISTS ${db}.${name} (
  org_id String,
  measure LowCardinality(String),
  bucket DateTime('UTC'),
  workspace_id String,
  dim String,
  count SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  ids AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree
ORDER BY (org_id, measure, bucket, workspace_id, dim)
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}`;

/** A coarser grain fed from a finer rollup table: merges the finer table's inserted block. */
const cascadeView = (db: string, name: string, source: string, target: string, bucketExpr: string) => `
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name} TO ${db}.${target} AS
SELECT org_id, measure, ${bucketExpr} AS bucket, workspace_id, dim,
       sum(count) AS count, sum(sum) AS sum, uniqExactMergeState(ids) AS ids
FROM ${db}.${source}
GROUP BY org_id, measure, bucket, workspace_id, dim`;

/** Fills `target` from `source` once: only while `target` is still empty, so a repeated run adds nothing. */
const backfill = (db: string, source: string, target: string, bucketExpr: string) => `
INSERT INTO ${db}.${target}
SELECT org_id, measure, ${bucketExpr} AS bucket, workspace_id, dim,
       sum(count) AS count, sum(sum) AS sum, uniqExactMergeState(ids) AS ids
FROM ${db}.${source}
WHERE (SELECT count() FROM ${db}.${target}) = 0
GROUP BY org_id, measure, bucket, workspace_id, dim`;

const rollupView = (db: string, name: string, target: string, bucketExpr: string) => `
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name} TO ${db}.${target} AS
SELECT org_id, measure, ${bucketExpr} AS bucket, workspace_id, dim,
       sum(count) AS count, sum(sum) AS sum, uniqExactArrayState(ids) AS ids
FROM ${db}.rollup_input
GROUP BY org_id, measure, bucket, workspace_id, dim`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'measure rollups at 1 and 15 minutes, sink intents',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.rollup_input (
        bucket DateTime('UTC'),
        org_id String,
        workspace_id String,
        measure LowCardinality(String),
        dim String,
        count UInt64,
        sum Float64,
        ids Array(String)
      ) ENGINE = Null`,
      rollupTable(db, 'rollup_1m'),
      rollupTable(db, 'rollup_15m'),
      rollupView(db, 'rollup_1m_mv', 'rollup_1m', 'bucket'),
      rollupView(db, 'rollup_15m_mv', 'rollup_15m', 'toStartOfFifteenMinutes(bucket)'),
      // Write-ahead record of the offset range each partition is about to write (docs/exactly-once.md).
      `CREATE TABLE IF NOT EXISTS ${db}.sink_intents (
        group_id String,
        topic String,
        partition UInt32,
        first_offset UInt64,
        last_offset UInt64,
        token String,
        written_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(last_offset)
      ORDER BY (group_id, topic, partition)`,
    ],
  },
  {
    version: 2,
    name: 'hourly and daily rollups, fed from the 15-minute grain',
    // Each coarser table is fed by a view on the next finer one: the views see the finer table's
    // block (already merged), not every input row, and an insert's dedup token reaches them too
    // (deduplicate_blocks_in_dependent_materialized_views covers the whole tree of views). Order
    // matters: the daily view exists before the hourly backfill, which thus fills both; the hourly
    // view comes last. Rows inserted between the backfill and that view would be missed, so on a
    // deployment with data the workers are stopped while `rollups migrate` runs (docs/data-model.md).
    statements: (db) => [
      rollupTable(db, 'rollup_1h'),
      rollupTable(db, 'rollup_1d'),
      cascadeView(db, 'rollup_1d_mv', 'rollup_1h', 'rollup_1d', 'toStartOfDay(bucket)'),
      backfill(db, 'rollup_15m', 'rollup_1h', 'toStartOfHour(bucket)'),
      cascadeView(db, 'rollup_1h_mv', 'rollup_15m', 'rollup_1h', 'toStartOfHour(bucket)'),
    ],
  },
  {
    version: 3,
    name: 'distinct cache: pre-merged id sets of whole days',
    // A cache, not data: entries are rebuilt from rollup_1d whenever they are missing or stale
    // (src/query/distinct-cache.ts), so a lost or expired entry costs one slower read. One row per
    // granule: an entry is megabytes of state, and a read must not deserialize its neighbours.
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.distinct_cache (
        org_id String,
        workspace_id String,
        measure LowCardinality(String),
        from_day DateTime('UTC'),
        to_day DateTime('UTC'),
        count UInt64,
        sum Float64,
        ids AggregateFunction(uniqExact, String),
        built_at DateTime('UTC') DEFAULT now()
      ) ENGINE = MergeTree
      ORDER BY (org_id, workspace_id, measure, from_day, to_day, count)
      TTL built_at + INTERVAL 2 DAY
      SETTINGS index_granularity = 1`,
    ],
  },
];

export interface MigrateReport {
  database: string;
  applied: number[];
  current: number;
}

export async function migrate(client: ClickHouseClient, db: string, migrations: Migration[] = MIGRATIONS): Promise<MigrateReport> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime('UTC') DEFAULT now()) ENGINE = MergeTree ORDER BY version`,
  });
  const rs = await client.query({ query: `SELECT DISTINCT version FROM ${db}.schema_migrations`, format: 'JSONEachRow' });
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements(db)) await client.command({ query: sql });
    await client.insert({ table: `${db}.schema_migrations`, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    applied.push(m.version);
  }
  return { database: db, applied, current: Math.max(0, ...migrations.map((m) => m.version)) };
}
