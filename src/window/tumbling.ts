/**
 * Event-time tumbling windows of partial aggregates (modelled on Vector's `aggregate` transform):
 * `record` maps an event through the compiled metric mapping and adds its contributions to the
 * partial aggregate of (bucket, org_id, workspace_id, measure, dim); `flush` hands every partial row
 * to the caller and forgets them. Partial rows merge in ClickHouse (count and sum add, id sets
 * union), so a bucket may be flushed any number of times: nothing has to wait for a window to close,
 * and a late event simply adds a partial row to an old bucket.
 *
 * Lateness: `watermark` = max event time seen - windowMs. An event older than now - allowedLatenessMs
 * (worker clock) is not recorded (`too_late`: the caller sends it to the dead-letter topic); an event
 * behind the watermark is recorded and counted as `late`.
 */
import type { AnalyticsEvent } from '../contract/catalog.js';
import { RollupsError } from '../errors.js';
import { compileMapping, forEachContribution, type CompiledMapping, type CompiledRow } from '../metrics/mapping.js';

/** One partial aggregate, ready to insert (ids as an array for `uniqExactArrayState`). */
export interface PartialRow {
  /** Bucket start, epoch milliseconds (a multiple of windowMs). */
  bucket: number;
  org_id: string;
  workspace_id: string;
  measure: string;
  dim: string;
  /** Number of contributions. */
  count: number;
  /** Sum of contributed values (0 unless a `sum` measure). */
  sum: number;
  /** Unique ids contributed in this partial (empty unless a `distinct` measure). */
  ids: string[];
}

export type RecordOutcome =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'late' }
  | { readonly outcome: 'too_late' };

export interface TumblingWindowsOptions {
  /** Bucket width in ms. Default 60 000 (one minute, the ClickHouse bucket). */
  windowMs?: number;
  /** Events older than now - allowedLatenessMs are refused. Default 7 days. */
  allowedLatenessMs?: number;
  /** The worker clock, epoch ms. Default Date.now. */
  now?: () => number;
  /** The compiled metric mapping. Default compileMapping(). */
  mapping?: CompiledMapping;
}

/** Cumulative counters since construction (not reset by flush). */
export interface WindowStats {
  /** Events recorded (ok + late). */
  recorded: number;
  /** Recorded events behind the watermark. */
  late: number;
  /** Events refused as older than the allowed lateness. */
  tooLate: number;
  /** Contributions added (one event usually gives several). */
  contributions: number;
}

export const DEFAULT_WINDOW_MS = 60_000;
export const DEFAULT_ALLOWED_LATENESS_MS = 7 * 24 * 60 * 60 * 1000;

const OK: RecordOutcome = Object.freeze({ outcome: 'ok' });
const LATE: RecordOutcome = Object.freeze({ outcome: 'late' });
const TOO_LATE: RecordOutcome = Object.freeze({ outcome: 'too_late' });

/** The partial aggregate of one key. */
class Acc {
  count = 0;
  sum = 0;
  ids: Set<string> | undefined = undefined;
}

/** The partials of one (bucket, org, workspace): per measure index, dim -> Acc. */
type Cell = Array<Map<string, Acc> | undefined>;

let defaultMapping: CompiledMapping | undefined;

function optionError(message: string): RollupsError {
  return new RollupsError(`window: ${message}`, { code: 'WINDOW_OPTIONS_INVALID' });
}

export class TumblingWindows {
  readonly windowMs: number;
  readonly allowedLatenessMs: number;
  readonly stats: WindowStats = { recorded: 0, late: 0, tooLate: 0, contributions: 0 };

  private readonly now: () => number;
  private readonly mapping: CompiledMapping;
  private readonly measureCount: number;

  /** bucket -> org_id -> workspace_id -> cell */
  private buckets = new Map<number, Map<string, Map<string, Cell>>>();
  private maxEventTime = Number.NEGATIVE_INFINITY;
  private keyCount = 0;
  private idCount = 0;

  // The cell of the previous event: consecutive events mostly share bucket and tenant.
  private lastBucket = Number.NaN;
  private lastOrg = '';
  private lastWorkspace = '';
  private lastCell: Cell | undefined;
  /** The cell the current record() adds to (read by `visit`). */
  private current: Cell = [];

  constructor(options: TumblingWindowsOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS;
    if (!Number.isSafeInteger(this.windowMs) || this.windowMs <= 0) {
      throw optionError(`windowMs must be a positive whole number of ms, got ${this.windowMs}`);
    }
    if (!(this.allowedLatenessMs >= 0)) {
      throw optionError(`allowedLatenessMs must be >= 0, got ${this.allowedLatenessMs}`);
    }
    this.now = options.now ?? Date.now;
    this.mapping = options.mapping ?? (defaultMapping ??= compileMapping());
    this.measureCount = this.mapping.measures.length;
  }

  /** Max event time seen - windowMs (-Infinity before the first event). */
  get watermark(): number {
    return this.maxEventTime - this.windowMs;
  }

  /** Keys plus distinct ids held: what memory caps should look at. */
  get size(): number {
    return this.keyCount + this.idCount;
  }

  /** Number of (bucket, org, workspace, measure, dim) keys held. */
  get keys(): number {
    return this.keyCount;
  }

  /** Number of ids held in all distinct sets. */
  get ids(): number {
    return this.idCount;
  }

  record(e: AnalyticsEvent): RecordOutcome {
    const ts = e.timestamp;
    if (ts < this.now() - this.allowedLatenessMs) {
      this.stats.tooLate++;
      return TOO_LATE;
    }
    const late = ts < this.maxEventTime - this.windowMs;
    if (ts > this.maxEventTime) this.maxEventTime = ts;
    this.stats.recorded++;

    const rows = this.mapping.rowsFor(e.event);
    if (rows.length > 0) {
      this.current = this.cellFor(Math.floor(ts / this.windowMs) * this.windowMs, e.org_id, e.workspace_id);
      this.stats.contributions += forEachContribution(e, rows, this.visit);
    }
    if (late) {
      this.stats.late++;
      return LATE;
    }
    return OK;
  }

  /** Every partial row held, in no particular order; the state is empty afterwards. */
  flush(): PartialRow[] {
    const out: PartialRow[] = [];
    const measures = this.mapping.measures;
    for (const [bucket, orgs] of this.buckets) {
      for (const [org_id, workspaces] of orgs) {
        for (const [workspace_id, cell] of workspaces) {
          for (let m = 0; m < cell.length; m++) {
            const byDim = cell[m];
            if (byDim === undefined) continue;
            const measure = measures[m]!;
            for (const [dim, acc] of byDim) {
              out.push({
                bucket,
                org_id,
                workspace_id,
                measure,
                dim,
                count: acc.count,
                sum: acc.sum,
                ids: acc.ids === undefined ? [] : [...acc.ids],
              });
            }
          }
        }
      }
    }
    this.buckets = new Map();
    this.keyCount = 0;
    this.idCount = 0;
    this.lastBucket = Number.NaN;
    this.lastCell = undefined;
    this.current = [];
    return out;
  }

  private cellFor(bucket: number, org: string, workspace: string): Cell {
    if (
      this.lastCell !== undefined &&
      bucket === this.lastBucket &&
      org === this.lastOrg &&
      workspace === this.lastWorkspace
    ) {
      return this.lastCell;
    }
    let orgs = this.buckets.get(bucket);
    if (orgs === undefined) this.buckets.set(bucket, (orgs = new Map()));
    let workspaces = orgs.get(org);
    if (workspaces === undefined) orgs.set(org, (workspaces = new Map()));
    let cell = workspaces.get(workspace);
    if (cell === undefined) workspaces.set(workspace, (cell = new Array(this.measureCount).fill(undefined)));
    this.lastBucket = bucket;
    this.lastOrg = org;
    this.lastWorkspace = workspace;
    this.lastCell = cell;
    return cell;
  }

  private readonly visit = (row: CompiledRow, dim: string, value: number, id: string | undefined): void => {
    const cell = this.current;
    let byDim = cell[row.measureIndex];
    if (byDim === undefined) cell[row.measureIndex] = byDim = new Map();
    let acc = byDim.get(dim);
    if (acc === undefined) {
      byDim.set(dim, (acc = new Acc()));
      this.keyCount++;
    }
    acc.count++;
    acc.sum += value;
    if (id !== undefined) {
      const ids = (acc.ids ??= new Set());
      const before = ids.size;
      ids.add(id);
      if (ids.size !== before) this.idCount++;
    }
  };
}
