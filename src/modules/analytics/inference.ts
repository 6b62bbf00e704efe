import type { HubContext } from "../../context/context";
import { ALL_CATEGORIES, CATEGORY_BIT, maskOf, DataCategory } from "../../authz/categories";
import type { Basis, DeclarationScope, Decision, Policy } from "../../authz/policy";
import type { StatsHolder } from "./stats.repository";
import type { RelationReads } from "./inference.repository";
import { RELATIONS } from "./filter.relations";

export type InferenceKind = "filter" | "sort" | "count" | "aggregate";

/** The categories each kind of record contributes to a query beyond its filter and keys. */
const READ_OF: Record<StatsHolder["kind"], DataCategory[]> = {
  Declaration: [],
  Hold: [DataCategory.STATUS],
  RiskAlert: [DataCategory.RISK],
  DutyAssessment: [DataCategory.REVENUE],
  StatusEvent: [DataCategory.STATUS],
  GoodsItem: [DataCategory.COMMERCIAL],
};

/**
 * The categories a filter compared on each kind of related record (by its table's name):
 * what its holder's log says was used. A bare `some: {}` compares none; its record's
 * existence is then logged under the kind's own category.
 */
export function relationCategories(reads: RelationReads): Map<string, DataCategory[]> {
  const out = new Map<string, DataCategory[]>();
  for (const [name, sets] of reads) {
    const kind = RELATIONS[name].table as StatsHolder["kind"];
    const cats = [...new Set(sets.flat())];
    out.set(kind, [...new Set([...(out.get(kind) ?? []), ...(cats.length ? cats : READ_OF[kind])])]);
  }
  return out;
}

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
  /** per kind of related record, the categories a filter compared on it (relationCategories) */
  related: Map<string, DataCategory[]> = new Map(),
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
    const wanted = h.kind === "Declaration" ? [...declarationCategories, ...extra] : (related.get(h.kind) ?? READ_OF[h.kind]);
    for (const { basis, mask } of byBasis(decision, maskOf(wanted) & decision.mask)) {
      ctx.authz.recorder.recordInference(h.holder, h.kind, basis, mask, h.n, kind);
    }
  }
}

/** Filter and sort: the declarations returned met the conditions or were ranked by values of their filers. */
export function recordRowsInference(
  ctx: HubContext,
  policy: Policy,
  rows: DeclarationScope[],
  categories: DataCategory[],
  kind: InferenceKind,
): void {
  const want = maskOf(categories);
  for (const row of rows) {
    if (row.filerId === policy.partyId) continue;
    const decision = policy.decide(row.filerId, row);
    for (const { basis, mask } of byBasis(decision, want & decision.mask)) {
      ctx.authz.recorder.recordInference(row.filerId, "Declaration", basis, mask, 1, kind, row.id);
    }
  }
}

/** The categories of `read`, grouped by the basis that grants each: one access-log entry per basis. */
function byBasis(decision: Decision, read: number): { basis: Basis; mask: number }[] {
  const out = new Map<string, { basis: Basis; mask: number }>();
  ALL_CATEGORIES.forEach((c, i) => {
    const basis = decision.basis[i];
    if (!(read & CATEGORY_BIT[c]) || !basis) return;
    const key = `${basis.rule}|${basis.agreementId ?? ""}`;
    const entry = out.get(key) ?? { basis, mask: 0 };
    entry.mask |= CATEGORY_BIT[c];
    out.set(key, entry);
  });
  return [...out.values()];
}
