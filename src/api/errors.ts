/**
 * The read API's errors (contract section 6): every failure is answered as
 * `{"error": {"code": "INVALID_REQUEST" | "UNAUTHORIZED" | "INTERNAL_ERROR", "message": "..."}}`.
 *
 *  - 400 INVALID_REQUEST: a route schema refused the query string (unknown, repeated or malformed
 *    parameter), or the query layer refused the selection (QueryError: zone, date, range, metric...);
 *  - 401 UNAUTHORIZED: no usable bearer token (auth.ts);
 *  - 500 INTERNAL_ERROR: anything else. The answer carries a generic message and the request id only,
 *    never the error's own message (it may name SQL, a host or a file), never a stack.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RollupsError } from '../errors.js';
import { QueryError, shown } from '../query/errors.js';

export type ApiErrorCode = 'INVALID_REQUEST' | 'UNAUTHORIZED' | 'INTERNAL_ERROR' | 'NOT_FOUND';

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

/** A request without a valid bearer token. The message says what is wrong, never echoes the token. */
export class UnauthorizedError extends RollupsError {
  constructor(message: string) {
    super(message, { code: 'UNAUTHORIZED' });
  }
}

/** A request the API refuses as asked, found outside the query layer (e.g. a workspace outside the token's). */
export class InvalidRequestError extends RollupsError {
  readonly param: string;

  constructor(param: string, message: string) {
    super(message, { code: 'INVALID_REQUEST' });
    this.param = param;
  }
}

/** The API cannot start (port taken, embedded engine owned by another process, ...). */
export class ApiStartError extends RollupsError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'API_START_FAILED', cause });
  }
}

export function errorBody(code: ApiErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** One Ajv error as Fastify hands it over (`error.validation`). */
interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** A schema refusal of the query string, in words a caller can act on. */
export function validationMessage(issues: readonly ValidationIssue[], query: unknown): string {
  const issue = issues[0];
  if (issue === undefined) return 'the request parameters are not valid';
  const params = issue.params ?? {};
  const param = (issue.instancePath ?? '').replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~');
  const value = param !== '' && typeof query === 'object' && query !== null ? (query as Record<string, unknown>)[param] : undefined;
  switch (issue.keyword) {
    case 'additionalProperties':
      return `unknown parameter ${shown(params.additionalProperty)}; see /openapi.json for the parameters of this endpoint`;
    case 'required':
      return `parameter ${shown(params.missingProperty)} is required`;
    case 'type':
      // Every parameter is a string: any other type is a repeated parameter (parsed as a list).
      return Array.isArray(value) ? `parameter ${shown(param)} is given more than once` : `parameter ${shown(param)} must be a single text value`;
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues.map(String).join(', ') : '';
      return `${param} ${shown(value)} is not one of ${allowed}`;
    }
    case 'pattern':
    case 'minLength':
    case 'maxLength':
    case 'format':
      return `${param} ${shown(value)} is not valid: ${describeConstraint(param, issue)}`;
    default:
      return `parameter ${shown(param)} ${issue.message ?? 'is not valid'}`;
  }
}

const EXPECTED: Record<string, string> = {
  days: 'expected a whole number of days from 1 to 366',
  date: 'expected a date YYYY-MM-DD',
  from: 'expected a date YYYY-MM-DD',
  to: 'expected a date YYYY-MM-DD',
};

function describeConstraint(param: string, issue: ValidationIssue): string {
  if (issue.keyword === 'pattern' && EXPECTED[param] !== undefined) return EXPECTED[param];
  if (issue.keyword === 'minLength') return 'must not be empty';
  if (issue.keyword === 'maxLength') return `is longer than ${String(issue.params?.limit ?? 'allowed')} characters`;
  return issue.message ?? 'invalid value';
}

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/**
 * Fastify's error handler for the whole app: the three contract codes, a logged 500 with the request
 * id (the error itself, with its stack, goes to the log only; pino redacts the authorization header).
 */
export function handleError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  if (isFastifyError(err) && Array.isArray(err.validation)) {
    const message = validationMessage(err.validation as ValidationIssue[], req.query);
    req.log.info({ code: 'INVALID_REQUEST', reason: message }, 'request refused');
    void reply.code(400).send(errorBody('INVALID_REQUEST', message));
    return;
  }
  if (err instanceof QueryError || err instanceof InvalidRequestError) {
    req.log.info({ code: 'INVALID_REQUEST', param: err.param, reason: err.message }, 'request refused');
    void reply.code(400).send(errorBody('INVALID_REQUEST', err.message));
    return;
  }
  if (err instanceof UnauthorizedError) {
    req.log.info({ code: 'UNAUTHORIZED', reason: err.message }, 'request refused');
    void reply.code(401).header('www-authenticate', 'Bearer').send(errorBody('UNAUTHORIZED', err.message));
    return;
  }
  // Fastify's own 4xx (a body that does not parse, an unsupported media type, too large...): the
  // request is at fault. Its status is kept; the message is ours.
  const status = isFastifyError(err) ? err.statusCode : undefined;
  if (isFastifyError(err) && status !== undefined && status >= 400 && status < 500) {
    req.log.info({ code: err.code, status }, 'request refused');
    void reply.code(status).send(errorBody('INVALID_REQUEST', 'the request is malformed'));
    return;
  }
  req.log.error({ err }, 'request failed');
  void reply.code(500).send(errorBody('INTERNAL_ERROR', `internal error; the request id is ${req.id}`));
}

export function handleNotFound(req: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send(errorBody('NOT_FOUND', `no endpoint ${req.method} ${shown(req.url.split('?')[0] ?? '')}; see /openapi.json`));
}
