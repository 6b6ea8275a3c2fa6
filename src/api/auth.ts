/**
 * Bearer-token authentication of the read API (contract section 6). A token is a JWT signed with
 * HS256 and API_JWT_SECRET; its `org_id` claim is the tenant that `me` stands for, and the only place
 * the tenant ever comes from. An optional `workspace_id` claim limits the token to one workspace.
 *
 * Refused with 401 (UnauthorizedError): no or malformed Authorization header, a token that is not a
 * JWT, any algorithm but HS256 (`none` included), a bad signature, no `exp` or an expired one, a
 * `nbf` in the future, no `org_id` (or not a non-empty string), a `workspace_id` claim that is not a
 * non-empty string. Messages say what is wrong and never echo the token.
 */
import type { FastifyRequest } from 'fastify';
import { errors as jose, jwtVerify, type JWTPayload } from 'jose';
import { UnauthorizedError } from './errors.js';

export interface Principal {
  /** The tenant: the token's `org_id`. */
  orgId: string;
  /** Set when the token is limited to one workspace (`workspace_id` claim). */
  workspaceId?: string | undefined;
}

/** The longest id accepted in a claim (the ids of the contract are short internal ids). */
const MAX_ID_LENGTH = 256;
/** A longer Authorization header is not one of our tokens. */
const MAX_HEADER_LENGTH = 8192;

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive). */
export function bearerToken(header: string | string[] | undefined): string {
  if (header === undefined || header === '') throw new UnauthorizedError('missing bearer token: send Authorization: Bearer <JWT>');
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.length > MAX_HEADER_LENGTH) throw new UnauthorizedError('the Authorization header is too long');
  const m = /^Bearer[ \t]+([A-Za-z0-9_\-.=+/]+)[ \t]*$/i.exec(value);
  if (m === null || m[1] === undefined) throw new UnauthorizedError('the Authorization header is not "Bearer <JWT>"');
  return m[1];
}

function idClaim(payload: JWTPayload, name: string): string | undefined {
  const v = payload[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > MAX_ID_LENGTH) {
    throw new UnauthorizedError(`the token's ${name} claim is not an id`);
  }
  return v;
}

function reason(err: unknown): string {
  if (err instanceof jose.JWTExpired) return 'the token has expired';
  if (err instanceof jose.JOSEAlgNotAllowed || err instanceof jose.JOSENotSupported) return 'the token is not signed with HS256';
  if (err instanceof jose.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'exp') return 'the token has no valid expiry (exp)';
    if (err.claim === 'nbf') return 'the token is not valid yet (nbf)';
    return `the token's ${err.claim} claim is not valid`;
  }
  return 'the token is not a valid JWT';
}

/** Verifies a token at `nowMs` and returns whose data it may read. */
export async function verifyToken(token: string, key: Uint8Array, nowMs: number): Promise<Principal> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
      currentDate: new Date(nowMs),
    }));
  } catch (err) {
    throw new UnauthorizedError(reason(err));
  }
  const orgId = idClaim(payload, 'org_id');
  if (orgId === undefined) throw new UnauthorizedError('the token carries no org_id claim');
  const workspaceId = idClaim(payload, 'workspace_id');
  return workspaceId === undefined ? { orgId } : { orgId, workspaceId };
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** An `onRequest` hook: authenticates before anything else (no 400 ever reaches an anonymous caller). */
export function authenticate(key: Uint8Array, now: () => number): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const principal = await verifyToken(bearerToken(req.headers.authorization), key, now());
    principals.set(req, principal);
  };
}

/** The principal of an authenticated request (set by `authenticate`). */
export function principalOf(req: FastifyRequest): Principal {
  const p = principals.get(req);
  if (p === undefined) throw new UnauthorizedError('the request is not authenticated');
  return p;
}
