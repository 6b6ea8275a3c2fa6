/**
 * What this process's sink wrote, for readers in the same process (docs/query.md, "Settled blocks").
 * With the embedded engine one process owns the data directory (a second one cannot open it), so
 * every rollup row that exists was either there when the process started or written through this
 * process's sink: a reader that hears of every write can keep aggregates of the past in memory and
 * know exactly when they stop being true. With a ClickHouse server other processes write too, and
 * there is no such feed.
 */
import type { PartialRow } from '../window/tumbling.js';

/** One tenant's workspace touched by a write, from its earliest bucket on. */
export interface RollupTouch {
  readonly orgId: string;
  readonly workspaceId: string;
  /** The earliest bucket (epoch ms) the write holds for this workspace. */
  readonly fromMs: number;
}

export type ChangeListener = (touched: readonly RollupTouch[]) => void;

export interface RollupChanges {
  /** Called by the sink once an insert has settled, whether it succeeded or not (a failed insert may have landed). */
  published(rows: readonly PartialRow[]): void;
  /** Every later write's touches, synchronously; the returned function unsubscribes. */
  subscribe(listener: ChangeListener): () => void;
}

/** The workspaces a write touches, each with its earliest bucket. */
export function touchesOf(rows: readonly PartialRow[]): RollupTouch[] {
  const earliest = new Map<string, Map<string, number>>();
  for (const r of rows) {
    let ws = earliest.get(r.org_id);
    if (ws === undefined) earliest.set(r.org_id, (ws = new Map()));
    const seen = ws.get(r.workspace_id);
    if (seen === undefined || r.bucket < seen) ws.set(r.workspace_id, r.bucket);
  }
  const out: RollupTouch[] = [];
  for (const [orgId, ws] of earliest) for (const [workspaceId, fromMs] of ws) out.push({ orgId, workspaceId, fromMs });
  return out;
}

export function createRollupChanges(): RollupChanges {
  const listeners = new Set<ChangeListener>();
  return {
    published(rows) {
      if (rows.length === 0 || listeners.size === 0) return;
      const touched = touchesOf(rows);
      // A listener only forgets what it holds; one failing must not keep the others from hearing.
      const failures: unknown[] = [];
      for (const l of listeners) {
        try {
          l(touched);
        } catch (err) {
          failures.push(err);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'a rollup change listener failed');
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The feed of a process that owns its engine (embedded: `CLICKHOUSE_URL` unset), to share between its
 * sink and its read API; undefined with a ClickHouse server, which other processes write to as well.
 */
export function ownedEngineChanges(cfg: { readonly CLICKHOUSE_URL?: string | undefined }): RollupChanges | undefined {
  return cfg.CLICKHOUSE_URL === undefined ? createRollupChanges() : undefined;
}
