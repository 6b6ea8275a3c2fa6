import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { METRIC_SECTIONS } from '../../src/metrics/mapping.js';
import { createWorkerMetrics } from '../../src/ops/metrics.js';
import type { DecodedEvent } from '../../src/pipeline/types.js';
import { createQueryService } from '../../src/query/service.js';
import { createRollupSink } from '../../src/sink/rollup-sink.js';
import type { SourceBatch } from '../../src/source/kafka-source.js';
import { generateEvents } from '../support/generator.js';
import { groundTruth } from '../support/ground-truth.js';
import { capturedLogger } from '../support/ingest.js';
import { createTestDatabase } from '../support/services.js';

/**
 * The narrow crash windows, made deterministic against the real ClickHouse: an insert that landed but
 * whose offsets were never committed is handed again (by a fresh process, in larger or smaller
 * batches than the original), and must count once.
 */
const HOUR = 3_600_000;

function batchOf(events: readonly AnalyticsEvent[], from: number, to: number): { batch: SourceBatch; decoded: DecodedEvent[] } {
  const decoded: DecodedEvent[] = [];
  for (let o = from; o <= to; o++) {
    decoded.push({ event: events[o] as AnalyticsEvent, message: { topic: 't', partition: 0, offset: String(o), key: null, value: null, timestamp: '0' } });
  }
  return { batch: { topic: 't', partition: 0, messages: decoded.map((d) => d.message), lastOffset: String(to) }, decoded };
}

describe('sink replay after a lost commit', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('replay');
    await migrate(db.client, db.database);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const sinkFor = (now: number) =>
    createRollupSink({
      client: db.client, database: db.database, groupId: 'g', windowMs: 60_000, allowedLatenessMs: 7 * 24 * HOUR,
      now: () => now, logger: capturedLogger('warn').logger, metrics: createWorkerMetrics(),
    });

  it('counts a landed-but-uncommitted range once, whatever the batch boundaries of the redelivery', async () => {
    const now = Date.now();
    const events = generateEvents({ seed: 3, tenants: 2, workspacesPerTenant: 2, days: 1, startMs: now - 2 * 24 * HOUR, count: 3000 });

    // Process 1: writes [0, 999] and [1000, 1999]; the commit of the second is lost with the process.
    const first = sinkFor(now);
    for (const [a, b] of [[0, 999], [1000, 1999]] as const) {
      const { batch, decoded } = batchOf(events, a, b);
      expect(await first.handle(decoded, batch)).toEqual({ deadLetters: [], commit: true });
    }
    // Process 2 starts from the committed offset 1000, with a smaller first batch than the original:
    // it must hold it (no commit), then complete the range and replay it under the same token.
    const second = sinkFor(now);
    const small = batchOf(events, 1000, 1499);
    expect(await second.handle(small.decoded, small.batch)).toEqual({ deadLetters: [], commit: false });
    const rest = batchOf(events, 1500, 2999);
    expect(await second.handle(rest.decoded, rest.batch)).toEqual({ deadLetters: [], commit: true });
    // Process 3: the same again from 1000 in one large batch (the range [1500, 2999] was not committed either).
    const third = sinkFor(now);
    const again = batchOf(events, 1000, 2999);
    expect(await third.handle(again.decoded, again.batch)).toEqual({ deadLetters: [], commit: true });

    const q = createQueryService({ client: db.client, database: db.database });
    const fromMs = Math.floor((now - 3 * 24 * HOUR) / 60_000) * 60_000;
    const toMs = Math.ceil(now / 60_000) * 60_000 + 60_000;
    for (const org of [...new Set(events.map((e) => e.org_id))]) {
      const got = await q.sections({ orgId: org, fromMs, toMs }, METRIC_SECTIONS);
      const want = groundTruth(events, { org_id: org, fromMs, toMs });
      for (const s of METRIC_SECTIONS) expect(got[s], `${org} ${s}`).toEqual(want[s]);
    }
  });
});
