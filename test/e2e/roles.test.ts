/** The partner journeys of the README, over HTTP with typed operations (codegen). */
import { ClearanceStatusDocument, DeclarationsForCustomsDocument, FileDeclarationsDocument } from "../generated/graphql";
import { declarationInput, makeParty, startTestHub, typedHttp, type TestHub, type TestParty } from "../testkit/hub";

describe("partner journeys", () => {
  let t: TestHub;
  let platform: TestParty, carrier: TestParty, customs: TestParty;

  beforeAll(async () => {
    t = await startTestHub();
    platform = await makeParty(t, "PLATFORM", "IE", "ShopWorld");
    carrier = await makeParty(t, "CARRIER", "DE", "SwiftAir");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("a platform bulk-files; a bad item fails alone; a replay is idempotent", async () => {
    const inputs = [0, 1, 2].map(() => declarationInput({ carrierId: carrier.id }));
    inputs[1] = { ...inputs[1], goodsItems: [{ ...inputs[1].goodsItems[0], hsCode: "12" }] };
    const first = await typedHttp(t, platform.key, FileDeclarationsDocument, { declarations: inputs as never });
    expect(first.errors).toBeUndefined();
    expect(first.data!.fileDeclarations).toMatchObject({ createdCount: 2, failedCount: 1 });
    expect(first.data!.fileDeclarations.results[1].error).toMatchObject({ code: "BAD_USER_INPUT", path: "declarations[1].goodsItems[0].hsCode" });
    const again = await typedHttp(t, platform.key, FileDeclarationsDocument, { declarations: [inputs[0]] as never });
    expect(again.data!.fileDeclarations).toMatchObject({ createdCount: 0, replayedCount: 1 });
    expect(again.data!.fileDeclarations.results[0].declaration!.id).toBe(first.data!.fileDeclarations.results[0].declaration!.id);
  });

  it("a carrier reads the clearance status of a parcel it carries", async () => {
    const tn = "RR123456785CN";
    await typedHttp(t, platform.key, FileDeclarationsDocument, { declarations: [declarationInput({ carrierId: carrier.id, trackingNumber: tn })] as never });
    const res = await typedHttp(t, carrier.key, ClearanceStatusDocument, { trackingNumber: tn.toLowerCase() });
    expect(res.data!.clearanceStatus).toMatchObject({ trackingNumber: tn, status: "FILED", onHold: false, openHoldKinds: [] });
    const stranger = await makeParty(t, "CARRIER", "FR", "Other carrier");
    const denied = await typedHttp(t, stranger.key, ClearanceStatusDocument, { trackingNumber: tn });
    expect(denied.errors![0].extensions.code).toBe("NOT_FOUND");
  });

  it("customs page through their territory with cursors", async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let total = 0;
    do {
      const res: any = await typedHttp(t, customs.key, DeclarationsForCustomsDocument, { first: 2, after });
      expect(res.errors).toBeUndefined();
      total = res.data!.declarations.totalCount;
      for (const e of res.data!.declarations.edges) {
        expect(seen.has(e.node.id)).toBe(false);
        seen.add(e.node.id);
        expect(e.node.buyerName).toBe("Erika Mustermann");
      }
      after = res.data!.declarations.pageInfo.hasNextPage ? res.data!.declarations.pageInfo.endCursor : null;
    } while (after);
    expect(seen.size).toBe(total);
    expect(total).toBe(3);
  });
});
