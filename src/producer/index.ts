/**
 * The producer helper (contract 4.1, 4.3): validates events against the contract, encodes the valid ones
 * as Avro in the Confluent wire format with the registered schema id, keys them `org_id[:conversation_id]`
 * and produces them with an idempotent kafkajs producer (`acks: -1`).
 *
 * ```ts
 * const producer = createEventProducer({ brokers: ['localhost:9092'], registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7' });
 * const { sent, rejected } = await producer.send(events); // rejected: [{ index, reason, detail }]
 * await producer.disconnect();
 * ```
 *
 * - An invalid event is never sent and never throws: it is reported in `rejected` with the contract's
 *   reason and a detail that names fields only, never a value.
 * - Kafka and registry failures throw {@link RollupsError}s: {@link ProduceError} (`retriable` as kafkajs
 *   knows it), {@link RegistryUnavailableError} (retriable), {@link SchemaRegistryError} (a refusal, not
 *   retriable), {@link TopicMissingError} (not retriable). A send that throws may have written part of its
 *   events; sending them again may write those twice (the consumer sees `event_id`).
 * - Sends are serialized: one produce request in flight at a time (`maxInFlightRequests: 1`, as KIP-98
 *   asks of an idempotent producer), so the events of one key stay in order across calls.
 */
import { Kafka, Partitioners, logLevel, type KafkaConfig, type Message, type Producer } from 'kafkajs';
import { eventSchemaText, getEventType, toAvroRecord } from '../contract/avro.js';
import type { AnalyticsEvent, RejectReason } from '../contract/catalog.js';
import { kafkaKey } from '../contract/key.js';
import { validateEvent } from '../contract/validate.js';
import { CONFIG_VARIABLES } from '../config/schema.js';
import { ProduceError, SchemaRegistryError } from '../errors.js';
import { kafkaFailure } from './kafka-errors.js';
import { RegistryClient } from './registry.js';
import { registerSchema, subjectFor } from './schemas.js';
import { ensureTopic } from './topics.js';
import { frame } from '../contract/wire.js';

/** The contract's default input topic (contract 1; `KAFKA_TOPICS`' default). */
export const DEFAULT_TOPIC: string = CONFIG_VARIABLES.KAFKA_TOPICS[1];

/** Most events in one produce request. */
export const DEFAULT_MAX_BATCH = 500;

export interface EventProducerOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Confluent-compatible registry base URL, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  registryUrl: string;
  /** Default `analytics-events`. The topic must exist. */
  topic?: string;
  /** Kafka client id; default `analytics-rollups-producer`. */
  clientId?: string;
  /**
   * More kafkajs client settings (ssl, sasl, timeouts, logging). kafkajs logging is off unless
   * `logLevel` or `logCreator` is given here.
   */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
  /**
   * When the subject `<topic>-value` does not hold the event schema yet, register it (compatibility
   * BACKWARD), as `rollups schemas register` would. Default true; with false such a send throws
   * {@link SchemaRegistryError} `SCHEMA_NOT_FOUND`.
   */
  autoRegister?: boolean;
  /** Most events in one produce request; a larger `send` is split. Default 500. */
  maxBatchSize?: number;
}

/** One event `send` did not send, by its index in the array given to `send`. */
export interface SendRejection {
  index: number;
  reason: RejectReason;
  /** Names fields only, never a value. */
  detail: string;
}

export interface SendReport {
  /** Events Kafka acknowledged (all in-sync replicas). */
  sent: number;
  rejected: SendRejection[];
}

export interface EventProducer {
  readonly topic: string;
  /**
   * Connects to Kafka, checks the topic exists and resolves the schema id (registering the schema when
   * allowed). Optional: the first `send` with a valid event does it. Useful to fail before reading input.
   */
  connect(): Promise<void>;
  /** Validates, encodes and produces; see {@link SendReport}. Events are in the JSON form of contract 4.1. */
  send(events: readonly unknown[]): Promise<SendReport>;
  /** Waits for sends under way, then disconnects. The producer cannot send afterwards. */
  disconnect(): Promise<void>;
}

const NOT_ENCODABLE = 'the event does not encode with the Avro schema';

export function createEventProducer(options: EventProducerOptions): EventProducer {
  const topic = options.topic ?? DEFAULT_TOPIC;
  const subject = subjectFor(topic);
  const maxBatch = Math.max(1, Math.floor(options.maxBatchSize ?? DEFAULT_MAX_BATCH));
  const quiet = options.kafka?.logLevel === undefined && options.kafka?.logCreator === undefined;
  const kafka = new Kafka({
    ...options.kafka,
    ...(quiet ? { logLevel: logLevel.NOTHING } : {}),
    brokers: options.brokers,
    clientId: options.clientId ?? 'analytics-rollups-producer',
  });
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // The Java client's murmur2 partitioning: the same key lands on the same partition as with any
    // Java-compatible producer.
    createPartitioner: Partitioners.DefaultPartitioner,
    // Bounded, like the Java client's delivery.timeout.ms: about a minute of retries, then `send` throws a
    // retriable ProduceError instead of hanging while a broker is away.
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 },
  });
  const registry = new RegistryClient(options.registryUrl);
  const eventType = getEventType();

  let ready: Promise<number> | undefined;
  let connected = false;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  async function start(): Promise<number> {
    try {
      await producer.connect();
    } catch (err) {
      throw kafkaFailure(`cannot connect to Kafka at ${options.brokers.join(',')}`, err);
    }
    connected = true;
    await ensureTopic(kafka, topic, {
      hint: 'create it first (`rollups produce --create-topic` creates it with 3 partitions)',
    });
    return schemaId();
  }

  async function schemaId(): Promise<number> {
    const text = eventSchemaText();
    const found = await registry.lookup(subject, text);
    if (found !== undefined) return found.id;
    if (options.autoRegister === false) {
      throw new SchemaRegistryError(
        `the event schema is not registered under subject "${subject}"; run \`rollups schemas register\``,
        'SCHEMA_NOT_FOUND',
      );
    }
    return (await registerSchema(registry, subject, text, 'avro/analytics-event.avsc')).id;
  }

  function whenReady(): Promise<number> {
    ready ??= start().catch((err: unknown) => {
      ready = undefined; // the next call tries again
      throw err;
    });
    return ready;
  }

  /** Runs `task` after every earlier one: one send at a time. */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function sendNow(events: readonly unknown[]): Promise<SendReport> {
    const now = Date.now();
    const rejected: SendRejection[] = [];
    const valid = new Array<AnalyticsEvent | undefined>(events.length);
    let validCount = 0;
    for (let i = 0; i < events.length; i++) {
      const res = validateEvent(events[i] as Record<string, unknown>, now);
      if (res.ok) {
        valid[i] = res.event;
        validCount++;
      } else {
        rejected.push({ index: i, reason: res.reason, detail: res.detail });
      }
    }
    if (validCount === 0) return { sent: 0, rejected };

    const id = await whenReady();
    const messages: Message[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = valid[i];
      if (event === undefined) continue;
      let body: Buffer;
      try {
        body = eventType.toBuffer(toAvroRecord(event));
      } catch {
        // avsc's message would quote the value; the detail never does.
        rejected.push({ index: i, reason: 'invalid_field', detail: NOT_ENCODABLE });
        continue;
      }
      messages.push({ key: kafkaKey(event), value: frame(id, body) });
    }
    rejected.sort((a, b) => a.index - b.index);

    let sent = 0;
    for (let start = 0; start < messages.length; start += maxBatch) {
      const chunk = messages.slice(start, start + maxBatch);
      try {
        await producer.send({ topic, messages: chunk, acks: -1 });
      } catch (err) {
        throw kafkaFailure(
          `Kafka did not take the events for topic "${topic}" (${sent} of ${messages.length} written before the failure)`,
          err,
        );
      }
      sent += chunk.length;
    }
    return { sent, rejected };
  }

  return {
    topic,
    connect() {
      if (closed) return Promise.reject(closedError());
      return whenReady().then(() => undefined);
    },
    send(events) {
      if (closed) return Promise.reject(closedError());
      return serial(() => sendNow(events));
    },
    async disconnect() {
      if (closed) return;
      closed = true;
      await queue;
      await ready?.catch(() => undefined);
      if (connected) {
        connected = false;
        await producer.disconnect();
      }
    },
  };
}

function closedError(): ProduceError {
  return new ProduceError('the event producer is disconnected', false);
}

export { subjectFor } from './schemas.js';
