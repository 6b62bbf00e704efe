/**
 * Filters, ordering, cursors and counts must never answer a question about a value the
 * viewer cannot read.
 */
import type { Declaration } from "../../src/generated/prisma/client";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const PAGE = `query Page($filter: DeclarationFilter, $order: DeclarationOrder, $first: Int!, $after: String) {
  declarations(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount edges { cursor node { id trackingNumber } } pageInfo { hasNextPage endCursor }
  }
}`;

describe("no oracle through filters, ordering, cursors and counts", () => {
  let t: TestHub;
  let platform: TestParty, carrier: TestParty, partner: TestParty, customs: TestParty;
  let cheap: Declaration, dear: Declaration, hidden: Declaration;

  const file = async (filer: TestParty, over: Record<string, unknown>) =>
    (await t.hub.services.declarations.filing.fileOne(filer.principal, declarationInput(over) as never)).declaration;
  const page = async (viewer: TestParty, vars: Record<string, unknown>) => {
    const res = await t.exec(viewer.principal, PAGE, { first: 50, ...vars });
    return res;
  };
  const ids = (res: any) => res.data.declarations.edges.map((e: any) => e.node.id).sort();

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    partner = await makeParty(t, "CARRIER", "NL", "Partner with COMMERCIAL");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    const other = await makeParty(t, "PLATFORM", "IE", "Other platform");
    cheap = await file(platform, { carrierId: carrier.id, totalValue: "20.00" });
    dear = await file(platform, { carrierId: carrier.id, totalValue: "5000.00" });
    hidden = await file(other, { totalValue: "7000.00" }); // nothing to do with the carrier
    await makeAgreement(t, platform, partner, { categories: ["STATUS", "COMMERCIAL"] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("sanity: the carrier sees both parcels it carries, and not their values", async () => {
    const res = await page(carrier, {});
    expect(ids(res)).toEqual([cheap.id, dear.id].sort());
    const v = await t.exec(carrier.principal, `query($id: ID!) { declaration(id: $id) { totalValue } }`, { id: dear.id });
    expect(v.data!.declaration.totalValue).toBeNull();
    expect(v.errors![0].extensions!.code).toBe("FORBIDDEN");
  });

  it("a value filter on a hidden category matches nothing, and counts nothing", async () => {
    for (const filter of [{ minTotalValue: "1000" }, { maxTotalValue: "1000" }, { currency: "EUR" }, { hsCodePrefix: "8518" }, { platformId: platform.id }]) {
      const res = await page(carrier, { filter });
      expect({ filter, ids: ids(res), count: res.data!.declarations.totalCount }).toEqual({ filter, ids: [], count: 0 });
    }
    // the same filters do work for a party the agreement lets read COMMERCIAL
    const res = await page(partner, { filter: { minTotalValue: "1000" } });
    expect(ids(res)).toEqual([dear.id]);
    expect(res.data!.declarations.totalCount).toBe(1);
  });

  it("a PARTIES filter is no way to learn who filed", async () => {
    const res = await page(carrier, { filter: { filerId: platform.id } });
    expect(res.data!.declarations.totalCount).toBe(0);
  });

  it("sorting by a hidden value returns no row ranked by it", async () => {
    const res = await page(carrier, { order: { field: "TOTAL_VALUE", direction: "DESC" } });
    expect(ids(res)).toEqual([]);
    const partnerView = await page(partner, { order: { field: "TOTAL_VALUE", direction: "DESC" } });
    expect(partnerView.data!.declarations.edges.map((e: any) => e.node.id)).toEqual([dear.id, cheap.id]);
  });

  it("sorting by a readable value works and pages with cursors", async () => {
    const first = await page(carrier, { first: 1, order: { field: "GROSS_WEIGHT", direction: "ASC" } });
    expect(first.data!.declarations.pageInfo.hasNextPage).toBe(true);
    const next = await page(carrier, { first: 1, after: first.data!.declarations.pageInfo.endCursor, order: { field: "GROSS_WEIGHT", direction: "ASC" } });
    expect(next.data!.declarations.edges).toHaveLength(1);
    expect(next.data!.declarations.edges[0].node.id).not.toBe(first.data!.declarations.edges[0].node.id);
    expect(next.data!.declarations.pageInfo.hasNextPage).toBe(false);
  });

  it("a forged cursor pointing at a hidden row is refused like garbage", async () => {
    const forged = Buffer.from(hidden.id).toString("base64url");
    const res = await page(carrier, { after: forged, order: { field: "TOTAL_VALUE", direction: "ASC" } });
    const garbage = await page(carrier, { after: "not-a-cursor" });
    expect(res.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(res.errors![0].message).toBe(garbage.errors![0].message);
    // a cursor of a visible row used under a filter that excludes it is refused too
    const own = Buffer.from(dear.id).toString("base64url");
    const filtered = await page(partner, { after: own, filter: { maxTotalValue: "100" } });
    expect(filtered.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });

  it("a hidden record and a missing one answer alike", async () => {
    const hiddenRes = await t.exec(carrier.principal, `query($id: ID!) { declaration(id: $id) { id } }`, { id: hidden.id });
    const missingId = "00000000-0000-4000-8000-000000000000";
    const missingRes = await t.exec(carrier.principal, `query($id: ID!) { declaration(id: $id) { id } }`, { id: missingId });
    expect(hiddenRes.errors![0].extensions!.code).toBe("NOT_FOUND");
    expect(hiddenRes.errors![0].message.replace(hidden.id, "X")).toBe(missingRes.errors![0].message.replace(missingId, "X"));
    const tnHidden = await t.exec(carrier.principal, `query($tn: String!) { clearanceStatus(trackingNumber: $tn) { status } }`, { tn: hidden.trackingNumber });
    const tnMissing = await t.exec(carrier.principal, `query($tn: String!) { clearanceStatus(trackingNumber: $tn) { status } }`, { tn: "ZZ999999999ZZ" });
    expect(tnHidden.errors![0].extensions!.code).toBe("NOT_FOUND");
    expect(tnMissing.errors![0].extensions!.code).toBe("NOT_FOUND");
  });

  it("the destination customs sees and counts everything for its territory", async () => {
    const res = await page(customs, { filter: { minTotalValue: "1000" } });
    expect(ids(res)).toEqual([dear.id, hidden.id].sort());
  });

  // TOTAL_VALUE (ranked in the reference currency) and several sort keys are answered on the
  // analytics path: the fixed filter must apply there too, with the same meaning
  it("the fixed filter applies whatever the sort, and still only where the viewer reads it", async () => {
    const order = (field: string, direction = "ASC") => ({ order: { field, direction } });
    const inOrder = (res: any) => res.data.declarations.edges.map((e: any) => e.node.id);
    const byFiler = await page(customs, { filter: { filerId: platform.id }, ...order("TOTAL_VALUE") });
    expect({ ids: inOrder(byFiler), count: byFiler.data!.declarations.totalCount }).toEqual({ ids: [cheap.id, dear.id], count: 2 });
    // the partner reads STATUS and COMMERCIAL, not PARTIES: a filer filter matches nothing
    for (const field of ["TOTAL_VALUE", "FILED_AT"]) {
      const res = await page(partner, { filter: { filerId: platform.id }, ...order(field) });
      expect({ field, ids: ids(res), count: res.data!.declarations.totalCount }).toEqual({ field, ids: [], count: 0 });
    }
    const dearest = await page(customs, { filter: { minTotalValue: "1000" }, ...order("TOTAL_VALUE", "DESC") });
    expect(inOrder(dearest)).toEqual([hidden.id, dear.id]);
    const carried = await page(carrier, { filter: { carrierId: carrier.id }, ...order("TOTAL_VALUE") });
    expect(ids(carried)).toEqual([]); // the carrier may not rank by value

    // several sort keys; min/maxTotalValue compare the amount as stated, in any currency
    const usd = await file(platform, { totalValue: "900.00", currency: "USD" });
    const sorted = await t.exec(customs.principal, `query($filter: DeclarationFilter) {
      declarations(filter: $filter, sortBy: [{ field: STATUS }, { field: FILED_AT, direction: ASC }], first: 50) { totalCount edges { node { id } } } }`, {
      filter: { minTotalValue: "800", maxTotalValue: "950.00" },
    });
    expect(sorted.errors).toBeUndefined();
    expect(sorted.data!.declarations.edges.map((e: any) => e.node.id)).toEqual([usd.id]);

    // bad input is named in the filter on both paths
    for (const field of ["TOTAL_VALUE", "FILED_AT"]) {
      const bad = await page(customs, { filter: { destinationCountry: ["DE", "Germany"], currency: "euro" }, ...order(field) });
      expect(bad.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
      expect(bad.errors![0].message).toContain("filter.destinationCountry[1]");
      expect(bad.errors![0].message).toContain("filter.currency");
    }
  });
});
