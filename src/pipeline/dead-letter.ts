import type { IHeaders, Producer } from 'kafkajs';
import type { DeadLetter } from './types.js';

/** Header names of a dead-lettered record; the value and key are the original bytes, untouched. */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  detail: 'x-dlq-detail',
  topic: 'x-dlq-source-topic',
  partition: 'x-dlq-source-partition',
  offset: 'x-dlq-source-offset',
  timestamp: 'x-dlq-source-timestamp',
  at: 'x-dlq-at',
} as const;

const MAX_DETAIL = 200;

/**
 * Writes rejected records to the dead-letter topic and resolves only once Kafka acknowledged them
 * (acks = all), so the caller can commit the source offsets behind them. Original headers are kept and
 * ours added, so a replay tool can restore the record exactly.
 */
export function createDeadLetterStep(deps: { producer: Producer; topic: string; now?: () => number }) {
  const now = deps.now ?? Date.now;
  return async function writeDeadLetters(items: readonly DeadLetter[]): Promise<void> {
    if (items.length === 0) return;
    const at = String(now());
    await deps.producer.send({
      topic: deps.topic,
      acks: -1,
      messages: items.map(({ message, reason, detail }) => {
        const headers: IHeaders = {
          ...(message.headers ?? {}),
          [DLQ_HEADERS.reason]: reason,
          [DLQ_HEADERS.detail]: detail.slice(0, MAX_DETAIL),
          [DLQ_HEADERS.topic]: message.topic,
          [DLQ_HEADERS.partition]: String(message.partition),
          [DLQ_HEADERS.offset]: message.offset,
          [DLQ_HEADERS.timestamp]: message.timestamp,
          [DLQ_HEADERS.at]: at,
        };
        return { key: message.key, value: message.value, headers };
      }),
    });
  };
}
export type DeadLetterStep = ReturnType<typeof createDeadLetterStep>;
