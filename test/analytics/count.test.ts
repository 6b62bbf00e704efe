/**
 * totalCount is bounded: exact up to HUB_COUNT_LIMIT, past it the limit with
 * totalCountIsExact false; on both paths (the fixed filter through Prisma, `where` through
 * the analytics compiler), and always under the policy (only what the viewer may see counts).
 */
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const PAGE = `query Page($where: DeclarationWhere, $filter: DeclarationFilter) {
  declarations(where: $where, filter: $filter, first: 2) { totalCount totalCountIsExact edges { node { id } } }
}`;

describe("bounded totalCount", () => {
  let t: TestHub;
  let platform: TestParty, customsDE: TestParty, customsFR: TestParty;

  beforeAll(async () => {
    t = await startTestHub({ http: false, env: { HUB_COUNT_LIMIT: "3" } });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    customsFR = await makeParty(t, "CUSTOMS", "FR", "Douane");
    for (let i = 0; i < 5; i++) await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput({ originCountry: i < 2 ? "HK" : "CN" }) as never);
    for (let i = 0; i < 2; i++) {
      await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput({ destinationCountry: "FR", buyerCountry: "FR" }) as never);
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  const count = async (viewer: TestParty, vars: Record<string, unknown>) => {
    const res = await t.exec(viewer.principal, PAGE, vars);
    expect(res.errors).toBeUndefined();
    const { totalCount, totalCountIsExact } = res.data!.declarations;
    return { totalCount, totalCountIsExact };
  };

  it("stops at the limit and says so, on the fixed filter and on where", async () => {
    expect(await count(customsDE, {})).toEqual({ totalCount: 3, totalCountIsExact: false });
    expect(await count(customsDE, { filter: { destinationCountry: ["DE"] } })).toEqual({ totalCount: 3, totalCountIsExact: false });
    expect(await count(customsDE, { where: { destinationCountry: { eq: "DE" } } })).toEqual({ totalCount: 3, totalCountIsExact: false });
    // the filer sees all seven of its own
    expect(await count(platform, { where: { currency: { eq: "EUR" } } })).toEqual({ totalCount: 3, totalCountIsExact: false });
  });

  it("is exact below the limit", async () => {
    expect(await count(customsDE, { where: { originCountry: { eq: "HK" } } })).toEqual({ totalCount: 2, totalCountIsExact: true });
    expect(await count(customsDE, { filter: { originCountry: ["HK"] } })).toEqual({ totalCount: 2, totalCountIsExact: true });
  });

  it("counts only what the viewer may see: FR customs see their two, exactly", async () => {
    expect(await count(customsFR, {})).toEqual({ totalCount: 2, totalCountIsExact: true });
    expect(await count(customsFR, { where: { currency: { eq: "EUR" } } })).toEqual({ totalCount: 2, totalCountIsExact: true });
  });
});
