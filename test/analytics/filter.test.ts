/**
 * The analysts' filter language on `declarations(where:)`: each operator, nesting, relations,
 * multi-key keyset pagination stable under concurrent filing, no oracle through OR / NOT /
 * relations, inference records in the holders' access logs, and the cost limit.
 */
import type { Declaration } from "../../src/generated/prisma/client";
import { prefixUpperBound } from "../../src/modules/analytics/filter.operators";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const PAGE = `query Page($where: DeclarationWhere, $sortBy: [DeclarationOrder!], $first: Int!, $after: String) {
  declarations(where: $where, sortBy: $sortBy, first: $first, after: $after) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor }
  }
}`;

describe("the filter language", () => {
  let t: TestHub;
  let platform: TestParty, other: TestParty, carrier: TestParty, customs: TestParty, partner: TestParty;
  let shirts: Declaration, phones: Declaration, cny: Declaration, otherFr: Declaration, released: Declaration;

  const item = (over: Record<string, unknown>) => ({
    description: "Cotton T-shirt",
    quantity: 1,
    netWeightKg: "0.300",
    value: "10.00",
    currency: "EUR",
    hsCode: "610910",
    originCountry: "CN",
    ...over,
  });
  const file = async (filer: TestParty, over: Record<string, unknown>) =>
    (await t.hub.services.declarations.filing.fileOne(filer.principal, declarationInput(over) as never)).declaration;
  const query = (viewer: TestParty, vars: Record<string, unknown>) => t.exec(viewer.principal, PAGE, { first: 50, ...vars });
  const ids = async (viewer: TestParty, where: unknown, extra: Record<string, unknown> = {}) => {
    const res = await query(viewer, { where, ...extra });
    expect(res.errors).toBeUndefined();
    return res.data!.declarations.edges.map((e: any) => e.node.id).sort();
  };
  const sorted = (...ds: Declaration[]) => ds.map((d) => d.id).sort();

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    other = await makeParty(t, "PLATFORM", "IE", "Other platform");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    partner = await makeParty(t, "CARRIER", "NL", "Partner");
    await makeAgreement(t, platform, partner, { categories: ["STATUS", "TRANSPORT", "COMMERCIAL"] });
    shirts = await file(platform, {
      trackingNumber: "RR123456785CN",
      carrierId: carrier.id,
      totalValue: "250.00",
      goodsItems: [item({ value: "150.00", hsCode: "610910", description: "Organic cotton shirts" }), item({ value: "100.00", hsCode: "620520" })],
    });
    phones = await file(platform, {
      carrierId: carrier.id,
      totalValue: "80.00",
      goodsItems: [item({ value: "80.00", hsCode: "851712", description: "Mobile phone" })],
    });
    cny = await file(platform, { totalValue: "9210.92", currency: "CNY", goodsItems: [item({ value: "9210.92", currency: "CNY", hsCode: "610910" })] });
    otherFr = await file(other, { destinationCountry: "FR", buyerCountry: "FR", totalValue: "30.00", goodsItems: [item({ value: "30.00" })] });
    released = await file(other, { totalValue: "40.00", goodsItems: [item({ value: "40.00", hsCode: "950300", description: "Toy car" })] });
    await t.db.prisma.declaration.update({ where: { id: released.id }, data: { status: "RELEASED", releasedAt: new Date() } });
    // 100 CNY to the euro: 9,210.92 CNY is 92.11 EUR
    await t.db.prisma.exchangeRate.create({
      data: { jurisdiction: "EU", baseCurrency: "EUR", currency: "CNY", rate: "100", version: 1, validFrom: new Date("2020-01-01"), legalReference: "test", source: "test" },
    });
    await t.db.prisma.hold.create({ data: { declarationId: phones.id, placedById: customs.id, kind: "INSPECTION", reason: "x-ray" } });
    await t.db.prisma.riskAlert.create({ data: { declarationId: shirts.id, raisedById: customs.id, severity: "HIGH", reasonCode: "UNDERVAL", reason: "low value" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("each operator of the declaration's own fields", async () => {
    expect(await ids(customs, { trackingNumber: { eq: "RR123456785CN" } })).toEqual(sorted(shirts));
    expect(await ids(customs, { trackingNumber: { startsWith: "RR1234" } })).toEqual(sorted(shirts));
    expect(await ids(customs, { status: { in: ["RELEASED"] } })).toEqual(sorted(released));
    expect(await ids(customs, { status: { eq: "FILED" }, currency: { in: ["cny"] } })).toEqual(sorted(cny));
    expect(await ids(customs, { releasedAt: { isNull: false } })).toEqual(sorted(released));
    expect(await ids(customs, { filedAt: { gte: new Date(Date.now() - 3_600_000).toISOString(), lt: new Date(Date.now() + 60_000).toISOString() } })).toEqual(
      sorted(shirts, phones, cny, released),
    );
    expect(await ids(customs, { carrierId: { isNull: true } })).toEqual(sorted(cny, released));
    expect(await ids(customs, { carrierId: { eq: carrier.id } })).toEqual(sorted(shirts, phones));
    expect(await ids(customs, { grossWeightKg: { gte: "1.25", lte: "1.25" } })).toEqual(sorted(shirts, phones, cny, released));
    expect(await ids(customs, { destinationCountry: { eq: "de" }, category: { eq: "SALE_OF_GOODS" }, ddp: false })).toEqual(sorted(shirts, phones, cny, released));
    expect(await ids(customs, { filer: { name: { eq: "Other platform" } } })).toEqual(sorted(released));
    expect(await ids(customs, { carrier: { country: { eq: "DE" } } })).toEqual(sorted(shirts, phones));
  });

  it("amounts: within a stated currency, or in the reference currency (a CNY amount does not outrank EUR ones)", async () => {
    expect(await ids(customs, { totalValue: { gt: "1000", currency: "CNY" } })).toEqual(sorted(cny));
    expect(await ids(customs, { totalValue: { gt: "60" } })).toEqual(sorted(shirts, phones, cny));
    expect(await ids(customs, { totalValue: { gt: "90", lt: "100" } })).toEqual(sorted(cny));
    const res = await query(customs, { sortBy: [{ field: "TOTAL_VALUE", direction: "DESC" }] });
    expect(res.data!.declarations.edges.map((e: any) => e.node.id)).toEqual([shirts.id, cny.id, phones.id, released.id]);
  });

  it("AND / OR / NOT nest", async () => {
    const where = { OR: [{ trackingNumber: { eq: "RR123456785CN" } }, { status: { eq: "RELEASED" } }] };
    expect(await ids(customs, where)).toEqual(sorted(shirts, released));
    expect(await ids(customs, { NOT: where })).toEqual(sorted(phones, cny));
    expect(await ids(customs, { AND: [where, { NOT: { status: { eq: "RELEASED" } } }] })).toEqual(sorted(shirts));
  });

  it("relations: any item of HS chapter 61 valued over 100, text search, holds, alerts, none", async () => {
    expect(await ids(customs, { goodsItems: { some: { hsCode: { startsWith: "61" }, value: { gt: "100" } } } })).toEqual(sorted(shirts));
    expect(await ids(customs, { goodsItems: { some: { hsCode: { startsWith: "61" }, value: { gt: "100", currency: "CNY" } } } })).toEqual(sorted(cny));
    expect(await ids(customs, { goodsItems: { some: { description: { search: "organic shirt" } } } })).toEqual(sorted(shirts));
    // prefixes with and without an index range (a last 9 or Z has no simple upper bound)
    expect(await ids(customs, { goodsItems: { some: { hsCode: { startsWith: "6109" } } } })).toEqual(sorted(shirts, cny));
    expect(await ids(customs, { goodsItems: { some: { hsCode: { startsWith: "6205" } } } })).toEqual(sorted(shirts));
    expect(prefixUpperBound("RR12")).toBe("RR13");
    expect(prefixUpperBound("61")).toBe("62");
    expect([prefixUpperBound("6109"), prefixUpperBound("AZ"), prefixUpperBound("rr"), prefixUpperBound("R_")]).toEqual([null, null, null, null]);
    expect(await ids(customs, { goodsItems: { some: { quantity: { gte: 1 }, originCountry: { in: ["CN"] } } } })).toEqual(sorted(shirts, phones, cny, released));
    expect(await ids(customs, { goodsItems: { none: { hsCode: { startsWith: "61" } } } })).toEqual(sorted(phones, released));
    expect(await ids(customs, { holds: { some: { kind: { eq: "INSPECTION" }, status: { eq: "OPEN" } } } })).toEqual(sorted(phones));
    expect(await ids(customs, { riskAlerts: { some: { severity: { in: ["HIGH", "CRITICAL"] } } } })).toEqual(sorted(shirts));
  });

  it("no oracle through OR, NOT and relations: a hidden value decides nothing", async () => {
    // the carrier may not read COMMERCIAL: value conditions leave its parcels out, under OR and NOT too
    expect(await ids(carrier, {})).toEqual(sorted(shirts, phones));
    expect(await ids(carrier, { OR: [{ totalValue: { gt: "100" } }, { trackingNumber: { eq: "NOPE" } }] })).toEqual([]);
    expect(await ids(carrier, { NOT: { totalValue: { gt: "100" } } })).toEqual([]);
    expect(await ids(carrier, { goodsItems: { some: { hsCode: { startsWith: "61" } } } })).toEqual([]);
    expect(await ids(carrier, { goodsItems: { none: { hsCode: { startsWith: "61" } } } })).toEqual(sorted(shirts, phones));
    // RISK is not the carrier's: an alert it cannot read is as if absent
    expect(await ids(carrier, { riskAlerts: { some: { severity: { eq: "HIGH" } } } })).toEqual([]);
    expect(await ids(carrier, { riskAlerts: { none: { severity: { eq: "HIGH" } } } })).toEqual(sorted(shirts, phones));
    // the hold's STATUS is the carrier's to read (baseline): that one works
    expect(await ids(carrier, { holds: { some: { kind: { eq: "INSPECTION" } } } })).toEqual(sorted(phones));
    // the partner reads COMMERCIAL by agreement, but not RISK
    expect(await ids(partner, { totalValue: { gt: "100", currency: "EUR" } })).toEqual(sorted(shirts));
    expect(await ids(partner, { NOT: { riskAlerts: { some: { severity: { eq: "HIGH" } } } } })).toEqual(sorted(shirts, phones, cny));
    const count = await query(carrier, { where: { NOT: { totalValue: { gt: "100" } } } });
    expect(count.data!.declarations.totalCount).toBe(0);
  });

  it("invalid combinations are BAD_USER_INPUT naming them", async () => {
    const cases: [unknown, string][] = [
      [{ status: { eq: "FILED", in: ["FILED"] } }, "where.status: eq and in cannot be combined"],
      [{ goodsItems: { some: { hsCode: { eq: "61" } }, none: { hsCode: { eq: "62" } } } }, "where.goodsItems: some and none cannot be combined"],
      [{ OR: [] }, "where.OR: must not be empty"],
      [{ totalValue: { currency: "EUR" } }, "where.totalValue: names no operator"],
      [{ totalValue: { gt: "ten" } }, "where.totalValue.gt: must be an exact decimal"],
      [{ carrierId: { isNull: true, eq: carrier.id } }, "where.carrierId: isNull cannot be combined"],
      [{ NOT: {} }, "where.NOT: names no condition"],
    ];
    for (const [where, message] of cases) {
      const res = await query(customs, { where });
      expect({ where, code: res.errors?.[0].extensions!.code }).toEqual({ where, code: "BAD_USER_INPUT" });
      expect(res.errors![0].message).toContain(message);
    }
    const both = await t.exec(customs.principal, `{ declarations(first: 5, filter: { currency: "EUR" }, where: { currency: { eq: "EUR" } }) { totalCount } }`);
    expect(both.errors![0].message).toContain("where: cannot be combined with filter");
  });

  it("the cost limit answers QUERY_TOO_COMPLEX", async () => {
    const where = { OR: Array.from({ length: 300 }, (_, i) => ({ trackingNumber: { eq: `T${i}` } })) };
    const res = await query(customs, { where, first: 1000 });
    expect(res.errors![0].extensions!.code).toBe("QUERY_TOO_COMPLEX");
    expect(res.errors![0].message).toContain("HUB_ANALYTICS_MAX_COST");
    const small = await query(customs, { where, first: 10 });
    expect(small.errors).toBeUndefined();
  });

  it("multi-key keyset pagination is stable while declarations arrive", async () => {
    const sortBy = [{ field: "DESTINATION", direction: "ASC" }, { field: "FILED_AT", direction: "DESC" }];
    const before = await ids(customs, {}, { sortBy });
    const seen: string[] = [];
    let after: string | null = null;
    for (let round = 0; round < 10; round++) {
      const [res]: [any, unknown] = await Promise.all([
        query(customs, { where: { destinationCountry: { in: ["DE", "FR"] } }, sortBy, first: 1, after }),
        file(platform, { totalValue: "5.00", goodsItems: [item({ value: "5.00" })] }), // arrives meanwhile
      ]);
      expect(res.errors).toBeUndefined();
      seen.push(...res.data!.declarations.edges.map((e: any) => e.node.id));
      after = res.data!.declarations.pageInfo.endCursor;
      if (!res.data!.declarations.pageInfo.hasNextPage) break;
    }
    expect(new Set(seen).size).toBe(seen.length); // nothing twice
    for (const id of before) if (seen.length >= before.length) expect(seen).toContain(id); // nothing skipped
    const garbage = await query(customs, { sortBy, after: "bm90LWEtY3Vyc29y" });
    expect(garbage.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });

  it("filters, counts and aggregates over another holder's data are in its access log, marked", async () => {
    await query(customs, { where: { totalValue: { gt: "60" } } }).then((r) => r.data!.declarations.totalCount);
    await t.exec(customs.principal, `{ declarationStats(groupBy: [DESTINATION], minGroupSize: 5) { groups { count } } }`);
    await t.hub.accessLog.flush();
    const entries = await t.db.prisma.accessLogEntry.findMany({ where: { holderId: platform.id, viewerPartyId: customs.id, inference: { not: null } } });
    const kinds = [...new Set(entries.map((e) => e.inference))];
    expect(kinds).toEqual(expect.arrayContaining(["filter", "count", "aggregate", "sort"]));
    const filter = entries.find((e) => e.inference === "filter" && e.categories.includes("COMMERCIAL") && e.recordIds.includes(shirts.id))!;
    expect(filter.recordIds).toEqual(expect.arrayContaining(sorted(shirts, phones)));
    expect(filter.categories).toContain("COMMERCIAL");
    expect(filter.basis).toBe("baseline:destination-customs");
    const aggregate = entries.find((e) => e.inference === "aggregate")!;
    expect(aggregate.recordCount).toBeGreaterThanOrEqual(3);
    // the viewer's own data is not logged, and a party whose data was not used is not either
    const carrierEntries = await t.db.prisma.accessLogEntry.count({ where: { holderId: carrier.id, inference: { not: null } } });
    expect(carrierEntries).toBe(0);
  });
});
