import { describe, expect, it } from 'vitest';
import { RollupsError } from '../../../src/errors.js';
import { createLogger } from '../../../src/ops/logger.js';
import type { BatchConsumer, BatchScope, ConsumedBatch, ConsumerEvents, EachBatch, GroupSettings } from '../../../src/source/consumer.js';
import { createKafkaSource, groupSettings, type BatchHandler } from '../../../src/source/kafka-source.js';

/** A consumer that records what the source asks of it; batches are fed by the test. */
function fakeConsumer() {
  const calls: string[] = [];
  let each: EachBatch | undefined;
  let events: ConsumerEvents = {};
  let settings: GroupSettings | undefined;
  const consumer: BatchConsumer = {
    client: 'kafkajs',
    connect: async () => void calls.push('connect'),
    subscribe: async (t) => void calls.push(`subscribe ${t.join(',')}`),
    run: async (e, ev) => {
      each = e;
      events = ev;
      calls.push('run');
    },
    pause: (t, p) => void calls.push(`pause ${t}/${p}`),
    resume: (t, p) => void calls.push(`resume ${t}/${p}`),
    commit: async (t, p, o) => void calls.push(`commit ${t}/${p}@${o}`),
    disconnect: async () => void calls.push('disconnect'),
  };
  return {
    calls,
    open: (s: GroupSettings) => ((settings = s), consumer),
    settings: () => settings,
    events: () => events,
    async feed(batch: ConsumedBatch, stale = () => false): Promise<void> {
      const scope: BatchScope = { heartbeat: async () => undefined, isStale: stale, resolveOffset: (o) => void calls.push(`resolve ${batch.topic}/${batch.partition}@${o}`) };
      await each!(batch, scope);
    },
  };
}

const batch = (partition: number, offsets: number[]): ConsumedBatch => ({
  topic: 't',
  partition,
  messages: offsets.map((o) => ({ topic: 't', partition, offset: String(o), key: null, value: Buffer.from('x'), timestamp: '1000' })),
  lastOffset: String(offsets[offsets.length - 1]),
});

function source(handler: BatchHandler, hooks = {}) {
  const fake = fakeConsumer();
  const s = createKafkaSource({ openConsumer: fake.open, groupId: 'g', topics: ['t'], handler, logger: createLogger('silent'), retryBaseMs: 1, retryMaxMs: 2, hooks });
  return { fake, s };
}

class Flaky extends RollupsError {
  constructor(retriable: boolean) {
    super('flaky', { code: 'FLAKY', retriable });
  }
}

describe('createKafkaSource over the consumer interface', () => {
  it('connects, subscribes, runs, and commits the next offset only after the handler resolved', async () => {
    const committed: string[] = [];
    const { fake, s } = source(async () => ({ commit: true }), { onCommitted: (_t: string, _p: number, next: string) => committed.push(next) });
    await s.start();
    await fake.feed(batch(0, [5, 6, 7]));
    expect(fake.calls).toEqual(['connect', 'subscribe t', 'run', 'resolve t/0@7', 'commit t/0@8']);
    expect(committed).toEqual(['8']);
  });

  it('pauses the partition while a retriable failure repeats, resumes, then commits', async () => {
    let n = 0;
    const paused: boolean[] = [];
    const { fake, s } = source(async () => {
      if (n++ < 2) throw new Flaky(true);
      return { commit: true };
    }, { onPaused: (_t: string, _p: number, p: boolean) => paused.push(p) });
    await s.start();
    await fake.feed(batch(1, [0, 1]));
    expect(n).toBe(3);
    expect(fake.calls.slice(3)).toEqual(['pause t/1', 'resume t/1', 'resolve t/1@1', 'commit t/1@2']);
    expect(paused).toEqual([true, false]);
  });

  it('resolves but does not commit a batch whose effects are not durable yet', async () => {
    const { fake, s } = source(async () => ({ commit: false }));
    await s.start();
    await fake.feed(batch(0, [3]));
    expect(fake.calls.slice(3)).toEqual(['resolve t/0@3']);
  });

  it('neither resolves nor commits a stale batch', async () => {
    const { fake, s } = source(async () => ({ commit: true }));
    await s.start();
    await fake.feed(batch(0, [3]), () => true);
    expect(fake.calls.slice(3)).toEqual([]);
  });

  it('lets a final failure escape to the client, uncommitted', async () => {
    const { fake, s } = source(async () => {
      throw new Flaky(false);
    });
    await s.start();
    await expect(fake.feed(batch(0, [3]))).rejects.toThrow('flaky');
    expect(fake.calls.slice(3)).toEqual([]);
  });

  it('reports a crash only when the client does not restart', async () => {
    const crashes: Error[] = [];
    const joins: Record<string, number[]>[] = [];
    const { fake, s } = source(async () => ({ commit: true }), { onCrash: (e: Error) => crashes.push(e), onGroupJoin: (a: Record<string, number[]>) => joins.push(a) });
    await s.start();
    fake.events().onGroupJoin?.({ t: [0, 1] }, 'm1');
    fake.events().onCrash?.(new Error('transient'), true);
    fake.events().onCrash?.(new Error('final'), false);
    expect(joins).toEqual([{ t: [0, 1] }]);
    expect(crashes.map((e) => e.message)).toEqual(['final']);
    await s.stop();
    expect(fake.calls.at(-1)).toBe('disconnect');
  });

  it('derives the settings every client gets, and who decides a restart', () => {
    const g = groupSettings({ groupId: 'g', sessionTimeoutMs: 10_000, maxBytes: 8 * 1024 * 1024 });
    expect(g).toMatchObject({ groupId: 'g', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxBytes: 8 * 1024 * 1024, maxBytesPerPartition: 8 * 1024 * 1024, minBytes: 1, maxWaitMs: 250, fromBeginning: true });
    expect(g.restartOnFailure?.(new Flaky(true))).toBe(true);
    expect(g.restartOnFailure?.(new Flaky(false))).toBe(false);
    // Not ours: the client's own notion of a transient failure decides.
    expect(g.restartOnFailure?.(new Error('broker gone'))).toBeUndefined();
  });
});
