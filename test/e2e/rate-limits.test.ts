/** Per-party limits and quotas set by the operator, and the headers clients pace themselves by. */
import { ADMIN_TOKEN, makeParty, startTestHub, type TestHub } from "../testkit/hub";
import { RateLimit } from "../../src/server/limits";
import { loadConfig } from "../../src/config";
import { createContext } from "../../src/context/context";

const SET = `mutation Set($input: SetRateLimitInput!, $key: String) {
  setRateLimit(input: $input, idempotencyKey: $key) { id partyId partyKind perMinute perDay validFrom setById reason }
}`;

/** A request with its headers (the testkit's http() keeps only status and body). */
async function post(t: TestHub, key: string | null, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(t.server!.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe("rate limits per party", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_RATE_LIMIT_PER_MINUTE: "5" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("gives every party its kind's default, as data, and says so in RateLimit-Policy and RateLimit", async () => {
    const carrier = await makeParty(t, "CARRIER", "DE", "Big Carrier");
    const platform = await makeParty(t, "PLATFORM", "IE", "Shop");
    const a = await post(t, carrier.key, "{ me { role } }");
    expect(a.status).toBe(200);
    expect(a.headers.get("ratelimit-policy")).toBe('"minute";q=600000;w=60');
    expect(a.headers.get("ratelimit")).toMatch(/^"minute";r=599999;t=(60|59)$/);
    const b = await post(t, platform.key, "{ me { role } }");
    expect(b.headers.get("ratelimit-policy")).toBe('"minute";q=60000;w=60');
    const second = await post(t, platform.key, "{ me { role } }");
    expect(second.headers.get("ratelimit")).toMatch(/^"minute";r=59998;t=\d+$/);
    const defaults = await t.http(ADMIN_TOKEN, "{ rateLimitPolicies { partyId partyKind perMinute perDay } }");
    expect(defaults.body.data.rateLimitPolicies).toEqual(
      expect.arrayContaining([
        { partyId: null, partyKind: "CARRIER", perMinute: 600000, perDay: null },
        { partyId: null, partyKind: "PLATFORM", perMinute: 60000, perDay: null },
        { partyId: null, partyKind: "CUSTOMS", perMinute: 60000, perDay: null },
      ]),
    );
  });

  it("the operator's new limit for a party applies to its next request; over it: 429, Retry-After and RateLimit", async () => {
    const p = await makeParty(t, "BROKER", "FR", "Eager Broker");
    const before = await post(t, p.key, "{ me { role } }");
    expect(before.headers.get("ratelimit-policy")).toBe('"minute";q=30000;w=60');
    const set = await t.http(ADMIN_TOKEN, SET, { input: { partyId: p.id, perMinute: 3, perDay: 1000, reason: "ticket 42" } });
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data.setRateLimit).toMatchObject({ partyId: p.id, partyKind: "BROKER", perMinute: 3, perDay: 1000, reason: "ticket 42" });
    const ok = await post(t, p.key, "{ me { role } }");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ratelimit-policy")).toBe('"minute";q=3;w=60, "day";q=1000;w=86400');
    expect(ok.headers.get("ratelimit")).toMatch(/^"minute";r=1;t=\d+, "day";r=999;t=\d+$/); // `before` counted too
    await post(t, p.key, "{ me { role } }");
    const refused = await post(t, p.key, "{ me { role } }");
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe("RATE_LIMITED");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit")).toMatch(/^"minute";r=0;t=\d+, "day";r=\d+;t=\d+$/);
    expect(refused.headers.get("ratelimit-policy")).toBe('"minute";q=3;w=60, "day";q=1000;w=86400');
    // every key of the party shares its limit
    const second = await t.hub.services.parties.issueKey(p.id, "AGENT", "second key");
    expect((await post(t, second, "{ me { role } }")).status).toBe(429);
    // the change is in the write audit and in the policy's history
    const audit = await t.db.prisma.writeAuditEntry.findMany({ where: { operation: "setRateLimit", recordId: set.body.data.setRateLimit.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0].changes).toMatchObject({ perMinute: { before: null, after: 3 } });
    const inForce = await t.http(ADMIN_TOKEN, `query($id: ID!) { rateLimit(partyId: $id) { perMinute perDay } }`, { id: p.id });
    expect(inForce.body.data.rateLimit).toEqual({ perMinute: 3, perDay: 1000 });
  });

  it("a quota per day refuses once used up, whatever is left of the minute", async () => {
    const p = await makeParty(t, "PLATFORM", "NL", "Quota Shop");
    await t.http(ADMIN_TOKEN, SET, { input: { partyId: p.id, perMinute: 100, perDay: 100 } });
    await t.http(ADMIN_TOKEN, SET, { input: { partyId: p.id, perMinute: 10, perDay: 10 } });
    for (let i = 0; i < 10; i++) expect((await post(t, p.key, "{ me { role } }")).status).toBe(200);
    const refused = await post(t, p.key, "{ me { role } }");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit")).toMatch(/"day";r=0;t=(86400|86399)/);
  });

  it("a kind's default changed by the operator applies to every party of that kind without its own", async () => {
    const p = await makeParty(t, "POST", "PT", "Post PT");
    const set = await t.http(ADMIN_TOKEN, SET, { input: { partyKind: "POST", perMinute: 1234 } });
    expect(set.body.data.setRateLimit).toMatchObject({ partyId: null, partyKind: "POST", perMinute: 1234 });
    expect((await post(t, p.key, "{ me { role } }")).headers.get("ratelimit-policy")).toBe('"minute";q=1234;w=60');
    const history = await t.http(ADMIN_TOKEN, "{ rateLimitPolicies(partyKind: POST) { perMinute } }");
    expect(history.body.data.rateLimitPolicies.map((r: { perMinute: number }) => r.perMinute)).toEqual([1234, 600000]);
  });

  it("refuses a non-operator with FORBIDDEN, and changes nothing", async () => {
    const p = await makeParty(t, "CARRIER", "BE", "Sneaky Carrier");
    const res = await t.http(p.key, SET, { input: { partyId: p.id, perMinute: 99_999_999 } });
    expect(res.body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect(res.body.data).toBeNull();
    const read = await t.http(p.key, `query($id: ID!) { rateLimit(partyId: $id) { perMinute } }`, { id: p.id });
    expect(read.body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect(await t.db.prisma.rateLimitPolicy.count({ where: { partyId: p.id } })).toBe(0);
  });

  it("names what is wrong with a policy (BAD_USER_INPUT with paths)", async () => {
    const p = await makeParty(t, "BROKER", "AT", "Broker AT");
    const both = await t.http(ADMIN_TOKEN, SET, { input: { partyId: p.id, partyKind: "BROKER", perMinute: 5 } });
    expect(both.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(both.body.errors[0].extensions)).toMatch(/input\.partyKind/);
    const bad = await t.http(ADMIN_TOKEN, SET, { input: { partyId: "00000000-0000-4000-8000-000000000000", perMinute: 0, validFrom: "2020-01-01T00:00:00Z" } });
    const paths = JSON.stringify(bad.body.errors[0].extensions);
    expect(paths).toMatch(/input\.partyId/);
    expect(paths).toMatch(/input\.perMinute/);
    expect(paths).toMatch(/input\.validFrom/);
    const neither = await t.http(ADMIN_TOKEN, SET, { input: { perMinute: 5 } });
    expect(JSON.stringify(neither.body.errors[0].extensions)).toMatch(/input\.partyId/);
  });

  it("an idempotent retry adds no second policy", async () => {
    const p = await makeParty(t, "BROKER", "LU", "Broker LU");
    const input = { partyId: p.id, perMinute: 77 };
    const a = await t.http(ADMIN_TOKEN, SET, { input, key: "rl-lu-1" });
    const b = await t.http(ADMIN_TOKEN, SET, { input, key: "rl-lu-1" });
    expect(b.body.data.setRateLimit.id).toBe(a.body.data.setRateLimit.id);
    expect(await t.db.prisma.rateLimitPolicy.count({ where: { partyId: p.id } })).toBe(1);
  });

  it("callers without a key are limited per address by HUB_RATE_LIMIT_PER_MINUTE", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post(t, null, "{ me { role } }")).status);
    expect(statuses.slice(-1)).toEqual([429]);
  });
});

describe("rate limits shared through Redis", () => {
  const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
  const party = { partyId: "7d4c1a52-0000-4000-8000-000000000001", partyKind: "BROKER" as const, country: "FR", role: "AGENT" as const, apiKeyId: null };

  it("counts a party's requests on every instance together, against its policy", async () => {
    const config = loadConfig({ NODE_ENV: "test", REDIS_URL: redisUrl, HUB_REDIS_PREFIX: `rltest${Date.now()}` });
    const quotas = async () => [{ name: "minute" as const, limit: 5, windowSeconds: 60 }];
    const a = new RateLimit(config, undefined, quotas);
    const b = new RateLimit(config, undefined, quotas);
    try {
      // wait until both count in Redis (before that, each counts in memory)
      const deadline = Date.now() + 5000;
      while ((a as any).redis.status !== "ready" || (b as any).redis.status !== "ready") {
        if (Date.now() > deadline) throw new Error("Redis did not answer at " + redisUrl);
        await new Promise((r) => setTimeout(r, 20));
      }
      const states = [];
      for (let i = 0; i < 5; i++) states.push(await (i % 2 ? b : a).check(party));
      expect(states.map((s) => s[0].remaining)).toEqual([4, 3, 2, 1, 0]);
      await expect(b.check(party)).rejects.toMatchObject({ extensions: { code: "RATE_LIMITED" } });
      await expect(a.check(party)).rejects.toMatchObject({ extensions: { code: "RATE_LIMITED" } });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("a party's own rate limits (me.rateLimit)", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const OWN = "{ me { rateLimit { partyId partyKind perMinute perDay validFrom reason } } }";

  it("are readable by the party itself: its kind's default, then its own once the operator sets them", async () => {
    const p = await makeParty(t, "CARRIER", "NL", "Own Limits Carrier");
    const before = await post(t, p.key, OWN);
    expect(before.body.errors).toBeUndefined();
    expect(before.body.data.me.rateLimit).toMatchObject({ partyId: null, partyKind: "CARRIER", perMinute: 600000, perDay: null });
    // the header and the query say the same
    expect(before.headers.get("ratelimit-policy")).toBe('"minute";q=600000;w=60');
    const set = await t.http(ADMIN_TOKEN, SET, { input: { partyId: p.id, perMinute: 1_200_000, perDay: 500_000_000, reason: "contract 2027-04" } });
    expect(set.body.errors).toBeUndefined();
    const after = await post(t, p.key, OWN);
    expect(after.body.data.me.rateLimit).toMatchObject({ partyId: p.id, partyKind: "CARRIER", perMinute: 1_200_000, perDay: 500_000_000, reason: "contract 2027-04" });
    expect(after.body.data.me.rateLimit.validFrom).toBe(set.body.data.setRateLimit.validFrom);
    // another party reads only its own: the operator's query for a given party stays closed to it
    const other = await makeParty(t, "PLATFORM", "NL", "Curious Shop");
    expect((await post(t, other.key, OWN)).body.data.me.rateLimit).toMatchObject({ partyId: null, partyKind: "PLATFORM", perMinute: 60000 });
    const peek = await t.http(other.key, `query($id: ID!) { rateLimit(partyId: $id) { perMinute } }`, { id: p.id });
    expect(peek.body.errors[0].extensions.code).toBe("FORBIDDEN");
  });

  it("are readable by the operator, for itself and (rateLimit) for any party", async () => {
    const own = await t.http(ADMIN_TOKEN, OWN);
    expect(own.body.data.me.rateLimit).toMatchObject({ partyKind: "OPERATOR", perMinute: 6000 });
  });

  it("are asked of the policy engine: a principal without the relation is refused", async () => {
    const p = await makeParty(t, "BROKER", "NL", "Policy Broker");
    // the broker's principal asking for another party's limits through the same action
    const ctx = createContext(t.hub, p.principal);
    await expect(ctx.authz.assert("rateLimit:readOwn", { limitedPartyId: p.id })).resolves.toBeTruthy();
    await expect(ctx.authz.assert("rateLimit:readOwn", { limitedPartyId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({
      extensions: { code: "FORBIDDEN" },
    });
  });
});
