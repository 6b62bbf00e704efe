import { Problems, at, nonNegativeDecimal, currencyCode, oneOf, type DecimalRule } from "../../shared/validation";

/*
 * The kinds of versioned rule and what each one's payload holds. A payload is checked here
 * when it is published (through the API or from a shipped file), so evaluation can trust
 * it. Other modules register their own kinds (risk rules) with registerRuleKind.
 */

/** Rates are fractions ("0.19" for 19%), at most 4 places: a duty line's rate is NUMERIC(7,4). */
export const RULE_RATE: DecimalRule = { scale: 4, integerDigits: 3 };
/** Amounts in rules: up to 4 places (specific duties per kg are quoted to the tenth of a cent). */
export const RULE_AMOUNT: DecimalRule = { scale: 4, integerDigits: 12 };

export type Payload = Record<string, unknown>;
export type KeyCheck = (p: Problems, path: string, key: string) => void;
export type PayloadCheck = (p: Problems, path: string, payload: Payload, key: string) => Payload;

export interface KindSpec {
  describe: string;
  /** readable by every authenticated party (tariffs are public law; risk rules are not) */
  public: boolean;
  key: KeyCheck;
  payload: PayloadCheck;
}

const KINDS = new Map<string, KindSpec>();

export function registerRuleKind(kind: string, spec: KindSpec): void {
  KINDS.set(kind, spec);
}

export function ruleKinds(): string[] {
  return [...KINDS.keys()];
}

export function ruleKind(kind: string): KindSpec | undefined {
  return KINDS.get(kind);
}

// ---- keys ----------------------------------------------------------------------------

/** An HS prefix of 2 to 10 digits, or "*" for every code not matched more precisely. */
const hsPrefixKey: KeyCheck = (p, path, key) => {
  if (key !== "*" && !/^\d{2,10}$/.test(key)) p.add(path, 'must be an HS prefix of 2 to 10 digits, or "*" for every other code');
};
const namedKey =
  (names: readonly string[]): KeyCheck =>
  (p, path, key) => {
    if (!names.includes(key)) p.add(path, `must be one of ${names.join(", ")}`);
  };

// ---- payload parts ------------------------------------------------------------------

function money(p: Problems, path: string, v: unknown): { amount: string; currency: string } | undefined {
  const o = (v ?? {}) as Payload;
  const amount = nonNegativeDecimal(p, at(path, "amount"), o.amount, RULE_AMOUNT);
  const currency = currencyCode(p, at(path, "currency"), o.currency);
  return amount && currency ? { amount, currency } : undefined;
}

function rate(p: Problems, path: string, v: unknown): string | undefined {
  return nonNegativeDecimal(p, path, v, RULE_RATE);
}

// ---- the revenue kinds ------------------------------------------------------------------

/** Thresholds: "at or under amount" is what each one exempts or allows. */
export const THRESHOLD_KEYS = [
  /** no customs duty on a consignment of intrinsic value at or under it */
  "DUTY_DE_MINIMIS",
  /** no import VAT on a consignment at or under it */
  "VAT_DE_MINIMIS",
  /** an IOSS consignment at or under it pays no import VAT (VAT was collected at sale) */
  "IOSS_MAX",
  /** VAT charged at the point of sale, not at import, at or under it, whatever the IOSS number (UK) */
  "VAT_AT_SALE_MAX",
] as const;
export type ThresholdKey = (typeof THRESHOLD_KEYS)[number];

export const SETTING_KEYS = ["CURRENCY", "VALUE_TOLERANCE"] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

registerRuleKind("TARIFF", {
  public: true,
  describe: "customs duty by HS prefix (longest prefix wins): AD_VALOREM rate, or SPECIFIC amount per UNIT or KG",
  key: hsPrefixKey,
  payload: (p, path, o) => {
    const type = oneOf(p, at(path, "type"), o.type, ["AD_VALOREM", "SPECIFIC"] as const);
    if (type === "AD_VALOREM") return { type, rate: rate(p, at(path, "rate"), o.rate) };
    if (type === "SPECIFIC") {
      const m = money(p, path, o);
      const per = oneOf(p, at(path, "per"), o.per, ["UNIT", "KG"] as const);
      return { type, ...m, per };
    }
    return {};
  },
});

registerRuleKind("VAT_RATE", {
  public: true,
  describe: 'import VAT rate by HS prefix ("*": the standard rate; a chapter or heading: a reduced rate)',
  key: hsPrefixKey,
  payload: (p, path, o) => ({ rate: rate(p, at(path, "rate"), o.rate) }),
});

registerRuleKind("THRESHOLD", {
  public: true,
  describe: `a money threshold: ${THRESHOLD_KEYS.join(", ")}`,
  key: namedKey(THRESHOLD_KEYS),
  payload: (p, path, o) => ({ ...money(p, path, o) }),
});

registerRuleKind("LOW_VALUE_DUTY", {
  public: true,
  describe: "a flat duty per item category (six-digit subheading) on consignments at or under a value, instead of the tariff",
  key: namedKey(["FLAT"]),
  payload: (p, path, o) => ({
    ...money(p, path, o),
    per: oneOf(p, at(path, "per"), o.per, ["SUBHEADING"] as const),
    maxConsignmentValue: money(p, at(path, "maxConsignmentValue"), o.maxConsignmentValue),
  }),
});

registerRuleKind("SETTING", {
  public: true,
  describe: "CURRENCY: the currency duties are assessed in; VALUE_TOLERANCE: how far a declared total may differ from its items' sum",
  key: namedKey(SETTING_KEYS),
  payload: (p, path, o, key) => {
    if (key === "CURRENCY") return { currency: currencyCode(p, at(path, "currency"), o.currency) };
    // |total - sum of items| <= max(amount, relative x total), in the declaration's currency
    const amount = nonNegativeDecimal(p, at(path, "amount"), o.amount, RULE_AMOUNT);
    const relative = o.relative === undefined ? "0" : rate(p, at(path, "relative"), o.relative);
    return { amount, relative };
  },
});

/** Checks key and payload of a rule of `kind`; returns the normalised payload. */
export function checkRule(p: Problems, path: string, kind: string, key: string, payload: unknown): Payload {
  const spec = KINDS.get(kind);
  if (!spec) {
    p.add(at(path, "kind"), `must be one of ${ruleKinds().join(", ")}`);
    return {};
  }
  spec.key(p, at(path, "key"), key);
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    p.add(at(path, "payload"), "must be an object");
    return {};
  }
  const before = p.list.length;
  if (p.list.length > before) return {};
  const out = spec.payload(p, at(path, "payload"), payload as Payload, key);
  return p.list.length > before ? {} : out;
}
