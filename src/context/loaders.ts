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
  /** the same records on the read replica (DATABASE_READ_URL); null without one */
  replicaChildren: DeclarationChildrenRepository | null;
}

/**
 * Fresh per request, so nothing cached crosses viewers. Loaders fetch raw rows through the
 * repositories; what the viewer may see of them is decided by the policy (row filters in
 * services, field guards).
 */
export function createLoaders(sources: LoaderSources, _authz: RequestAuthz) {
  const grouped = <T extends { declarationId: string }>(fetch: (ids: string[]) => Promise<T[]>) =>
    new DataLoader(async (keys: readonly string[]) => groupBy(await fetch([...keys]), "declarationId", keys));
  const childrenOf = (children: DeclarationChildrenRepository) => ({
    goodsItems: grouped((ids) => children.goodsItems(ids)),
    holds: grouped((ids) => children.holds(ids)),
    riskAlerts: grouped((ids) => children.riskAlerts(ids)),
    duties: grouped((ids) => children.duties(ids)),
    statusEvents: grouped((ids) => children.statusEvents(ids)),
  });
  return {
    party: new DataLoader(async (keys: readonly string[]) => byId(await sources.parties([...keys]), keys)),
    ...childrenOf(sources.children),
    /**
     * With a read replica: the declarations the analytics path read there (their ids), whose
     * records are read there too, so a page and its children come from one database.
     */
    replica: sources.replicaChildren ? { declarations: new Set<string>(), ...childrenOf(sources.replicaChildren) } : null,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
