/**
 * kafkajs failures as {@link ProduceError}s. kafkajs marks its errors `retriable`; when it gives up after
 * its own retries (`KafkaJSNumberOfRetriesExceeded`, itself "non-retriable") the underlying cause decides:
 * a broker that was unreachable or a leader that was moving may well be back later.
 */
import { ProduceError, errorMessage } from '../errors.js';

const WRAPPERS = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSNonRetriableError']);

/** Whether waiting and trying again can help with this kafkajs error. */
export function isRetriableKafkaError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5; depth++) {
    if (!(e instanceof Error)) return false;
    const cause: unknown = (e as Error & { cause?: unknown }).cause;
    if (WRAPPERS.has(e.name) && cause instanceof Error) {
      e = cause;
      continue;
    }
    const retriable = (e as Error & { retriable?: unknown }).retriable;
    return typeof retriable === 'boolean' ? retriable : false;
  }
  return false;
}

/** The innermost useful message of a kafkajs error (the cause of a "retries exceeded"). */
export function kafkaErrorMessage(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 5; depth++) {
    if (!(e instanceof Error)) break;
    const cause: unknown = (e as Error & { cause?: unknown }).cause;
    if (WRAPPERS.has(e.name) && cause instanceof Error) {
      e = cause;
      continue;
    }
    break;
  }
  return errorMessage(e);
}

export function kafkaFailure(what: string, err: unknown): ProduceError {
  return new ProduceError(`${what}: ${kafkaErrorMessage(err)}`, isRetriableKafkaError(err), err);
}
