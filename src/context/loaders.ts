import DataLoader from "dataloader";
import type { PrismaClient } from "../generated/prisma/client";
import type { RequestAuthz } from "../authz/request-authz";

/** Groups rows by a key, in the order of the keys asked for. */
function groupBy<T, K extends keyof T>(rows: T[], key: K, keys: readonly T[K][]): T[][] {
  const map = new Map<T[K], T[]>();
  for (const row of rows) {
    const list = map.get(row[key]);
    if (list) list.push(row);
    else map.set(row[key], [row]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

function byId<T extends { id: string }>(rows: T[], ids: readonly string[]): (T | null)[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id) ?? null);
}

/**
 * Fresh per request, so nothing cached crosses viewers. Loaders fetch raw rows; what the
 * viewer may see of them is decided by the policy (row filters in services, field guards).
 */
export function createLoaders(prisma: PrismaClient, _authz: RequestAuthz) {
  const ids = (keys: readonly string[]) => ({ in: [...keys] });
  return {
    party: new DataLoader(async (keys: readonly string[]) =>
      byId(await prisma.party.findMany({ where: { id: ids(keys) } }), keys),
    ),
    goodsItems: new DataLoader(async (keys: readonly string[]) =>
      groupBy(
        await prisma.goodsItem.findMany({ where: { declarationId: ids(keys) }, orderBy: { lineNumber: "asc" } }),
        "declarationId",
        keys,
      ),
    ),
    holds: new DataLoader(async (keys: readonly string[]) =>
      groupBy(await prisma.hold.findMany({ where: { declarationId: ids(keys) }, orderBy: { placedAt: "asc" } }), "declarationId", keys),
    ),
    riskAlerts: new DataLoader(async (keys: readonly string[]) =>
      groupBy(
        await prisma.riskAlert.findMany({ where: { declarationId: ids(keys) }, orderBy: { createdAt: "asc" } }),
        "declarationId",
        keys,
      ),
    ),
    duties: new DataLoader(async (keys: readonly string[]) =>
      groupBy(
        await prisma.dutyAssessment.findMany({
          // the assessment in force; superseded versions stay in the store and the audit trail
          where: { declarationId: ids(keys), supersededAt: null },
          orderBy: { createdAt: "asc" },
        }),
        "declarationId",
        keys,
      ),
    ),
    statusEvents: new DataLoader(async (keys: readonly string[]) =>
      groupBy(
        await prisma.statusEvent.findMany({ where: { declarationId: ids(keys) }, orderBy: { occurredAt: "asc" } }),
        "declarationId",
        keys,
      ),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
