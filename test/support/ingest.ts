import { Writable } from 'node:stream';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avsc from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { eventSchemaText, toAvroRecord } from '../../src/contract/avro.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { frame } from '../../src/contract/wire.js';
import { createLogger, type Logger } from '../../src/ops/logger.js';
import type { DecodedEvent } from '../../src/pipeline/types.js';
import { createIngestWorker, type IngestWorker } from '../../src/worker/ingest-worker.js';
import { services, testKafka, uniqueName } from './services.js';

/** A logger whose every line is kept, so a test can prove what never reaches a log. */
export function capturedLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

export async function registerSchema(subject: string, schema: string | object): Promise<number> {
  const registry = new SchemaRegistry({ host: services().registryUrl });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: typeof schema === 'string' ? schema : JSON.stringify(schema) }, { subject });
  return id;
}

export function encodeWith(schema: string | object, id: number, record: Record<string, unknown>): Buffer {
  const type = avsc.Type.forSchema((typeof schema === 'string' ? JSON.parse(schema) : schema) as avsc.Schema);
  return frame(id, type.toBuffer(record));
}

export function encodeEvent(id: number, e: AnalyticsEvent): Buffer {
  return encodeWith(eventSchemaText(), id, toAvroRecord(e));
}

/**
 * Runs the real ingest worker (Kafka → decode → validate → dead-letter topic) on a topic, with a sink
 * that keeps the decoded events so the test can compare them with what was produced.
 */
export async function runIngestWorker(topic: string, dlqTopic: string, logger: Logger): Promise<{ worker: IngestWorker; events: DecodedEvent[] }> {
  const events: DecodedEvent[] = [];
  const worker = createIngestWorker({
    brokers: services().brokers,
    clientId: 'rollups-test',
    groupId: uniqueName('ingest'),
    topics: [topic],
    dlqTopic,
    registryUrl: services().registryUrl,
    logger,
    sink: async (batch) => {
      events.push(...batch);
      return { deadLetters: [], commit: true };
    },
  });
  await worker.start();
  return { worker, events };
}

/** Reads a whole topic from the beginning until `count` messages arrived (or the timeout). */
export async function readTopic(topic: string, count: number, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const consumer = testKafka().consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: KafkaMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} messages on ${topic}`)), timeoutMs);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          got.push(message);
          if (got.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return got;
}

export async function waitFor(cond: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
