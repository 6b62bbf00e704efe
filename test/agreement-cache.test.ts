/** The policy's agreement cache never outlives a change made through the API. */
import "reflect-metadata";
import { createContext } from "../src/context/context";
import { AgreementService } from "../src/modules/agreements";
import { declarationInput, makeParty, startTestHub, type TestHub } from "./testkit/hub";

describe("agreements in force, cached", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ http: false, env: { HUB_AGREEMENT_CACHE_MS: "60000" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("a revocation through the API ends access at once, on this instance and on another", async () => {
    const platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    const partner = await makeParty(t, "CARRIER", "NL", "Partner");
    const { declaration } = await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never);
    const other = new AgreementService(t.db.prisma, t.hub.services.writes, t.hub.events, 60_000); // a second instance's cache

    const proposed = await t.hub.services.agreements.propose(createContext(t.hub, partner.principal), {
      grantorId: platform.id,
      granteeId: partner.id,
      purpose: "delivery",
      legalBasis: "contract",
      categories: ["STATUS"],
      contributions: [],
    } as never);
    const read = () => t.exec(partner.principal, `query($id: ID!) { declaration(id: $id) { status } }`, { id: declaration.id });
    expect((await read()).errors?.[0].extensions?.code).toBe("NOT_FOUND");
    expect(await other.inForceFor(partner.id, new Date())).toEqual([]); // cached: empty

    await t.hub.services.agreements.accept(createContext(t.hub, platform.principal), proposed.id);
    await new Promise((r) => setTimeout(r, 20)); // the change event reaches the other instance
    expect((await read()).data?.declaration.status).toBe("FILED");
    expect((await other.inForceFor(partner.id, new Date())).map((a) => a.id)).toEqual([proposed.id]);

    await t.hub.services.agreements.revoke(createContext(t.hub, platform.principal), proposed.id, "ended");
    await new Promise((r) => setTimeout(r, 20));
    expect((await read()).errors?.[0].extensions?.code).toBe("NOT_FOUND");
    expect(await other.inForceFor(partner.id, new Date())).toEqual([]);
  });

  it("expiry needs no flush: validity is checked against the time of each request", async () => {
    const grantor = await makeParty(t, "PLATFORM", "IE", "P2");
    const grantee = await makeParty(t, "CARRIER", "NL", "C2");
    const now = Date.now();
    await t.db.prisma.agreement.create({
      data: { grantorId: grantor.id, granteeId: grantee.id, proposedById: grantee.id, purpose: "p", legalBasis: "l", categories: ["STATUS"], status: "ACTIVE", validFrom: new Date(now - 1000), validTo: new Date(now + 60_000) },
    });
    const svc = new AgreementService(t.db.prisma, t.hub.services.writes, t.hub.events, 60_000);
    expect(await svc.inForceFor(grantee.id, new Date(now))).toHaveLength(1);
    expect(await svc.inForceFor(grantee.id, new Date(now + 61_000))).toHaveLength(0);
    expect(await svc.inForceFor(grantee.id, new Date(now - 2000))).toHaveLength(0);
  });
});
