import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REJECT_REASONS } from '../contract/catalog.js';

/**
 * The worker's Prometheus metrics. Labels are bounded: reason codes, topic and partition; never a
 * tenant, workspace or event id. Buckets are explicit, sized for batches of a few ms to a few seconds.
 */
export function createWorkerMetrics(registry = new Registry()) {
  const durationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  const m = {
    registry,
    consumed: new Counter({ name: 'rollups_events_consumed_total', help: 'Kafka records handed to the pipeline', registers: [registry] }),
    valid: new Counter({ name: 'rollups_events_valid_total', help: 'records that decoded and validated into events', registers: [registry] }),
    deadLettered: new Counter({ name: 'rollups_events_dead_lettered_total', help: 'records written to the dead-letter topic, by reason', labelNames: ['reason'], registers: [registry] }),
    dropped: new Counter({ name: 'rollups_events_dropped_total', help: 'records deliberately ignored (tombstones)', registers: [registry] }),
    late: new Counter({ name: 'rollups_events_late_total', help: 'events behind the watermark that were still counted', registers: [registry] }),
    rowsWritten: new Counter({ name: 'rollups_clickhouse_rows_written_total', help: 'rollup rows inserted into ClickHouse', registers: [registry] }),
    sinkErrors: new Counter({ name: 'rollups_clickhouse_insert_errors_total', help: 'failed ClickHouse writes (each is retried)', registers: [registry] }),
    retries: new Counter({ name: 'rollups_batch_retries_total', help: 'batches handed again after a retriable failure', labelNames: ['code'], registers: [registry] }),
    rebalances: new Counter({ name: 'rollups_rebalances_total', help: 'times this worker (re)joined its consumer group', registers: [registry] }),
    lastCommit: new Gauge({ name: 'rollups_last_commit_timestamp_seconds', help: 'unix time of the last offset commit', registers: [registry] }),
    pausedPartitions: new Gauge({ name: 'rollups_paused_partitions', help: 'partitions paused because their batch cannot be made durable', registers: [registry] }),
    batchDuration: new Histogram({ name: 'rollups_batch_duration_seconds', help: 'time from receiving a batch to its commit', buckets: durationBuckets, registers: [registry] }),
    flushDuration: new Histogram({ name: 'rollups_flush_duration_seconds', help: 'time to write one flush to ClickHouse', buckets: durationBuckets, registers: [registry] }),
  };
  // Every reason exists from the start at 0, so rate() and alerts work before the first bad record.
  for (const r of REJECT_REASONS) m.deadLettered.labels(r).inc(0);
  return m;
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
