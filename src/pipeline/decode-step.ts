import type { Decoder } from '../decode/decoder.js';
import type { SourceMessage, StepResult } from './types.js';

/** Confluent frame → raw record. Tombstones (null value) are dropped: they carry no event. */
export function createDecodeStep(deps: { decoder: Decoder }) {
  return {
    /** Once per batch: fetches the schemas the batch needs (the only await on the decode path). */
    prepare(messages: readonly SourceMessage[]): Promise<void> {
      return deps.decoder.prepare(messages.map((m) => m.value));
    },
    run(message: SourceMessage): StepResult<Record<string, unknown>> {
      if (message.value === null) return { kind: 'drop', reason: 'tombstone' };
      const r = deps.decoder.decode(message.value);
      return r.ok ? { kind: 'ok', value: r.raw } : { kind: 'dlq', reason: r.reason, detail: r.detail };
    },
  };
}
export type DecodeStep = ReturnType<typeof createDecodeStep>;
