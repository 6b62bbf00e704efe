/** Relations go through DataLoaders: the SQL count of a nested query does not grow with rows. */
import { makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";
import { fileFullDeclaration } from "./authz/world";

const NESTED = `query($first: Int!) {
  declarations(first: $first) {
    edges { node {
      id status trackingNumber totalValue buyerName
      filer { name } carrier { name } platform { name }
      goodsItems { hsCode value } holds { kind reason } riskAlerts { reason } duties { amount } statusEvents { code }
    } }
  }
}`;

describe("no N+1", () => {
  let t: TestHub;
  let customs: TestParty, partner: TestParty;
  let statements = 0;

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    // the access log is written off the request path, in its own batches: not counted
    (t.db.prisma as any).$on("query", (e: { query: string }) => {
      if (!e.query.includes("AccessLogEntry")) statements++;
    });
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    partner = await makeParty(t, "CARRIER", "NL", "Partner");
    const platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    const carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    for (let i = 0; i < 40; i++) await fileFullDeclaration(t, platform, { carrier, platform }, customs);
    await makeAgreement(t, platform, partner, { categories: ["STATUS", "COMMERCIAL", "PARTIES", "TRANSPORT"] });
    await makeAgreement(t, customs, partner, { categories: ["RISK", "REVENUE", "STATUS"] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const count = async (principal: any, first: number) => {
    await t.hub.accessLog.flush();
    statements = 0;
    const res = await t.exec(principal, NESTED, { first });
    expect(res.data!.declarations.edges).toHaveLength(first);
    return statements;
  };

  it.each([
    ["destination customs", () => customs.principal],
    ["a party reading under agreements", () => partner.principal],
  ])("%s: the same number of statements for 4 and 40 declarations", async (_label, who) => {
    const few = await count(who(), 4);
    const many = await count(who(), 40);
    expect(many).toBe(few);
    // policy (1) + page (1) + parties (1) + one per child relation (5)
    expect(few).toBeLessThanOrEqual(8);
  });
});
