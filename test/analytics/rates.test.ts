/**
 * Amounts in the reference currency at the exchange rates of each declaration's destination
 * customs, in force on the declaration's date: a parcel to GB converts at GB's rates, one to
 * the US at the US's, one to an EU member state (or anywhere without rates of its own) at the
 * EU's, the reference table. Filters, sorting and declarationStats agree.
 */
import type { Declaration } from "../../src/generated/prisma/client";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const PAGE = `query Page($where: DeclarationWhere, $sortBy: [DeclarationOrder!]) {
  declarations(where: $where, sortBy: $sortBy, first: 50) { edges { node { id } } }
}`;
const STATS = `query Stats($groupBy: [StatsGroupKey!]) {
  declarationStats(groupBy: $groupBy, minGroupSize: 1) { referenceCurrency groups { key { destination hsCode } totalValue } }
}`;

describe("conversion at the destination's exchange rates", () => {
  let t: TestHub;
  let platform: TestParty;
  let gb: Declaration, gbOld: Declaration, us: Declaration, de: Declaration, ch: Declaration;

  const rate = (jurisdiction: string, baseCurrency: string, currency: string, value: string, validFrom = "2020-01-01", validTo: string | null = null) =>
    t.db.prisma.exchangeRate.create({
      data: { jurisdiction, baseCurrency, currency, rate: value, version: validTo ? 1 : 2, validFrom: new Date(validFrom), validTo: validTo ? new Date(validTo) : null, legalReference: "test", source: "test" },
    });
  const item = (value: string, currency: string) => ({ description: "Cotton T-shirt", quantity: 1, netWeightKg: "0.300", value, currency, hsCode: "610910", originCountry: "CN" });
  const file = async (destinationCountry: string, totalValue: string, currency: string) =>
    (
      await t.hub.services.declarations.filing.fileOne(
        platform.principal,
        declarationInput({ destinationCountry, buyerCountry: destinationCountry, totalValue, currency, goodsItems: [item(totalValue, currency)], ...(destinationCountry === "DE" ? {} : { iossNumber: null }) }) as never,
      )
    ).declaration;
  const ids = async (vars: Record<string, unknown>) => {
    const res = await t.exec(platform.principal, PAGE, vars);
    expect(res.errors).toBeUndefined();
    return res.data!.declarations.edges.map((e: any) => e.node.id);
  };

  beforeAll(async () => {
    t = await startTestHub({ http: false, env: { HUB_STATS_MIN_GROUP_SIZE: "1", HUB_REFERENCE_CURRENCY: "EUR" } });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    // the EU's (ECB-based): 1 EUR = 1.25 USD = 10 CNY
    await rate("EU", "EUR", "USD", "1.25");
    await rate("EU", "EUR", "CNY", "10");
    // HMRC's: 1 GBP = 1.2 EUR = 1.6 USD; before 2021, 2.0 USD
    await rate("GB", "GBP", "EUR", "1.2");
    await rate("GB", "GBP", "USD", "2.0", "2020-01-01", "2021-01-01");
    await rate("GB", "GBP", "USD", "1.6", "2021-01-01");
    // the US's: 1 USD = 0.9 EUR = 8 CNY
    await rate("US", "USD", "EUR", "0.9");
    await rate("US", "USD", "CNY", "8");
    gb = await file("GB", "100.00", "USD"); // 100 / 1.6 x 1.2 = 75.00 EUR (EU's rates: 80.00)
    gbOld = await file("GB", "100.00", "USD"); // filed in 2020: 100 / 2.0 x 1.2 = 60.00 EUR
    await t.db.prisma.declaration.update({ where: { id: gbOld.id }, data: { filedAt: new Date("2020-06-01T00:00:00Z") } });
    us = await file("US", "1000.00", "CNY"); // 1000 / 8 x 0.9 = 112.50 EUR (EU's rates: 100.00)
    de = await file("DE", "100.00", "USD"); // the EU's: 80.00 EUR
    ch = await file("CH", "100.00", "USD"); // no Swiss rates here: the reference table, the EU's: 80.00 EUR
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("declarationStats totals each destination at its customs' rates, on the declaration's date", async () => {
    const res = await t.exec(platform.principal, STATS, { groupBy: ["DESTINATION"] });
    expect(res.errors).toBeUndefined();
    expect(res.data!.declarationStats.referenceCurrency).toBe("EUR");
    const byDest = Object.fromEntries(res.data!.declarationStats.groups.map((g: any) => [g.key.destination, g.totalValue]));
    expect(byDest).toEqual({ GB: "135.00", US: "112.50", DE: "80.00", CH: "80.00" });
    // the goods items' values too (grouped by HS chapter, converted per item)
    const items = await t.exec(platform.principal, STATS, { groupBy: ["DESTINATION", "HS_CHAPTER"] });
    const itemsByDest = Object.fromEntries(items.data!.declarationStats.groups.map((g: any) => [g.key.destination, g.totalValue]));
    expect(itemsByDest).toEqual({ GB: "135.00", US: "112.50", DE: "80.00", CH: "80.00" });
  });

  it("amount filters and sorting compare at the same rates", async () => {
    expect((await ids({ where: { totalValue: { lt: "79" } } })).sort()).toEqual([gb.id, gbOld.id].sort());
    expect((await ids({ where: { totalValue: { gt: "100" } } })).sort()).toEqual([us.id]);
    expect((await ids({ where: { goodsItems: { some: { value: { gte: "75", lte: "75" } } } } })).sort()).toEqual([gb.id]);
    const byValue = await ids({ where: { totalValue: { gt: "0" } }, sortBy: [{ field: "TOTAL_VALUE", direction: "ASC" }, { field: "DESTINATION", direction: "ASC" }] });
    expect(byValue).toEqual([gbOld.id, gb.id, ch.id, de.id, us.id]);
  });
});
