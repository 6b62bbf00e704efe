/**
 * declarationStats: checked against an independent computation in JavaScript on a small
 * world, under the policy (mixed rights), with small-group suppression and access-log records.
 */
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const STATS = `query Stats($groupBy: [StatsGroupKey!]!, $where: DeclarationWhere, $min: Int) {
  declarationStats(groupBy: $groupBy, where: $where, minGroupSize: $min) {
    referenceCurrency minGroupSize suppressedGroups
    groups { key { destination origin hsCode platformId carrierId status holdKind alertSeverity period }
      count valueCount totalValue averageValue holdRate alertRates { severity rate } dutiesAssessed
      releasedCount clearanceHoursMedian clearanceHoursP90 }
  }
}`;

describe("declarationStats", () => {
  let t: TestHub;
  let platform: TestParty, other: TestParty, carrier: TestParty, customsDE: TestParty, partner: TestParty;
  const filed: { filer: TestParty; dest: string; value: string; currency: string; carrier: boolean; hs: string[] }[] = [];

  const file = async (filer: TestParty, over: Record<string, unknown>) =>
    (await t.hub.services.declarations.filing.fileOne(filer.principal, declarationInput(over) as never)).declaration;
  const stats = async (viewer: TestParty, vars: Record<string, unknown>) => {
    const res = await t.exec(viewer.principal, STATS, { min: 1, ...vars });
    expect(res.errors).toBeUndefined();
    return res.data!.declarationStats;
  };

  beforeAll(async () => {
    t = await startTestHub({ http: false, env: { HUB_STATS_MIN_GROUP_SIZE: "1" } });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    other = await makeParty(t, "PLATFORM", "IE", "Other platform");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    partner = await makeParty(t, "CARRIER", "NL", "Partner with COMMERCIAL for FR");
    await makeAgreement(t, platform, partner, { categories: ["STATUS", "TRANSPORT", "COMMERCIAL"], scopeDestinations: ["FR"] });
    // 10 CNY to the euro, in force since 2020 (the rules module's table)
    await t.db.prisma.exchangeRate.create({
      data: { jurisdiction: "EU", baseCurrency: "EUR", currency: "CNY", rate: "10", version: 1, validFrom: new Date("2020-01-01"), legalReference: "test", source: "test" },
    });
    // a rate not yet in force does not count
    await t.db.prisma.exchangeRate.create({
      data: { jurisdiction: "EU", baseCurrency: "EUR", currency: "CNY", rate: "1", version: 2, validFrom: new Date("2099-01-01"), legalReference: "test", source: "test" },
    });
    const plan: [TestParty, string, string, string, boolean][] = [
      [platform, "DE", "100.00", "EUR", true],
      [platform, "DE", "50.00", "EUR", false],
      [platform, "FR", "30.00", "EUR", true],
      [platform, "FR", "70.00", "EUR", false],
      [platform, "FR", "999.00", "CNY", false],
      [other, "DE", "10.00", "EUR", true],
      [other, "FR", "20.00", "EUR", false],
    ];
    for (const [filer, dest, value, currency, carried] of plan) {
      await file(filer, {
        destinationCountry: dest,
        totalValue: value,
        currency,
        carrierId: carried ? carrier.id : undefined,
        buyerCountry: dest,
        iossNumber: dest === "DE" || dest === "FR" ? "IM2760000001" : undefined,
        goodsItems: [
          { description: "Cotton T-shirt", quantity: 1, netWeightKg: "0.300", value, currency, hsCode: "610910", originCountry: "CN" },
        ],
      });
      filed.push({ filer, dest, value, currency, carrier: carried, hs: ["61"] });
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** The independent computation: what the viewer may count, grouped by destination. */
  function expected(visible: (f: (typeof filed)[number]) => boolean, valueVisible: (f: (typeof filed)[number]) => boolean) {
    const groups = new Map<string, { count: number; valueCount: number; total: number }>();
    for (const f of filed.filter(visible)) {
      const g = groups.get(f.dest) ?? { count: 0, valueCount: 0, total: 0 };
      g.count++;
      if (valueVisible(f)) {
        g.valueCount++;
        g.total += Number(f.value) / (f.currency === "CNY" ? 10 : 1);
      }
      groups.set(f.dest, g);
    }
    return Object.fromEntries([...groups].map(([k, g]) => [k, { count: g.count, valueCount: g.valueCount, total: g.valueCount ? g.total.toFixed(2) : null }]));
  }
  const actual = (s: any) =>
    Object.fromEntries(s.groups.map((g: any) => [g.key.destination, { count: g.count, valueCount: g.valueCount, total: g.totalValue }]));

  it("destination customs counts its territory, values in the reference currency at the rate in force", async () => {
    const s = await stats(customsDE, { groupBy: ["DESTINATION"] });
    expect(s.referenceCurrency).toBe("EUR");
    expect(actual(s)).toEqual(expected((f) => f.dest === "DE", () => true));
  });

  it("a platform counts its own declarations, everything", async () => {
    const s = await stats(platform, { groupBy: ["DESTINATION"] });
    expect(actual(s)).toEqual(expected((f) => f.filer === platform, () => true));
  });

  it("a carrier counts the parcels it carries, and sums no value it may not read", async () => {
    const s = await stats(carrier, { groupBy: ["DESTINATION"] });
    expect(actual(s)).toEqual(expected((f) => f.carrier, () => false));
  });

  it("a party with mixed rights: agreement values in its scope only", async () => {
    const s = await stats(partner, { groupBy: ["DESTINATION"] });
    expect(actual(s)).toEqual(expected((f) => f.filer === platform && f.dest === "FR", () => true));
  });

  it("grouping by a key the viewer may not read leaves those declarations out", async () => {
    const s = await stats(carrier, { groupBy: ["PLATFORM"] });
    expect(s.groups).toEqual([]);
    const byHs = await stats(carrier, { groupBy: ["HS_CHAPTER"] });
    expect(byHs.groups).toEqual([]);
  });

  it("groups by HS chapter with the items' value", async () => {
    const s = await stats(customsDE, { groupBy: ["HS_CHAPTER", "DESTINATION"] });
    expect(s.groups.map((g: any) => [g.key.hsCode, g.key.destination, g.count, g.totalValue])).toEqual([["61", "DE", 3, "160.00"]]);
    const fr = await stats(platform, { groupBy: ["HS_CHAPTER"], where: { destinationCountry: { eq: "FR" } } });
    expect(fr.groups.map((g: any) => [g.key.hsCode, g.count, g.totalValue, g.averageValue])).toEqual([["61", 3, "199.90", "66.63"]]);
  });

  it("suppresses groups smaller than the minimum", async () => {
    const s = await stats(platform, { groupBy: ["DESTINATION"], min: 3 });
    expect(s.groups.map((g: any) => g.key.destination)).toEqual(["FR"]);
    expect(s.suppressedGroups).toBe(1);
    const bad = await t.exec(platform.principal, STATS, { groupBy: ["DESTINATION"], min: 0 });
    expect(bad.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(bad.errors![0].message).toContain("minGroupSize");
  });

  it("invalid combinations of group keys are BAD_USER_INPUT naming them", async () => {
    const res = await t.exec(customsDE.principal, STATS, { groupBy: ["DAY", "MONTH"], min: 1 });
    expect(res.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(res.errors![0].message).toContain("DAY and MONTH cannot be combined");
  });
});
