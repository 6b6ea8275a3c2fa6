import type { ClickHouseClient } from '../../src/clickhouse/client.js';

/** A statement as sent: its text and its parameters. */
export interface SentStatement {
  query: string;
  query_params: Record<string, unknown>;
}

/**
 * The real ClickHouse client, recording the statement of every `query` call it passes on (tests that
 * assert which statement was sent; the read bench's "statement the service sends").
 */
export function recordingClickHouse(client: ClickHouseClient): { client: ClickHouseClient; sent: SentStatement[] } {
  const sent: SentStatement[] = [];
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop !== 'query') return (v as (...a: unknown[]) => unknown).bind(target);
      return (params: Parameters<ClickHouseClient['query']>[0]) => {
        sent.push({ query: params.query, query_params: (params.query_params ?? {}) as Record<string, unknown> });
        return target.query(params);
      };
    },
  });
  return { client: wrapped, sent };
}
