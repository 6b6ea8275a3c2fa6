import { describe, it, expect } from 'vitest';
import { kafkaKey } from '../../../src/contract/key.js';
import { sampleEvent } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);

describe('kafkaKey', () => {
  it('is org_id:conversation_id when there is a conversation', () => {
    expect(kafkaKey(sampleEvent('message.received', NOW))).toBe('org_7f3a9c:conv_zl_3003');
    expect(kafkaKey({ org_id: 'o1', conversation_id: 'c9' })).toBe('o1:c9');
  });
  it('is org_id otherwise', () => {
    expect(kafkaKey(sampleEvent('kb.created', NOW))).toBe('org_7f3a9c');
    expect(kafkaKey({ org_id: 'o1' })).toBe('o1');
  });
});
