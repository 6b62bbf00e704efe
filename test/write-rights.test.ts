/** Who may call the directory, key and filing mutations (workflow ones: test/workflow.test.ts). */
import type { Principal } from "../src/authz/principal";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

describe("write rights: parties, keys, filing, agreements", () => {
  let t: TestHub;
  let platform: TestParty, customs: TestParty, other: TestParty;
  let operator: Principal;
  const code = (res: any) => res.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    other = await makeParty(t, "CARRIER", "NL", "Other");
    operator = { partyId: t.hub.services.parties.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null };
  });
  afterAll(async () => {
    await t?.stop();
  });

  const CREATE_PARTY = `mutation { createParty(input: { name: "X", kind: CARRIER, country: "DE" }) { id } }`;
  const CREATE_KEY = `mutation($p: ID!) { createApiKey(input: { partyId: $p, role: AGENT, label: "x" }) { secret } }`;

  it("only the operator creates parties and keys", async () => {
    for (const who of [platform.principal, customs.principal]) {
      expect(code(await t.exec(who, CREATE_PARTY))).toBe("FORBIDDEN");
      expect(code(await t.exec(who, CREATE_KEY, { p: who.partyId }))).toBe("FORBIDDEN");
    }
    expect(code(await t.exec(null, CREATE_PARTY))).toBe("UNAUTHENTICATED");
    expect((await t.exec(operator, CREATE_PARTY)).data!.createParty.id).toBeTruthy();
  });

  it("a key's role must fit its party", async () => {
    const res = await t.exec(operator, `mutation($p: ID!) { createApiKey(input: { partyId: $p, role: OFFICER, label: "x" }) { secret } }`, { p: platform.id });
    expect(code(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].message).toContain("input.role");
  });

  it("a party revokes its own keys only; a revoked key stops working", async () => {
    const key = await t.db.prisma.apiKey.findFirstOrThrow({ where: { partyId: platform.id } });
    expect(code(await t.exec(other.principal, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: key.id }))).toBe("NOT_FOUND");
    const ok = await t.exec(platform.principal, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: key.id });
    expect(ok.data!.revokeApiKey.revokedAt).toBeTruthy();
    await expect(t.hub.authenticator.authenticate(`Bearer ${platform.key}`)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });

  it("the operator files nothing and changes no agreement", async () => {
    const file = await t.exec(operator, `mutation($i: DeclarationInput!) { fileDeclaration(input: $i) { created } }`, { i: declarationInput() });
    expect(code(file)).toBe("FORBIDDEN");
    const propose = await t.exec(
      operator,
      `mutation($a: ID!, $b: ID!) { proposeAgreement(input: { grantorId: $a, granteeId: $b, purpose: "p", legalBasis: "l", categories: [STATUS] }) { id } }`,
      { a: platform.id, b: other.id },
    );
    expect(code(propose)).toBe("FORBIDDEN");
  });

  it("a party proposes only agreements it is part of", async () => {
    const res = await t.exec(
      other.principal,
      `mutation($a: ID!, $b: ID!) { proposeAgreement(input: { grantorId: $a, granteeId: $b, purpose: "p", legalBasis: "l", categories: [STATUS] }) { id } }`,
      { a: platform.id, b: customs.id },
    );
    expect(["FORBIDDEN", "BAD_USER_INPUT"]).toContain(code(res));
    expect(await t.db.prisma.agreement.count()).toBe(0);
  });

  it("a filing always belongs to the caller's party; only the trade files", async () => {
    const FILE = `mutation($i: DeclarationInput!) { fileDeclaration(input: $i) { declaration { id } } }`;
    const res = await t.exec(other.principal, FILE, { i: declarationInput() });
    const row = await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: res.data!.fileDeclaration.declaration.id } });
    expect(row.filerId).toBe(other.id);
    // customs decide on declarations; they do not file them
    expect(code(await t.exec(customs.principal, FILE, { i: declarationInput() }))).toBe("FORBIDDEN");
    expect(await t.db.prisma.declaration.count({ where: { filerId: customs.id } })).toBe(0);
  });
});
