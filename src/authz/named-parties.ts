import type { PartyKind } from "../generated/prisma/enums";

/**
 * The declaration's columns naming a party besides its filer, and the kind that party must
 * be. Filing refuses a reference to a party of another kind, and a party's kind never
 * changes, so a party appears only in the columns of its own kind: the read policy's SQL
 * states a viewer's baselines on those columns alone (PolicySql), which indexes serve
 * where an OR over every column would not.
 */
export const NAMED_PARTY_COLUMNS = [
  ["platformId", "PLATFORM"],
  ["carrierId", "CARRIER"],
  ["postId", "POST"],
] as const satisfies readonly (readonly [string, PartyKind])[];

export type NamedPartyColumn = (typeof NAMED_PARTY_COLUMNS)[number][0];

/** The columns naming who carries the parcel: the carried baseline (STATUS and TRANSPORT). */
export const CARRYING_COLUMNS: readonly NamedPartyColumn[] = ["carrierId", "postId"];

/** Of `columns`, those a party of `kind` can be named in. */
export function columnsFor(kind: PartyKind, columns: readonly NamedPartyColumn[]): NamedPartyColumn[] {
  return columns.filter((c) => NAMED_PARTY_COLUMNS.some(([col, k]) => col === c && k === kind));
}
