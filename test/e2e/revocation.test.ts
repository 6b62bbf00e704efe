/** Revoking an API key takes effect everywhere at once, open WebSocket connections included. */
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import type { Declaration } from "../../src/generated/prisma/client";
import { createContext } from "../../src/context/context";
import { ADMIN_TOKEN, declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;
const HOLDS = `subscription($id: ID) { holdPlaced(declarationId: $id) { kind } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A socket with one active subscription, and what happens to it. */
async function openSocket(t: TestHub, key: string, declarationId: string) {
  const closes: { code: number; reason: string; at: number }[] = [];
  const events: any[] = [];
  const errors: unknown[] = [];
  const client: Client = createClient({
    url: t.server!.url.replace("http", "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined, // the close is what the tests look at
    on: {
      closed: (e) => {
        const { code, reason } = e as { code: number; reason: string };
        closes.push({ code, reason, at: Date.now() });
      },
    },
  });
  client.subscribe({ query: HOLDS, variables: { id: declarationId } }, { next: (e) => events.push(e), error: (e) => errors.push(e), complete: () => undefined });
  const query = (q: string) =>
    new Promise<any>((resolve) => {
      client.subscribe({ query: q }, { next: resolve, error: (e) => resolve({ failed: e }), complete: () => undefined });
    });
  await sleep(300);
  return { client, closes, events, errors, query };
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
  return cond();
}

describe("a revoked key", () => {
  let t: TestHub;
  let platform: TestParty, customs: TestParty;
  let d: Declaration;
  const clients: Client[] = [];
  const placeHold = () => t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), d.id, { kind: "RFI", reason: "check" } as never);
  const newKey = async (label: string) => {
    const secret = await t.hub.services.parties.issueKey(platform.id, "AGENT", label);
    const principal = await t.hub.authenticator.authenticate(`Bearer ${secret}`);
    return { secret, id: principal!.apiKeyId! };
  };

  beforeAll(async () => {
    t = await startTestHub();
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    d = (await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.stop();
  });

  it("closes the sockets it opened within a second (4403), revoked over HTTP with another key of the party", async () => {
    const doomed = await newKey("doomed");
    const other = await newKey("other");
    const a = await openSocket(t, doomed.secret, d.id);
    const b = await openSocket(t, doomed.secret, d.id); // every socket of the key
    const bystander = await openSocket(t, other.secret, d.id);
    clients.push(a.client, b.client, bystander.client);
    expect((await a.query("{ me { role } }")).data).toEqual({ me: { role: "AGENT" } });
    await placeHold();
    expect(await until(() => a.events.length === 1 && b.events.length === 1, 2000)).toBe(true);

    const revokedAt = Date.now();
    const res = await t.http(other.secret, REVOKE, { id: doomed.id });
    expect(res.body.errors).toBeUndefined();
    expect(await until(() => a.closes.length > 0 && b.closes.length > 0, 1000)).toBe(true);
    for (const s of [a, b]) {
      expect(s.closes[0]).toMatchObject({ code: 4403, reason: "The API key was revoked" });
      expect(s.closes[0].at - revokedAt).toBeLessThan(1000);
    }

    // no more events, no more operations with it, over either transport
    await placeHold();
    expect(await until(() => bystander.events.length === 2, 2000)).toBe(true);
    await sleep(200);
    expect(a.events).toHaveLength(1);
    expect(b.events).toHaveLength(1);
    const after = await a.query("{ me { role } }");
    expect(after.data).toBeUndefined();
    expect((await t.http(doomed.secret, "{ me { role } }")).status).toBe(401);
    // the other key of the party, and its socket, are untouched
    expect(bystander.closes).toHaveLength(0);
    expect((await bystander.query("{ me { role } }")).data).toEqual({ me: { role: "AGENT" } });
  });

  it("closes its sockets within a second when it was revoked elsewhere (straight in the store here)", async () => {
    const doomed = await newKey("revoked by another instance");
    const s = await openSocket(t, doomed.secret, d.id);
    clients.push(s.client);
    expect((await s.query("{ me { role } }")).data).toEqual({ me: { role: "AGENT" } });
    const revokedAt = Date.now();
    // as another hub instance would: no forget() on this one
    await t.db.prisma.apiKey.update({ where: { id: doomed.id }, data: { revokedAt: new Date() } });
    expect(await until(() => s.closes.length > 0, 1000)).toBe(true);
    expect(s.closes[0].code).toBe(4403);
    expect(s.closes[0].at - revokedAt).toBeLessThan(1000);
    // and HTTP with it is refused at once too, though its lookup was cached
    expect((await t.http(doomed.secret, "{ me { role } }")).status).toBe(401);
  });

  it("revoked by the operator token: the same", async () => {
    const doomed = await newKey("revoked by the operator");
    const s = await openSocket(t, doomed.secret, d.id);
    clients.push(s.client);
    const res = await t.http(ADMIN_TOKEN, REVOKE, { id: doomed.id });
    expect(res.body.errors).toBeUndefined();
    expect(await until(() => s.closes.length > 0, 1000)).toBe(true);
    expect(s.closes[0].code).toBe(4403);
  });

  it("a key that revokes itself over its own socket gets no socket back", async () => {
    const doomed = await newKey("self");
    const s = await openSocket(t, doomed.secret, d.id);
    clients.push(s.client);
    await s.query(`mutation { revokeApiKey(id: "${doomed.id}") { id } }`);
    expect(await until(() => s.closes.length > 0, 1000)).toBe(true);
    expect(s.closes[0].code).toBe(4403);
    expect((await t.db.prisma.apiKey.findUniqueOrThrow({ where: { id: doomed.id } })).revokedAt).not.toBeNull();
  });
});

const onPostgres = process.env.TEST_DB === "postgres" ? describe : describe.skip;
onPostgres("a key revoked on one hub instance", () => {
  it("closes its sockets on another instance within a second", async () => {
    const a = await startTestHub();
    const b = await startTestHub({ sameDatabaseAs: a });
    try {
      const platform = await makeParty(a, "PLATFORM", "IE", "Platform");
      const d = (await a.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
      const other = await a.hub.services.parties.issueKey(platform.id, "AGENT", "other");
      const s = await openSocket(b, platform.key, d.id);
      try {
        expect((await s.query("{ me { role } }")).data).toEqual({ me: { role: "AGENT" } });
        expect((await b.http(platform.key, "{ me { role } }")).status).toBe(200); // cached on b now
        const revokedAt = Date.now();
        const res = await a.http(other, REVOKE, { id: platform.principal.apiKeyId });
        expect(res.body.errors).toBeUndefined();
        expect(await until(() => s.closes.length > 0, 1000)).toBe(true);
        expect(s.closes[0]).toMatchObject({ code: 4403, reason: "The API key was revoked" });
        expect(s.closes[0].at - revokedAt).toBeLessThan(1000);
        expect((await b.http(platform.key, "{ me { role } }")).status).toBe(401);
      } finally {
        await s.client.dispose();
      }
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
