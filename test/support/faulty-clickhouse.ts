import type { ClickHouseClient } from '../../src/clickhouse/client.js';

/**
 * The real ClickHouse client with a switch that makes every call fail the way a refused connection
 * does; the engine behind it stays real and keeps its data.
 */
export function faultyClickHouse(client: ClickHouseClient): { client: ClickHouseClient; setDown(down: boolean): void; failures: () => number } {
  let down = false;
  let failures = 0;
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop === 'close') return fn;
      return (...args: unknown[]) => {
        if (down) {
          failures++;
          if (prop === 'ping') return Promise.resolve({ success: false, error: refused() });
          return Promise.reject(refused());
        }
        return fn(...args);
      };
    },
  });
  return { client: wrapped, setDown: (d) => void (down = d), failures: () => failures };
}
