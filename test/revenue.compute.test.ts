/**
 * Revenue computed from the shipped (illustrative) rule sets, as a pure function of the
 * declaration and the rules in force at the taxable event: each threshold at, just under
 * and just over it; IOSS; the EU flat duty with two item categories; zero rates; currency
 * conversion; the same parcel before and after 1 July 2026; the one rounding rule.
 */
import { computeAssessment, type RevenueDeclaration, type RevenueItem } from "../src/modules/workflow/revenue.compute";
import { RuleBook, jurisdictionsFor, type RateRow, type RuleRow } from "../src/modules/rules/rules.model";
import { SHIPPED_RULE_SETS } from "../src/modules/rules/rules.loader";
import { normalizeRuleSet } from "../src/modules/rules/rules.validation";
import { Problems } from "../src/shared/validation";

/** The shipped sets as the database would hold them (versions counted per key). */
function shippedBook(destination: string): RuleBook {
  const rules: RuleRow[] = [];
  const rates: RateRow[] = [];
  const versions = new Map<string, number>();
  const next = (k: string) => versions.set(k, (versions.get(k) ?? 0) + 1).get(k)!;
  for (const [name, file] of Object.entries(SHIPPED_RULE_SETS)) {
    for (const set of file.sets) {
      const p = new Problems();
      const n = normalizeRuleSet(p, name, set, { source: name, createdById: null });
      p.throwIfAny();
      n.rules.forEach((r, i) => rules.push({ ...r, id: `${name}-r${rules.length}-${i}`, payload: r.payload as RuleRow["payload"], version: next(`${r.jurisdiction}|${r.kind}|${r.key}`) }));
      n.rates.forEach((r, i) => rates.push({ ...r, id: `${name}-x${rates.length}-${i}`, version: next(`${r.jurisdiction}|${r.currency}`) }));
    }
  }
  const chain = jurisdictionsFor(destination);
  return new RuleBook(destination, chain, rules.filter((r) => chain.includes(r.jurisdiction)), rates.filter((r) => chain.includes(r.jurisdiction)));
}

const day = (s: string) => new Date(`${s}T12:00:00Z`);
const item = (hsCode: string, value: string, over: Partial<RevenueItem> = {}): RevenueItem => ({ lineNumber: 1, hsCode, value, currency: "EUR", quantity: 1, netWeightKg: "0.5", ...over });
function parcel(dest: string, items: RevenueItem[], over: Partial<RevenueDeclaration> = {}): RevenueDeclaration {
  const numbered = items.map((g, i) => ({ ...g, lineNumber: i + 1, currency: over.currency ?? g.currency }));
  const total = numbered.reduce((s, g) => s + Math.round(Number(g.value) * 100), 0) / 100;
  return { destinationCountry: dest, totalValue: total.toFixed(2), currency: "EUR", iossNumber: null, ddp: false, goodsItems: numbered, ...over };
}
const assess = (d: RevenueDeclaration, date: string) => computeAssessment(shippedBook(d.destinationCountry), d, day(date));
const summary = (d: RevenueDeclaration, date: string) => assess(d, date).lines.map((l) => [l.lineKey, l.method, l.amount]);

const JUNE_2026 = "2026-06-15";
const JULY_2026 = "2026-07-01";

describe("EU duty de minimis (EUR 150, until 30 June 2026)", () => {
  it("at EUR 150.00 and just under: no duty; just over: the tariff per item", () => {
    expect(summary(parcel("DE", [item("610910", "150.00")]), JUNE_2026)[0]).toEqual(["DUTY:exempt", "EXEMPT", "0.00"]);
    expect(summary(parcel("DE", [item("610910", "149.99")]), JUNE_2026)[0]).toEqual(["DUTY:exempt", "EXEMPT", "0.00"]);
    expect(summary(parcel("DE", [item("610910", "150.01")]), JUNE_2026)[0]).toEqual(["DUTY:item:1", "AD_VALOREM", "18.00"]);
  });
});

describe("EU interim flat duty (EUR 3 per item category, 1 July 2026 to 1 July 2028)", () => {
  const twoCategories = (v: [string, string, string]) =>
    parcel("DE", [item("610910", v[0]), item("61091000", v[1], { quantity: 2 }), item("851830", v[2])]);

  it("two item categories: EUR 3 each, whatever the number of items in them", () => {
    const a = assess(twoCategories(["20.00", "30.00", "50.00"]), JULY_2026);
    const duty = a.lines.filter((l) => l.taxType === "DUTY");
    expect(duty.map((l) => [l.lineKey, l.method, l.base, l.amount])).toEqual([
      ["DUTY:flat:610910", "FLAT", "50.00", "3.00"],
      ["DUTY:flat:851830", "FLAT", "50.00", "3.00"],
    ]);
    expect(duty[0].explanation).toMatch(/Flat duty EUR 3.00 for item category 610910 \(items 1, 2\).*at or under EUR 150.00 \(EU LOW_VALUE_DUTY FLAT v1\)/);
    expect(duty[0].rules.map((r) => `${r.kind} ${r.key} v${r.version}`)).toContain("LOW_VALUE_DUTY FLAT v1");
    // VAT on goods plus the duty of each category: 19% of (100 + 6)
    expect(a.lines.filter((l) => l.taxType === "VAT").map((l) => [l.lineKey, l.base, l.amount])).toEqual([["VAT:*", "106.00", "20.14"]]);
  });

  it("at EUR 150.00 and just under: flat; just over: the tariff (no de minimis any more)", () => {
    expect(summary(twoCategories(["50.00", "50.00", "50.00"]), JULY_2026).filter(([k]) => String(k).startsWith("DUTY"))).toEqual([
      ["DUTY:flat:610910", "FLAT", "3.00"],
      ["DUTY:flat:851830", "FLAT", "3.00"],
    ]);
    expect(summary(twoCategories(["50.00", "49.99", "50.00"]), JULY_2026).filter(([k]) => String(k).startsWith("DUTY")).length).toBe(2);
    expect(summary(twoCategories(["50.00", "50.01", "50.00"]), JULY_2026).filter(([k]) => String(k).startsWith("DUTY"))).toEqual([
      ["DUTY:item:1", "AD_VALOREM", "6.00"],
      ["DUTY:item:2", "AD_VALOREM", "6.00"], // 12% of 50.01 = 6.0012
      ["DUTY:item:3", "AD_VALOREM", "1.00"],
    ]);
  });

  it("the same parcel before and after 1 July 2026, and after 1 July 2028", () => {
    const p = parcel("DE", [item("610910", "40.00"), item("851830", "60.00")]);
    expect(summary(p, "2026-06-30").filter(([k]) => String(k).startsWith("DUTY"))).toEqual([["DUTY:exempt", "EXEMPT", "0.00"]]);
    expect(summary(p, JULY_2026).filter(([k]) => String(k).startsWith("DUTY")).map(([, , a]) => a)).toEqual(["3.00", "3.00"]);
    expect(summary(p, "2028-07-01").filter(([k]) => String(k).startsWith("DUTY"))).toEqual([
      ["DUTY:item:1", "AD_VALOREM", "4.80"],
      ["DUTY:item:2", "AD_VALOREM", "1.20"],
    ]);
  });
});

describe("IOSS (no import VAT on an IOSS consignment at or under EUR 150)", () => {
  const withIoss = (v: string) => parcel("FR", [item("950300", v)], { iossNumber: "IM2500000001" });

  it("at EUR 150.00 and just under: VAT exempt, collected under IOSS", () => {
    for (const v of ["150.00", "149.99"]) {
      const vat = assess(withIoss(v), JULY_2026).lines.find((l) => l.taxType === "VAT")!;
      expect([vat.lineKey, vat.amount, vat.collectionModel]).toEqual(["VAT:exempt", "0.00", "IOSS"]);
      expect(vat.explanation).toMatch(/IOSS consignment EUR .* at or under EUR 150.00: VAT collected at sale under IM2500000001 \(EU THRESHOLD IOSS_MAX v1\)/);
    }
  });

  it("just over: import VAT due, collected on delivery despite the IOSS number", () => {
    const a = assess(withIoss("150.01"), JULY_2026);
    const vat = a.lines.find((l) => l.taxType === "VAT")!;
    expect([vat.lineKey, vat.base, vat.amount, vat.collectionModel]).toEqual(["VAT:*", "150.01", "30.00", "COLLECTED_ON_DELIVERY"]);
    expect(a.lines.find((l) => l.taxType === "DUTY")!.explanation).toMatch(/Duty 0% \(zero rate\)/);
  });

  it("without an IOSS number VAT is due from the first cent (no EU VAT de minimis since 1 July 2021)", () => {
    // 21% of (EUR 10.00 + the EUR 3 flat duty)
    expect(summary(parcel("NL", [item("950300", "10.00")]), JULY_2026).find(([k]) => k === "VAT:*")).toEqual(["VAT:*", "AD_VALOREM", "2.73"]);
  });

  it("the EUR 22 VAT de minimis before 1 July 2021: at, under, over", () => {
    const vatOf = (v: string) => summary(parcel("DE", [item("950300", v)]), "2021-06-30").find(([k]) => String(k).startsWith("VAT"));
    expect(vatOf("22.00")).toEqual(["VAT:exempt", "EXEMPT", "0.00"]);
    expect(vatOf("21.99")).toEqual(["VAT:exempt", "EXEMPT", "0.00"]);
    expect(vatOf("22.01")).toEqual(["VAT:*", "AD_VALOREM", "4.18"]);
  });
});

describe("rates, conversion and rounding", () => {
  it("a zero-rate line is a line like any other", () => {
    const l = assess(parcel("DE", [item("847130", "899.00")]), JULY_2026).lines[0];
    expect([l.lineKey, l.method, l.base, l.rate, l.amount]).toEqual(["DUTY:item:1", "AD_VALOREM", "899.00", "0", "0.00"]);
  });

  it("converts at the date's rate: USD 174.75 is EUR 150 on 1 July 2026 (flat), USD 174.76 is over (tariff)", () => {
    const usd = (v: string) => parcel("DE", [item("610910", v, { currency: "USD" })], { currency: "USD" });
    const at = assess(usd("174.75"), JULY_2026);
    expect(at.consignmentValue).toBe("150");
    expect(at.lines[0]).toMatchObject({ lineKey: "DUTY:flat:610910", amount: "3.00", currency: "EUR" });
    expect(at.lines[0].explanation).toMatch(/converted at 1 EUR = 1.165 USD \(EU rate v2\)/);
    expect(at.rules.map((r) => `${r.kind} ${r.key} v${r.version}`)).toContain("EXCHANGE_RATE EUR/USD v2");
    const over = assess(usd("174.76"), JULY_2026);
    expect(over.lines[0]).toMatchObject({ lineKey: "DUTY:item:1", base: "150.01", amount: "18.00" });
    // a month earlier the rate was 1.087: the same USD 174.76 is EUR 160.77
    expect(assess(usd("174.76"), "2026-06-01").lines[0].base).toBe("160.77");
  });

  it("rounds each line once, half-up to the cent (2% of 100.25 = 2.005 -> 2.01)", () => {
    const l = assess(parcel("DE", [item("851830", "100.25"), item("610910", "60.00")]), "2028-07-01").lines[0];
    expect([l.base, l.rate, l.amount]).toEqual(["100.25", "0.02", "2.01"]);
  });

  it("specific duty per kg; reduced VAT by HS chapter; DDP", () => {
    const a = assess(parcel("DE", [item("220421", "100.00", { netWeightKg: "2.5" }), item("490199", "60.00")], { ddp: true }), "2028-07-01");
    expect(a.lines.map((l) => [l.lineKey, l.method, l.base, l.rate, l.amount, l.collectionModel])).toEqual([
      ["DUTY:item:1", "SPECIFIC", "100.00", "0", "0.33", "DDP"], // EUR 0.131/kg x 2.5 kg = 0.3275
      ["DUTY:item:2", "AD_VALOREM", "60.00", "0", "0.00", "DDP"],
      ["VAT:*", "AD_VALOREM", "100.33", "0.19", "19.06", "DDP"],
      ["VAT:49", "AD_VALOREM", "60.00", "0.07", "4.20", "DDP"],
    ]);
    expect(a.lines[3].explanation).toBe("VAT 7% of EUR 60.00 (goods EUR 60.00 + duty EUR 0.00; items 2; DE VAT_RATE 49 v1) = EUR 4.20");
  });
});

describe("United Kingdom (GBP 135; no IOSS)", () => {
  it("at GBP 135.00 and just under: no duty, VAT at the point of sale; just over: duty and import VAT", () => {
    for (const v of ["135.00", "134.99"]) {
      expect(summary(parcel("GB", [item("610910", v, { currency: "GBP" })], { currency: "GBP" }), JULY_2026)).toEqual([
        ["DUTY:exempt", "EXEMPT", "0.00"],
        ["VAT:exempt", "EXEMPT", "0.00"],
      ]);
    }
    const over = assess(parcel("GB", [item("610910", "135.01", { currency: "GBP" })], { currency: "GBP" }), JULY_2026);
    expect(over.lines.map((l) => [l.lineKey, l.amount, l.currency])).toEqual([
      ["DUTY:item:1", "16.20", "GBP"],
      ["VAT:*", "30.24", "GBP"], // 20% of (135.01 + 16.20)
    ]);
    expect(over.lines[1].explanation).toMatch(/GB VAT_RATE \* v1/);
  });

  it("zero-rated books: a VAT line of 0", () => {
    const vat = assess(parcel("GB", [item("490199", "200.00", { currency: "GBP" })], { currency: "GBP" }), JULY_2026).lines.find((l) => l.taxType === "VAT")!;
    expect([vat.lineKey, vat.rate, vat.amount]).toEqual(["VAT:49", "0", "0.00"]);
  });
});

describe("United States (USD 800 de minimis, suspended from 29 August 2025)", () => {
  const us = (v: string) => parcel("US", [item("610910", v, { currency: "USD" })], { currency: "USD" });
  it("at USD 800.00 and just under: no duty; just over: duty; no import VAT", () => {
    expect(summary(us("800.00"), "2025-08-28")).toEqual([["DUTY:exempt", "EXEMPT", "0.00"]]);
    expect(summary(us("799.99"), "2025-08-28")).toEqual([["DUTY:exempt", "EXEMPT", "0.00"]]);
    expect(summary(us("800.01"), "2025-08-28")).toEqual([["DUTY:item:1", "AD_VALOREM", "132.00"]]);
  });
  it("from 29 August 2025 even a USD 10 parcel pays duty", () => {
    expect(summary(us("10.00"), "2025-08-29")).toEqual([["DUTY:item:1", "AD_VALOREM", "1.65"]]);
  });
});

describe("missing rules", () => {
  it("name the goods item or the date", () => {
    expect(() => assess(parcel("JP", [item("610910", "10.00")]), JULY_2026)).toThrow(/no SETTING CURRENCY in force for JP/);
    expect(() => assess(parcel("DE", [item("610910", "10.00", { currency: "XAF" })], { currency: "XAF" }), JULY_2026)).toThrow(/exchange rate for XAF/);
  });
});
