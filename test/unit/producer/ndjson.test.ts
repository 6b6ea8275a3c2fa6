import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toJsonForm } from '../../../src/contract/json.js';
import { readEventLines, type LineBatch } from '../../../src/producer/ndjson.js';
import { sampleEvent, sampleEvents } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);
const MARKER = 'PLANTED_MARKER_nd7Q';

async function collect(text: string, batchSize?: number): Promise<LineBatch[]> {
  const out: LineBatch[] = [];
  for await (const b of readEventLines(Readable.from([text]), { now: () => NOW, ...(batchSize ? { batchSize } : {}) })) out.push(b);
  return out;
}

describe('readEventLines', () => {
  it('gives every valid line back as the validated event with its line number, skipping blank lines', async () => {
    const events = sampleEvents(NOW);
    const text = ['', ...events.map((e) => JSON.stringify(toJsonForm(e))), '   ', '\t'].join('\n');
    const batches = await collect(text);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.events).toEqual(events);
    expect(batches[0]!.lines).toEqual(events.map((_, i) => i + 2));
    expect(batches[0]!.rejected).toEqual([]);
  });

  it('reports rejected lines with their numbers and reasons, never their content', async () => {
    const ok = JSON.stringify(toJsonForm(sampleEvent('message.received', NOW)));
    const lines = [
      ok,
      `{"event":"message.received","org_id":"${MARKER}"`,
      JSON.stringify({ ...toJsonForm(sampleEvent('message.received', NOW)), email: `${MARKER}@example.com` }),
      '',
      `[1, "${MARKER}"]`,
      JSON.stringify({ ...toJsonForm(sampleEvent('escalation.created', NOW)), timestamp: '2099-01-01T00:00:00Z', customer_id: MARKER }),
      ok,
    ];
    const batches = await collect(lines.join('\r\n'));
    const all = batches.flatMap((b) => b.rejected);
    expect(all).toEqual([
      { line: 2, reason: 'invalid_json', detail: 'the line is not valid JSON' },
      { line: 3, reason: 'unknown_field', detail: 'field "email" is not in the contract' },
      { line: 5, reason: 'invalid_json', detail: 'the line is not a JSON object' },
      { line: 6, reason: 'future_timestamp', detail: 'field "timestamp" is more than 7 days ahead of the clock' },
    ]);
    expect(batches.flatMap((b) => b.lines)).toEqual([1, 7]);
    expect(JSON.stringify(all)).not.toContain(MARKER);
  });

  it('hands over batches of at most batchSize lines (events plus rejects), in order', async () => {
    const ok = JSON.stringify(toJsonForm(sampleEvent('tool.executed', NOW)));
    const lines = Array.from({ length: 25 }, (_, i) => (i % 5 === 4 ? 'not json' : ok));
    const batches = await collect(lines.join('\n'), 10);
    expect(batches.map((b) => b.events.length + b.rejected.length)).toEqual([10, 10, 5]);
    expect(batches.flatMap((b) => b.rejected.map((r) => r.line))).toEqual([5, 10, 15, 20, 25]);
    expect(batches.flatMap((b) => b.lines)).toEqual(lines.map((_, i) => i + 1).filter((n) => n % 5 !== 0));
  });

  it('hands over a partial batch when the input goes quiet (a slow pipe keeps flowing)', async () => {
    const input = new PassThrough();
    const ok = JSON.stringify(toJsonForm(sampleEvent('tool.executed', NOW)));
    const it = readEventLines(input, { batchSize: 500, lingerMs: 50, now: () => NOW });
    input.write(`${ok}\n${ok}\n`);
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(first.value?.lines).toEqual([1, 2]);
    input.end(`${ok}\n`);
    const second = await it.next();
    expect(second.value?.lines).toEqual([3]);
    expect((await it.next()).done).toBe(true);
  });

  it('reads an input far larger than one batch without holding it', async () => {
    const ok = JSON.stringify(toJsonForm(sampleEvent('message.delivered', NOW)));
    const n = 20_000;
    function* gen() {
      for (let i = 0; i < n; i++) yield `${ok}\n`;
    }
    let count = 0;
    let batches = 0;
    for await (const b of readEventLines(Readable.from(gen()), { now: () => NOW })) {
      count += b.events.length;
      batches++;
    }
    expect(count).toBe(n);
    expect(batches).toBe(n / 500);
  });
});
