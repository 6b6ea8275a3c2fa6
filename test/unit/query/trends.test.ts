import { describe, expect, it } from 'vitest';
import { evaluateSpec } from '../../../src/metrics/evaluate.js';
import { measuresOf } from '../../../src/metrics/formula.js';
import { MemoryMeasureStore } from '../../../src/metrics/store.js';
import { TRENDS, trendsRange } from '../../../src/query/trends.js';

describe('trends', () => {
  it('cover the 60 minutes ending with the minute in progress', () => {
    const now = Date.parse('2025-11-02T15:42:37.5Z');
    expect(trendsRange(now)).toEqual({ fromMs: Date.parse('2025-11-02T14:43:00Z'), toMs: Date.parse('2025-11-02T15:43:00Z') });
  });

  it('read messages, escalations (every escalation.created) and response times', () => {
    expect([...measuresOf(TRENDS)].sort()).toEqual(['escalated_conversations', 'messages', 'response_time_ms']);
    const store = new MemoryMeasureStore([
      { measure: 'messages', dim: 'zalo', count: 3, sum: 0, ids: [] },
      { measure: 'messages', dim: '', count: 2, sum: 0, ids: [] },
      // two escalations of one conversation count twice
      { measure: 'escalated_conversations', dim: '', count: 2, sum: 0, ids: ['c1'] },
      { measure: 'response_time_ms', dim: '', count: 4, sum: 10_000, ids: [] },
    ]);
    expect(evaluateSpec(TRENDS, store)).toEqual({ messagesLastHour: 5, escalationsLastHour: 2, responseTimeLastHour: 2.5 });
    expect(evaluateSpec(TRENDS, new MemoryMeasureStore())).toEqual({ messagesLastHour: 0, escalationsLastHour: 0, responseTimeLastHour: null });
  });
});
