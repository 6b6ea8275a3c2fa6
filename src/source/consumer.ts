import { RollupsError } from '../errors.js';
import type { SourceMessage } from '../pipeline/types.js';

/**
 * The one consumer interface the source talks to (issue 7, item 3). It is shaped after what
 * createKafkaSource needs from kafkajs, so that the kafkajs adapter is a thin wrapper and the source's
 * retry, pause and commit-after-handler logic stays in one client-independent place.
 */

export const KAFKA_CLIENTS = ['kafkajs', 'platformatic', 'confluent'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** How to reach the cluster. */
export interface ConnectionSettings {
  brokers: string[];
  clientId: string;
}

/** Group membership and fetch behaviour, in the source's terms (each adapter maps them to its client). */
export interface GroupSettings {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  minBytes: number;
  maxWaitMs: number;
  /** A partition without a committed offset starts at its beginning (else at its end). */
  fromBeginning: boolean;
  /**
   * Whether a failure that escaped the batch handler may restart the loop. `undefined` means "not an
   * error the caller knows": the adapter then follows its client's own notion of a transient failure.
   */
  restartOnFailure?: (err: Error) => boolean | undefined;
}

/** One partition's messages, in offset order. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: SourceMessage[];
  /** Offset of the last message. */
  lastOffset: string;
}

/** What the loop offers while one batch is being handled. */
export interface BatchScope {
  heartbeat(): Promise<void>;
  /** True once the partition was revoked, a rebalance made the batch obsolete, or the consumer stops. */
  isStale(): boolean;
  /** The batch is handled up to `offset`: fetching continues after it (committing is separate). */
  resolveOffset(offset: string): void;
}

export type EachBatch = (batch: ConsumedBatch, scope: BatchScope) => Promise<void>;

export interface ConsumerEvents {
  /** The group (re)joined; `assigned` is this member's partitions per topic. */
  onGroupJoin?: (assigned: Record<string, number[]>, memberId: string) => void;
  /** The loop failed; `restart` says whether the client restarts it (if not, it has stopped for good). */
  onCrash?: (error: Error, restart: boolean) => void;
}

export interface BatchConsumer {
  readonly client: KafkaClientName;
  connect(): Promise<void>;
  subscribe(topics: string[]): Promise<void>;
  /**
   * Starts the batch loop: partitions are handled concurrently, batches of one partition one after the
   * other. Resolves once the loop runs; failures afterwards are reported through `onCrash`.
   */
  run(eachBatch: EachBatch, events: ConsumerEvents): Promise<void>;
  /** Stops fetching one partition (its running batch goes on) until `resume`. */
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /** Commits `nextOffset` (the offset of the next message to read) for the group. */
  commit(topic: string, partition: number, nextOffset: string): Promise<void>;
  /** Stops fetching, lets running batches finish, leaves the group. */
  disconnect(): Promise<void>;
}

/** A client was selected that is not installed or cannot be loaded (e.g. its native part is missing). */
export class ClientUnavailableError extends RollupsError {
  constructor(client: string, message: string, cause?: unknown) {
    super(`Kafka client "${client}" is not available: ${message}`, { code: 'KAFKA_CLIENT_UNAVAILABLE', cause });
  }
}

/**
 * Opens a consumer of the chosen client. Only kafkajs is a dependency of the product; the others are
 * loaded on demand (dynamic import), so that selecting them is the only thing that needs them installed.
 */
export async function openConsumer(client: KafkaClientName, conn: ConnectionSettings, group: GroupSettings): Promise<BatchConsumer> {
  switch (client) {
    case 'kafkajs':
      return (await import('./clients/kafkajs.js')).openKafkaJsConsumer(conn, group);
    case 'platformatic':
      return (await import('./clients/platformatic.js')).openPlatformaticConsumer(conn, group);
    case 'confluent':
      return (await import('./clients/confluent.js')).openConfluentConsumer(conn, group);
  }
}
