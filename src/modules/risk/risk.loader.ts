import shipped from "./data/risk.json";
import { Problems } from "../../shared/validation";
import type { RulesService } from "../rules/rules.service";
import { normalizeRuleSet, type RuleSetLike } from "../rules/rules.validation";
import "./risk.kinds";

/** The risk rule sets shipped with the hub (src/modules/risk/data/risk.json), all illustrative. */
export const SHIPPED_RISK_RULES = shipped as { name: string; illustrative: boolean; note: string; sets: RuleSetLike[] };

/**
 * Loads the shipped risk rule sets once each (as the revenue rule sets are: the source is
 * remembered on every row): EU common risk criteria with assessment on in every member
 * state, and GB and US pre-loading rules. A problem in the file is a bug: it throws.
 */
export async function loadShippedRiskRules(rules: RulesService): Promise<{ rules: number }> {
  const done = await rules.repo.loadedSources();
  let count = 0;
  for (const [i, set] of SHIPPED_RISK_RULES.sets.entries()) {
    const source = `shipped:risk.json#${set.jurisdiction}`;
    if (done.has(source)) continue;
    const p = new Problems();
    const normalized = normalizeRuleSet(p, `risk.json.sets[${i}]`, set, { source, createdById: null });
    p.throwIfAny();
    count += (await rules.loadShipped(normalized)).rules.length;
  }
  return { rules: count };
}
