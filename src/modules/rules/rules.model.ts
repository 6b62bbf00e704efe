import Decimal from "decimal.js";
import { EU_MEMBER_STATES, type ValueTolerance } from "../../shared/validation";
import type { Payload, SettingKey, ThresholdKey } from "./rules.kinds";

/*
 * Pure evaluation of versioned rules: which version is in force at a date, longest HS
 * prefix, thresholds and currency conversion. No database here: the service hands a
 * RuleBook the rows of a destination's jurisdictions (cached), and the revenue code and
 * the risk rules evaluate against it.
 */

export interface RuleRow {
  id: string;
  jurisdiction: string;
  kind: string;
  key: string;
  version: number;
  validFrom: Date;
  validTo: Date | null;
  legalReference: string;
  payload: Payload;
  illustrative: boolean;
}

export interface RateRow {
  id: string;
  jurisdiction: string;
  baseCurrency: string;
  currency: string;
  /** units of `currency` for one unit of baseCurrency */
  rate: string;
  version: number;
  validFrom: Date;
  validTo: Date | null;
  legalReference: string;
  illustrative: boolean;
}

/** What a result records of a rule it used, so it can be explained and reproduced. */
export interface RuleRef {
  jurisdiction: string;
  kind: string;
  key: string;
  version: number;
  legalReference: string;
}

export const refOf = (r: RuleRow): RuleRef => ({ jurisdiction: r.jurisdiction, kind: r.kind, key: r.key, version: r.version, legalReference: r.legalReference });
export const rateRefOf = (r: RateRow): RuleRef => ({
  jurisdiction: r.jurisdiction,
  kind: "EXCHANGE_RATE",
  key: `${r.baseCurrency}/${r.currency}`,
  version: r.version,
  legalReference: r.legalReference,
});
export const describeRef = (r: RuleRef): string => `${r.jurisdiction} ${r.kind} ${r.key} v${r.version}`;

/** The Union's common rules (tariff, customs thresholds, exchange rates) sit under "EU". */
export const EU = "EU";

/** Where a destination's rules come from, most specific first: the country, then the EU. */
export function jurisdictionsFor(destination: string): string[] {
  return EU_MEMBER_STATES.has(destination) ? [destination, EU] : [destination];
}

export const inForceAt = (r: { validFrom: Date; validTo: Date | null }, at: Date): boolean =>
  r.validFrom.getTime() <= at.getTime() && (r.validTo === null || at.getTime() < r.validTo.getTime());

/** The version in force: the highest version whose validity contains `at`. */
export function versionInForce<T extends { version: number; validFrom: Date; validTo: Date | null }>(rows: readonly T[], at: Date): T | null {
  let best: T | null = null;
  for (const r of rows) if (inForceAt(r, at) && (!best || r.version > best.version)) best = r;
  return best;
}

export interface Money {
  amount: Decimal;
  currency: string;
}

export interface Converted extends Money {
  /** the exchange rates used (none when no conversion was needed) */
  rates: RateRow[];
}

export class MissingRuleError extends Error {
  constructor(
    readonly what: string,
    readonly jurisdictions: string[],
    readonly at: Date,
  ) {
    super(`no ${what} in force for ${jurisdictions.join("/")} on ${at.toISOString().slice(0, 10)}`);
  }
}

/** The rules and rates of one destination (its jurisdictions, most specific first). */
export class RuleBook {
  private readonly rules = new Map<string, RuleRow[]>();
  private readonly rates = new Map<string, RateRow[]>();
  /** jurisdiction -> the base currency its rates are quoted against */
  private readonly bases = new Map<string, string>();

  constructor(
    readonly destination: string,
    readonly jurisdictions: string[],
    rules: readonly RuleRow[],
    rates: readonly RateRow[],
  ) {
    for (const r of rules) push(this.rules, `${r.jurisdiction}|${r.kind}|${r.key}`, r);
    for (const r of rates) {
      push(this.rates, `${r.jurisdiction}|${r.currency}`, r);
      this.bases.set(r.jurisdiction, r.baseCurrency);
    }
  }

  /** The version in force of (kind, key), from the most specific jurisdiction that has one. */
  rule(kind: string, key: string, at: Date): RuleRow | null {
    for (const j of this.jurisdictions) {
      const hit = versionInForce(this.rules.get(`${j}|${kind}|${key}`) ?? [], at);
      if (hit) return hit;
    }
    return null;
  }

  /**
   * Every key of `kind` with its version in force at `at`, each from the most specific
   * jurisdiction that has one in force (as `rule` answers per key): e.g. a destination's
   * risk rules, the EU's common ones included unless the country has its own of that key.
   */
  allInForce(kind: string, at: Date): RuleRow[] {
    const out = new Map<string, RuleRow>();
    for (const j of this.jurisdictions) {
      const prefix = `${j}|${kind}|`;
      for (const [k, rows] of this.rules) {
        if (!k.startsWith(prefix) || out.has(k.slice(prefix.length))) continue;
        const hit = versionInForce(rows, at);
        if (hit) out.set(k.slice(prefix.length), hit);
      }
    }
    return [...out.values()];
  }

  /** The rule of the longest HS prefix of `hsCode` in force (then "*"). */
  byHsPrefix(kind: string, hsCode: string, at: Date): RuleRow | null {
    for (let n = Math.min(hsCode.length, 10); n >= 2; n--) {
      const hit = this.rule(kind, hsCode.slice(0, n), at);
      if (hit) return hit;
    }
    return this.rule(kind, "*", at);
  }

  threshold(key: ThresholdKey, at: Date): (Money & { rule: RuleRow }) | null {
    const r = this.rule("THRESHOLD", key, at);
    return r ? { amount: new Decimal(r.payload.amount as string), currency: r.payload.currency as string, rule: r } : null;
  }

  setting(key: SettingKey, at: Date): RuleRow | null {
    return this.rule("SETTING", key, at);
  }

  /** How far a declared total may differ from its items' sum at `at` (SETTING VALUE_TOLERANCE); null: none in force. */
  valueTolerance(at: Date): ValueTolerance | null {
    const r = this.setting("VALUE_TOLERANCE", at);
    return r ? { amount: r.payload.amount as string, relative: (r.payload.relative as string) ?? "0", rule: describeRef(refOf(r)) } : null;
  }

  /** The currency duties are assessed in (SETTING CURRENCY); none: no rules for this destination. */
  currency(at: Date): { currency: string; rule: RuleRow } {
    const r = this.setting("CURRENCY", at);
    if (!r) throw new MissingRuleError("SETTING CURRENCY", this.jurisdictions, at);
    return { currency: r.payload.currency as string, rule: r };
  }

  /** The rate row of `currency` in force, from the first jurisdiction that publishes rates. */
  private rateOf(currency: string, at: Date): { base: string; rate: Decimal; row: RateRow | null } {
    for (const j of this.jurisdictions) {
      const row = versionInForce(this.rates.get(`${j}|${currency}`) ?? [], at);
      if (row) return { base: row.baseCurrency, rate: new Decimal(row.rate), row };
      if (this.bases.get(j) === currency) return { base: currency, rate: new Decimal(1), row: null };
    }
    throw new MissingRuleError(`exchange rate for ${currency}`, this.jurisdictions, at);
  }

  /**
   * `amount` in `from`, in `to`, at the rates in force at `at`: through the publishing
   * jurisdiction's base currency (amount / rate(from) x rate(to)). Exact: no rounding here.
   */
  convert(amount: Decimal.Value, from: string, to: string, at: Date): Converted {
    const value = new Decimal(amount);
    if (from === to) return { amount: value, currency: to, rates: [] };
    const f = this.rateOf(from, at);
    const t = this.rateOf(to, at);
    if (f.base !== t.base) throw new MissingRuleError(`exchange rates ${from} and ${to} on one base`, this.jurisdictions, at);
    const rates = [f.row, t.row].filter((r): r is RateRow => r !== null && r.currency !== r.baseCurrency);
    return { amount: value.div(f.rate).times(t.rate), currency: to, rates };
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
