import { RollupsError } from '../errors.js';

/**
 * A request the query layer cannot answer as asked (bad time zone, bad date, empty or too long range...).
 * `code` is always `INVALID_REQUEST` (the read API answers 400); `param` names the offending parameter
 * as the read API spells it (`tz`, `period`, `from`, `to`, `days`, `date`, `metric`, ...).
 */
export class QueryError extends RollupsError {
  readonly param: string;

  constructor(param: string, message: string) {
    super(message, { code: 'INVALID_REQUEST' });
    this.param = param;
  }
}

/** A user-supplied value for an error message: quoted, and cut short so a message stays a line. */
export function shown(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
