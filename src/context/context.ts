import type { Principal } from "../authz/principal";
import { UnauthenticatedError } from "../shared/errors";
import { RequestAuthz } from "../authz/request-authz";
import type { Logger } from "../infra/logger";
import type { Hub } from "../hub";
import { createLoaders, type Loaders } from "./loaders";
import type { RequestRecord } from "../server/request-log";

/** Everything one operation (HTTP request or subscription event) works with. */
export interface HubContext {
  hub: Hub;
  principal: Principal | null;
  authz: RequestAuthz;
  loaders: Loaders;
  log: Logger;
  operationName: string | null;
  /** what the request log and metrics record of this operation (null while both are off) */
  request: RequestRecord | null;
}

export function createContext(hub: Hub, principal: Principal | null, operationName: string | null = null): HubContext {
  const authz = new RequestAuthz(principal, (partyId, now) => hub.services.agreements.inForceFor(partyId, now));
  return {
    hub,
    principal,
    authz,
    loaders: createLoaders(hub.loaderSources, authz),
    log: hub.log,
    operationName,
    request: null,
  };
}

/** The caller, or UNAUTHENTICATED. Services call it where an identity is required. */
export function requirePrincipal(ctx: HubContext): Principal {
  if (!ctx.principal) throw new UnauthenticatedError();
  return ctx.principal;
}
