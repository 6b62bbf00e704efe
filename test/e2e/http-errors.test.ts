/** Errors over GraphQL-over-HTTP: syntax errors are 400; persisted queries are kept per party. */
import { createHash } from "node:crypto";
import WebSocket from "ws";
import { createClient } from "graphql-ws";
import { ADMIN_TOKEN, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("errors over HTTP", () => {
  let t: TestHub;
  let alice: TestParty, bob: TestParty;

  const post = async (key: string | null, body: unknown) => {
    const res = await fetch(t.server!.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

  beforeAll(async () => {
    t = await startTestHub({ env: { NODE_ENV: "production", HUB_MAX_TOKENS: "200" } });
    alice = await makeParty(t, "PLATFORM", "IE", "Alice");
    bob = await makeParty(t, "CARRIER", "DE", "Bob");
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe("a GraphQL syntax error", () => {
    it("is HTTP 400 with BAD_USER_INPUT and where the parser stopped", async () => {
      const res = await t.http(alice.key, "{ me { ");
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors).toEqual([
        { message: "Syntax Error: Expected Name, found <EOF>.", locations: [{ line: 1, column: 8 }], extensions: { code: "BAD_USER_INPUT" } },
      ]);
    });

    it("is 400 for the operator token, and for a caller without a key too", async () => {
      expect((await t.http(ADMIN_TOKEN, "query {")).status).toBe(400);
      expect((await t.http(null, "}")).status).toBe(400);
    });

    it("over GET as well", async () => {
      const res = await fetch(`${t.server!.url}?query=${encodeURIComponent("{ me { ")}`, { headers: { authorization: `Bearer ${alice.key}`, accept: "application/json", "apollo-require-preflight": "true" } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe("BAD_USER_INPUT");
    });

    it("the token limit is still enforced: QUERY_TOO_COMPLEX, 400, no stack", async () => {
      const big = `{ ${Array.from({ length: 120 }, (_, i) => `a${i}: me { role }`).join(" ")} }`;
      const res = await t.http(alice.key, big);
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].extensions).toEqual({ code: "QUERY_TOO_COMPLEX" });
      expect(res.body.errors[0].message).toMatch(/^Document contains more tha[nt] 200 tokens/);
      // a query within the limit still runs
      expect((await t.http(alice.key, "{ me { role } }")).body).toEqual({ data: { me: { role: "AGENT" } } });
    });

    it("over WebSocket: BAD_USER_INPUT too, not an internal error", async () => {
      const client = createClient({
        url: t.server!.url.replace("http", "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${alice.key}` },
        retryAttempts: 0,
        lazy: true,
      });
      try {
        const outcome = await new Promise<unknown>((resolve) => {
          client.subscribe({ query: "{ me { " }, { next: resolve, error: resolve, complete: () => resolve("complete") });
        });
        expect(JSON.stringify(outcome)).toContain("BAD_USER_INPUT");
        expect(JSON.stringify(outcome)).not.toContain("INTERNAL_SERVER_ERROR");
      } finally {
        await client.dispose();
      }
    });
  });

  describe("automatic persisted queries", () => {
    const query = "query Mine { me { party { name } } }";

    it("an unknown hash is PERSISTED_QUERY_NOT_FOUND (the client then sends the query)", async () => {
      const res = await post(alice.key, { extensions: persisted(sha256("{ never sent }")) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ errors: [{ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }] });
    });

    it("a hash registered by one party runs for that party only", async () => {
      const hash = sha256(query);
      // Alice registers it by sending query and hash together, then runs it by hash alone
      const registered = await post(alice.key, { query, extensions: persisted(hash) });
      expect(registered.body).toEqual({ data: { me: { party: { name: "Alice" } } } });
      const byHash = await post(alice.key, { extensions: persisted(hash) });
      expect(byHash.body).toEqual({ data: { me: { party: { name: "Alice" } } } });

      // for Bob the hash is unknown: he learns nothing of Alice's queries, and runs none of them
      const bobByHash = await post(bob.key, { extensions: persisted(hash) });
      expect(bobByHash.body.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
      expect(bobByHash.body.data).toBeUndefined();
      // nor for a caller without a key, nor the operator
      expect((await post(null, { extensions: persisted(hash) })).body.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
      expect((await post(ADMIN_TOKEN, { extensions: persisted(hash) })).body.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");

      // Bob registers the same text for himself, and it answers as Bob
      await post(bob.key, { query, extensions: persisted(hash) });
      expect((await post(bob.key, { extensions: persisted(hash) })).body).toEqual({ data: { me: { party: { name: "Bob" } } } });
      expect((await post(alice.key, { extensions: persisted(hash) })).body).toEqual({ data: { me: { party: { name: "Alice" } } } });
    });

    it("per party, not per key: another key of the same party finds it", async () => {
      const q = "query Role { me { role } }";
      await post(alice.key, { query: q, extensions: persisted(sha256(q)) });
      const secondKey = await t.hub.services.parties.issueKey(alice.id, "AGENT", "second");
      expect((await post(secondKey, { extensions: persisted(sha256(q)) })).body).toEqual({ data: { me: { role: "AGENT" } } });
    });

    it("over GET, as CDNs use them", async () => {
      const q = "query Name { me { party { name } } }";
      const get = (key: string) =>
        fetch(`${t.server!.url}?extensions=${encodeURIComponent(JSON.stringify(persisted(sha256(q))))}`, {
          headers: { authorization: `Bearer ${key}`, accept: "application/json", "apollo-require-preflight": "true" },
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
      await post(alice.key, { query: q, extensions: persisted(sha256(q)) });
      expect((await get(alice.key)).body).toEqual({ data: { me: { party: { name: "Alice" } } } });
      expect((await get(bob.key)).body.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    });

    it("a hash that does not match its query is BAD_USER_INPUT, 400", async () => {
      const res = await post(alice.key, { query, extensions: persisted(sha256("something else")) });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ message: "provided sha does not match query", extensions: { code: "BAD_USER_INPUT" } }]);
    });
  });
});
