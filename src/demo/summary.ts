import type { QueryService } from '../query/service.js';

export interface TenantLine {
  tenant: string;
  messages: number;
  conversations: number;
  escalationRate: number | null;
  gatePassRate: number | null;
  activeCustomers: number;
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** Today's overview (UTC) of each demo tenant, from the rollups through the query layer. */
export async function tenantLines(query: QueryService, tenants: readonly string[], nowMs: number): Promise<TenantLine[]> {
  const day = 86_400_000;
  const fromMs = Math.floor(nowMs / day) * day;
  const toMs = Math.floor(nowMs / 60_000) * 60_000 + 60_000;
  const out: TenantLine[] = [];
  for (const tenant of tenants) {
    const { overview } = await query.sections({ orgId: tenant, fromMs, toMs }, ['overview']);
    out.push({
      tenant,
      messages: overview.totalMessages,
      conversations: overview.totalConversations,
      escalationRate: overview.escalationRate,
      gatePassRate: overview.gatePassRate,
      activeCustomers: overview.activeCustomers,
    });
  }
  return out;
}

export function renderLines(lines: readonly TenantLine[]): string[] {
  const head = `${'tenant'.padEnd(12)} ${'messages'.padStart(9)} ${'conversations'.padStart(13)} ${'escalation'.padStart(10)} ${'gate pass'.padStart(9)} ${'customers'.padStart(9)}`;
  return [
    head,
    ...lines.map(
      (l) =>
        `${l.tenant.padEnd(12)} ${String(l.messages).padStart(9)} ${String(l.conversations).padStart(13)} ${pct(l.escalationRate).padStart(10)} ${pct(l.gatePassRate).padStart(9)} ${String(l.activeCustomers).padStart(9)}`,
    ),
  ];
}
