/**
 * Minting read-API tokens (`rollups token`): HS256 JWTs with `org_id`, optional `workspace_id`, `iat`
 * and `exp`, signed with API_JWT_SECRET. For development and operations; a real deployment's identity
 * provider issues the same shape.
 */
import { SignJWT } from 'jose';
import { RollupsError } from '../errors.js';
import { secretKey } from './auth.js';

/** A command-line argument the command cannot use. */
export class TokenArgumentError extends RollupsError {
  constructor(message: string) {
    super(message, { code: 'INVALID_ARGUMENT' });
  }
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** The longest lifetime a minted token may have. */
export const MAX_TTL_SECONDS = 366 * 86_400;

/** `90s`, `15m`, `1h`, `7d` → seconds (a whole number and one unit; at most 366 days). */
export function parseTtl(text: string): number {
  const m = /^([0-9]{1,9})([smhd])$/.exec(text.trim());
  const seconds = m === null ? Number.NaN : Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new TokenArgumentError(`--ttl ${JSON.stringify(text)} is not a lifetime such as 90s, 15m, 1h or 7d (at most 366d)`);
  }
  return seconds;
}

export interface MintOptions {
  secret: string;
  orgId: string;
  workspaceId?: string | undefined;
  ttlSeconds: number;
  nowMs?: number;
}

export async function mintToken(o: MintOptions): Promise<string> {
  if (o.orgId === '' || o.orgId.length > 256) throw new TokenArgumentError('--org must be a tenant id (1 to 256 characters)');
  if (o.workspaceId !== undefined && (o.workspaceId === '' || o.workspaceId.length > 256)) {
    throw new TokenArgumentError('--workspace must be a workspace id (1 to 256 characters)');
  }
  const iat = Math.floor((o.nowMs ?? Date.now()) / 1000);
  const claims: Record<string, string> = { org_id: o.orgId };
  if (o.workspaceId !== undefined) claims.workspace_id = o.workspaceId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + o.ttlSeconds)
    .sign(secretKey(o.secret));
}
