/**
 * `rollups produce --file F.ndjson [--topic T] [--create-topic]` (contract 3): streams NDJSON events
 * (`-` = standard input), validates every line, sends the valid ones in batches through the producer
 * helper, and reports rejected lines on stderr as `line N: <reason>: <detail>`.
 *
 * stdout: `sent N, rejected M` at the end, nothing else. stderr: the rejected lines, `sent X, rejected Y`
 * every 2 s while it runs, `created topic T (3 partitions)` when --create-topic
 * created it. Exit 0 when no line was rejected, 1 when some were (or on a failure), 2 on a usage error.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { CONFIG_VARIABLES } from '../config/schema.js';
import { RollupsError, errorMessage } from '../errors.js';
import { createEventProducer } from '../producer/index.js';
import { readEventLines } from '../producer/ndjson.js';
import { CREATED_TOPIC_PARTITIONS, ensureTopic } from '../producer/topics.js';
import type { Command } from './commands.js';

const USAGE = 'rollups produce --file F.ndjson [--topic T] [--create-topic]';
const BATCH = 500;
const PROGRESS_MS = 2000;

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface ProduceArgs {
  file: string;
  topic: string | undefined;
  createTopic: boolean;
}

function parse(args: string[]): ProduceArgs | string {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { file: { type: 'string' }, topic: { type: 'string' }, 'create-topic': { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return errorMessage(e);
  }
  if (values.file === undefined || values.file === '') return '--file is required (a path, or - for standard input)';
  if (values.topic !== undefined) {
    const parsed = CONFIG_VARIABLES.KAFKA_TOPICS[0].safeParse(values.topic);
    if (!parsed.success || parsed.data.length !== 1) return `--topic "${values.topic}" is not a valid Kafka topic name`;
  }
  return { file: values.file, topic: values.topic, createTopic: values['create-topic'] === true };
}

async function openInput(file: string): Promise<Readable> {
  if (file === '-') return process.stdin;
  let info;
  try {
    info = await stat(file);
  } catch (e) {
    throw new RollupsError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(e)}`, {
      code: 'INPUT_UNREADABLE',
    });
  }
  if (info.isDirectory()) throw new RollupsError(`cannot read ${file}: it is a directory`, { code: 'INPUT_UNREADABLE' });
  return createReadStream(file);
}

export const produceCommand: Command = {
  name: 'produce',
  summary: 'validate NDJSON events, Avro-encode them with the registry and produce them',
  usage: USAGE,
  async run({ config, args, out }) {
    const parsed = parse(args);
    if (typeof parsed === 'string') {
      err(`rollups produce: ${parsed}`);
      err(`usage: ${USAGE}`);
      return 2;
    }
    const cfg = config();
    const topic = parsed.topic ?? cfg.KAFKA_TOPICS[0]!;
    const input = await openInput(parsed.file);

    const kafka = new Kafka({ brokers: cfg.KAFKA_BROKERS, clientId: cfg.KAFKA_CLIENT_ID, logLevel: logLevel.NOTHING });
    const found = await ensureTopic(kafka, topic, {
      create: parsed.createTopic,
      partitions: CREATED_TOPIC_PARTITIONS,
      hint: `create it, or run again with --create-topic to create it with ${CREATED_TOPIC_PARTITIONS} partitions`,
    });
    if (found === 'created') err(`created topic ${topic} (${CREATED_TOPIC_PARTITIONS} partitions)`);

    const producer = createEventProducer({
      brokers: cfg.KAFKA_BROKERS,
      registryUrl: cfg.SCHEMA_REGISTRY_URL,
      topic,
      clientId: cfg.KAFKA_CLIENT_ID,
      maxBatchSize: BATCH,
    });
    let sent = 0;
    let rejected = 0;
    const progress = setInterval(() => err(`sent ${sent}, rejected ${rejected}`), PROGRESS_MS);
    progress.unref();
    try {
      await producer.connect();
      try {
        for await (const batch of readEventLines(input, { batchSize: BATCH })) {
          for (const r of batch.rejected) {
            rejected++;
            err(`line ${r.line}: ${r.reason}: ${r.detail}`);
          }
          if (batch.events.length === 0) continue;
          const report = await producer.send(batch.events);
          sent += report.sent;
          // The lines were validated already; this only fires if an event fails to encode.
          for (const r of report.rejected) {
            rejected++;
            err(`line ${batch.lines[r.index] ?? '?'}: ${r.reason}: ${r.detail}`);
          }
        }
      } catch (e) {
        err(`rollups produce: stopped with sent ${sent}, rejected ${rejected}`);
        if (e instanceof RollupsError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (typeof code === 'string') {
          throw new RollupsError(`cannot read ${parsed.file === '-' ? 'standard input' : parsed.file}: ${errorMessage(e)}`, {
            code: 'INPUT_UNREADABLE',
            cause: e,
          });
        }
        throw e;
      }
    } finally {
      clearInterval(progress);
      await producer.disconnect();
      if (input !== process.stdin) input.destroy();
    }
    out(`sent ${sent}, rejected ${rejected}`);
    return rejected === 0 ? 0 : 1;
  },
};
