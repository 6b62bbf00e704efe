/**
 * The carried and named-platform baselines in the policy's SQL are stated on the column a
 * viewer's kind can be named in (a carrier in carrierId, a post in postId: filing refuses
 * any other kind there). Checked both ways through analytics: each viewer finds exactly the
 * parcels it is named on (and its own filings), nothing of the others'; an agreement
 * limited to what the grantee carries grants a party that carries nothing nothing.
 */
import { createContext } from "../../src/context/context";
import { DataCategory } from "../../src/authz/categories";
import { PolicySql } from "../../src/authz/policy-sql";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const PAGE = `query Page($where: DeclarationWhere) {
  declarations(where: $where, first: 50) { totalCount edges { node { trackingNumber } } }
}`;

describe("the carried baseline in SQL, by the viewer's kind", () => {
  let t: TestHub;
  let seller: TestParty, platform: TestParty, carrier: TestParty, post: TestParty, otherCarrier: TestParty;
  const parcels: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    seller = await makeParty(t, "PLATFORM", "IE", "Seller platform");
    platform = await makeParty(t, "PLATFORM", "IE", "Named platform");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    post = await makeParty(t, "POST", "DE", "Post");
    otherCarrier = await makeParty(t, "CARRIER", "NL", "Other carrier");
    const named = {
      both: { carrierId: carrier.id, postId: post.id },
      carrierOnly: { carrierId: carrier.id },
      postOnly: { postId: post.id },
      other: { carrierId: otherCarrier.id, platformId: platform.id },
      none: {},
    };
    for (const [key, refs] of Object.entries(named)) {
      const { declaration } = await t.hub.services.declarations.filing.fileOne(seller.principal, declarationInput(refs) as never);
      parcels[key] = declaration.trackingNumber;
    }
    // COMMERCIAL on what each grantee carries: the carrier and the post read values of their
    // own parcels; the named platform carries nothing, so the agreement grants it nothing
    for (const grantee of [carrier, post, platform]) await makeAgreement(t, seller, grantee, { categories: ["COMMERCIAL"], scopeOnlyCarried: true });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const seen = async (viewer: TestParty, where: Record<string, unknown>) => {
    const res = await t.exec(viewer.principal, PAGE, { where });
    expect(res.errors).toBeUndefined();
    const found = res.data!.declarations.edges.map((e: { node: { trackingNumber: string } }) => e.node.trackingNumber).sort();
    expect(res.data!.declarations.totalCount).toBe(found.length);
    return found;
  };
  const tracking = (...keys: string[]) => keys.map((k) => parcels[k]).sort();

  it("each finds by STATUS exactly the parcels it is named on", async () => {
    const status = { status: { eq: "FILED" } };
    expect(await seen(carrier, status)).toEqual(tracking("both", "carrierOnly"));
    expect(await seen(post, status)).toEqual(tracking("both", "postOnly"));
    expect(await seen(otherCarrier, status)).toEqual(tracking("other"));
    expect(await seen(platform, status)).toEqual(tracking("other"));
  });

  it("an agreement for what the grantee carries: by value, the carrier and the post their parcels; the platform nothing more", async () => {
    const value = { totalValue: { gte: "0", currency: "EUR" } };
    expect(await seen(carrier, value)).toEqual(tracking("both", "carrierOnly"));
    expect(await seen(post, value)).toEqual(tracking("both", "postOnly"));
    // its baseline (COMMERCIAL as the named platform) alone
    expect(await seen(platform, value)).toEqual(tracking("other"));
  });

  it("states a carrier's basis on carrierId alone and a post's on postId alone; agreement scopes in the columns' type", async () => {
    const sqlOf = async (viewer: TestParty) => {
      const policy = await createContext(t.hub, viewer.principal).authz.policy();
      return new PolicySql(policy).readable("d", [DataCategory.TRANSPORT, DataCategory.COMMERCIAL]).text;
    };
    const carrierSql = await sqlOf(carrier);
    expect(carrierSql).toMatch(/d\."carrierId" = \$\d+::uuid/);
    expect(carrierSql).not.toMatch(/postId/);
    const postSql = await sqlOf(post);
    expect(postSql).toMatch(/d\."postId" = \$\d+::uuid/);
    expect(postSql).not.toMatch(/carrierId/);
    expect(await sqlOf(platform)).not.toMatch(/carrierId|postId/);
    await makeAgreement(t, seller, carrier, { categories: ["TRANSPORT"], scopeDestinations: ["DE"], scopeOrigins: ["CN"] });
    const scoped = await sqlOf(carrier);
    expect(scoped).toMatch(/d\."destinationCountry" = ANY\(\$\d+::bpchar\[\]\)/);
    expect(scoped).toMatch(/d\."originCountry" = ANY\(\$\d+::bpchar\[\]\)/);
  });
});
