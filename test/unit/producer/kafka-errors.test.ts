import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ProduceError, RollupsError } from '../../../src/errors.js';
import { isRetriableKafkaError, kafkaFailure } from '../../../src/producer/kafka-errors.js';

describe('kafkajs errors as ProduceError', () => {
  it('follows the cause when kafkajs gave up retrying', () => {
    const gaveUp = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), { retryCount: 5, retryTime: 1000 });
    expect(gaveUp.retriable).toBe(false);
    expect(isRetriableKafkaError(gaveUp)).toBe(true);
    const e = kafkaFailure('cannot connect to Kafka', gaveUp);
    expect(e).toBeInstanceOf(ProduceError);
    expect(e).toBeInstanceOf(RollupsError);
    expect(e.code).toBe('PRODUCE_FAILED');
    expect(e.retriable).toBe(true);
    expect(e.message).toBe('cannot connect to Kafka: Connection error: connect ECONNREFUSED');
  });

  it('keeps kafkajs own verdict otherwise', () => {
    expect(isRetriableKafkaError(new KafkaJSError('leader moved'))).toBe(true);
    expect(isRetriableKafkaError(new KafkaJSNonRetriableError('bad config'))).toBe(false);
    const tooLarge = new KafkaJSProtocolError({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'too large' } as unknown as Error);
    expect(isRetriableKafkaError(tooLarge)).toBe(false);
    expect(isRetriableKafkaError(new Error('plain'))).toBe(false);
    expect(isRetriableKafkaError('text')).toBe(false);
  });
});
