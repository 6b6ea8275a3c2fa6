import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchemaText } from '../../src/contract/avro.js';
import { createIngestWorker, type IngestWorker } from '../../src/worker/ingest-worker.js';
import type { DecodedEvent } from '../../src/pipeline/types.js';
import { capturedLogger, encodeEvent, registerSchema, waitFor } from '../support/ingest.js';
import { sampleEvents } from '../support/sample-events.js';
import { createTopic, services, testKafka, uniqueName } from '../support/services.js';
import { startToggleProxy, type ToggleProxy } from '../support/toggle-proxy.js';

/** A registry that is unreachable for a while pauses the partition and retries; nothing is dead-lettered. */
describe('registry outage', () => {
  const topic = uniqueName('reg-outage');
  let proxy: ToggleProxy;
  let worker: IngestWorker | undefined;

  beforeAll(async () => {
    await createTopic(topic, 1);
    await createTopic(`${topic}.dlq`, 1);
    const target = new URL(services().registryUrl);
    proxy = await startToggleProxy(target.hostname, Number(target.port));
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy.close();
  });

  it('pauses while the registry is away and decodes everything once it is back', async () => {
    const id = await registerSchema(`${topic}-value`, eventSchemaText());
    const events = sampleEvents(Date.now());
    const producer = testKafka().producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, messages: events.map((e) => ({ key: e.org_id, value: encodeEvent(id, e) })) });
    await producer.disconnect();

    proxy.setUp(false);
    const got: DecodedEvent[] = [];
    const registryUrl = services().registryUrl.replace(/:\d+\//, `:${proxy.port}/`);
    worker = createIngestWorker({
      brokers: services().brokers, clientId: 'rollups-test', groupId: uniqueName('reg-outage'), topics: [topic],
      dlqTopic: `${topic}.dlq`, registryUrl, logger: capturedLogger().logger, sink: async (b) => (got.push(...b), { deadLetters: [], commit: true }),
    });
    await worker.start();
    const m = worker.metrics;
    const retries = async () => (await m.retries.get()).values.reduce((s, v) => s + v.value, 0);
    const deadline = Date.now() + 30_000;
    while ((await retries()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await retries()).toBeGreaterThanOrEqual(2);
    expect((await m.pausedPartitions.get()).values[0]?.value).toBe(1);
    expect(got).toHaveLength(0);

    proxy.setUp(true);
    await waitFor(() => got.length >= events.length, 60_000, 'events after the registry came back');
    expect(got.map((d) => d.event)).toEqual(events);
    expect((await m.pausedPartitions.get()).values[0]?.value).toBe(0);
    const dead = (await m.deadLettered.get()).values.reduce((s, v) => s + v.value, 0);
    expect(dead).toBe(0);
    expect((await m.retries.get()).values.map((v) => v.labels.code)).toEqual(['REGISTRY_UNAVAILABLE']);
  });
});
