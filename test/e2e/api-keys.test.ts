/** `apiKeys`: a party's own keys (label, role, created, last used), never a secret, never another party's. */
import { makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

describe("apiKeys", () => {
  let t: TestHub;
  let alice: TestParty, bob: TestParty;

  beforeAll(async () => {
    t = await startTestHub();
    alice = await makeParty(t, "PLATFORM", "IE", "Alice");
    bob = await makeParty(t, "CARRIER", "DE", "Bob");
    await t.hub.services.parties.issueKey(bob.id, "AGENT", "bob's second key");
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("lists only the caller's own keys, without secrets, with when each was last used", async () => {
    await t.http(alice.key, "{ me { role } }"); // authenticates: lastUsedAt is recorded (in the background)
    let keys: any[] = [];
    for (let i = 0; i < 50; i++) {
      keys = (await t.http(alice.key, "{ apiKeys { id partyId role label prefix createdAt lastUsedAt revokedAt } }")).body.data.apiKeys;
      if (keys[0]?.lastUsedAt) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(keys).toEqual([
      {
        id: alice.principal.apiKeyId,
        partyId: alice.id,
        role: "AGENT",
        label: "Alice key",
        prefix: alice.key.slice(0, 10),
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        revokedAt: null,
      },
    ]);
    const bobs = (await t.http(bob.key, "{ apiKeys { label } }")).body.data.apiKeys.map((k: any) => k.label).sort();
    expect(bobs).toEqual(["Bob key", "bob's second key"]);
    // the secret is in no field of the type
    const fields = (await t.http(alice.key, '{ __type(name: "ApiKey") { fields { name } } }')).body.data.__type.fields.map((f: any) => f.name);
    expect(fields).not.toContain("secret");
    expect(fields).not.toContain("secretHash");
  });

  it("another party's keys are refused, not listed", async () => {
    const res = await t.http(alice.key, `query($p: ID) { apiKeys(partyId: $p) { id } }`, { p: bob.id });
    expect(res.body.data).toBeNull();
    expect(["FORBIDDEN", "NOT_FOUND"]).toContain(res.body.errors[0].extensions.code);
    expect(JSON.stringify(res.body)).not.toContain(bob.principal.apiKeyId!);
  });
});
