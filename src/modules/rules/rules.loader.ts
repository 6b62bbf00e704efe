import eu from "./data/eu.json";
import gb from "./data/gb.json";
import us from "./data/us.json";
import { Problems } from "../../shared/validation";
import type { RulesService } from "./rules.service";
import { normalizeRuleSet, type RuleSetLike } from "./rules.validation";

export interface ShippedFile {
  name: string;
  illustrative: boolean;
  note: string;
  sets: RuleSetLike[];
}

/** The rule sets shipped with the hub (src/modules/rules/data), all illustrative. */
export const SHIPPED_RULE_SETS: Record<string, ShippedFile> = {
  "eu.json": eu as ShippedFile,
  "gb.json": gb as ShippedFile,
  "us.json": us as ShippedFile,
};

/**
 * Loads each shipped file once (its source is remembered on every row it stored): the
 * seed's first step, and `loadShippedRuleSets` in tests. A shipped file with a problem is
 * a bug of the hub: it throws, naming the path.
 */
export async function loadShippedRuleSets(rules: RulesService, files = Object.keys(SHIPPED_RULE_SETS)): Promise<{ loaded: string[]; rules: number; rates: number }> {
  const done = await rules.repo.loadedSources();
  const out = { loaded: [] as string[], rules: 0, rates: 0 };
  for (const name of files) {
    const file = SHIPPED_RULE_SETS[name];
    if (!file) throw new Error(`no shipped rule set ${name}`);
    for (const [i, set] of file.sets.entries()) {
      const source = `shipped:${name}#${set.jurisdiction}`;
      if (done.has(source)) continue;
      const p = new Problems();
      const normalized = normalizeRuleSet(p, `${name}.sets[${i}]`, set, { source, createdById: null });
      p.throwIfAny();
      const stored = await rules.loadShipped(normalized);
      out.rules += stored.rules.length;
      out.rates += stored.exchangeRates.length;
    }
    out.loaded.push(name);
  }
  return out;
}
