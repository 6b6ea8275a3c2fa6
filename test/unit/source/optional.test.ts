import { describe, expect, it } from 'vitest';
import { importOptional } from '../../../src/source/clients/optional.js';
import { ClientUnavailableError } from '../../../src/source/consumer.js';

describe('optional Kafka clients', () => {
  it('refuses a client that is installed nowhere with a clear, non-retriable error naming the install command', async () => {
    const err = await importOptional('nope', '@analytics-rollups/no-such-client', 'no-such-shim.mjs').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientUnavailableError);
    expect((err as ClientUnavailableError).code).toBe('KAFKA_CLIENT_UNAVAILABLE');
    expect((err as ClientUnavailableError).retriable).toBe(false);
    expect((err as Error).message).toContain('npm run bench:clients');
  });
});
