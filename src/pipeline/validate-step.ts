import type { AnalyticsEvent } from '../contract/catalog.js';
import { validateEvent } from '../contract/validate.js';
import type { StepResult } from './types.js';

/** Raw record → valid event (contract 4.1–4.4, the PII guard included). */
export function createValidateStep(deps: { now: () => number }) {
  return {
    run(raw: Record<string, unknown>): StepResult<AnalyticsEvent> {
      const r = validateEvent(raw, deps.now());
      return r.ok ? { kind: 'ok', value: r.event } : { kind: 'dlq', reason: r.reason, detail: r.detail };
    },
  };
}
export type ValidateStep = ReturnType<typeof createValidateStep>;
