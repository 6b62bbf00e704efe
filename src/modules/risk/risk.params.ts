import { Decimal } from "@prisma/client/runtime/client";
import type { DeclarationCategory } from "../../generated/prisma/enums";
import { DeclarationCategory as Categories } from "../../generated/prisma/enums";
import { at, currencyCode, type Problems } from "../../shared/validation";

/*
 * The parameters of a risk rule, by kind: what customs type in when they load a rule, as
 * stored in RiskRule.params (JSON). Each kind reads only its own fields; a field another
 * kind reads is refused, so a rule never carries a parameter that does nothing.
 */

/** What a risk rule tests (risk.engine.ts evaluates each kind). */
export const RISK_RULE_KINDS = ["VALUE_BELOW_REFERENCE", "RESTRICTED_GOODS", "WATCH_LIST", "IOSS_CHECK", "HS_CODE_CHECK", "SPLIT_SHIPMENT"] as const;
export type RiskRuleKind = (typeof RISK_RULE_KINDS)[number];

/** A reference value per HS prefix (longest prefix wins), per unit, in `currency`. */
export interface ReferenceValue {
  hsPrefix: string;
  unitValue: string;
}

export interface RiskRuleParams {
  /** VALUE_BELOW_REFERENCE: hit when a unit value is below ratio x the reference */
  references?: ReferenceValue[];
  ratio?: string;
  /** VALUE_BELOW_REFERENCE: currency of the references */
  currency?: string;
  /** RESTRICTED_GOODS: HS prefixes (2 to 10 digits) and description keywords (whole words, any case) */
  hsPrefixes?: string[];
  keywords?: string[];
  /** WATCH_LIST: names (exact, any case and spacing) and address fragments */
  sellers?: string[];
  buyers?: string[];
  addresses?: string[];
  /** HS_CODE_CHECK: the categories that are commercial (default SALE_OF_GOODS); codes or prefixes never valid */
  categories?: DeclarationCategory[];
  invalidHsPrefixes?: string[];
  /** SPLIT_SHIPMENT: how many parcels of one buyer and platform on one day make a split (default 2) */
  minParcels?: number;
}

const FIELDS: Record<RiskRuleKind, (keyof RiskRuleParams)[]> = {
  VALUE_BELOW_REFERENCE: ["references", "ratio", "currency"],
  RESTRICTED_GOODS: ["hsPrefixes", "keywords"],
  WATCH_LIST: ["sellers", "buyers", "addresses"],
  IOSS_CHECK: [],
  HS_CODE_CHECK: ["categories", "invalidHsPrefixes"],
  SPLIT_SHIPMENT: ["minParcels"],
};

const HS_PREFIX = /^\d{2,10}$/;
const MAX_LIST = 5000;
const MAX_ENTRY = 200;

/** Normalizes a name or address for matching: lower case, single spaces, trimmed. */
export function normalizeText(s: string): string {
  return s.toLowerCase().replace(/\s+/g, " ").trim();
}

function stringList(p: Problems, path: string, v: unknown, check?: (s: string) => string | null): string[] | undefined {
  if (v == null) return undefined;
  if (!Array.isArray(v)) return void p.add(path, "must be a list") as undefined;
  if (v.length > MAX_LIST) return void p.add(path, `must list at most ${MAX_LIST} entries`) as undefined;
  const out: string[] = [];
  v.forEach((x, i) => {
    if (typeof x !== "string" || !x.trim() || x.length > MAX_ENTRY) return p.add(at(path, i), `must be a non-blank text of at most ${MAX_ENTRY} characters`);
    const problem = check?.(x.trim());
    if (problem) return p.add(at(path, i), problem);
    out.push(x.trim());
  });
  return out;
}

function decimalText(p: Problems, path: string, v: unknown, opts: { max?: string } = {}): string | undefined {
  if (typeof v !== "string" || !/^\d{1,12}(\.\d{1,4})?$/.test(v.trim())) {
    return void p.add(path, 'must be a non-negative decimal string, e.g. "0.25" or "120.00"') as undefined;
  }
  const d = new Decimal(v.trim());
  if (d.lte(0)) return void p.add(path, "must be above 0") as undefined;
  if (opts.max && d.gt(opts.max)) return void p.add(path, `must be at most ${opts.max}`) as undefined;
  return d.toFixed();
}

/**
 * Checks the parameters of a rule of `kind` and returns them normalized (what is stored),
 * or undefined with problems under `path` in `p`.
 */
export function checkParams(p: Problems, path: string, kind: RiskRuleKind, raw: Record<string, unknown> | null | undefined): RiskRuleParams | undefined {
  const input = raw ?? {};
  const allowed = new Set<string>(FIELDS[kind]);
  for (const [k, v] of Object.entries(input)) {
    if (v != null && !allowed.has(k)) p.add(at(path, k), `is not a parameter of a ${kind} rule (it takes ${FIELDS[kind].join(", ") || "none"})`);
  }
  const out: RiskRuleParams = {};
  const hsPrefix = (s: string) => (HS_PREFIX.test(s) ? null : "must be 2 to 10 digits");
  switch (kind) {
    case "VALUE_BELOW_REFERENCE": {
      out.ratio = decimalText(p, at(path, "ratio"), input.ratio, { max: "1" });
      out.currency = currencyCode(p, at(path, "currency"), input.currency);
      const refs = input.references;
      if (!Array.isArray(refs) || !refs.length) p.add(at(path, "references"), "must list at least one reference value");
      else {
        out.references = refs.map((r: any, i) => ({
          hsPrefix: typeof r?.hsPrefix === "string" && HS_PREFIX.test(r.hsPrefix.trim()) ? r.hsPrefix.trim() : (p.add(at(path, "references", i, "hsPrefix"), "must be 2 to 10 digits"), ""),
          unitValue: decimalText(p, at(path, "references", i, "unitValue"), r?.unitValue) ?? "",
        }));
      }
      break;
    }
    case "RESTRICTED_GOODS":
      out.hsPrefixes = stringList(p, at(path, "hsPrefixes"), input.hsPrefixes, hsPrefix) ?? [];
      out.keywords = (stringList(p, at(path, "keywords"), input.keywords) ?? []).map(normalizeText);
      if (!out.hsPrefixes.length && !out.keywords.length) p.add(path, "a RESTRICTED_GOODS rule needs hsPrefixes or keywords");
      break;
    case "WATCH_LIST":
      out.sellers = (stringList(p, at(path, "sellers"), input.sellers) ?? []).map(normalizeText);
      out.buyers = (stringList(p, at(path, "buyers"), input.buyers) ?? []).map(normalizeText);
      out.addresses = (stringList(p, at(path, "addresses"), input.addresses) ?? []).map(normalizeText);
      if (!out.sellers.length && !out.buyers.length && !out.addresses.length) p.add(path, "a WATCH_LIST rule needs sellers, buyers or addresses");
      break;
    case "HS_CODE_CHECK": {
      const cats = input.categories ?? ["SALE_OF_GOODS"];
      const valid = Object.values(Categories) as string[];
      out.categories = stringList(p, at(path, "categories"), cats, (s) => (valid.includes(s) ? null : `must be one of ${valid.join(", ")}`)) as DeclarationCategory[];
      out.invalidHsPrefixes = stringList(p, at(path, "invalidHsPrefixes"), input.invalidHsPrefixes ?? [], hsPrefix) ?? [];
      break;
    }
    case "SPLIT_SHIPMENT": {
      const n = input.minParcels ?? 2;
      if (!Number.isInteger(n) || (n as number) < 2 || (n as number) > 100) p.add(at(path, "minParcels"), "must be a whole number from 2 to 100");
      out.minParcels = n as number;
      break;
    }
    case "IOSS_CHECK":
      break;
  }
  return p.ok ? out : undefined;
}
