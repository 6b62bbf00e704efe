import type { Prisma } from "../../generated/prisma/client";
import { Problems, at, currencyCode, isCountry, positiveDecimal, requiredString } from "../../shared/validation";
import { checkRule } from "./rules.kinds";
import { EU } from "./rules.model";
import type { NewRate, NewRule } from "./rules.repository";

export const MAX_RULES_PER_SET = 5000;
const EXCHANGE_RATE = { scale: 8, integerDigits: 10 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A rule set as the API and the shipped data files give it. */
export interface RuleSetLike {
  jurisdiction: string;
  rules?: { kind: string; key: string; validFrom: string; validTo?: string | null; legalReference: string; payload: unknown }[] | null;
  exchangeRates?: { baseCurrency: string; currency: string; rate: string; validFrom: string; validTo?: string | null; legalReference: string }[] | null;
  illustrative?: boolean | null;
}

export interface RuleSet {
  jurisdiction: string;
  rules: NewRule[];
  rates: NewRate[];
}

export function checkJurisdiction(p: Problems, path: string, v: unknown): string | undefined {
  if (v === EU || isCountry(v)) return v as string;
  p.add(path, "must be an ISO 3166-1 alpha-2 country code in capitals, or EU");
  return undefined;
}

/** An ISO 8601 date ("2026-07-01", midnight UTC) or date-time with a zone. */
export function dateValue(p: Problems, path: string, v: unknown): Date | undefined {
  const d = typeof v === "string" && ISO_DATE.test(v) ? new Date(v.length === 10 ? `${v}T00:00:00Z` : v) : null;
  if (!d || Number.isNaN(d.getTime())) {
    p.add(path, 'must be an ISO 8601 date ("2026-07-01") or date-time with a zone ("2026-07-01T00:00:00Z")');
    return undefined;
  }
  return d;
}

export function optionalDate(p: Problems, path: string, v: unknown): Date | null | undefined {
  return v === undefined || v === null ? null : dateValue(p, path, v);
}

function validity(p: Problems, path: string, from: unknown, to: unknown): { validFrom: Date; validTo: Date | null } | undefined {
  const validFrom = dateValue(p, at(path, "validFrom"), from);
  const validTo = optionalDate(p, at(path, "validTo"), to);
  if (validFrom && validTo && validTo.getTime() <= validFrom.getTime()) p.add(at(path, "validTo"), "must be after validFrom");
  return validFrom && validTo !== undefined ? { validFrom, validTo } : undefined;
}

/** Every rule and rate checked, each problem under its path; the rows to insert. */
export function normalizeRuleSet(p: Problems, path: string, input: RuleSetLike, meta: { source: string; createdById: string | null }): RuleSet {
  const jurisdiction = checkJurisdiction(p, at(path, "jurisdiction"), input?.jurisdiction) ?? "";
  const rules = input?.rules ?? [];
  const rates = input?.exchangeRates ?? [];
  const illustrative = input?.illustrative === true;
  if (rules.length + rates.length === 0) p.add(path, "must publish at least one rule or exchange rate");
  if (rules.length + rates.length > MAX_RULES_PER_SET) p.add(path, `must publish at most ${MAX_RULES_PER_SET} rules and rates at once`);
  if (!p.ok) return { jurisdiction, rules: [], rates: [] };
  const outRules = rules.map((r, i): NewRule => {
    const base = at(path, "rules", i);
    const v = validity(p, base, r?.validFrom, r?.validTo);
    const legalReference = requiredString(p, at(base, "legalReference"), r?.legalReference, 500) ?? "";
    const payload = checkRule(p, base, String(r?.kind ?? ""), String(r?.key ?? ""), r?.payload);
    return { jurisdiction, kind: r?.kind, key: r?.key, validFrom: v?.validFrom ?? new Date(0), validTo: v?.validTo ?? null, legalReference, payload: payload as Prisma.InputJsonValue, illustrative, ...meta };
  });
  const outRates = rates.map((r, i): NewRate => {
    const base = at(path, "exchangeRates", i);
    const v = validity(p, base, r?.validFrom, r?.validTo);
    const baseCurrency = currencyCode(p, at(base, "baseCurrency"), r?.baseCurrency) ?? "";
    const currency = currencyCode(p, at(base, "currency"), r?.currency) ?? "";
    const rate = positiveDecimal(p, at(base, "rate"), r?.rate, EXCHANGE_RATE) ?? "1";
    const legalReference = requiredString(p, at(base, "legalReference"), r?.legalReference, 500) ?? "";
    return { jurisdiction, baseCurrency, currency, rate, validFrom: v?.validFrom ?? new Date(0), validTo: v?.validTo ?? null, legalReference, illustrative, ...meta };
  });
  // One base currency per jurisdiction: conversions go through it.
  const bases = new Set(outRates.map((r) => r.baseCurrency));
  if (bases.size > 1) p.add(at(path, "exchangeRates"), `must all quote against one base currency (got ${[...bases].join(", ")})`);
  return { jurisdiction, rules: outRules, rates: outRates };
}
