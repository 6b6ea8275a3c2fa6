import type { IHeaders } from 'kafkajs';
import type { AnalyticsEvent, RejectReason } from '../contract/catalog.js';

/** One Kafka record as the pipeline sees it: the source's view, nothing kafkajs-specific beyond headers. */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: IHeaders;
}

/**
 * Per-message outcomes are values, never exceptions (PostHog's ingestion pipeline): a step returns
 * `ok` with its output, `dlq` with a machine-readable reason, or `drop` for messages we deliberately
 * ignore (tombstones). Exceptions are reserved for failures of the infrastructure (registry, sink,
 * Kafka), which stop the batch and are retried; a bad message never throws.
 */
export type StepResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'dlq'; reason: RejectReason; detail: string }
  | { kind: 'drop'; reason: string };

export interface DeadLetter {
  message: SourceMessage;
  reason: RejectReason;
  /** Short, never a field value (the contract module guarantees that for validation details). */
  detail: string;
}

export interface DecodedEvent {
  event: AnalyticsEvent;
  message: SourceMessage;
}
