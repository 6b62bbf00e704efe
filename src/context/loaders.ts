import DataLoader from "dataloader";
import type { RequestAuthz } from "../authz/request-authz";
import type { DeclarationChildrenRepository } from "../modules/declarations/declarations.children.repository";
import type { Party } from "../modules/parties/parties.repository";

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

export interface LoaderSources {
  parties: (ids: string[]) => Promise<Party[]>;
  children: DeclarationChildrenRepository;
}

/**
 * Fresh per request, so nothing cached crosses viewers. Loaders fetch raw rows through the
 * repositories; what the viewer may see of them is decided by the policy (row filters in
 * services, field guards).
 */
export function createLoaders(sources: LoaderSources, _authz: RequestAuthz) {
  const { children } = sources;
  const grouped = <T extends { declarationId: string }>(fetch: (ids: string[]) => Promise<T[]>) =>
    new DataLoader(async (keys: readonly string[]) => groupBy(await fetch([...keys]), "declarationId", keys));
  return {
    party: new DataLoader(async (keys: readonly string[]) => byId(await sources.parties([...keys]), keys)),
    goodsItems: grouped((ids) => children.goodsItems(ids)),
    holds: grouped((ids) => children.holds(ids)),
    riskAlerts: grouped((ids) => children.riskAlerts(ids)),
    duties: grouped((ids) => children.duties(ids)),
    statusEvents: grouped((ids) => children.statusEvents(ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
