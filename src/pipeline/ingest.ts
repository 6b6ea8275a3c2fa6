import type { DecodeStep } from './decode-step.js';
import type { DeadLetter, DecodedEvent, SourceMessage } from './types.js';
import type { ValidateStep } from './validate-step.js';

export interface IngestResult {
  events: DecodedEvent[];
  deadLetters: DeadLetter[];
  dropped: number;
}

/**
 * The front half of the pipeline for one batch: decode then validate every message. Each message gets
 * exactly one outcome; the only exception that can leave is a retriable registry failure from
 * `prepare`, before any message was judged, so the whole batch can be retried as it is.
 */
export function createIngestStep(deps: { decode: DecodeStep; validate: ValidateStep }) {
  return async function ingest(messages: readonly SourceMessage[]): Promise<IngestResult> {
    await deps.decode.prepare(messages);
    const events: DecodedEvent[] = [];
    const deadLetters: DeadLetter[] = [];
    let dropped = 0;
    for (const message of messages) {
      const d = deps.decode.run(message);
      if (d.kind === 'drop') {
        dropped++;
        continue;
      }
      if (d.kind === 'dlq') {
        deadLetters.push({ message, reason: d.reason, detail: d.detail });
        continue;
      }
      const v = deps.validate.run(d.value);
      if (v.kind === 'ok') events.push({ event: v.value, message });
      else if (v.kind === 'dlq') deadLetters.push({ message, reason: v.reason, detail: v.detail });
      else dropped++;
    }
    return { events, deadLetters, dropped };
  };
}
export type IngestStep = ReturnType<typeof createIngestStep>;
