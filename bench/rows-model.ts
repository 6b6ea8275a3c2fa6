/**
 * How many rollup rows the bench data needs, without Kafka or ClickHouse: the bench events are split into
 * partitions as the producer does (murmur2 of the key), cut into batches, and each batch goes through the
 * worker's TumblingWindows; every partial row is one row written. Also the same with the partitions merged,
 * and the floor: one window over everything (one row per minute, tenant, workspace, measure and dim of the
 * whole data set), which no flush strategy can go below.
 *
 *   npx tsx bench/rows-model.ts [N] [partitions]
 */
import { Partitioners } from 'kafkajs';
import type { AnalyticsEvent } from '../src/contract/catalog.js';
import { kafkaKey } from '../src/contract/key.js';
import { TumblingWindows } from '../src/window/tumbling.js';
import { createBenchGenerator } from './generator.js';

const N = Number(process.argv[2] ?? 600_000);
const P = Number(process.argv[3] ?? 3);
const gen = createBenchGenerator({ seed: 1, total: N, endMs: Date.now() - 60_000 });
const partitioner = Partitioners.DefaultPartitioner();
const partitionMetadata = Array.from({ length: P }, (_, p) => ({ partitionId: p, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
const all: AnalyticsEvent[] = [];
const parts: AnalyticsEvent[][] = Array.from({ length: P }, () => []);
for (let e = gen.next(); e; e = gen.next()) {
  all.push(e);
  parts[partitioner({ topic: 'bench', partitionMetadata, message: { key: kafkaKey(e), value: null } })]!.push(e);
}

function rows(groups: AnalyticsEvent[][], batch: number, byMeasure?: Map<string, number>): number {
  let n = 0;
  for (const events of groups) {
    for (let i = 0; i < events.length; i += batch) {
      const w = new TumblingWindows();
      for (let j = i; j < Math.min(events.length, i + batch); j++) w.record(events[j]!);
      const out = w.flush();
      n += out.length;
      if (byMeasure) for (const r of out) byMeasure.set(r.measure, (byMeasure.get(r.measure) ?? 0) + 1);
    }
  }
  return n;
}

const per1k = (n: number) => ((n / N) * 1000).toFixed(0).padStart(5);
console.log(`${N.toLocaleString('en-US')} bench events, ${P} partitions: rollup rows per 1,000 events`);
console.log('events per batch   per partition   partitions merged (same events per flush)');
for (const b of [1_000, 2_000, 8_000, 24_000, 100_000]) {
  console.log(`${String(b).padStart(16)}   ${per1k(rows(parts, b)).padStart(13)}   ${per1k(rows([all], b * P)).padStart(13)} (${b * P} per flush)`);
}
console.log(`floor, one window over all ${N.toLocaleString('en-US')} events: ${per1k(rows([all], N)).trim()}`);
const byMeasure = new Map<string, number>();
const total = rows(parts, 24_000, byMeasure);
console.log(`rows by measure (24,000 per partition batch): ${[...byMeasure].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`).join(', ')}`);
