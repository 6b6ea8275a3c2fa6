/**
 * (a) The ceiling: a raw kafkajs consumer with the worker's fetch settings whose eachBatch only counts the
 * messages. No decoding, no commits.
 */
import { Meter, send, stageInput, stageMain } from '../child.js';
import { benchKafka, PARTITIONS_CONCURRENTLY, workerConsumerConfig } from '../kafka.js';
import { stageConfig, type StageInput } from './common.js';

stageMain(async () => {
  const input = stageInput<StageInput>();
  const cfg = stageConfig(input);
  const kafka = benchKafka(cfg, 'bench-ceiling');
  const consumer = kafka.consumer(workerConsumerConfig(cfg, input.groupId));
  const meter = new Meter();
  let count = 0;
  let bytes = 0;
  let batches = 0;
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
      batches++;
      for (const m of batch.messages) bytes += m.value?.length ?? 0;
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
      stage: 'ceiling', events: count, seconds, wallSeconds: (tDone - tStart) / 1000, eps: count / seconds,
      cpuSeconds: m.cpuSeconds, peakRssMb: m.peakRssMb, baselineRssMb: meter.baselineRssMb,
      extra: { firstBatchSeconds: (tFirst - tJoined) / 1000, heapPeakMb: m.heapPeakMb, batches, avgBatch: Math.round(count / batches), avgValueBytes: Math.round(bytes / count) },
    },
  });
});
