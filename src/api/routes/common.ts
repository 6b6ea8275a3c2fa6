import type { QueryService } from '../../query/service.js';

/** What every analytics route needs. */
export interface RouteDeps {
  query: QueryService;
  /** The clock of "today", the periods, the trends and token expiry (epoch ms). */
  now: () => number;
}

/** The OpenAPI name of the bearer scheme (app.ts declares it). */
export const BEARER_SCHEME = 'bearerAuth';

/** OpenAPI tags and security of the authenticated endpoints. */
export const SECURED = { tags: ['analytics'], security: [{ [BEARER_SCHEME]: [] as string[] }] };

/** The default of `days` when neither `days` nor `from`/`to` is given (timeseries, export). */
export const DEFAULT_DAYS = 7;
