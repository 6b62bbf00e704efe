/**
 * WebSocket limits (issue 8, item 6): subscriptions per connection and per party, open
 * connections per party, the connection-init timeout. Each refusal names its limit and the
 * variable that sets it; a slot is free again once its subscription completes (by the
 * client, on its own, with an error) or its socket closes.
 */
import WebSocket from "ws";
import type { Declaration } from "../../src/generated/prisma/client";
import { createContext } from "../../src/context/context";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const HOLDS = `subscription($id: ID) { holdPlaced(declarationId: $id) { eventId kind } }`;
const STATUS = `subscription { declarationStatusChanged { eventId toStatus } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
  return cond();
}

interface Message {
  id?: string;
  type: string;
  payload?: any;
}

/** A graphql-transport-ws connection spoken by hand, so every message and close is visible. */
class RawSocket {
  readonly messages: Message[] = [];
  closed: { code: number; reason: string } | null = null;
  private nextId = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => this.messages.push(JSON.parse(String(data))));
    ws.on("close", (code, reason) => (this.closed = { code, reason: String(reason) }));
  }

  /** Opens a socket; with a key, sends connection_init and waits for the ack (or the close). */
  static async open(t: TestHub, key?: string): Promise<RawSocket> {
    const ws = new WebSocket(t.server!.url.replace("http", "ws"), "graphql-transport-ws");
    const s = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    if (key !== undefined) {
      s.send({ type: "connection_init", payload: { authorization: `Bearer ${key}` } });
      await until(() => s.closed !== null || s.messages.some((m) => m.type === "connection_ack"));
    }
    return s;
  }

  get acknowledged(): boolean {
    return this.messages.some((m) => m.type === "connection_ack");
  }

  send(m: Message): void {
    this.ws.send(JSON.stringify(m));
  }

  /** Sends a subscribe message; returns its id. */
  subscribe(query: string, variables: Record<string, unknown> = {}): string {
    const id = `op${++this.nextId}`;
    this.send({ id, type: "subscribe", payload: { query, variables } });
    return id;
  }

  complete(id: string): void {
    this.send({ id, type: "complete" });
  }

  of(id: string): Message[] {
    return this.messages.filter((m) => m.id === id);
  }

  /** The first message about `id` (next, error or complete), waiting for it. */
  async first(id: string, ms = 3000): Promise<Message | undefined> {
    await until(() => this.of(id).length > 0, ms);
    return this.of(id)[0];
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => this.ws.once("close", r));
    this.ws.close();
    await closed;
  }
}

describe("WebSocket limits", () => {
  let t: TestHub;
  let customs: TestParty;
  let d: Declaration;
  const sockets: RawSocket[] = [];
  const open = async (key?: string) => {
    const s = await RawSocket.open(t, key);
    sockets.push(s);
    return s;
  };
  /** Subscriptions the hub counts as open for a party (or all). */
  const subscriptions = (partyId?: string) => t.server!.wsLimits.subscriptions(partyId);
  const connections = (partyId?: string) => t.server!.wsLimits.connections(partyId);
  /** Waits until the hub has taken (or freed) the slots: accepted subscriptions send nothing until an event. */
  const settled = (partyId: string, n: number) => until(() => subscriptions(partyId) === n);

  beforeAll(async () => {
    t = await startTestHub({
      env: {
        HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "3",
        HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY: "5",
        HUB_WS_MAX_CONNECTIONS_PER_PARTY: "3",
        HUB_WS_INIT_TIMEOUT_MS: "300",
      },
    });
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    const platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    d = (await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await t?.stop();
  });

  it("refuses a subscription past HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION with RATE_LIMITED, naming the limit; queries still run", async () => {
    const p = await makeParty(t, "PLATFORM", "IE", "Busy socket");
    const s = await open(p.key);
    const ids = [s.subscribe(HOLDS), s.subscribe(STATUS), s.subscribe(HOLDS)];
    expect(await settled(p.id, 3)).toBe(true);
    const fourth = s.subscribe(HOLDS);
    const refused = await s.first(fourth);
    expect(refused?.type).toBe("error");
    expect(refused?.payload[0].extensions).toMatchObject({
      code: "RATE_LIMITED",
      reason: "TOO_MANY_SUBSCRIPTIONS",
      limit: 3,
      variable: "HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
    });
    expect(refused?.payload[0].message).toMatch(/HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION=3/);
    for (const id of ids) expect(s.of(id)).toEqual([]); // the accepted ones are untouched
    expect(s.closed).toBeNull(); // the connection stays up

    // a query is not a subscription: it runs on a full connection
    const q = s.subscribe("{ me { role } }");
    expect((await s.first(q))?.payload).toEqual({ data: { me: { role: "AGENT" } } });
    expect(subscriptions(p.id)).toBe(3);

    // completing one frees its slot at once
    s.complete(ids[0]);
    expect(await settled(p.id, 2)).toBe(true);
    const again = s.subscribe(HOLDS);
    expect(await settled(p.id, 3)).toBe(true);
    expect(s.of(again)).toEqual([]);
  });

  it("refuses a subscription past HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY across the party's connections; closing a socket frees its slots", async () => {
    const p = await makeParty(t, "CARRIER", "NL", "Many sockets");
    const other = await makeParty(t, "CARRIER", "NL", "Bystander");
    const a = await open(p.key);
    const b = await open(p.key);
    a.subscribe(HOLDS);
    a.subscribe(HOLDS);
    a.subscribe(STATUS);
    b.subscribe(HOLDS);
    b.subscribe(STATUS);
    expect(await settled(p.id, 5)).toBe(true);
    const sixth = b.subscribe(HOLDS);
    const refused = await b.first(sixth);
    expect(refused?.type).toBe("error");
    expect(refused?.payload[0].extensions).toMatchObject({
      code: "RATE_LIMITED",
      limit: 5,
      variable: "HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY",
    });
    expect(refused?.payload[0].message).toMatch(/HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY=5/);

    // another party is not affected
    const c = await open(other.key);
    c.subscribe(HOLDS);
    expect(await settled(other.id, 1)).toBe(true);

    // the socket's three slots are freed when it closes
    await a.close();
    expect(await settled(p.id, 2)).toBe(true);
    const later = b.subscribe(HOLDS);
    expect(await settled(p.id, 3)).toBe(true);
    expect(b.of(later)).toEqual([]);
  });

  it("frees the slot of a subscription that ends with an error or on its own", async () => {
    const p = await makeParty(t, "PLATFORM", "IE", "Unlucky");
    const s = await open(p.key);
    // refused at subscribe time (a declaration it may not see): no slot kept
    const notFound = s.subscribe(HOLDS, { id: d.id });
    expect(JSON.stringify(await s.first(notFound))).toContain("NOT_FOUND");
    // a malformed `after`: BAD_USER_INPUT, no slot kept
    const badAfter = s.subscribe(`subscription { holdPlaced(after: "x") { eventId } }`);
    expect(JSON.stringify(await s.first(badAfter))).toContain("BAD_USER_INPUT");
    // an invalid document is refused before it takes a slot
    const invalid = s.subscribe(`subscription { nope }`);
    expect((await s.first(invalid))?.type).toBe("error");
    await sleep(100);
    expect(subscriptions(p.id)).toBe(0);
    // three more fit on this connection
    for (let i = 0; i < 3; i++) s.subscribe(STATUS);
    expect(await settled(p.id, 3)).toBe(true);
  });

  it("frees the slot of a subscription the hub ends because it fell behind (RATE_LIMITED)", async () => {
    // as in crash-safety.test.ts: about 1 MB per event, so a socket that stops reading fills its buffers after a few
    const small = await startTestHub({
      env: {
        HUB_SUBSCRIPTION_BUFFER: "8",
        HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "1",
        HUB_MAX_ALIASES: "1000",
        HUB_MAX_TOKENS: "50000",
        HUB_MAX_COST: "100000000",
      },
    });
    let s: RawSocket | undefined;
    try {
      const officer = await makeParty(small, "CUSTOMS", "DE", "Zoll");
      const platform = await makeParty(small, "PLATFORM", "IE", "Platform");
      const filed = await small.hub.services.declarations.filing.fileMany(platform.principal, Array.from({ length: 60 }, () => declarationInput()) as never);
      const open = () => small.server!.wsLimits.subscriptions(officer.id);
      s = await RawSocket.open(small, officer.key);
      const big = s.subscribe(`subscription { holdPlaced { hold { ${Array.from({ length: 500 }, (_, i) => `r${i}: reason`).join(" ")} } } }`);
      expect(await until(() => open() === 1)).toBe(true);
      const refused = s.subscribe(HOLDS); // the connection's one slot is taken
      expect((await s.first(refused))?.payload[0].extensions.variable).toBe("HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION");

      (s.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // stops reading
      const reason = "x".repeat(2000);
      for (const o of filed as { declaration: { id: string } | null }[]) {
        await small.hub.services.workflow.placeHold(createContext(small.hub, officer.principal), o.declaration!.id, { kind: "RFI", reason } as never);
      }
      // the subscription is over once its error is out: the client reads again and gets it
      (s.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await until(() => s!.of(big).some((m) => m.type === "error"), 10_000)).toBe(true);
      expect(s.of(big).find((m) => m.type === "error")!.payload[0].extensions).toMatchObject({ code: "RATE_LIMITED", reason: "SUBSCRIPTION_FELL_BEHIND" });
      expect(s.of(big).filter((m) => m.type === "next").length).toBeLessThan(60);
      expect(await until(() => open() === 0)).toBe(true); // its slot is free
      // the connection (limit 1) takes a new subscription
      const again = s.subscribe(HOLDS);
      expect(await until(() => open() === 1)).toBe(true);
      expect(s.of(again)).toEqual([]);
    } finally {
      await s?.close();
      await small.stop();
    }
  }, 60_000);

  it("closes a connection past HUB_WS_MAX_CONNECTIONS_PER_PARTY with 1013 and a reason naming the variable", async () => {
    const p = await makeParty(t, "POST", "CN", "Crowded post");
    const first = [await open(p.key), await open(p.key), await open(p.key)];
    expect(first.every((s) => s.acknowledged)).toBe(true);
    expect(connections(p.id)).toBe(3);
    const fourth = await open(p.key);
    expect(await until(() => fourth.closed !== null)).toBe(true);
    expect(fourth.acknowledged).toBe(false);
    expect(fourth.closed).toEqual({ code: 1013, reason: "RATE_LIMITED: too many connections for this party (HUB_WS_MAX_CONNECTIONS_PER_PARTY=3)" });
    expect(connections(p.id)).toBe(3);
    // another party still connects
    const other = await makeParty(t, "POST", "CN", "Quiet post");
    expect((await open(other.key)).acknowledged).toBe(true);
    // a closed socket frees its place
    await first[0].close();
    expect(await until(() => connections(p.id) === 2)).toBe(true);
    expect((await open(p.key)).acknowledged).toBe(true);
  });

  it("closes a socket that does not send connection_init within HUB_WS_INIT_TIMEOUT_MS (4408)", async () => {
    const before = connections();
    const s = await open();
    const opened = Date.now();
    expect(await until(() => s.closed !== null, 3000)).toBe(true);
    const waited = Date.now() - opened;
    expect(s.closed!.code).toBe(4408);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2000);
    expect(connections()).toBe(before); // never counted: it never authenticated
    // one that does send it in time stays open
    const ok = await open(customs.key);
    await sleep(500);
    expect(ok.closed).toBeNull();
  });

  it("counts nothing once every socket is closed", async () => {
    await Promise.all(sockets.map((s) => s.close()));
    expect(await until(() => connections() === 0 && subscriptions() === 0)).toBe(true);
  });
});
