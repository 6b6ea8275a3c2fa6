/**
 * A live stream for the read benchmark (`--live R`): R events per second of the measured tenant, written
 * through the worker's own sink (windows, intents, tokens) into the same engine while the API is
 * measured, telling the API's change feed as `rollups run` does. Event times are within the minute
 * before the API's fixed "now", 2 % of them up to 10 minutes late: the open tail's minutes, as a
 * live dashboard sees them. Every write dirties the tail, so the next read asks the engine again, and
 * the inserts themselves take the engine's turn (it runs one statement at a time).
 */
import type { ClickHouseClient } from '../src/clickhouse/client.js';
import { createLogger } from '../src/ops/logger.js';
import { createWorkerMetrics } from '../src/ops/metrics.js';
import type { DecodedEvent } from '../src/pipeline/types.js';
import type { RollupChanges } from '../src/sink/changes.js';
import { createRollupSink } from '../src/sink/rollup-sink.js';
import { generateEvents } from '../test/support/generator.js';
import { renameOrgs } from './read-build.js';
import { summarize, type Summary } from './read-stats.js';

export interface LiveOptions {
  client: ClickHouseClient;
  database: string;
  changes: RollupChanges;
  tenant: string;
  /** Events per second. */
  rate: number;
  /** The API's clock. */
  nowMs: number;
}

export interface LiveStats {
  writes: number;
  events: number;
  /** Each flush through the sink (window, intent, insert), ms. */
  flush: Summary;
}

export function startLiveWriter(o: LiveOptions): { stop(): Promise<LiveStats> } {
  const sink = createRollupSink({
    client: o.client, database: o.database, groupId: 'bench-read-live', windowMs: 60_000, allowedLatenessMs: 86_400_000,
    now: () => o.nowMs, logger: createLogger('warn'), metrics: createWorkerMetrics(), changes: o.changes,
  });
  // A topic of its own per run: the sink's intents of an earlier run (same data directory) do not apply.
  const topic = `bench-live-${Date.now()}`;
  let offset = 0;
  let tick = 0;
  let running = true;
  const flushes: number[] = [];
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const events = generateEvents({
        seed: 900_000 + tick++, tenants: 1, workspacesPerTenant: 3, days: 60_000 / 86_400_000, startMs: o.nowMs - 60_000,
        count: o.rate, outOfOrderFraction: 0.02, lateHoursMax: 1 / 6,
      }).filter((e) => e.timestamp < o.nowMs);
      renameOrgs(events, new Map([[`org-${900_000 + tick - 1}-1`, o.tenant]]));
      const decoded: DecodedEvent[] = events.map((event) => ({ event, message: { topic, partition: 0, offset: String(offset++), key: null, value: null, timestamp: '0' } }));
      const batch = { topic, partition: 0, messages: decoded.map((d) => d.message), lastOffset: String(offset - 1) };
      const t = performance.now();
      if (decoded.length > 0) await sink.handle(decoded, batch);
      flushes.push(performance.now() - t);
      // One flush a second (ROLLUPS_FLUSH_INTERVAL_MS), whatever the flush took.
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - started))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { writes: flushes.length, events: offset, flush: summarize(flushes) };
    },
  };
}
