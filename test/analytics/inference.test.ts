/**
 * Access-log records for inference through relations: a filter, count or aggregate that
 * compares another holder's related records (a hold's placer, an alert's raiser, a status
 * event's recorder, the filer's goods items) puts an entry marked as inference in that
 * holder's accessLog, under the basis that let the viewer read them, and in no one else's.
 */
import type { Declaration } from "../../src/generated/prisma/client";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const PAGE = `query Page($where: DeclarationWhere) { declarations(where: $where, first: 50) { edges { node { id } } } }`;
const COUNT = `query Count($where: DeclarationWhere) { declarations(where: $where, first: 1) { totalCount } }`;
const STATS = `query Stats($where: DeclarationWhere) { declarationStats(where: $where, minGroupSize: 1) { groups { count } } }`;
const LOG = `query Log($viewer: ID) { accessLog(viewerPartyId: $viewer, first: 1000) { recordType categories basis agreementId inference recordCount } }`;

describe("inference through relations in the holders' access logs", () => {
  let t: TestHub;
  let platform: TestParty, carrier: TestParty, customs: TestParty, outsider: TestParty;
  let agreementId: string;
  let alerted: Declaration, held: Declaration, plain: Declaration;

  const file = async (over: Record<string, unknown>) =>
    (await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput(over) as never)).declaration;
  const run = async (viewer: TestParty, query: string, where: unknown) => {
    const res = await t.exec(viewer.principal, query, { where });
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  /** `holder`'s accessLog entries marked as inference, of reads by `viewer`. */
  const inferences = async (holder: TestParty, viewer: TestParty) => {
    const res = await t.exec(holder.principal, LOG, { viewer: viewer.id });
    expect(res.errors).toBeUndefined();
    return (res.data!.accessLog as { recordType: string; categories: string[]; basis: string; agreementId: string | null; inference: string | null; recordCount: number }[]).filter(
      (e) => e.inference !== null,
    );
  };
  const clearLog = async () => {
    await t.hub.accessLog.flush();
    await t.db.prisma.accessLogEntry.deleteMany({});
  };

  beforeAll(async () => {
    t = await startTestHub({ http: false, env: { HUB_STATS_MIN_GROUP_SIZE: "1" } });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    outsider = await makeParty(t, "CUSTOMS", "FR", "Douane");
    // customs shares its risk findings with the carrier; the outsider shares nothing
    agreementId = (await makeAgreement(t, customs, carrier, { categories: ["RISK"] })).id;
    alerted = await file({ carrierId: carrier.id });
    held = await file({ carrierId: carrier.id });
    plain = await file({ carrierId: carrier.id });
    await t.db.prisma.riskAlert.create({ data: { declarationId: alerted.id, raisedById: customs.id, severity: "HIGH", reasonCode: "UNDERVAL", reason: "low value" } });
    // an alert the carrier may not read: it decides nothing and its raiser is not logged
    await t.db.prisma.riskAlert.create({ data: { declarationId: held.id, raisedById: outsider.id, severity: "HIGH", reasonCode: "UNDERVAL", reason: "x" } });
    await t.db.prisma.hold.create({ data: { declarationId: held.id, placedById: customs.id, kind: "INSPECTION", reason: "x-ray" } });
    await t.db.prisma.statusEvent.create({ data: { declarationId: plain.id, recordedById: carrier.id, code: "EMC", occurredAt: new Date() } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("a filter through alerts, by a party with an agreement, is in the alerts' raiser's log under that agreement", async () => {
    await clearLog();
    const page = await run(carrier, PAGE, { riskAlerts: { some: { severity: { eq: "HIGH" } } } });
    expect(page.declarations.edges.map((e: any) => e.node.id)).toEqual([alerted.id]);
    const entries = await inferences(customs, carrier);
    expect(entries).toEqual([{ recordType: "RiskAlert", categories: ["RISK"], basis: "agreement", agreementId, inference: "filter", recordCount: 1 }]);
    // the outsider's alert was not readable: nothing was learned from it, nothing is logged
    expect(await inferences(outsider, carrier)).toEqual([]);
    // the filer's own fields were not compared: no filter entry for it
    expect((await inferences(platform, carrier)).filter((e) => e.inference === "filter")).toEqual([]);
  });

  it("a filter, a count and an aggregate through holds are in the hold's placer's log (carrier baseline)", async () => {
    await clearLog();
    const where = { holds: { some: { kind: { eq: "INSPECTION" } } } };
    expect((await run(carrier, PAGE, where)).declarations.edges.map((e: any) => e.node.id)).toEqual([held.id]);
    expect((await run(carrier, COUNT, where)).declarations.totalCount).toBe(1);
    expect((await run(carrier, STATS, where)).declarationStats.groups).toEqual([{ count: 1 }]);
    const entries = await inferences(customs, carrier);
    // one hold each time: the page, the count's page of one (filter), the count, the aggregate
    // (reads within one flush window are merged into one entry, their counts added)
    const used: Record<string, number> = {};
    for (const e of entries) used[e.inference!] = (used[e.inference!] ?? 0) + e.recordCount;
    expect(used).toEqual({ filter: 2, count: 1, aggregate: 1 });
    for (const e of entries) expect(e).toMatchObject({ recordType: "Hold", categories: ["STATUS"], basis: "baseline:named-carrier" });
  });

  it("none: the related records it was evaluated on, on the declarations measured, are logged", async () => {
    await clearLog();
    const stats = await run(carrier, STATS, { riskAlerts: { none: { severity: { eq: "LOW" } } } });
    expect(stats.declarationStats.groups).toEqual([{ count: 3 }]);
    expect(await inferences(customs, carrier)).toEqual([
      { recordType: "RiskAlert", categories: ["RISK"], basis: "agreement", agreementId, inference: "aggregate", recordCount: 1 },
    ]);
    expect(await inferences(outsider, carrier)).toEqual([]);
  });

  it("customs filtering through goods items and status events: the filer's and the carrier's logs show it", async () => {
    await clearLog();
    await run(customs, PAGE, { goodsItems: { some: { hsCode: { startsWith: "61" } } } });
    const filer = await inferences(platform, customs);
    expect(filer).toEqual(
      expect.arrayContaining([
        { recordType: "GoodsItem", categories: ["COMMERCIAL"], basis: "baseline:destination-customs", agreementId: null, inference: "filter", recordCount: 6 }, // two items each
      ]),
    );
    await run(customs, PAGE, { statusEvents: { some: { code: { eq: "EMC" } } } });
    expect(await inferences(carrier, customs)).toEqual([
      { recordType: "StatusEvent", categories: ["STATUS"], basis: "baseline:destination-customs", agreementId: null, inference: "filter", recordCount: 1 },
    ]);
  });

  it("the fixed filter and one sort key (the plain path) log the filers' data they used, and its count too", async () => {
    await clearLog();
    const res = await t.exec(
      customs.principal,
      `{ declarations(filter: { minTotalValue: "1" }, orderBy: { field: GROSS_WEIGHT, direction: ASC }, first: 2) { totalCount edges { node { id } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.declarations.totalCount).toBe(3);
    const entries = await inferences(platform, customs);
    const of = (inference: string) => entries.filter((e) => e.inference === inference);
    expect(of("filter")).toEqual([expect.objectContaining({ recordType: "Declaration", categories: ["COMMERCIAL"], basis: "baseline:destination-customs", recordCount: 2 })]);
    expect(of("sort")).toEqual([expect.objectContaining({ categories: ["TRANSPORT"], recordCount: 2 })]);
    expect(of("count")).toEqual([expect.objectContaining({ categories: expect.arrayContaining(["COMMERCIAL", "TRANSPORT"]), recordCount: 3 })]);
    // the carrier's own listing of what it carries: the filer's data, under the carrier baseline
    await run(carrier, PAGE, undefined);
    expect((await inferences(platform, carrier)).map((e) => [e.inference, e.basis])).toEqual([["sort", "baseline:named-carrier"]]);
  });

  it("a filter, count and aggregate on the viewer's own data only log nothing for anyone else", async () => {
    await clearLog();
    // the platform's own declarations, by its own goods items and fields
    const own = { AND: [{ goodsItems: { some: { hsCode: { startsWith: "61" } } } }, { totalValue: { gt: "1" } }] };
    expect((await run(platform, PAGE, own)).declarations.edges).toHaveLength(3);
    expect((await run(platform, COUNT, own)).declarations.totalCount).toBe(3);
    await run(platform, STATS, own);
    // customs, through the holds it placed itself
    expect((await run(customs, PAGE, { holds: { some: { kind: { eq: "INSPECTION" } } } })).declarations.edges).toHaveLength(1);
    await t.hub.accessLog.flush();
    const others = await t.db.prisma.accessLogEntry.findMany({ where: { inference: { not: null }, viewerPartyId: platform.id } });
    expect(others).toEqual([]);
    const holds = await t.db.prisma.accessLogEntry.findMany({ where: { viewerPartyId: customs.id, recordType: { not: "Declaration" } } });
    expect(holds).toEqual([]);
    const filterOnFiler = await t.db.prisma.accessLogEntry.findMany({ where: { viewerPartyId: customs.id, inference: "filter" } });
    expect(filterOnFiler).toEqual([]);
  });
});
