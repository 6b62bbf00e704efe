import Decimal from "decimal.js";
import type { CollectionModel } from "../../generated/prisma/enums";
import { describeRef, rateRefOf, refOf, type RateRow, type RuleBook, type RuleRef, type RuleRow } from "../rules/rules.model";

/*
 * Duties and taxes computed from the rules in force at the taxable event: a pure function
 * of the declaration and a RuleBook, so the assessment, the demo world and the bench all
 * compute alike, and any assessment can be recomputed from the versions it records.
 *
 * THE rounding rule (the only one): all arithmetic is exact (decimal.js); each line's base
 * and amount are rounded once, at the end, half-up to 2 decimal places in the assessment
 * currency. Threshold comparisons use the exact, unrounded converted value.
 */

export const ROUNDING = "each line's base and amount rounded once, half-up, to 2 decimal places; everything before exact";
const round = (d: Decimal) => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

export interface RevenueItem {
  lineNumber: number;
  hsCode: string;
  value: Decimal.Value;
  currency: string;
  quantity: number;
  netWeightKg: Decimal.Value;
}

export interface RevenueDeclaration {
  destinationCountry: string;
  totalValue: Decimal.Value;
  currency: string;
  iossNumber: string | null;
  ddp: boolean;
  goodsItems: RevenueItem[];
}

export type LineMethod = "AD_VALOREM" | "SPECIFIC" | "FLAT" | "EXEMPT";

export interface ComputedLine {
  /** stable name of the line within an assessment, for overrides: DUTY:item:2, DUTY:flat:610910, VAT:*, VAT:exempt */
  lineKey: string;
  taxType: "DUTY" | "VAT";
  method: LineMethod;
  base: string;
  rate: string;
  amount: string;
  currency: string;
  collectionModel: CollectionModel;
  explanation: string;
  /** every rule version, threshold and exchange rate this line rests on */
  rules: RuleRef[];
}

export interface ComputedAssessment {
  taxableEventAt: Date;
  currency: string;
  /** the declared total in the assessment currency, exact */
  consignmentValue: string;
  lines: ComputedLine[];
  rules: RuleRef[];
}

/** A rule missing for the date: the caller turns it into BAD_USER_INPUT at `path`. */
export class RevenueRuleMissing extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const money = (currency: string, d: Decimal) => `${currency} ${round(d).toFixed(2)}`;
const pct = (rate: Decimal) => `${rate.times(100).toString()}%`;

/** Conversion into the assessment currency, remembering the rates used. */
class Converter {
  readonly rates = new Map<string, RateRow>();
  constructor(
    private readonly book: RuleBook,
    private readonly at: Date,
  ) {}
  to(amount: Decimal.Value, from: string, to: string, path: string): Decimal {
    try {
      const c = this.book.convert(amount, from, to, this.at);
      for (const r of c.rates) this.rates.set(r.id, r);
      return c.amount;
    } catch (e) {
      throw new RevenueRuleMissing(path, (e as Error).message);
    }
  }
  refs(): RuleRef[] {
    return [...this.rates.values()].map(rateRefOf);
  }
}

export function computeAssessment(book: RuleBook, d: RevenueDeclaration, at: Date): ComputedAssessment {
  let cur: { currency: string; rule: RuleRow };
  try {
    cur = book.currency(at);
  } catch (e) {
    throw new RevenueRuleMissing("input.taxableEventAt", (e as Error).message);
  }
  const C = cur.currency;
  const fx = new Converter(book, at);
  const valueIn = (currency: string) => fx.to(d.totalValue, d.currency, currency, "declaration.currency");
  const consignment = valueIn(C);
  const items = d.goodsItems.map((g, i) => ({ ...g, index: i, valueC: fx.to(g.value, g.currency, C, `declaration.goodsItems[${i}].currency`) }));

  const ioss = book.threshold("IOSS_MAX", at);
  const iossApplies = !!d.iossNumber && !!ioss && valueIn(ioss.currency).lte(ioss.amount);
  const model: CollectionModel = iossApplies ? "IOSS" : d.ddp ? "DDP" : "COLLECTED_ON_DELIVERY";
  const ctx: LineCtx = { book, at, C, consignment, model, fx, valueIn, currencyRule: cur.rule };

  const duty = dutyLines(ctx, items);
  const vat = vatLines(ctx, items, duty, d, iossApplies ? ioss!.rule : null);
  const lines = [...duty.lines, ...vat];
  const seen = new Map<string, RuleRef>();
  for (const l of lines) for (const r of l.rules) seen.set(describeRef(r), r);
  return { taxableEventAt: at, currency: C, consignmentValue: consignment.toString(), lines, rules: [...seen.values()] };
}

interface LineCtx {
  book: RuleBook;
  at: Date;
  C: string;
  consignment: Decimal;
  model: CollectionModel;
  fx: Converter;
  valueIn: (currency: string) => Decimal;
  currencyRule: RuleRow;
}

type Item = RevenueItem & { index: number; valueC: Decimal };

function line(ctx: LineCtx, l: Omit<ComputedLine, "currency" | "collectionModel" | "rules" | "base" | "amount"> & { base: Decimal; amount: Decimal; rules: RuleRow[] }): ComputedLine {
  const converted = ctx.fx.refs();
  const rates = [...ctx.fx.rates.values()];
  const conv = rates.length ? `; converted at ${rates.map((r) => `1 ${r.baseCurrency} = ${r.rate} ${r.currency} (${r.jurisdiction} rate v${r.version})`).join(", ")}` : "";
  return {
    ...l,
    base: round(l.base).toFixed(2),
    amount: round(l.amount).toFixed(2),
    currency: ctx.C,
    collectionModel: ctx.model,
    explanation: `${l.explanation}${conv}`,
    rules: [...l.rules.map(refOf), refOf(ctx.currencyRule), ...converted],
  };
}

/** Duty: the flat low-value duty, else the de minimis exemption, else the tariff per item. */
function dutyLines(ctx: LineCtx, items: Item[]): { lines: ComputedLine[]; perItem: Map<number, Decimal> } {
  const perItem = new Map<number, Decimal>();
  const flat = ctx.book.rule("LOW_VALUE_DUTY", "FLAT", ctx.at);
  if (flat) {
    const max = flat.payload.maxConsignmentValue as { amount: string; currency: string };
    if (ctx.valueIn(max.currency).lte(max.amount)) return flatLines(ctx, items, flat, max);
  }
  const deMinimis = ctx.book.threshold("DUTY_DE_MINIMIS", ctx.at);
  if (deMinimis && ctx.valueIn(deMinimis.currency).lte(deMinimis.amount)) {
    const explanation = `No duty: consignment ${money(ctx.C, ctx.consignment)} at or under the duty de minimis ${deMinimis.currency} ${deMinimis.amount.toFixed(2)} (${describeRef(refOf(deMinimis.rule))})`;
    const l = line(ctx, { lineKey: "DUTY:exempt", taxType: "DUTY", method: "EXEMPT", base: ctx.consignment, rate: "0", amount: new Decimal(0), explanation, rules: [deMinimis.rule] });
    return { lines: [l], perItem };
  }
  const lines = items.map((g) => {
    const path = `declaration.goodsItems[${g.index}].hsCode`;
    const rule = ctx.book.byHsPrefix("TARIFF", g.hsCode, ctx.at);
    if (!rule) throw new RevenueRuleMissing(path, `no TARIFF rule in force for HS ${g.hsCode} in ${ctx.book.jurisdictions.join("/")} on ${ctx.at.toISOString().slice(0, 10)}`);
    const where = `item ${g.lineNumber}, HS ${g.hsCode}: ${describeRef(refOf(rule))}`;
    const p = rule.payload as { type: string; rate?: string; amount?: string; currency?: string; per?: string };
    if (p.type === "SPECIFIC") {
      const per = ctx.fx.to(p.amount!, p.currency!, ctx.C, path);
      const units = p.per === "KG" ? new Decimal(g.netWeightKg) : new Decimal(g.quantity);
      const amount = per.times(units);
      perItem.set(g.index, round(amount));
      const explanation = `Duty ${money(ctx.C, per)} per ${p.per === "KG" ? "kg" : "unit"} x ${units.toString()} (${where}) = ${money(ctx.C, amount)}`;
      return line(ctx, { lineKey: `DUTY:item:${g.lineNumber}`, taxType: "DUTY", method: "SPECIFIC", base: g.valueC, rate: "0", amount, explanation, rules: [rule] });
    }
    const rate = new Decimal(p.rate!);
    const amount = g.valueC.times(rate);
    perItem.set(g.index, round(amount));
    const what = rate.isZero() ? "Duty 0% (zero rate)" : `Duty ${pct(rate)} ad valorem`;
    const explanation = `${what} of ${money(ctx.C, g.valueC)} (${where}) = ${money(ctx.C, amount)}`;
    return line(ctx, { lineKey: `DUTY:item:${g.lineNumber}`, taxType: "DUTY", method: "AD_VALOREM", base: g.valueC, rate: rate.toString(), amount, explanation, rules: [rule] });
  });
  return { lines, perItem };
}

/** One line per tariff item category (six-digit subheading), the flat amount each. */
function flatLines(ctx: LineCtx, items: Item[], flat: RuleRow, max: { amount: string; currency: string }): { lines: ComputedLine[]; perItem: Map<number, Decimal> } {
  const perItem = new Map<number, Decimal>();
  const groups = new Map<string, Item[]>();
  for (const g of items) groups.set(g.hsCode.slice(0, 6), [...(groups.get(g.hsCode.slice(0, 6)) ?? []), g]);
  const p = flat.payload as { amount: string; currency: string };
  const each = ctx.fx.to(p.amount, p.currency, ctx.C, "input.taxableEventAt");
  const lines = [...groups.entries()].map(([sub, group]) => {
    perItem.set(group[0].index, round(each)); // the category's duty joins the VAT base of its first item
    const base = group.reduce((s, g) => s.plus(g.valueC), new Decimal(0));
    const explanation =
      `Flat duty ${money(ctx.C, each)} for item category ${sub} (items ${group.map((g) => g.lineNumber).join(", ")}): consignment ` +
      `${money(ctx.C, ctx.consignment)} at or under ${max.currency} ${new Decimal(max.amount).toFixed(2)} (${describeRef(refOf(flat))})`;
    return line(ctx, { lineKey: `DUTY:flat:${sub}`, taxType: "DUTY", method: "FLAT", base, rate: "0", amount: each, explanation, rules: [flat] });
  });
  return { lines, perItem };
}

/** Import VAT: none at sale (UK) or under IOSS or de minimis; else per VAT rate, on value plus duty. */
function vatLines(ctx: LineCtx, items: Item[], duty: { perItem: Map<number, Decimal> }, d: RevenueDeclaration, iossRule: RuleRow | null): ComputedLine[] {
  const exempt = (why: string, rule: RuleRow) =>
    [line(ctx, { lineKey: "VAT:exempt", taxType: "VAT", method: "EXEMPT", base: ctx.consignment, rate: "0", amount: new Decimal(0), explanation: `No import VAT: ${why} (${describeRef(refOf(rule))})`, rules: [rule] })];
  const atSale = ctx.book.threshold("VAT_AT_SALE_MAX", ctx.at);
  if (atSale && ctx.valueIn(atSale.currency).lte(atSale.amount)) {
    return exempt(`consignment ${money(ctx.C, ctx.consignment)} at or under ${atSale.currency} ${atSale.amount.toFixed(2)}: VAT is charged at the point of sale`, atSale.rule);
  }
  if (iossRule) {
    return exempt(`IOSS consignment ${money(ctx.C, ctx.consignment)} at or under ${iossRule.payload.currency} ${new Decimal(iossRule.payload.amount as string).toFixed(2)}: VAT collected at sale under ${d.iossNumber}`, iossRule);
  }
  const deMinimis = ctx.book.threshold("VAT_DE_MINIMIS", ctx.at);
  if (deMinimis && ctx.valueIn(deMinimis.currency).lte(deMinimis.amount)) {
    return exempt(`consignment ${money(ctx.C, ctx.consignment)} at or under the VAT de minimis ${deMinimis.currency} ${deMinimis.amount.toFixed(2)}`, deMinimis.rule);
  }
  const byRule = new Map<string, { rule: RuleRow; items: Item[] }>();
  for (const g of items) {
    const rule = ctx.book.byHsPrefix("VAT_RATE", g.hsCode, ctx.at);
    if (!rule) continue;
    byRule.set(rule.id, { rule, items: [...(byRule.get(rule.id)?.items ?? []), g] });
  }
  if (byRule.size === 0) return []; // no import VAT in this destination (US)
  const covered = [...byRule.values()].reduce((n, g) => n + g.items.length, 0);
  if (covered < items.length) {
    const g = items.find((x) => ![...byRule.values()].some((v) => v.items.includes(x)))!;
    throw new RevenueRuleMissing(`declaration.goodsItems[${g.index}].hsCode`, `no VAT_RATE rule in force for HS ${g.hsCode} on ${ctx.at.toISOString().slice(0, 10)}`);
  }
  return [...byRule.values()].map(({ rule, items: group }) => {
    const goods = group.reduce((s, g) => s.plus(g.valueC), new Decimal(0));
    const dutyPart = group.reduce((s, g) => s.plus(duty.perItem.get(g.index) ?? 0), new Decimal(0));
    const base = goods.plus(dutyPart);
    const rate = new Decimal(rule.payload.rate as string);
    const amount = base.times(rate);
    const explanation =
      `VAT ${pct(rate)} of ${money(ctx.C, base)} (goods ${money(ctx.C, goods)} + duty ${money(ctx.C, dutyPart)}; items ` +
      `${group.map((g) => g.lineNumber).join(", ")}; ${describeRef(refOf(rule))}) = ${money(ctx.C, amount)}`;
    return line(ctx, { lineKey: `VAT:${rule.key}`, taxType: "VAT", method: "AD_VALOREM", base, rate: rate.toString(), amount, explanation, rules: [rule] });
  });
}
