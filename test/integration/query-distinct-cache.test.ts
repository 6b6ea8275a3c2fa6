import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/clickhouse/migrations.js';
import type { AnalyticsEvent } from '../../src/contract/catalog.js';
import { METRIC_SECTIONS } from '../../src/metrics/mapping.js';
import { createDistinctCache } from '../../src/query/distinct-cache.js';
import { IdHashSet } from '../../src/query/id-set.js';
import { createQueryService, type QueryService } from '../../src/query/service.js';
import { writeRollups } from '../../src/sink/rollup-writer.js';
import { TumblingWindows } from '../../src/window/tumbling.js';
import { generateEvents } from '../support/generator.js';
import { recordingClickHouse, type SentStatement } from '../support/recording-clickhouse.js';
import { groundTruth } from '../support/ground-truth.js';
import { sampleEvent } from '../support/sample-events.js';
import { createTestDatabase } from '../support/services.js';

/**
 * The distinct cache (src/query/distinct-cache.ts) on a real engine: answers stay exact when it is
 * built, used, made stale by late events into cached days, and rebuilt; and a forged entry shows that
 * reads really take the whole days' distinct sets from it.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 9, 20);
// Five whole days (the cached part) plus 7 h 13 min of a sixth, as a `30d`-like period ending "now".
const RANGE = { fromMs: START, toMs: START + 5 * DAY + 7 * HOUR + 13 * MIN };

/**
 * Each mode on its own database: member sets held in this process (the default), every entry read in the
 * engine (no budget), and a budget that holds some sets and not others (reads then fall back).
 */
const MODES = [
  { mode: 'member sets in this process', maxMemberBytes: undefined, reads: 'members' },
  { mode: 'entries read in the engine', maxMemberBytes: 0, reads: 'engine' },
  // The conversations' set (~130 KB) never fits; the smaller ones do: a read needs all, so it falls back.
  { mode: 'a budget too small for every set', maxMemberBytes: 40_000, reads: 'engine' },
] as const;

describe.each(MODES)('distinct cache ($mode): exact through build, use, late events and rebuilds', ({ maxMemberBytes, reads }) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let service: QueryService;
  let clock = Date.UTC(2025, 9, 26);
  let events: AnalyticsEvent[];
  let org: string;
  let writes = 0;
  /** The statements the service sent (a recording wrapper around the real client). */
  let statements: SentStatement[] = [];
  const lastLoad = (): string => statements.filter((s) => s.query.includes('rollup_1m')).at(-1)?.query ?? '';

  async function write(list: readonly AnalyticsEvent[]): Promise<void> {
    const windows = new TumblingWindows({ now: () => RANGE.toMs });
    for (const e of list) windows.record(e);
    expect(windows.stats.tooLate).toBe(0);
    await writeRollups(db.client, db.database, windows.flush(), `cache-${writes++}`);
  }
  const entries = async (measure: string): Promise<number> => {
    const rs = await db.client.query({
      query: `SELECT count() AS n FROM ${db.database}.distinct_cache WHERE measure = {m:String} AND workspace_id = ''`,
      query_params: { m: measure },
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: number | string }>())[0]!.n);
  };
  const truth = (workspace_id?: string) => groundTruth(events, { org_id: org, ...RANGE, ...(workspace_id === undefined ? {} : { workspace_id }) });
  // The overview reads distinct totals only (channels and cohorts read them per dim: no cache there).
  const read = async (workspaceId?: string) => (await service.sections({ orgId: org, workspaceId, ...RANGE }, ['overview'])).overview;
  const all = (workspaceId?: string) => service.sections({ orgId: org, workspaceId, ...RANGE }, METRIC_SECTIONS);

  /** A late `message.received` (and an escalation) on a cached day, of a new or an existing conversation. */
  function late(at: number, conversation: string, i: number): AnalyticsEvent[] {
    const base = events.find((e) => e.event === 'message.received')!;
    const received = { ...sampleEvent('message.received', at), event_id: `late-r-${i}`, org_id: org, workspace_id: base.workspace_id, conversation_id: conversation };
    const escalated = { ...sampleEvent('escalation.created', at + 1000), event_id: `late-e-${i}`, org_id: org, workspace_id: base.workspace_id, conversation_id: conversation };
    return [received, escalated] as AnalyticsEvent[];
  }

  beforeAll(async () => {
    events = generateEvents({ seed: 818, tenants: 1, workspacesPerTenant: 2, days: 6, startMs: START, count: 30_000 }).filter(
      (e) => e.timestamp >= RANGE.fromMs && e.timestamp < RANGE.toMs,
    );
    org = events[0]!.org_id;
    db = await createTestDatabase('dcache');
    await migrate(db.client, db.database);
    await write(events);
    const { client: recording, sent } = recordingClickHouse(db.client);
    statements = sent;
    const cache = createDistinctCache({ client: recording, database: db.database, now: () => clock, rebuildAfterMs: 60_000, maxMemberBytes });
    service = createQueryService({ client: recording, database: db.database, distinctCache: cache });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('builds one entry per distinct total on the first read, then reads from it, exactly', async () => {
    expect(truth().overview.totalConversations).toBeGreaterThan(1000);
    expect(await read()).toEqual(truth().overview);
    expect(await entries('conversations')).toBe(1);
    expect(await entries('customers')).toBe(1);
    expect(await read()).toEqual(truth().overview);
    expect(await entries('conversations')).toBe(1);
    // Which way the entries were read: their members here (the engine returns the other days' state),
    // or the entries themselves in the engine.
    if (reads === 'members') expect([lastLoad().includes('distinct_cache'), lastLoad().includes('base64Encode')]).toEqual([false, true]);
    else expect([lastLoad().includes('distinct_cache'), lastLoad().includes('base64Encode')]).toEqual([true, false]);
    const ws = events[0]!.workspace_id;
    expect(await read(ws)).toEqual(truth(ws).overview);
    expect(await all()).toEqual(truth());
    expect(await all(ws)).toEqual(truth(ws));
  });

  it('a late event into a cached day makes the entry stale: rebuilt, and the answer counts it', async () => {
    const before = truth().overview;
    const existing = events.find((e) => e.event === 'message.received' && e.timestamp < START + DAY)!.conversation_id!;
    const added = [...late(START + 2 * DAY + 5 * HOUR, 'conv-late-new-1', 1), ...late(START + 3 * DAY + HOUR, existing, 2)];
    events.push(...added);
    await write(added);
    const after = truth().overview;
    expect(after.totalConversations).toBe(before.totalConversations + 1);
    expect(after.escalationRate).not.toBe(before.escalationRate);
    clock += 61_000; // past the rebuild interval of the entry built by the first read
    expect(await read()).toEqual(truth().overview);
    expect(await entries('conversations')).toBe(2);
  });

  it('stale again within a minute of the rebuild: read without the cache (still exact), rebuilt once the minute is over', async () => {
    const added = late(START + DAY + 9 * HOUR, 'conv-late-new-2', 3);
    events.push(...added);
    await write(added);
    expect(await read()).toEqual(truth().overview);
    expect(await entries('conversations')).toBe(2);
    clock += 61_000;
    expect(await read()).toEqual(truth().overview);
    expect(await entries('conversations')).toBe(3);
    expect(await read()).toEqual(truth().overview);
    expect(await entries('conversations')).toBe(3);
  });

  it("takes the whole days' distinct set from the entry: a forged entry with the right count changes the answer", async () => {
    // A scope nobody read yet, and a fresh service (nothing in memory): the forged entry is what it finds.
    const ws = events.find((e) => e.workspace_id !== events[0]!.workspace_id)!.workspace_id;
    const days = { fromMs: START, toMs: START + 5 * DAY };
    const rs = await db.client.query({
      query:
        `SELECT sum(count) AS n FROM ${db.database}.rollup_1d WHERE org_id = {org:String} AND workspace_id = {ws:String} ` +
        `AND measure = 'conversations' AND bucket >= toDateTime({f:UInt32}, 'UTC') AND bucket < toDateTime({t:UInt32}, 'UTC')`,
      query_params: { org, ws, f: days.fromMs / 1000, t: days.toMs / 1000 },
      format: 'JSONEachRow',
    });
    const covered = Number((await rs.json<{ n: number | string }>())[0]!.n);
    await db.client.command({
      query:
        `INSERT INTO ${db.database}.distinct_cache (org_id, workspace_id, measure, from_day, to_day, count, sum, ids) ` +
        `SELECT {org:String}, {ws:String}, 'conversations', toDateTime({f:UInt32}, 'UTC'), toDateTime({t:UInt32}, 'UTC'), {n:UInt64}, 0, ` +
        `uniqExactState(concat('forged-', toString(number))) FROM numbers(7)`,
      query_params: { org, ws, f: days.fromMs / 1000, t: days.toMs / 1000, n: covered },
    });
    const fresh = createQueryService({ client: db.client, database: db.database, distinctCache: createDistinctCache({ client: db.client, database: db.database, maxMemberBytes }) });
    const got = await fresh.sections({ orgId: org, workspaceId: ws, ...RANGE }, ['overview']);
    const edge = groundTruth(events, { org_id: org, workspace_id: ws, fromMs: days.toMs, toMs: RANGE.toMs }).overview.totalConversations;
    expect(edge).toBeGreaterThan(0);
    expect(got.overview.totalConversations).toBe(7 + edge);
    expect(await createQueryService({ client: db.client, database: db.database, distinctCache: false }).sections({ orgId: org, workspaceId: ws, ...RANGE }, ['overview'])).toEqual({
      overview: truth(ws).overview,
    });
  });
});

describe("member sets (id-set.ts) count what the engine's uniqExact counts", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('idset');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('size and the union with another state equal uniqExact over the same ids', async () => {
    const rs = await db.client.query({
      query:
        `SELECT base64Encode(toString(uniqExactStateIf(id, n < 150000))) AS a, base64Encode(toString(uniqExactStateIf(id, n >= 140000))) AS b, ` +
        `uniqExactIf(id, n < 150000) AS ua, uniqExact(id) AS uab ` +
        // ids of B repeat (n mod 20,000): a state holds each once.
        `FROM (SELECT number AS n, concat('conv-', toString(if(number >= 140000, 140000 + number % 20000, number))) AS id FROM numbers(200000))`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ a: string; b: string; ua: number | string; uab: number | string }>();
    const a = IdHashSet.fromState(Buffer.from(row!.a, 'base64'));
    expect([Number(row!.ua), Number(row!.uab)]).toEqual([150_000, 160_000]);
    expect(a.size).toBe(150_000);
    expect(a.size + a.countMissing(Buffer.from(row!.b, 'base64'))).toBe(160_000);
  });
});
