import { expect } from 'vitest';
import type { ClickHouseClient } from '../../src/clickhouse/client.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { METRIC_SECTIONS } from '../../src/metrics/mapping.js';
import { createQueryService } from '../../src/query/service.js';
import { groundTruth } from './ground-truth.js';

const HOUR = 3_600_000;

/**
 * Every metric of every tenant over a range covering all `events` (minute-aligned, a few days back from
 * `now`), from the rollups, equals the naive recomputation from the raw events.
 */
export async function expectRollupsEqualGroundTruth(client: ClickHouseClient, database: string, events: readonly AnalyticsEvent[], now: number): Promise<void> {
  const q = createQueryService({ client, database });
  const fromMs = Math.floor((now - 4 * 24 * HOUR) / 60_000) * 60_000;
  const toMs = Math.ceil((now + HOUR) / 60_000) * 60_000;
  for (const org of [...new Set(events.map((e) => e.org_id))]) {
    const got = await q.sections({ orgId: org, fromMs, toMs }, METRIC_SECTIONS);
    const want = groundTruth(events, { org_id: org, fromMs, toMs });
    for (const s of METRIC_SECTIONS) expect(got[s], `${org} ${s}`).toEqual(want[s]);
  }
}
