import type { DeclarationScope, Policy } from "./policy";

/**
 * For each partner-data GraphQL type: who holds a row's data, and the declaration that
 * scopes it. The field guard asks this; a type missing here cannot carry categories.
 */
export interface Holding {
  holderId: string;
  scope: DeclarationScope;
}

type HoldingOf = (row: any, policy: Policy) => Holding | undefined;

const child =
  (holderKey: string | null): HoldingOf =>
  (row, policy) => {
    const scope = policy.scopeOf(row.declarationId);
    if (!scope) return undefined; // parent never passed the row filter: deny
    return { holderId: holderKey ? row[holderKey] : scope.filerId, scope };
  };

export const HOLDING_OF: Record<string, HoldingOf> = {
  Declaration: (row) => ({ holderId: row.filerId, scope: row }),
  ClearanceStatus: (row) => ({ holderId: row.scope.filerId, scope: row.scope }),
  GoodsItem: child(null),
  Hold: child("placedById"),
  // the referral exchange is its addressee's data (what it is asked, what it answers)
  Referral: child("addresseeId"),
  RiskAlert: child("raisedById"),
  DutyAssessment: child("assessedById"),
  StatusEvent: child("recordedById"),
};
