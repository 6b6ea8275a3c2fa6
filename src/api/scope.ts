/**
 * Whose data a request reads: the tenant of its token (never a parameter), narrowed to the token's
 * workspace when the token names one, and to the `workspace_id` parameter when given. A parameter
 * that names a workspace other than the token's is refused (400): the token does not reach it.
 */
import type { FastifyRequest } from 'fastify';
import type { Scope } from '../query/service.js';
import { principalOf } from './auth.js';
import { InvalidRequestError } from './errors.js';

export function scopeOf(req: FastifyRequest, workspaceParam: string | undefined): Scope {
  const { orgId, workspaceId: tokenWorkspace } = principalOf(req);
  if (tokenWorkspace !== undefined && workspaceParam !== undefined && workspaceParam !== tokenWorkspace) {
    throw new InvalidRequestError('workspace_id', 'workspace_id is outside the workspace this token is limited to');
  }
  const workspaceId = workspaceParam ?? tokenWorkspace;
  return workspaceId === undefined ? { orgId } : { orgId, workspaceId };
}
