import Decimal from "decimal.js";
import type { AlertSeverity, DeclarationCategory, HoldKind } from "../../generated/prisma/enums";
import { normalizeText, type RiskRuleKind, type RiskRuleParams } from "./risk.params";

/*
 * The risk engine: small pure functions over rules loaded once per batch. A rule row is
 * compiled once (sets, one regular expression for keywords, sorted prefixes) and then
 * tested against each declaration in memory; nothing here touches the database.
 */

export const SEVERITY_ORDER: readonly AlertSeverity[] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
export const severityRank = (s: AlertSeverity) => SEVERITY_ORDER.indexOf(s);

/** A rule as stored (one version). */
export interface RuleRow {
  id: string;
  customsCountry: string;
  code: string;
  version: number;
  kind: RiskRuleKind;
  severity: AlertSeverity;
  holdKind: HoldKind | null;
  reasonCode: string;
  reason: string;
  question: string | null;
  answerDays: number | null;
  params: unknown;
  legalReference: string;
}

/** What a rule looks at: a declaration as filed (or as it is now, for an amendment). */
export interface Subject {
  filerId: string;
  platformId: string | null;
  destinationCountry: string;
  category: DeclarationCategory;
  totalValue: string;
  currency: string;
  iossNumber: string | null;
  sellerName: string | null;
  sellerAddress: string | null;
  buyerName: string | null;
  buyerAddress: string | null;
  goodsItems: { description: string; quantity: number; value: string; currency: string; hsCode: string }[];
}

/** What the revenue rules in force say, for the destination and date of the assessment. */
export interface RiskFacts {
  /** `amount` of `from` in `to` at the customs rate in force; null when no rate is known */
  convert(amount: Decimal, from: string, to: string): Decimal | null;
  /** a threshold in force (e.g. IOSS_MAX, EUR 150 in the EU), null where the destination has none */
  threshold(key: string): { amount: Decimal; currency: string } | null;
  /** the destination's low-value ceiling: IOSS_MAX, else VAT_AT_SALE_MAX (UK), else DUTY_DE_MINIMIS (US) */
  lowValueCeiling(): { amount: Decimal; currency: string } | null;
  /** may this HS code be declared at all (the nomenclature's chapters)? */
  knownHsCode(hsCode: string): boolean;
}

/** What the batch knows beyond each declaration: platforms' IOSS numbers, same-day parcels. */
export interface BatchContext {
  facts: RiskFacts;
  /** the IOSS number each platform registered (null: none) */
  platformIoss: Map<string, string | null>;
  /** per split key, the values (in the ceiling's currency) of that buyer's parcels today, this batch's included */
  sameDay: Map<string, Decimal[]>;
}

export interface Hit {
  rule: RuleRow;
  /** the rule's reason with what matched */
  reason: string;
}

type Test = (s: Subject, b: BatchContext) => string | null;

export interface CompiledRule {
  row: RuleRow;
  test: Test;
}

/** The key under which parcels of one buyer through one platform to one destination are grouped. */
export function splitKey(s: { platformId: string | null; destinationCountry: string; buyerName: string | null; buyerAddress: string | null }): string | null {
  if (!s.platformId || !s.buyerName) return null;
  return `${s.platformId}|${s.destinationCountry}|${normalizeText(s.buyerName)}|${normalizeText(s.buyerAddress ?? "")}`;
}

type AgainstCeiling = { value: Decimal; ceiling: Decimal; currency: string } | null;
/** Per declaration and threshold: several rules (and the split index) ask the same. */
const AGAINST = new WeakMap<object, Map<string, AgainstCeiling>>();

/** The declaration's total in the currency of a threshold (`key`, or the low-value ceiling), or null without one or a rate. */
export function valueAgainstCeiling(s: Pick<Subject, "totalValue" | "currency">, facts: RiskFacts, key?: string): AgainstCeiling {
  let memo = AGAINST.get(s);
  const k = key ?? "";
  if (memo?.has(k)) return memo.get(k)!;
  const ceiling = key ? facts.threshold(key) : facts.lowValueCeiling();
  const value = ceiling && facts.convert(new Decimal(s.totalValue), s.currency, ceiling.currency);
  const out = ceiling && value ? { value, ceiling: ceiling.amount, currency: ceiling.currency } : null;
  if (!memo) AGAINST.set(s, (memo = new Map()));
  memo.set(k, out);
  return out;
}

function longestPrefix<T>(table: [string, T][], code: string): [string, T] | undefined {
  return table.find(([prefix]) => code.startsWith(prefix)); // sorted longest first
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const COMPILERS: Record<RiskRuleKind, (p: RiskRuleParams) => Test> = {
  VALUE_BELOW_REFERENCE: (p) => {
    const refs = (p.references ?? []).map((r) => [r.hsPrefix, new Decimal(r.unitValue)] as [string, Decimal]).sort((a, b) => b[0].length - a[0].length);
    const ratio = new Decimal(p.ratio ?? "1");
    const currency = p.currency!;
    return (s, b) => {
      for (const g of s.goodsItems) {
        const ref = longestPrefix(refs, g.hsCode);
        if (!ref) continue;
        const unit = b.facts.convert(new Decimal(g.value).div(g.quantity), g.currency, currency);
        if (unit && unit.lt(ref[1].times(ratio))) {
          return `${g.hsCode}: ${unit.toFixed(2)} ${currency} per unit, under ${ratio.times(100).toFixed()}% of the reference ${ref[1].toFixed(2)} ${currency} for ${ref[0]}`;
        }
      }
      return null;
    };
  },
  RESTRICTED_GOODS: (p) => {
    const prefixes = [...(p.hsPrefixes ?? [])].sort((a, b) => b.length - a.length);
    const words = p.keywords ?? [];
    const re = words.length ? new RegExp(`(^|[^\\p{L}\\p{N}])(${words.map(escapeRe).join("|")})($|[^\\p{L}\\p{N}])`, "iu") : null;
    return (s) => {
      for (const g of s.goodsItems) {
        const prefix = prefixes.find((x) => g.hsCode.startsWith(x));
        if (prefix) return `HS code ${g.hsCode} is under restricted ${prefix}`;
        const m = re?.exec(g.description);
        if (m) return `description "${g.description}" names "${m[2].toLowerCase()}"`;
      }
      return null;
    };
  },
  WATCH_LIST: (p) => {
    const sellers = new Set(p.sellers ?? []);
    const buyers = new Set(p.buyers ?? []);
    const addresses = p.addresses ?? [];
    return (s) => {
      if (s.sellerName && sellers.has(normalizeText(s.sellerName))) return `seller "${s.sellerName}" is watch-listed`;
      if (s.buyerName && buyers.has(normalizeText(s.buyerName))) return `buyer "${s.buyerName}" is watch-listed`;
      for (const [who, addr] of [["seller", s.sellerAddress], ["buyer", s.buyerAddress]] as const) {
        if (!addr) continue;
        const a = normalizeText(addr);
        const hit = addresses.find((x) => a.includes(x));
        if (hit) return `${who} address matches watch-listed "${hit}"`;
      }
      return null;
    };
  },
  IOSS_CHECK: () => (s, b) => {
    if (s.category !== "SALE_OF_GOODS") return null;
    const v = valueAgainstCeiling(s, b.facts, "IOSS_MAX");
    if (!v) return null;
    const amount = `${v.value.toFixed(2)} ${v.currency}`;
    if (!s.iossNumber) return v.value.lte(v.ceiling) ? `sale of ${amount}, at or under ${v.ceiling.toFixed()} ${v.currency}, without an IOSS number` : null;
    if (v.value.gt(v.ceiling)) return `IOSS number ${s.iossNumber} on a consignment of ${amount}, above ${v.ceiling.toFixed()} ${v.currency}`;
    if (s.platformId) {
      const registered = b.platformIoss.get(s.platformId);
      if (registered !== undefined && registered !== s.iossNumber) {
        return `IOSS number ${s.iossNumber} is not the named platform's (${registered ?? "it registered none"})`;
      }
    }
    return null;
  },
  HS_CODE_CHECK: (p) => {
    const cats = new Set(p.categories ?? ["SALE_OF_GOODS"]);
    const invalid = p.invalidHsPrefixes ?? [];
    return (s, b) => {
      if (!cats.has(s.category)) return null;
      for (const g of s.goodsItems) {
        if (invalid.some((x) => g.hsCode.startsWith(x))) return `HS code ${g.hsCode} is not a valid code for goods`;
        if (!b.facts.knownHsCode(g.hsCode)) return `HS code ${g.hsCode} is not in the nomenclature`;
      }
      return null;
    };
  },
  SPLIT_SHIPMENT: (p) => {
    const min = p.minParcels ?? 2;
    return (s, b) => {
      const key = splitKey(s);
      const v = key && valueAgainstCeiling(s, b.facts);
      if (!key || !v || v.value.gt(v.ceiling)) return null;
      const group = (b.sameDay.get(key) ?? []).filter((x) => x.lte(v.ceiling));
      const sum = group.reduce((a, x) => a.plus(x), new Decimal(0));
      if (group.length < min || sum.lte(v.ceiling)) return null;
      return `${group.length} parcels to this buyer through this platform today, each at or under ${v.ceiling.toFixed()} ${v.currency}, ${sum.toFixed(2)} ${v.currency} together`;
    };
  },
};

export function compileRule(row: RuleRow): CompiledRule {
  return { row, test: COMPILERS[row.kind]((row.params ?? {}) as RiskRuleParams) };
}

/** Every rule's hit on one declaration, in rule order. */
export function evaluate(rules: readonly CompiledRule[], s: Subject, b: BatchContext): Hit[] {
  const hits: Hit[] = [];
  for (const r of rules) {
    const detail = r.test(s, b);
    if (detail) hits.push({ rule: r.row, reason: `${r.row.reason}: ${detail}` });
  }
  return hits;
}
