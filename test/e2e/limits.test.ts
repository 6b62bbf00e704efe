/** Request limits and production hardening, over HTTP. */
import { ADMIN_TOKEN, makeParty, startTestHub, type TestHub } from "../testkit/hub";

describe("limits over HTTP", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_RATE_LIMIT_PER_MINUTE: "40", HUB_BODY_LIMIT: "20kb", NODE_ENV: "production" } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("refuses a query with too many aliases with QUERY_TOO_COMPLEX", async () => {
    const nested = "{ me { party { id } } }";
    const tooDeep = `{ a: me { party { id } } ${Array.from({ length: 35 }, (_, i) => `x${i}: me { role }`).join(" ")} }`;
    const res = await t.http(ADMIN_TOKEN, tooDeep);
    expect(res.body.errors[0].extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect((await t.http(ADMIN_TOKEN, nested)).body.errors).toBeUndefined();
  });

  it("refuses an oversized body with QUERY_TOO_COMPLEX and no HTML", async () => {
    const res = await t.http(ADMIN_TOKEN, `{ me { role } } # ${"x".repeat(30_000)}`);
    expect(res.status).toBe(413);
    expect(res.body.errors[0].extensions.code).toBe("QUERY_TOO_COMPLEX");
  });

  it("turns introspection off in production", async () => {
    const res = await t.http(ADMIN_TOKEN, `{ __schema { types { name } } }`);
    expect(res.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(res.body.data).toBeUndefined();
  });

  it("does not suggest field names in production", async () => {
    const res = await t.http(ADMIN_TOKEN, `{ mee { role } }`);
    expect(res.body.errors[0].message).not.toMatch(/Did you mean/);
  });

  it("returns no stack trace or internal detail", async () => {
    const res = await t.http(ADMIN_TOKEN, `{ declaration(id: "x") { id } }`);
    expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|at .*\.ts:|prisma|SELECT/i);
  });

  it("rate-limits a key with RATE_LIMITED and 429", async () => {
    const p = await makeParty(t, "PLATFORM", "IE", "Chatty");
    // a party's limit is the operator's to set (README "Rate limits"); HUB_RATE_LIMIT_PER_MINUTE is for callers without a key
    const set = await t.http(ADMIN_TOKEN, `mutation($id: ID!) { setRateLimit(input: { partyId: $id, perMinute: 40 }) { id } }`, { id: p.id });
    expect(set.body.errors).toBeUndefined();
    let last: { status: number; body: any } | undefined;
    for (let i = 0; i < 45; i++) last = await t.http(p.key, "{ me { role } }");
    expect(last!.status).toBe(429);
    expect(last!.body.errors[0].extensions.code).toBe("RATE_LIMITED");
  });
});
