/**
 * A cache entry expiring under load: the requests in flight share one lookup (SingleFlight)
 * for an API key and for a party's quotas; a key revoked while its lookup runs is not
 * cached by that lookup.
 */
import { makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

describe("lookups behind the caches, under concurrent requests", () => {
  let t: TestHub;
  let platform: TestParty;

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("50 requests with a key not in the cache: one key lookup, the same principal for all", async () => {
    const secret = await t.hub.services.parties.issueKey(platform.id, "AGENT", "burst");
    const keys = (t.hub.authenticator as unknown as { keys: { findBySecretHash: (h: string) => Promise<unknown> } }).keys;
    const spy = jest.spyOn(keys, "findBySecretHash");
    try {
      const all = await Promise.all(Array.from({ length: 50 }, () => t.hub.authenticator.authenticate(`Bearer ${secret}`)));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(new Set(all.map((p) => p!.apiKeyId)).size).toBe(1);
      expect(all[0]).toMatchObject({ partyId: platform.id, role: "AGENT" });
      // a wrong key: every caller sharing the lookup is told, none is let in
      spy.mockClear();
      const wrong = await Promise.allSettled(Array.from({ length: 10 }, () => t.hub.authenticator.authenticate("Bearer lux_not_a_key")));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(wrong.every((r) => r.status === "rejected" && (r.reason as { extensions?: { code?: string } }).extensions?.code === "UNAUTHENTICATED")).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it("a key revoked while its lookup runs: that lookup's answer is not cached", async () => {
    const secret = await t.hub.services.parties.issueKey(platform.id, "AGENT", "revoked meanwhile");
    const keys = (t.hub.authenticator as unknown as { keys: { findBySecretHash: (h: string) => Promise<unknown> } }).keys;
    const original = keys.findBySecretHash.bind(keys);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const spy = jest.spyOn(keys, "findBySecretHash").mockImplementationOnce(async (h) => {
      const found = await original(h); // read before the revocation
      await gate;
      return found;
    });
    try {
      const pending = t.hub.authenticator.authenticate(`Bearer ${secret}`);
      await new Promise((r) => setTimeout(r, 20));
      const key = await t.db.prisma.apiKey.findFirstOrThrow({ where: { label: "revoked meanwhile" } });
      await t.db.prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
      t.hub.authenticator.forget(key.id);
      release();
      await pending; // it read the key before the revocation
      await expect(t.hub.authenticator.authenticate(`Bearer ${secret}`)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it("50 requests of a party whose quotas are not cached: one read of its policy", async () => {
    const other = await makeParty(t, "CARRIER", "DE", "Carrier");
    const limits = t.hub.services.rateLimits;
    const spy = jest.spyOn(limits.repo, "inForce");
    try {
      const all = await Promise.all(Array.from({ length: 50 }, () => limits.quotasFor(other.principal)));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(new Set(all).size).toBe(1);
      expect(all[0][0]).toMatchObject({ name: "minute" });
    } finally {
      spy.mockRestore();
    }
  });
});
