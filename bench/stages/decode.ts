/**
 * (b) Decode + validate only: the worker's ingest step (src/pipeline: Confluent frame, registry, avsc,
 * contract validation) over kafkajs batches with the worker's fetch settings. Messages are turned into
 * SourceMessages as the worker's source does. No window, no sink, no commits.
 */
import { Decoder } from '../../src/decode/decoder.js';
import { createRegistrySource } from '../../src/decode/registry-client.js';
import { createDecodeStep } from '../../src/pipeline/decode-step.js';
import { createIngestStep } from '../../src/pipeline/ingest.js';
import type { SourceMessage } from '../../src/pipeline/types.js';
import { createValidateStep } from '../../src/pipeline/validate-step.js';
import { Meter, send, stageInput, stageMain } from '../child.js';
import { benchKafka, PARTITIONS_CONCURRENTLY, workerConsumerConfig } from '../kafka.js';
import { stageConfig, type StageInput } from './common.js';

stageMain(async () => {
  const input = stageInput<StageInput>();
  const cfg = stageConfig(input);
  const kafka = benchKafka(cfg, 'bench-decode');
  const consumer = kafka.consumer(workerConsumerConfig(cfg, input.groupId));
  const now = Date.now;
  const decoder = new Decoder(createRegistrySource(cfg.SCHEMA_REGISTRY_URL), now);
  const ingest = createIngestStep({ decode: createDecodeStep({ decoder }), validate: createValidateStep({ now }) });
  const meter = new Meter();
  let count = 0;
  let valid = 0;
  let deadLetters = 0;
  const reasons = new Map<string, number>();
  let tFirst = 0;
  let resolveDone: (t: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));

  await consumer.connect();
  await consumer.subscribe({ topics: [input.topic], fromBeginning: true });
  meter.start();
  const tStart = performance.now();
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatch: async ({ batch }) => {
      if (tFirst === 0) tFirst = performance.now();
      const messages: SourceMessage[] = batch.messages.map((m) => ({
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        key: m.key ?? null,
        value: m.value ?? null,
        timestamp: m.timestamp,
        ...(m.headers ? { headers: m.headers } : {}),
      }));
      const r = await ingest(messages);
      valid += r.events.length;
      deadLetters += r.deadLetters.length;
      for (const d of r.deadLetters) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
      count += batch.messages.length;
      if (count >= input.events) resolveDone(performance.now());
    },
  });
  const tJoined = performance.now();
  const tDone = await done;
  const m = meter.stop();
  await consumer.disconnect();
  // From the group join (run() resolves once joined) to the last message, as for the worker.
  const seconds = (tDone - tJoined) / 1000;
  await send({
    type: 'result',
    result: {
      stage: 'decode', events: count, seconds, wallSeconds: (tDone - tStart) / 1000, eps: count / seconds,
      cpuSeconds: m.cpuSeconds, peakRssMb: m.peakRssMb, baselineRssMb: meter.baselineRssMb,
      extra: { firstBatchSeconds: (tFirst - tJoined) / 1000, heapPeakMb: m.heapPeakMb, valid, deadLetters, reasons: JSON.stringify(Object.fromEntries(reasons)) },
    },
  });
});
