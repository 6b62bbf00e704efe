import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

const LOG = `{ accessLog(first: 100) { viewer { id } recordType recordIds categories basis agreementId } }`;

describe("access log: data holders see who read their data", () => {
  let t: TestHub;
  let platform: TestParty, customs: TestParty, partner: TestParty;
  let declarationId: string;

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    partner = await makeParty(t, "CARRIER", "NL", "Partner");
    ({ declaration: { id: declarationId } } = await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("records a customs read under the statutory baseline, with the categories read", async () => {
    await t.exec(customs.principal, `query($id: ID!) { declaration(id: $id) { status totalValue buyerName goodsItems { hsCode } } }`, { id: declarationId });
    const log = await t.exec(platform.principal, LOG);
    const entries = log.data!.accessLog.filter((e: any) => e.viewer.id === customs.id);
    const decl = entries.find((e: any) => e.recordType === "Declaration");
    expect(decl).toMatchObject({ recordIds: [declarationId], basis: "baseline:destination-customs", agreementId: null });
    expect(decl.categories.sort()).toEqual(["COMMERCIAL", "PARTIES", "STATUS"]);
    expect(entries.find((e: any) => e.recordType === "GoodsItem").categories).toEqual(["COMMERCIAL"]);
  });

  it("names the agreement a read rested on", async () => {
    const agreement = await makeAgreement(t, platform, partner, { categories: ["STATUS", "COMMERCIAL"] });
    await t.exec(partner.principal, `{ declarations(first: 10) { edges { node { status totalValue } } } }`);
    const log = await t.exec(platform.principal, LOG);
    const entry = log.data!.accessLog.find((e: any) => e.viewer.id === partner.id);
    expect(entry).toMatchObject({ recordType: "Declaration", basis: "agreement", agreementId: agreement.id, recordIds: [declarationId] });
    expect(entry.categories.sort()).toEqual(["COMMERCIAL", "STATUS"]);
  });

  it("does not log a party reading its own data, nor a denied field", async () => {
    const before = await t.db.prisma.accessLogEntry.count();
    await t.exec(platform.principal, `query($id: ID!) { declaration(id: $id) { status totalValue } }`, { id: declarationId });
    await t.hub.accessLog.flush();
    expect(await t.db.prisma.accessLogEntry.count()).toBe(before);
    // the partner may not read PARTIES: nothing logged for it
    await t.exec(partner.principal, `query($id: ID!) { declaration(id: $id) { buyerName } }`, { id: declarationId });
    await t.hub.accessLog.flush();
    expect(await t.db.prisma.accessLogEntry.count()).toBe(before);
  });

  it("shows a holder nothing about other holders' data", async () => {
    const log = await t.exec(customs.principal, LOG);
    expect(log.data!.accessLog).toEqual([]);
  });

  it("merges a viewer's repeated reads within one flush window, keeping the time of the first", async () => {
    const second = (await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
    await t.hub.accessLog.flush();
    const before = new Date();
    // three reads recorded within one window (the writer's timer has not fired in between)
    const read = (id: string) => ({
      holderId: platform.id, viewerPartyId: customs.id, apiKeyId: customs.principal.apiKeyId, operationName: "Poll",
      recordType: "Declaration", recordIds: [id], categories: ["STATUS" as const], basis: "baseline:destination-customs", agreementId: null, at: new Date(),
    });
    t.hub.accessLog.enqueue([read(declarationId)]);
    t.hub.accessLog.enqueue([read(second.id)]);
    t.hub.accessLog.enqueue([read(declarationId)]);
    await t.hub.accessLog.flush();
    const rows = await t.db.prisma.accessLogEntry.findMany({ where: { viewerPartyId: customs.id, operationName: "Poll" } });
    expect(rows).toHaveLength(1);
    expect(rows[0].recordIds.sort()).toEqual([declarationId, second.id].sort());
    expect(Math.abs(rows[0].at.getTime() - before.getTime())).toBeLessThan(5000);
  });

  it("flushes queued records on a clean stop", async () => {
    t.hub.accessLog.enqueue([
      { holderId: platform.id, viewerPartyId: customs.id, apiKeyId: null, operationName: "Late", recordType: "Declaration", recordIds: [declarationId], categories: ["STATUS"], basis: "baseline:destination-customs", agreementId: null, at: new Date() },
    ]);
    await t.hub.accessLog.close();
    expect(await t.db.prisma.accessLogEntry.count({ where: { operationName: "Late" } })).toBe(1);
  });
});
