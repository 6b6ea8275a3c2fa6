/**
 * (a) The ceiling: a consumer of the selected client (KAFKA_CLIENT: kafkajs, platformatic, confluent) with
 * the worker's fetch settings, through the same BatchConsumer interface the worker's source uses, whose batch
 * handler only counts the messages and resolves them. No decoding, no commits.
 */
import { openConsumer } from '../../src/source/consumer.js';
import { Meter, send, stageInput, stageMain } from '../child.js';
import { workerGroupSettings } from '../kafka.js';
import { stageConfig, type StageInput } from './common.js';

stageMain(async () => {
  const input = stageInput<StageInput>();
  const cfg = stageConfig(input);
  const consumer = await openConsumer(cfg.KAFKA_CLIENT, { brokers: cfg.KAFKA_BROKERS, clientId: 'bench-ceiling' }, workerGroupSettings(cfg, input.groupId));
  const meter = new Meter();
  let count = 0;
  let bytes = 0;
  let batches = 0;
  let tFirst = 0;
  let resolveDone: (t: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));

  await consumer.connect();
  await consumer.subscribe([input.topic]);
  meter.start();
  const tStart = performance.now();
  await consumer.run(
    async (batch, scope) => {
      if (tFirst === 0) tFirst = performance.now();
      batches++;
      for (const m of batch.messages) bytes += m.value?.length ?? 0;
      count += batch.messages.length;
      scope.resolveOffset(batch.lastOffset);
      if (count >= input.events) resolveDone(performance.now());
    },
    { onCrash: (error, restart) => console.error(`consumer crashed (restart ${restart}): ${error.message}`) },
  );
  const tJoined = performance.now();
  const tDone = await done;
  const m = meter.stop();
  await consumer.disconnect();
  // From the group join (run() resolves once joined, for every client) to the last message, as for the worker.
  const seconds = (tDone - tJoined) / 1000;
  await send({
    type: 'result',
    result: {
      stage: 'ceiling', events: count, seconds, wallSeconds: (tDone - tStart) / 1000, eps: count / seconds,
      cpuSeconds: m.cpuSeconds, peakRssMb: m.peakRssMb, baselineRssMb: meter.baselineRssMb,
      extra: { client: cfg.KAFKA_CLIENT, firstBatchSeconds: (tFirst - tJoined) / 1000, heapPeakMb: m.heapPeakMb, batches, avgBatch: Math.round(count / batches), avgValueBytes: Math.round(bytes / count) },
    },
  });
});
