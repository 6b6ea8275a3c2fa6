import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { METRIC_SECTIONS } from '../../src/metrics/mapping.js';
import { createWorkerMetrics } from '../../src/ops/metrics.js';
import type { DecodedEvent } from '../../src/pipeline/types.js';
import { createSettledBlocks } from '../../src/query/settled-blocks.js';
import { createQueryService, type QueryService } from '../../src/query/service.js';
import { createRollupChanges, type RollupTouch } from '../../src/sink/changes.js';
import { createRollupSink } from '../../src/sink/rollup-sink.js';
import { writeRollups } from '../../src/sink/rollup-writer.js';
import { TumblingWindows } from '../../src/window/tumbling.js';
import { generateEvents } from '../support/generator.js';
import { groundTruth } from '../support/ground-truth.js';
import { capturedLogger } from '../support/ingest.js';
import { recordingClickHouse, type SentStatement } from '../support/recording-clickhouse.js';
import { sampleEvent } from '../support/sample-events.js';
import { createTestDatabase } from '../support/services.js';

/**
 * Settled blocks and their open tails (src/query/settled-blocks.ts, open-tail.ts) on a real engine,
 * fed by the real sink: answers stay exact while blocks are built, used, and dropped by late writes;
 * a warm read sends no statement; a write into the open tail makes the next read ask the engine for
 * the written minutes only; and a write the feed does not hear shows that the numbers really come
 * from what the process holds.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 9, 20);
const NOW = START + 5 * DAY + 7 * HOUR + 12 * MIN + 31_000;
/** A `30d`-like period up to now: five whole days and 7 h 13 min of a sixth. */
const RANGE = { fromMs: START, toMs: START + 5 * DAY + 7 * HOUR + 13 * MIN };
/** Where the settled part ends: the start of the hour before the last minute's hour. */
const CUT = START + 5 * DAY + 6 * HOUR;
const SECTIONS = METRIC_SECTIONS;

describe('settled blocks: exact through build, use, late writes and rebuilds', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let service: QueryService;
  let clock = NOW;
  let events: AnalyticsEvent[];
  let org: string;
  let ws: [string, string];
  const heard: RollupTouch[] = [];
  let offset = 0;
  let statements: SentStatement[] = [];
  const changes = createRollupChanges();
  changes.subscribe((t) => heard.push(...t));
  let sink: ReturnType<typeof createRollupSink>;

  /** Through the real sink (one batch of consecutive offsets), which tells `changes`. */
  async function write(list: readonly AnalyticsEvent[]): Promise<void> {
    const first = offset;
    const decoded: DecodedEvent[] = list.map((event) => ({ event, message: { topic: 't', partition: 0, offset: String(offset++), key: null, value: null, timestamp: '0' } }));
    const batch = { topic: 't', partition: 0, messages: decoded.map((d) => d.message), lastOffset: String(offset - 1) };
    expect(await sink.handle(decoded, batch)).toEqual({ deadLetters: [], commit: true });
    expect(offset - first).toBe(list.length);
  }
  const truth = (workspace_id?: string) => groundTruth(events, { org_id: org, ...RANGE, ...(workspace_id === undefined ? {} : { workspace_id }) });
  const read = (workspaceId?: string) => service.sections({ orgId: org, workspaceId, ...RANGE }, SECTIONS);
  const want = (workspaceId?: string) => truth(workspaceId);
  /** The statements of `f`: what it sent the engine. */
  async function sentBy(f: () => Promise<unknown>): Promise<SentStatement[]> {
    const before = statements.length;
    await f();
    return statements.slice(before);
  }
  /** The earliest bucket a statement reads (its smallest `_from` parameter), epoch ms. */
  const earliest = (s: SentStatement): number =>
    Math.min(...Object.entries(s.query_params).filter(([k]) => k.endsWith('_from')).map(([, v]) => Number(v) * 1000));

  function late(at: number, workspace: string, conversation: string, i: number): AnalyticsEvent[] {
    const received = { ...sampleEvent('message.received', at), event_id: `late-r-${i}`, org_id: org, workspace_id: workspace, conversation_id: conversation };
    const escalated = { ...sampleEvent('escalation.created', at + 1000), event_id: `late-e-${i}`, org_id: org, workspace_id: workspace, conversation_id: conversation };
    return [received, escalated] as AnalyticsEvent[];
  }

  beforeAll(async () => {
    events = generateEvents({ seed: 919, tenants: 1, workspacesPerTenant: 2, days: 6, startMs: START, count: 30_000 }).filter(
      (e) => e.timestamp >= RANGE.fromMs && e.timestamp < RANGE.toMs,
    );
    org = events[0]!.org_id;
    ws = [...new Set(events.map((e) => e.workspace_id))].sort() as [string, string];
    db = await createTestDatabase('settled');
    await migrate(db.client, db.database);
    sink = createRollupSink({
      client: db.client, database: db.database, groupId: 'g', windowMs: MIN, allowedLatenessMs: 7 * DAY,
      now: () => NOW, logger: capturedLogger('warn').logger, metrics: createWorkerMetrics(), changes,
    });
    await write(events);
    const { client: recording, sent } = recordingClickHouse(db.client);
    statements = sent;
    const settledBlocks = createSettledBlocks({ changes, now: () => clock, rebuildAfterMs: 60_000 });
    service = createQueryService({ client: recording, database: db.database, settledBlocks });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('the sink tells the feed which workspaces each insert touched, from which bucket on', () => {
    const firstOf = (w: string) => Math.min(...events.filter((e) => e.workspace_id === w).map((e) => Math.floor(e.timestamp / MIN) * MIN));
    expect(heard.filter((t) => t.orgId === org).sort((a, b) => a.workspaceId.localeCompare(b.workspaceId))).toEqual(
      ws.map((w) => ({ orgId: org, workspaceId: w, fromMs: firstOf(w) })),
    );
  });

  it('builds a block and reads its open tail on the first read; the next read sends no statement, exactly', async () => {
    expect(truth().overview.totalConversations).toBeGreaterThan(1000);
    const cold = await sentBy(async () => expect(await read()).toEqual(want()));
    // The settled part (with the distinct cache's lookup and build), then the tail's minutes from the cut.
    const tail = cold.at(-1)!;
    expect(earliest(tail)).toBe(CUT);
    expect(tail.query).not.toContain('rollup_1d');
    expect(tail.query).toContain('GROUP BY k, measure');
    expect(await sentBy(async () => expect(await read()).toEqual(want()))).toHaveLength(0);
    for (const w of ws) {
      expect(await read(w)).toEqual(want(w));
      expect(await sentBy(async () => expect(await read(w)).toEqual(want(w)))).toHaveLength(0);
    }
  });

  it('overview(): the block, and the open tail split at the trends hour', async () => {
    const to = RANGE.toMs;
    const last = { fromMs: to - HOUR, toMs: to };
    const lastHour = groundTruth(events, { org_id: org, ...last }).overview;
    const trends = {
      messagesLastHour: lastHour.totalMessages,
      escalationsLastHour: events.filter((e) => e.event === 'escalation.created' && e.timestamp >= last.fromMs && e.timestamp < last.toMs).length,
      responseTimeLastHour: lastHour.avgResponseTime,
    };
    expect(trends.messagesLastHour).toBeGreaterThan(0);
    expect(await service.overview({ orgId: org, ...RANGE }, NOW)).toEqual({ overview: truth().overview, trends });
    expect(await sentBy(async () => expect(await service.overview({ orgId: org, ...RANGE }, NOW)).toEqual({ overview: truth().overview, trends }))).toHaveLength(0);
  });

  it('a write into the open tail: the next read asks for the written minutes only, and counts it; the block stays', async () => {
    const before = truth().overview;
    const added = late(NOW - 10 * MIN, ws[0], 'conv-tail-1', 1);
    events.push(...added);
    await write(added);
    expect(truth().overview.totalConversations).toBe(before.totalConversations + 1);
    const refresh = await sentBy(async () => expect(await read()).toEqual(want()));
    expect(refresh).toHaveLength(1);
    expect(earliest(refresh[0]!)).toBe(Math.floor((NOW - 10 * MIN) / MIN) * MIN);
    expect(await sentBy(async () => expect(await read()).toEqual(want()))).toHaveLength(0);
    // The other workspace's block heard nothing of it.
    expect(await sentBy(async () => expect(await read(ws[1])).toEqual(want(ws[1])))).toHaveLength(0);
  });

  it('a late write into the settled part drops the block: read from the engine for a minute, exactly, then a new block', async () => {
    const before = truth().overview;
    const added = late(START + 2 * DAY + 5 * HOUR, ws[1], 'conv-late-1', 2);
    events.push(...added);
    await write(added);
    expect(truth().overview.totalConversations).toBe(before.totalConversations + 1);
    // Within the minute: no block (the statement reads the whole range), exact.
    const direct = await sentBy(async () => expect(await read()).toEqual(want()));
    expect(direct.some((s) => earliest(s) === RANGE.fromMs)).toBe(true);
    expect(await sentBy(async () => expect(await read()).toEqual(want()))).not.toHaveLength(0);
    clock += 61_000;
    expect(await read()).toEqual(want());
    expect(await sentBy(async () => expect(await read()).toEqual(want()))).toHaveLength(0);
  });

  it("a late write into one workspace drops the tenant's block and that workspace's, not the other workspace's", async () => {
    expect(await read(ws[0])).toEqual(want(ws[0]));
    expect(await read(ws[1])).toEqual(want(ws[1]));
    const added = late(START + DAY + 3 * HOUR, ws[1], 'conv-late-2', 3);
    events.push(...added);
    await write(added);
    expect(await sentBy(async () => expect(await read(ws[0])).toEqual(want(ws[0])))).toHaveLength(0);
    expect(await sentBy(async () => expect(await read(ws[1])).toEqual(want(ws[1])))).not.toHaveLength(0);
    expect(await sentBy(async () => expect(await read()).toEqual(want()))).not.toHaveLength(0);
  });

  it('an hour later the cut moves on: the block is extended by the hour in between, not built again', async () => {
    const later = { fromMs: RANGE.fromMs, toMs: RANGE.toMs + HOUR };
    const truthLater = groundTruth(events, { org_id: org, ...later });
    clock += 61_000; // past the minute without a block that the late write above started
    expect(await read()).toEqual(want());
    const sent = await sentBy(async () => expect(await service.sections({ orgId: org, ...later }, SECTIONS)).toEqual(truthLater));
    // One read of the hour [cut, cut + 1 h) (no daily table, no distinct cache), then the new tail's minutes.
    expect(sent).toHaveLength(2);
    expect(earliest(sent[0]!)).toBe(CUT);
    expect(sent[0]!.query).not.toContain('rollup_1d');
    expect(sent[0]!.query).not.toContain('distinct_cache');
    expect(earliest(sent[1]!)).toBe(CUT + HOUR);
    expect(await sentBy(async () => expect(await service.sections({ orgId: org, ...later }, SECTIONS)).toEqual(truthLater))).toHaveLength(0);
  });

  it('the numbers come from what the process holds: a write the feed does not hear is not seen (why only an owned engine has blocks)', async () => {
    clock += 61_000;
    expect(await read(ws[0])).toEqual(want(ws[0]));
    const before = (await read(ws[0])).overview.totalConversations;
    const unheard = late(START + 3 * DAY, ws[0], 'conv-unheard', 4);
    const windows = new TumblingWindows({ now: () => NOW });
    for (const e of unheard) windows.record(e);
    await writeRollups(db.client, db.database, windows.flush(), 'unheard');
    expect((await read(ws[0])).overview.totalConversations).toBe(before);
    const engine = createQueryService({ client: db.client, database: db.database });
    expect((await engine.sections({ orgId: org, workspaceId: ws[0], ...RANGE }, ['overview'])).overview.totalConversations).toBe(before + 1);
  });
});
