import { parseArgs } from 'node:util';
import { MAX_TTL_SECONDS, mintToken, parseTtl } from '../api/token.js';
import { DEV_SECRET } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Command } from './commands.js';

const USAGE = 'rollups token --org ID [--ttl 1h] [--workspace W]';

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface TokenArgs {
  org: string;
  workspace: string | undefined;
  ttlSeconds: number;
}

function parse(args: string[]): TokenArgs | string {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { org: { type: 'string' }, ttl: { type: 'string' }, workspace: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return errorMessage(e);
  }
  if (values.org === undefined || values.org === '') return '--org is required (the tenant id, the org_id of the events)';
  if (values.workspace === '') return '--workspace needs a workspace id';
  try {
    return { org: values.org, workspace: values.workspace, ttlSeconds: parseTtl(values.ttl ?? '1h') };
  } catch (e) {
    return errorMessage(e);
  }
}

/**
 * `rollups token`: prints a read-API token (HS256 with API_JWT_SECRET) on standard output, and what
 * it is for on standard error, so `TOKEN=$(rollups token --org org-1)` works.
 */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'mint a dev read-API token',
  usage: USAGE,
  async run({ config, args, out }) {
    const parsed = parse(args);
    if (typeof parsed === 'string') {
      err(`rollups token: ${parsed}`);
      err(`usage: ${USAGE} (ttl: a whole number with s, m, h or d; at most ${MAX_TTL_SECONDS / 86_400}d; default 1h)`);
      return 2;
    }
    const cfg = config();
    const nowMs = Date.now();
    const token = await mintToken({ secret: cfg.API_JWT_SECRET, orgId: parsed.org, workspaceId: parsed.workspace, ttlSeconds: parsed.ttlSeconds, nowMs });
    if (cfg.API_JWT_SECRET === DEV_SECRET) err('rollups token: signed with the built-in development secret (API_JWT_SECRET is not set)');
    const scope = parsed.workspace === undefined ? `org ${parsed.org}` : `org ${parsed.org}, workspace ${parsed.workspace}`;
    err(`rollups token: ${scope}, expires ${new Date(nowMs + parsed.ttlSeconds * 1000).toISOString()}`);
    out(token);
    return 0;
  },
};
