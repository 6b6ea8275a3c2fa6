import type { Admin } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

type Assignment = Record<string, number[]>;

/**
 * Consumer lag as SREs read it (contract section 7): per assigned partition, messages between the
 * group's committed offset and the partition's end, and the age of the oldest event not yet committed.
 * Each worker reports only the partitions it owns, so a sum over workers is the group's lag; series of
 * partitions that moved away are removed.
 */
export class LagTracker {
  private readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  private readonly lagSeconds: Gauge<'group' | 'topic' | 'partition'>;
  private assignment: Assignment = {};
  /** Kafka timestamp (ms) of the oldest message handed to the pipeline and not committed yet. */
  private readonly oldest = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly groupId: string,
    registry: Registry,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.lag = new Gauge({ name: 'kafka_consumergroup_lag', help: 'messages between the committed offset and the end of the partition', labelNames: ['group', 'topic', 'partition'], registers: [registry] });
    this.lagSeconds = new Gauge({ name: 'kafka_consumergroup_lag_seconds', help: 'age of the oldest event not yet committed (0 when caught up)', labelNames: ['group', 'topic', 'partition'], registers: [registry] });
  }

  start(intervalMs = 5000): void {
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  assigned(next: Assignment): void {
    for (const [topic, parts] of Object.entries(this.assignment)) {
      for (const p of parts) {
        if (next[topic]?.includes(p)) continue;
        const labels = { group: this.groupId, topic, partition: String(p) };
        this.lag.remove(labels);
        this.lagSeconds.remove(labels);
        this.oldest.delete(`${topic}:${p}`);
      }
    }
    this.assignment = next;
    void this.refresh();
  }

  /** A batch reached the pipeline: its first message is the oldest uncommitted one unless an older one waits. */
  batchStarted(topic: string, partition: number, firstTimestampMs: number): void {
    const key = `${topic}:${partition}`;
    if (!this.oldest.has(key)) this.oldest.set(key, firstTimestampMs);
  }

  committed(topic: string, partition: number): void {
    this.oldest.delete(`${topic}:${partition}`);
    void this.refresh();
  }

  /** Coalesces concurrent refreshes: one admin round trip at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const topics = Object.keys(this.assignment);
    if (topics.length === 0) return;
    try {
      const committed = await this.admin.fetchOffsets({ groupId: this.groupId, topics });
      for (const t of committed) {
        const ends = await this.admin.fetchTopicOffsets(t.topic);
        const owned = new Set(this.assignment[t.topic] ?? []);
        for (const end of ends) {
          if (!owned.has(end.partition)) continue;
          const done = t.partitions.find((p) => p.partition === end.partition);
          const low = Number(end.low);
          const committedAt = done && Number(done.offset) >= 0 ? Number(done.offset) : low;
          const lag = Math.max(0, Number(end.high) - committedAt);
          const labels = { group: this.groupId, topic: t.topic, partition: String(end.partition) };
          this.lag.set(labels, lag);
          const oldest = this.oldest.get(`${t.topic}:${end.partition}`);
          if (lag === 0) this.lagSeconds.set(labels, 0);
          else if (oldest !== undefined) this.lagSeconds.set(labels, Math.max(0, (this.now() - oldest) / 1000));
        }
      }
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not refresh consumer lag');
    }
  }
}
