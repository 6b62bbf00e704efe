import Decimal from "decimal.js";
import { MissingRuleError, type RuleBook, type RuleRow as VersionRow } from "../rules/rules.model";
import type { RulesService } from "../rules/rules.service";
import type { DestinationRisk, RiskRuleSource } from "./risk.assessor";
import { compileRule, type CompiledRule, type RiskFacts } from "./risk.engine";
import { RISK_RULE, RISK_SETTINGS, type RiskRulePayload, type RiskSettingsPayload } from "./risk.kinds";
import type { RiskRepository } from "./risk.repository";

/** Low-value ceilings in the order they are looked for (EU, UK, US). */
const CEILINGS = ["IOSS_MAX", "VAT_AT_SALE_MAX", "DUTY_DE_MINIMIS"];

/** A rule version compiled once: versions never change, and a cached rule book keeps its rows. */
const COMPILED = new WeakMap<VersionRow, CompiledRule>();

function compiled(row: VersionRow): CompiledRule {
  let c = COMPILED.get(row);
  if (!c) {
    const p = row.payload as unknown as RiskRulePayload;
    c = compileRule({
      id: row.id,
      customsCountry: row.jurisdiction,
      code: row.key,
      version: row.version,
      kind: p.test,
      severity: p.severity,
      holdKind: p.holdKind,
      reasonCode: p.reasonCode,
      reason: p.reason,
      question: p.question,
      answerDays: p.answerDays,
      params: p.params,
      legalReference: row.legalReference,
    });
    COMPILED.set(row, c);
  }
  return c;
}

/** HS chapters 01 to 97; 77 is reserved for future use (HS Convention, nomenclature 2022). */
export function hsChapterExists(hsCode: string): boolean {
  const chapter = Number(hsCode.slice(0, 2));
  return chapter >= 1 && chapter <= 97 && chapter !== 77;
}

/** The revenue rules' answers at `at`, for the risk rules of one destination. */
export function factsOf(book: RuleBook, at: Date): RiskFacts {
  // looked up once per batch: every declaration of the batch asks the same
  const thresholds = new Map<string, { amount: Decimal; currency: string } | null>();
  const threshold = (key: string) => {
    if (!thresholds.has(key)) {
      const t = book.threshold(key as never, at);
      thresholds.set(key, t ? { amount: new Decimal(t.amount), currency: t.currency } : null);
    }
    return thresholds.get(key)!;
  };
  let ceiling: { amount: Decimal; currency: string } | null | undefined;
  return {
    convert: (amount, from, to) => {
      if (from === to) return amount;
      try {
        return new Decimal(book.convert(amount, from, to, at).amount);
      } catch (e) {
        if (e instanceof MissingRuleError) return null; // no rate: the rule cannot tell, it does not hit
        throw e;
      }
    },
    threshold,
    lowValueCeiling: () => (ceiling === undefined ? (ceiling = CEILINGS.map(threshold).find((t) => t !== null) ?? null) : ceiling),
    knownHsCode: hsChapterExists,
  };
}

/**
 * Risk rules from the versioned rules: per destination, RISK_SETTINGS ASSESSMENT in force
 * says whether it assesses, and its RISK_RULE versions in force (its own, then the EU's)
 * are compiled once per version. Rule books are cached by RulesService and flushed on
 * every instance when rules are published, so a new version applies to the next filing.
 */
export class RulesRiskSource implements RiskRuleSource {
  constructor(
    private readonly rules: RulesService,
    private readonly repo: RiskRepository,
  ) {}

  async inForce(destinations: string[], at: Date): Promise<Map<string, DestinationRisk>> {
    const out = new Map<string, DestinationRisk>();
    const books = await Promise.all(destinations.map((d) => this.rules.book(d)));
    const on = books.filter((b) => (b.rule(RISK_SETTINGS, "ASSESSMENT", at)?.payload as RiskSettingsPayload | undefined)?.enabled === true);
    if (!on.length) return out;
    const customs = await this.repo.customsParties(on.map((b) => b.destination));
    for (const book of on) {
      const customsPartyId = customs.get(book.destination);
      if (!customsPartyId) continue; // nobody to raise alerts in the name of: not assessed
      const settings = book.rule(RISK_SETTINGS, "ASSESSMENT", at)!.payload as unknown as RiskSettingsPayload;
      const rules = book
        .allInForce(RISK_RULE, at)
        .filter((r) => (r.payload as unknown as RiskRulePayload).active !== false)
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map(compiled);
      out.set(book.destination, { customsPartyId, holdAbove: settings.holdAbove, rules, facts: factsOf(book, at) });
    }
    return out;
  }
}
