/**
 * The contract's "who sees what", restated plainly and independently of src/authz: the
 * oracle the adversarial tests compare every response against.
 */
import type { Agreement } from "../../src/generated/prisma/client";
import type { DataCategory } from "../../src/generated/prisma/enums";
import type { Principal } from "../../src/authz/principal";

export const CATEGORIES: DataCategory[] = ["STATUS", "TRANSPORT", "COMMERCIAL", "PARTIES", "RISK", "REVENUE"];

export interface DeclarationFacts {
  filerId: string;
  carrierId: string | null;
  postId: string | null;
  platformId: string | null;
  originCountry: string;
  destinationCountry: string;
}

export function expectedCategories(
  viewer: Principal,
  holderId: string,
  d: DeclarationFacts,
  agreements: Agreement[],
  now = new Date(),
): Set<DataCategory> {
  const out = new Set<DataCategory>();
  const all = () => CATEGORIES.forEach((c) => out.add(c));
  const carried = d.carrierId === viewer.partyId || d.postId === viewer.partyId;
  // the party that contributed a piece of data sees all of it
  if (holderId === viewer.partyId) all();
  // customs of the destination country see every category
  if (viewer.partyKind === "CUSTOMS" && viewer.role !== "AGENT" && viewer.role !== "OPERATOR" && viewer.country === d.destinationCountry) all();
  // a carrier or post named on the declaration: STATUS, TRANSPORT
  if (carried) ["STATUS", "TRANSPORT"].forEach((c) => out.add(c as DataCategory));
  // the platform named on the declaration: STATUS, TRANSPORT, COMMERCIAL (the sale is its own,
  // and it knows the tracking number)
  if (d.platformId === viewer.partyId) ["STATUS", "TRANSPORT", "COMMERCIAL"].forEach((c) => out.add(c as DataCategory));
  // the filer, for others' data on its declaration: STATUS
  if (d.filerId === viewer.partyId) out.add("STATUS");
  for (const a of agreements) {
    if (a.granteeId !== viewer.partyId || a.grantorId !== holderId) continue;
    if (a.status !== "ACTIVE") continue;
    if (a.validFrom > now || (a.validTo && a.validTo <= now)) continue;
    if (a.scopeDestinations.length && !a.scopeDestinations.includes(d.destinationCountry)) continue;
    if (a.scopeOrigins.length && !a.scopeOrigins.includes(d.originCountry)) continue;
    if (a.scopeOnlyCarried && !carried) continue;
    a.categories.forEach((c) => out.add(c));
  }
  return out;
}
