/**
 * The benchmark's data: N events on a topic of their own, produced once. A topic of the same N, seed and
 * partition count that is complete (high watermarks add up to N) and young enough (its oldest event is far
 * from the lateness horizon) is reused; anything else is deleted and produced again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import type { Config } from '../src/config/schema.js';
import { RegistryClient } from '../src/producer/registry.js';
import { registerSchema, subjectFor } from '../src/producer/schemas.js';
import { createBenchEncoder } from './encode.js';
import { createBenchGenerator } from './generator.js';
import { topicSize } from './kafka.js';

export interface TopicManifest {
  topic: string;
  events: number;
  seed: number;
  partitions: number;
  schemaId: number;
  producedAt: number;
  firstEventMs: number;
  lastEventMs: number;
  produceSeconds: number;
  valueBytes: number;
}

export interface EnsureTopicOptions {
  kafka: Kafka;
  cfg: Config;
  events: number;
  seed: number;
  partitions: number;
  eventRate: number;
  stateDir: string;
  log: (line: string) => void;
}

export function benchTopicName(events: number, seed: number, partitions: number): string {
  return `bench-events-n${events}-s${seed}-p${partitions}`;
}

/** Oldest event age that is still reused: two days inside the worker's lateness horizon. */
function maxReuseAgeMs(cfg: Config): number {
  return cfg.ROLLUPS_ALLOWED_LATENESS_MS - 2 * 86_400_000;
}

async function waitTopicGone(admin: Admin, topic: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (!(await admin.listTopics()).includes(topic)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`topic ${topic} did not go away after deletion`);
}

export async function createTopics(admin: Admin, topics: Array<{ topic: string; partitions: number }>): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  await admin.createTopics({ topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })), waitForLeaders: true });
}

export async function deleteTopic(admin: Admin, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) return;
  await admin.deleteTopics({ topics: [topic] });
  await waitTopicGone(admin, topic);
}

export async function registerBenchSchema(cfg: Config, topic: string): Promise<number> {
  return (await registerSchema(new RegistryClient(cfg.SCHEMA_REGISTRY_URL), subjectFor(topic))).id;
}

/** Produces `total` generated events to `topic` as fast as the producer goes; returns the manifest fields. */
async function produceAll(producer: Producer, topic: string, schemaId: number, o: EnsureTopicOptions): Promise<Omit<TopicManifest, 'topic' | 'partitions' | 'schemaId' | 'producedAt'>> {
  const endMs = Date.now() - 60_000;
  const gen = createBenchGenerator({ seed: o.seed, total: o.events, endMs, eventRate: o.eventRate });
  const encode = createBenchEncoder(schemaId);
  const chunk = 4_000;
  const maxInFlight = 4;
  const inFlight = new Set<Promise<unknown>>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let bytes = 0;
  let sent = 0;
  let nextReport = 250_000;
  const t0 = performance.now();
  for (;;) {
    const messages: Message[] = [];
    for (let i = 0; i < chunk; i++) {
      const e = gen.next();
      if (e === undefined) break;
      if (e.timestamp < first) first = e.timestamp;
      if (e.timestamp > last) last = e.timestamp;
      const m = encode(e);
      bytes += m.value.length;
      messages.push(m);
    }
    if (messages.length === 0) break;
    const p = producer.send({ topic, messages, acks: -1 }).then(() => {
      sent += messages.length;
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (gen.produced >= nextReport) {
      o.log(`produced ${gen.produced.toLocaleString('en-US')} / ${o.events.toLocaleString('en-US')} (${Math.round(gen.produced / ((performance.now() - t0) / 1000)).toLocaleString('en-US')} events/s)`);
      nextReport += 250_000;
    }
  }
  await Promise.all(inFlight);
  if (sent !== o.events) throw new Error(`produced ${sent} events, expected ${o.events}`);
  return { events: o.events, seed: o.seed, firstEventMs: first, lastEventMs: last, produceSeconds: (performance.now() - t0) / 1000, valueBytes: bytes };
}

/** The topic with the benchmark's events, produced now unless a complete, young enough one exists. */
export async function ensureBenchTopic(o: EnsureTopicOptions): Promise<{ manifest: TopicManifest; reused: boolean }> {
  const topic = benchTopicName(o.events, o.seed, o.partitions);
  mkdirSync(o.stateDir, { recursive: true });
  const manifestPath = join(o.stateDir, `${topic}.json`);
  const admin = o.kafka.admin();
  await admin.connect();
  try {
    const exists = (await admin.listTopics()).includes(topic);
    if (exists && existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as TopicManifest;
      const size = await topicSize(admin, topic);
      const young = Date.now() - manifest.firstEventMs < maxReuseAgeMs(o.cfg);
      if (size.messages === BigInt(o.events) && size.lowIsZero && size.partitions === o.partitions && young) {
        // The registry may have been reset since (a fresh stack): make sure the id still resolves.
        const id = await registerBenchSchema(o.cfg, topic);
        if (id === manifest.schemaId) return { manifest, reused: true };
        o.log(`the registry gives schema id ${id}, the topic was produced with ${manifest.schemaId}: producing again`);
      } else {
        o.log(`topic ${topic} exists but is ${young ? 'incomplete' : 'too old'} (${size.messages} messages): producing again`);
      }
    }
    if (exists) await deleteTopic(admin, topic);
    await createTopics(admin, [{ topic, partitions: o.partitions }, { topic: `${topic}.dlq`, partitions: 1 }]);
    const schemaId = await registerBenchSchema(o.cfg, topic);
    const producer = o.kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    try {
      const producedAt = Date.now();
      const r = await produceAll(producer, topic, schemaId, o);
      const manifest: TopicManifest = { topic, partitions: o.partitions, schemaId, producedAt, ...r };
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      return { manifest, reused: false };
    } finally {
      await producer.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
}
