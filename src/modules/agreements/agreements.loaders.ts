import DataLoader from "dataloader";
import type { HubContext } from "../../context/context";
import type { AgreementEventRow } from "./agreements.repository";

export interface AgreementLoaders {
  history: DataLoader<string, AgreementEventRow[]>;
}

// Per request (keyed by the context object) so nothing cached crosses viewers; created
// on first use so requests that never touch agreements pay nothing.
const perContext = new WeakMap<object, AgreementLoaders>();

export function agreementLoaders(ctx: HubContext): AgreementLoaders {
  let loaders = perContext.get(ctx);
  if (!loaders) {
    const repo = ctx.hub.services.agreements.repository;
    loaders = { history: new DataLoader((ids: readonly string[]) => repo.history(ids)) };
    perContext.set(ctx, loaders);
  }
  return loaders;
}
