/**
 * (e) The steady load: generated events at `rate` per second of wall time (event time = now), one tick every
 * 50 ms, plus one marker event per tick: a message.received of tenant `bench-marker` whose workspace id is
 * unique and carries the time the marker was handed to the producer. Markers have distinct conversation
 * ids, so they spread over all partitions like the rest of the stream.
 */
import type { Message } from 'kafkajs';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { send, stageInput, stageMain } from '../child.js';
import { createBenchEncoder } from '../encode.js';
import { createBenchGenerator } from '../generator.js';
import { benchKafka } from '../kafka.js';
import { stageConfig, type StageInput } from './common.js';

export interface Marker {
  workspace: string;
  sentAt: number;
}

export const MARKER_ORG = 'bench-marker';

stageMain(async () => {
  const input = stageInput<StageInput>();
  const cfg = stageConfig(input);
  const rate = Number(input.options?.['rate'] ?? 20_000);
  const seconds = Number(input.options?.['seconds'] ?? 30);
  const schemaId = Number(input.options?.['schemaId']);
  const seed = Number(input.options?.['seed'] ?? 1);
  const tickMs = 50;
  const maxInFlight = 8;

  const producer = benchKafka(cfg, 'bench-fresh-producer').producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  const gen = createBenchGenerator({ seed: seed + 1000, total: Math.ceil(rate * seconds * 1.2) + 10_000, endMs: Date.now(), clock: Date.now, eventRate: rate });
  const encode = createBenchEncoder(schemaId);
  const markers: Marker[] = [];
  const inFlight = new Set<Promise<void>>();
  let generated = 0;
  let acked = 0;
  let behindTicks = 0;
  let seq = 0;

  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  while (Date.now() < end) {
    const tickStart = Date.now();
    const due = Math.floor(((tickStart - t0) / 1000) * rate) - generated;
    const messages: Message[] = [];
    const sentAt = Date.now();
    const workspace = `mk-${seq}-${sentAt}`;
    const marker: AnalyticsEvent = {
      event: 'message.received', event_id: `00000000-0000-4000-8000-${(seq).toString(16).padStart(12, '0')}`, org_id: MARKER_ORG, workspace_id: workspace,
      user_id: 'mk-user', timestamp: sentAt, conversation_id: `mk-conv-${seq}`, message_id: `mk-msg-${seq}`, customer_id: 'mk-cust',
    };
    seq++;
    messages.push(encode(marker));
    markers.push({ workspace, sentAt });
    for (let i = 0; i < due; i++) {
      const e = gen.next();
      if (e === undefined) break;
      messages.push(encode(e));
    }
    generated += due;
    const n = messages.length;
    const p: Promise<void> = producer.send({ topic: input.topic, messages, acks: -1 }).then(() => {
      acked += n;
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= maxInFlight) {
      behindTicks++;
      await Promise.race(inFlight);
    }
    const wait = tickMs - (Date.now() - tickStart);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inFlight);
  const elapsed = (Date.now() - t0) / 1000;
  await producer.disconnect();
  await send({ type: 'data', data: { markers } });
  await send({
    type: 'result',
    result: {
      stage: 'fresh-producer', events: acked, seconds: elapsed, wallSeconds: elapsed, eps: acked / elapsed,
      cpuSeconds: process.cpuUsage().user / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024, baselineRssMb: 0,
      extra: { markers: markers.length, behindTicks, asked: rate },
    },
  });
});
