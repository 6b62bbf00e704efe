import countries from "i18n-iso-countries";
import currencyCodes from "currency-codes";
import Decimal from "decimal.js";
import { BadUserInputError, type InputProblem } from "./errors";
import { HS_NOMENCLATURE, isExciseGoods } from "./hs-code";

/*
 * Small validators that normalise a value and record what is wrong with it under a full
 * input path (`input.goodsItems[2].hsCode`, `declarations[17].currency`), so a partner
 * learns every problem of a payload in one answer. Each returns the normalised value, or
 * undefined when it recorded a problem. Hand-written rather than zod: the shapes are
 * already typed by GraphQL, and what is left is normalisation plus a few code formats.
 */

export class Problems {
  readonly list: InputProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  get ok(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length) throw new BadUserInputError(this.list);
  }
}

/** `at("input", "goodsItems", 2, "hsCode")` -> `input.goodsItems[2].hsCode` */
export function at(base: string, ...keys: (string | number)[]): string {
  let path = base;
  for (const k of keys) path += typeof k === "number" ? `[${k}]` : path ? `.${k}` : k;
  return path;
}

export const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

/** Trimmed, non-empty, at most `max` characters (counted as Unicode code points). */
export function requiredString(p: Problems, path: string, v: unknown, max: number): string | undefined {
  if (typeof v !== "string" || v.trim() === "") {
    p.add(path, "is required and must not be blank");
    return undefined;
  }
  return checkLength(p, path, v.trim(), max);
}

/** Trimmed; blank or absent becomes null. */
export function optionalString(p: Problems, path: string, v: unknown, max: number): string | null | undefined {
  if (isBlank(v)) return null;
  if (typeof v !== "string") {
    p.add(path, "must be a string");
    return undefined;
  }
  return checkLength(p, path, v.trim(), max);
}

function checkLength(p: Problems, path: string, s: string, max: number): string | undefined {
  const length = [...s].length;
  if (length > max) {
    p.add(path, `must be at most ${max} characters (got ${length})`);
    return undefined;
  }
  return s;
}

/** ISO 3166-1 alpha-2, upper-cased. Alpha-3 and numeric forms are refused on purpose. */
export function countryCode(p: Problems, path: string, v: unknown): string | undefined {
  const s = typeof v === "string" ? v.trim().toUpperCase() : "";
  if (!/^[A-Z]{2}$/.test(s) || !countries.isValid(s)) {
    p.add(path, "must be an ISO 3166-1 alpha-2 country code, e.g. DE");
    return undefined;
  }
  return s;
}

export function optionalCountryCode(p: Problems, path: string, v: unknown): string | null | undefined {
  return isBlank(v) ? null : countryCode(p, path, v);
}

/** ISO 4217 codes with no country (gold, test code, "no currency", bond units) are not money. */
function isMoneyCurrency(code: string): boolean {
  const rec = currencyCodes.code(code);
  return !!rec && !rec.countries.every((c) => c.startsWith("Zz"));
}

/** ISO 4217 alphabetic code, upper-cased. */
export function currencyCode(p: Problems, path: string, v: unknown): string | undefined {
  const s = typeof v === "string" ? v.trim().toUpperCase() : "";
  if (!/^[A-Z]{3}$/.test(s) || !isMoneyCurrency(s)) {
    p.add(path, "must be an ISO 4217 currency code, e.g. EUR");
    return undefined;
  }
  return s;
}

export interface DecimalRule {
  /** most digits after the point (trailing zeros do not count: "1.50" has scale 1) */
  scale: number;
  /** most digits before the point, so the value fits its NUMERIC(p, s) column */
  integerDigits: number;
}
/** Incoterms 2020. */
export const INCOTERMS = ["EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"] as const;

/** EU member states (27): the only destinations where an IOSS number means anything. */
export const EU_MEMBER_STATES: ReadonlySet<string> = new Set("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split(" "));
export const MONEY: DecimalRule = { scale: 2, integerDigits: 12 }; // NUMERIC(14,2)
export const WEIGHT_KG: DecimalRule = { scale: 3, integerDigits: 7 }; // NUMERIC(10,3)

/**
 * A positive exact decimal given as a string ("12.50"), never through a float. Returns the
 * canonical string ("12.5"), so equal amounts hash and compare equal.
 */
export function positiveDecimal(p: Problems, path: string, v: unknown, rule: DecimalRule): string | undefined {
  return decimalAtLeast(p, path, v, rule, false);
}

/** Like positiveDecimal, but zero is allowed (many tariff lines are 0%). */
export function nonNegativeDecimal(p: Problems, path: string, v: unknown, rule: DecimalRule): string | undefined {
  return decimalAtLeast(p, path, v, rule, true);
}

function decimalAtLeast(p: Problems, path: string, v: unknown, rule: DecimalRule, zeroAllowed: boolean): string | undefined {
  const s = typeof v === "string" ? v.trim() : "";
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) {
    const sign = zeroAllowed ? "a non-negative" : "a positive";
    p.add(path, `must be ${sign} decimal number written with digits and an optional point, e.g. "12.50"`);
    return undefined;
  }
  const int = m[1].replace(/^0+/, "");
  const frac = (m[2] ?? "").replace(/0+$/, "");
  if (frac.length > rule.scale) {
    p.add(path, `must have at most ${rule.scale} decimal places`);
    return undefined;
  }
  if (int.length > rule.integerDigits) {
    p.add(path, `must have at most ${rule.integerDigits} digits before the decimal point`);
    return undefined;
  }
  if (!zeroAllowed && !int && !/[1-9]/.test(frac)) {
    p.add(path, "must be greater than 0");
    return undefined;
  }
  // Canonical form by string surgery, exact: "0012.500" -> "12.5", "0.50" -> "0.5".
  return `${int || "0"}${frac ? `.${frac}` : ""}`;
}

/** A positive integer no larger than `max` (GraphQL Int is 32-bit). */
export function positiveInt(p: Problems, path: string, v: unknown, max = 2_147_483_647): number | undefined {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    p.add(path, `must be a whole number from 1 to ${max}`);
    return undefined;
  }
  return v;
}

// ---- a declaration's goods as a whole ----------------------------------------------

/**
 * How far a declared total may differ from the sum of its goods items, as the destination's
 * rules say at the time (SETTING VALUE_TOLERANCE, a versioned rule): |total - sum| at most
 * max(amount, relative x total), in the declaration's currency. `rule` names the version.
 */
export interface ValueTolerance {
  amount: string;
  relative: string;
  /** e.g. "EU SETTING VALUE_TOLERANCE v1" */
  rule: string;
}

/**
 * The checks across a declaration and its goods items: one currency for the declaration
 * and all its lines; total value equal to the sum of item values within the destination's
 * tolerance (exactly, where none is in force); no excise goods in an IOSS consignment.
 * Values already checked one by one (an undefined one was reported) are skipped. Used at
 * filing and again on every amendment, so an amended declaration meets the same rules.
 */
export function checkDeclarationGoods(
  p: Problems,
  base: string,
  d: { currency?: string; totalValue?: string; iossNumber?: string | null },
  items: readonly { currency?: string; value?: string; hsCode?: string }[],
  tolerance: ValueTolerance | null,
  paths: { currency?: string; totalValue?: string; iossNumber?: string } = {},
): void {
  // At filing a problem is the item's; on an amendment (`paths`) it is the changed field's.
  let otherCurrency: string | undefined;
  items.forEach((g, i) => {
    if (d.currency && g.currency && g.currency !== d.currency) {
      if (!paths.currency) p.add(at(base, "goodsItems", i, "currency"), `must be ${d.currency}, the declaration's currency (one currency per declaration)`);
      otherCurrency ??= g.currency;
    }
    if (d.iossNumber && g.hsCode && isExciseGoods(g.hsCode)) {
      const excise = `excise goods (heading ${g.hsCode.slice(0, 4)}), which cannot be declared under IOSS (${HS_NOMENCLATURE.exciseReference.split(";")[0]})`;
      p.add(paths.iossNumber ?? at(base, "goodsItems", i, "hsCode"), paths.iossNumber ? `cannot apply: goods item ${i + 1} is ${excise}` : `is ${excise}`);
    }
  });
  if (paths.currency && otherCurrency) {
    p.add(paths.currency, `must be ${otherCurrency}, the goods items' currency (one currency per declaration)`);
  }
  if (!d.totalValue || items.some((g) => g.value === undefined) || items.length === 0) return;
  const sum = items.reduce((s, g) => s.plus(g.value!), new Decimal(0));
  const allowed = tolerance ? Decimal.max(tolerance.amount, new Decimal(tolerance.relative).times(d.totalValue)) : new Decimal(0);
  if (sum.minus(d.totalValue).abs().gt(allowed)) {
    const why = tolerance
      ? `within ${allowed.toFixed(2)} (${tolerance.rule}: at most ${tolerance.amount} or ${new Decimal(tolerance.relative).times(100).toFixed()}% of the total)`
      : "exactly (no VALUE_TOLERANCE rule is in force for the destination)";
    p.add(paths.totalValue ?? at(base, "totalValue"), `must equal the sum of the goods items' values (${sum.toFixed(2)}) ${why}`);
  }
}

// ---- misc ---------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: unknown): v is string {
  return typeof v === "string" && UUID.test(v);
}

/** An optional record id (UUID), lower-cased; checked here so the database never sees a malformed one. */
export function optionalId(p: Problems, path: string, v: unknown): string | null | undefined {
  if (isBlank(v)) return null;
  const s = typeof v === "string" ? v.trim().toLowerCase() : "";
  if (!UUID.test(s)) {
    p.add(path, "must be the id of an existing party");
    return undefined;
  }
  return s;
}

/** A plausible e-mail address (one @, a dotted domain, no spaces); proof of delivery is not our job. */
export function optionalEmail(p: Problems, path: string, v: unknown): string | null | undefined {
  const s = optionalString(p, path, v, 254);
  if (s && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) {
    p.add(path, "must be an e-mail address");
    return undefined;
  }
  return s;
}

/** One of a fixed set of values (enums reached without GraphQL's own check, e.g. in tests). */
export function oneOf<T extends string>(p: Problems, path: string, v: unknown, allowed: readonly T[]): T | undefined {
  if (typeof v !== "string" || !allowed.includes(v as T)) {
    p.add(path, `must be one of ${allowed.join(", ")}`);
    return undefined;
  }
  return v as T;
}

// ---- boolean checks and array-collector forms, for callers outside filing ------------

/** ISO 3166-1 alpha-2, already upper-cased. */
export function isCountry(v: unknown): v is string {
  return typeof v === "string" && /^[A-Z]{2}$/.test(v) && countries.isValid(v);
}

/** ISO 4217 alphabetic code of a real currency, already upper-cased. */
export function isCurrency(v: unknown): v is string {
  return typeof v === "string" && /^[A-Z]{3}$/.test(v) && isMoneyCurrency(v);
}

/** A plain decimal literal such as "150.00" or "-3" (no exponent, no float rounding). */
export function isDecimal(v: unknown): v is string {
  return typeof v === "string" && /^-?\d{1,20}(\.\d{1,10})?$/.test(v.trim());
}

/** Adds a problem to `problems` unless `v` is a non-blank string of at most `max` characters (trimmed). */
export function checkText(problems: InputProblem[], path: string, v: unknown, opts: { max: number }): void {
  const p = new Problems();
  requiredString(p, path, v, opts.max);
  problems.push(...p.list);
}
