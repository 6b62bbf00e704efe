import type { HubContext } from "../../context/context";
import { ALL_CATEGORIES, CATEGORY_BIT, maskOf, DataCategory } from "../../authz/categories";
import type { Basis, Policy } from "../../authz/policy";
import type { StatsHolder } from "./stats.repository";

export type InferenceKind = "filter" | "sort" | "count" | "aggregate";

/** The categories each kind of record contributes to a query beyond its filter and keys. */
const READ_OF: Record<StatsHolder["kind"], DataCategory[]> = {
  Declaration: [],
  Hold: [DataCategory.STATUS],
  RiskAlert: [DataCategory.RISK],
  DutyAssessment: [DataCategory.REVENUE],
};

/**
 * Notes, for each other party whose data a filter, sort, count or aggregate read, what was
 * read under which basis: the holders' access logs show what an analyst learned without
 * reading a field. The policy decides the basis as for a field read.
 */
export function recordInference(
  ctx: HubContext,
  policy: Policy,
  holders: StatsHolder[],
  declarationCategories: DataCategory[],
  kind: InferenceKind,
  extra: DataCategory[] = [DataCategory.COMMERCIAL, DataCategory.STATUS],
): void {
  const me = policy.partyId;
  for (const h of holders) {
    const scope = {
      id: "",
      filerId: h.filed ? me : h.kind === "Declaration" ? h.holder : "",
      carrierId: h.carried ? me : null,
      postId: null,
      platformId: h.platform ? me : null,
      originCountry: h.originCountry,
      destinationCountry: h.destinationCountry,
    };
    const decision = policy.decide(h.holder, scope);
    const wanted = h.kind === "Declaration" ? [...declarationCategories, ...extra] : READ_OF[h.kind];
    const read = maskOf(wanted) & decision.mask;
    // one record per basis, with the categories read under it
    const byBasis = new Map<string, { basis: Basis; mask: number }>();
    ALL_CATEGORIES.forEach((c, i) => {
      const basis = decision.basis[i];
      if (!(read & CATEGORY_BIT[c]) || !basis) return;
      const key = `${basis.rule}|${basis.agreementId ?? ""}`;
      const entry = byBasis.get(key) ?? { basis, mask: 0 };
      entry.mask |= CATEGORY_BIT[c];
      byBasis.set(key, entry);
    });
    for (const { basis, mask } of byBasis.values()) {
      ctx.authz.recorder.recordInference(h.holder, h.kind, basis, mask, h.n, kind);
    }
  }
}
