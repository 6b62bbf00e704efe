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

  it("hold and alert rates, duties and clearance times against an independent computation, under the policy", async () => {
    const ids = (await t.db.prisma.declaration.findMany({ orderBy: { filedAt: "asc" } })).map((d) => d);
    const de = ids.filter((d) => d.destinationCountry === "DE"); // 3: platform x2 (one carried), other x1 (carried)
    const hours = [2, 10, 30];
    for (const [i, d] of de.entries()) {
      await t.db.prisma.declaration.update({ where: { id: d.id }, data: { status: "RELEASED", releasedAt: new Date(d.filedAt.getTime() + hours[i] * 3_600_000) } });
    }
    await t.db.prisma.hold.create({ data: { declarationId: de[0].id, placedById: customsDE.id, kind: "INSPECTION", reason: "x" } });
    await t.db.prisma.riskAlert.create({ data: { declarationId: de[1].id, raisedById: customsDE.id, severity: "HIGH", reasonCode: "R", reason: "r" } });
    const duty = (declarationId: string, amount: string, currency: string) => ({
      declarationId, assessedById: customsDE.id, taxType: "VAT" as const, base: "1", rate: "0.19", amount, currency, collectionModel: "IOSS" as const,
    });
    await t.db.prisma.dutyAssessment.createMany({ data: [duty(de[0].id, "19.00", "EUR"), duty(de[1].id, "50.00", "CNY"), { ...duty(de[2].id, "99.00", "EUR"), supersededAt: new Date() }] });

    const s = await stats(customsDE, { groupBy: ["DESTINATION"] });
    const g = s.groups[0];
    // independent: 3 declarations, one held, one HIGH alert, duties 19 + 50/10 (the superseded line does not count)
    expect(g.holdRate).toBeCloseTo(1 / 3);
    expect(g.alertRates.find((a: any) => a.severity === "HIGH").rate).toBeCloseTo(1 / 3);
    expect(g.alertRates.find((a: any) => a.severity === "LOW").rate).toBe(0);
    expect(g.dutiesAssessed).toBe("24.00");
    expect(g.releasedCount).toBe(3);
    const median = [...hours].sort((a, b) => a - b)[1];
    const p90 = hours[1] + 0.8 * (hours[2] - hours[1]); // percentile_cont: linear between the 2nd and 3rd
    expect(g.clearanceHoursMedian).toBeCloseTo(median, 3);
    expect(g.clearanceHoursP90).toBeCloseTo(p90, 3);

    // the carrier reads the hold's STATUS (baseline) but not the alert's RISK nor REVENUE
    const c = (await stats(carrier, { groupBy: ["DESTINATION"] })).groups.find((x: any) => x.key.destination === "DE");
    const carried = de.filter((d) => d.carrierId === carrier.id);
    expect(c.count).toBe(carried.length);
    expect(c.holdRate).toBeCloseTo(carried.filter((d) => d.id === de[0].id).length / carried.length);
    expect(c.alertRates.every((a: any) => a.rate === 0)).toBe(true);
    expect(c.dutiesAssessed).toBeNull();

    // grouped by hold kind: the held declaration under INSPECTION, the others under null (no hold)
    const byKind = await stats(customsDE, { groupBy: ["HOLD_KIND"], where: { destinationCountry: { eq: "DE" } } });
    expect(byKind.groups.map((x: any) => [x.key.holdKind, x.count]).sort()).toEqual([["INSPECTION", 1], [null, 2]].sort());
    const bySeverity = await stats(carrier, { groupBy: ["ALERT_SEVERITY"], where: { destinationCountry: { eq: "DE" } } });
    expect(bySeverity.groups.map((x: any) => [x.key.alertSeverity, x.count])).toEqual([[null, carried.length]]);
  });

  it("only the measures asked for are computed; the counts are the same", async () => {
    const full = await stats(customsDE, { groupBy: ["DESTINATION", "STATUS"] });
    const res = await t.exec(customsDE.principal, `{ declarationStats(groupBy: [DESTINATION, STATUS], minGroupSize: 1) { groups { key { destination status } count } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.declarationStats.groups).toEqual(full.groups.map((g: any) => ({ key: { destination: g.key.destination, status: g.key.status }, count: g.count })));
  });

  it("small-group suppression applies after the policy: a group the viewer sees small is hidden", async () => {
    const s = await stats(partner, { groupBy: ["DESTINATION"], min: 4 });
    expect(s.groups).toEqual([]);
    expect(s.suppressedGroups).toBe(1);
  });

  it("aggregates are in the holders' access logs, marked aggregate, with the records counted", async () => {
    await stats(customsDE, { groupBy: ["DESTINATION"] });
    await t.hub.accessLog.flush();
    const entries = await t.db.prisma.accessLogEntry.findMany({ where: { viewerPartyId: customsDE.id, inference: "aggregate" } });
    const holders = new Set(entries.map((e) => e.holderId));
    expect(holders).toEqual(new Set([platform.id, other.id]));
    const platformDecl = entries.filter((e) => e.holderId === platform.id && e.recordType === "Declaration");
    expect(platformDecl.every((e) => e.basis === "baseline:destination-customs" && e.recordIds.length === 0)).toBe(true);
    expect(platformDecl.some((e) => e.categories.includes("COMMERCIAL") && e.categories.includes("TRANSPORT"))).toBe(true);
    // its own holds, alerts and duties are not logged (customs holds them)
    expect(entries.some((e) => e.holderId === customsDE.id)).toBe(false);
  });

  it("invalid combinations of group keys are BAD_USER_INPUT naming them", async () => {
    const res = await t.exec(customsDE.principal, STATS, { groupBy: ["DAY", "MONTH"], min: 1 });
    expect(res.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(res.errors![0].message).toContain("DAY and MONTH cannot be combined");
  });
});
