import type { PartyKind, Role } from "../generated/prisma/enums";

/** Who is calling: one party, acting through one key with one role. */
export interface Principal {
  partyId: string;
  partyKind: PartyKind;
  country: string;
  role: Role;
  /** null for the HUB_ADMIN_TOKEN operator */
  apiKeyId: string | null;
}

export function isCustoms(p: Principal): boolean {
  return p.partyKind === "CUSTOMS" && (p.role === "OFFICER" || p.role === "ANALYST");
}
