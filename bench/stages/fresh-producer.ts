/**
 * (e) The steady load and the markers, as two processes (option `role`):
 *  - `load`: generated events at `rate` per second of wall time, sent every 50 ms (what is due by then);
 *  - `markers`: every `markerMs` one marker event, a message.received of tenant `bench-marker` whose
 *    workspace id is unique, recording the time it was handed to its producer. Markers have distinct
 *    conversation ids, so they spread over all partitions like the rest of the stream. A process of their
 *    own keeps their send times exact while the load producer's event loop is busy encoding requests.
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
  const role = String(input.options?.['role'] ?? 'load');
  const rate = Number(input.options?.['rate'] ?? 20_000);
  const seconds = Number(input.options?.['seconds'] ?? 30);
  const schemaId = Number(input.options?.['schemaId']);
  const seed = Number(input.options?.['seed'] ?? 1);
  const producer = benchKafka(cfg, `bench-fresh-${role}`).producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  const encode = createBenchEncoder(schemaId);

  if (role === 'markers') {
    const markerMs = Number(input.options?.['markerMs'] ?? 100);
    const markers: Marker[] = [];
    const inFlight = new Set<Promise<void>>();
    const t0 = Date.now();
    let next = t0;
    for (let seq = 0; Date.now() < t0 + seconds * 1000; seq++) {
      const sentAt = Date.now();
      const workspace = `mk-${seq}-${sentAt}`;
      const marker: AnalyticsEvent = {
        event: 'message.received', event_id: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`, org_id: MARKER_ORG, workspace_id: workspace,
        user_id: 'mk-user', timestamp: sentAt, conversation_id: `mk-conv-${seq}`, message_id: `mk-msg-${seq}`, customer_id: 'mk-cust',
      };
      markers.push({ workspace, sentAt });
      const p: Promise<void> = producer.send({ topic: input.topic, messages: [encode(marker)], acks: -1 }).then(() => {
        inFlight.delete(p);
      });
      inFlight.add(p);
      next += markerMs;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(inFlight);
    await producer.disconnect();
    await send({ type: 'data', data: { markers } });
    return;
  }

  // The load is generated and encoded before the clock starts, so the producer spends its CPU on sending
  // while the worker is measured. Event times follow the planned schedule (rate per second from the
  // planned start).
  const tickMs = 50;
  const maxInFlight = 8;
  const total = Math.ceil(rate * seconds) + rate;
  const prepStart = Date.now();
  let planned = prepStart;
  let k = 0;
  const gen = createBenchGenerator({ seed: seed + 1000, total, endMs: prepStart, eventRate: rate, clock: () => planned + Math.floor((k / rate) * 1000) });
  const pool: Message[] = new Array<Message>(total);
  for (; k < total; k++) {
    if (k === 2_000) {
      // Estimate when the preparation ends, so event times line up with the send times.
      const perEvent = (Date.now() - prepStart) / 2_000;
      planned = Date.now() + Math.ceil(perEvent * (total - k) * 1.1) - Math.floor((k / rate) * 1000);
    }
    const e = gen.next();
    if (e === undefined) break;
    pool[k] = encode(e);
  }
  const prepSeconds = (Date.now() - prepStart) / 1000;
  await send({ type: 'ready' });

  const inFlight = new Set<Promise<void>>();
  let generated = 0;
  let acked = 0;
  let behindTicks = 0;
  let lateTicks = 0;
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  let nextTick = t0;
  while (Date.now() < end) {
    const tickStart = Date.now();
    if (tickStart - nextTick > tickMs) lateTicks++;
    nextTick += tickMs;
    const due = Math.min(pool.length, Math.floor(((tickStart - t0) / 1000) * rate)) - generated;
    const messages = pool.slice(generated, generated + due);
    generated += due;
    // A tick that fell behind carries more; keep each request well under the broker's 1 MB batch limit.
    for (let i = 0; i < messages.length; i += 4_000) {
      const chunk = messages.slice(i, i + 4_000);
      const p: Promise<void> = producer.send({ topic: input.topic, messages: chunk, acks: -1 }).then(() => {
        acked += chunk.length;
        inFlight.delete(p);
      });
      inFlight.add(p);
      if (inFlight.size >= maxInFlight) {
        behindTicks++;
        await Promise.race(inFlight);
      }
    }
    const wait = nextTick - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inFlight);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await producer.disconnect();
  await send({
    type: 'result',
    result: {
      stage: 'fresh-producer', events: acked, seconds: elapsed, wallSeconds: elapsed, eps: acked / elapsed,
      cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024, baselineRssMb: 0,
      extra: { behindTicks, lateTicks, asked: rate, prepSeconds },
    },
  });
});
