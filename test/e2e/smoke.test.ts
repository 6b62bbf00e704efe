import { ADMIN_TOKEN, declarationInput, makeParty, startTestHub, type TestHub } from "../testkit/hub";

const FILE = `mutation File($input: DeclarationInput!) {
  fileDeclaration(input: $input) { created declaration { id status trackingNumber totalValue goodsItems { hsCode value } } }
}`;

describe("hub over HTTP", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t.stop();
  });

  it("refuses a wrong key with UNAUTHENTICATED and 401", async () => {
    const res = await t.http("lux_wrong", "{ me { role } }");
    expect(res.status).toBe(401);
    expect(res.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("asks for a key when none is sent", async () => {
    const res = await t.http(null, "{ me { role } }");
    expect(res.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(res.body.data).toBeNull();
  });

  it("lets the operator create a party and a key, shown once", async () => {
    const created = await t.http(
      ADMIN_TOKEN,
      `mutation { createParty(input: { name: "Bundeszoll", kind: CUSTOMS, country: "de" }) { id country } }`,
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createParty.country).toBe("DE");
    const key = await t.http(
      ADMIN_TOKEN,
      `mutation($p: ID!) { createApiKey(input: { partyId: $p, role: OFFICER, label: "desk" }) { secret key { role prefix } } }`,
      { p: created.body.data.createParty.id },
    );
    const secret = key.body.data.createApiKey.secret;
    expect(secret).toMatch(/^lux_/);
    const me = await t.http(secret, "{ me { role party { name } } }");
    expect(me.body.data.me).toEqual({ role: "OFFICER", party: { name: "Bundeszoll" } });
  });

  it("files a declaration and reads it back with exact decimals", async () => {
    const platform = await makeParty(t, "PLATFORM", "IE", "ShopWorld");
    const res = await t.http(platform.key, FILE, { input: declarationInput() });
    expect(res.body.errors).toBeUndefined();
    const d = res.body.data.fileDeclaration.declaration;
    expect(d.totalValue).toBe("120.5");
    expect(d.goodsItems.map((g: any) => g.hsCode)).toEqual(["851830", "610910"]);
  });

  it("reports bad input with the path and reason", async () => {
    const platform = await makeParty(t, "PLATFORM", "IE", "ShopBad");
    const res = await t.http(platform.key, FILE, { input: declarationInput({ currency: "EUX" }) });
    expect(res.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors[0].message).toContain("input.currency");
  });

  it("answers health and readiness", async () => {
    const base = t.server!.url.replace("/graphql", "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
