/** The outbox: events committed with their change, numbered without gaps, resumable, authorized once per event. */
import type { Client } from "graphql-ws";
import { createContext } from "../../src/context/context";
import type { Declaration } from "../../src/generated/prisma/client";
import { subscribe, wsClient } from "../testkit/ws";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const HOLDS = `subscription($after: ID, $id: ID) {
  holdPlaced(after: $after, declarationId: $id) { eventId declarationId kind declaration { platformOrderId trackingNumber } }
}`;
const STATUSES = `subscription($after: ID, $id: ID) {
  declarationStatusChanged(after: $after, declarationId: $id) { eventId declarationId fromStatus toStatus }
}`;
const settle = () => new Promise((r) => setTimeout(r, 300));

describe("event outbox", () => {
  let t: TestHub;
  let platform: TestParty, carrier: TestParty, customs: TestParty, stranger: TestParty;
  const clients: Client[] = [];
  const client = (key: string) => {
    const c = wsClient(t, key);
    clients.push(c);
    return c;
  };
  const file = async () =>
    (await t.hub.services.declarations.fileOne(createContext(t.hub, platform.principal), declarationInput({ carrierId: carrier.id, platformId: platform.id }) as never))
      .declaration as Declaration;
  const hold = (d: Declaration, kind = "RFI") =>
    t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), d.id, { kind, reason: "check the invoice" } as never);
  const events = () => t.db.prisma.hubEvent.findMany({ orderBy: { seq: "asc" } });

  beforeAll(async () => {
    t = await startTestHub();
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    carrier = await makeParty(t, "CARRIER", "NL", "Carrier");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    stranger = await makeParty(t, "CARRIER", "FR", "Stranger");
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.stop();
  });

  it("writes each change's events in its transaction, numbered without gaps, carrying the transition", async () => {
    const before = await events();
    const d = await file();
    const h = await hold(d);
    const after = (await events()).slice(before.length);
    expect(after.map((e) => [e.type, e.declarationId, e.payload])).toEqual([
      ["HOLD_PLACED", d.id, { holdId: h.id, kind: "RFI" }],
      ["STATUS_CHANGED", d.id, { from: "FILED", to: "RFI" }],
    ]);
    const all = await events();
    all.forEach((e, i) => expect(e.seq).toBe(all[0].seq + BigInt(i)));
  });

  it("writes no event for a change that was rolled back", async () => {
    const d = await file();
    const taken = await t.hub.services.workflow.registerDeclaration(createContext(t.hub, customs.principal), d.id, null);
    const other = await file();
    const before = (await events()).length;
    // moving FILED -> REGISTERED emits inside the transaction, then the reference is found in use: all rolled back
    await expect(
      t.hub.services.workflow.registerDeclaration(createContext(t.hub, customs.principal), other.id, taken.movementReference),
    ).rejects.toMatchObject({ extensions: { code: "CONFLICT" } });
    expect(await events()).toHaveLength(before);
    expect((await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: other.id } })).status).toBe("FILED");
  });

  it("delivers each event to the parties whose policy lets them read it, with the declaration as they may read it", async () => {
    const d = await file();
    const live = t.hub.services.notifications.live;
    const p = subscribe(client(platform.key), HOLDS, { id: d.id });
    const c = subscribe(client(carrier.key), HOLDS, { id: d.id });
    const s = subscribe(client(stranger.key), HOLDS);
    // a subscription without `after` hears what comes once it is live: under load a fixed
    // pause was not always enough (the hold came first and nobody heard it)
    for (const until = Date.now() + 10_000; t.hub.services.notifications.live < live + 3 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    expect(t.hub.services.notifications.live).toBe(live + 3);
    await hold(d);
    await p.waitFor(1);
    await c.waitFor(1);
    await settle();
    // the named platform reads its order id and tracking number (COMMERCIAL, TRANSPORT)
    expect(p.events[0].data.holdPlaced).toMatchObject({ declarationId: d.id, kind: "RFI", declaration: { platformOrderId: d.platformOrderId, trackingNumber: d.trackingNumber } });
    expect(p.events[0].errors).toBeUndefined();
    // the carrier reads the tracking number, not the order id
    expect(c.events[0].data.holdPlaced.declaration).toEqual({ platformOrderId: null, trackingNumber: d.trackingNumber });
    expect(c.events[0].errors.map((e: any) => [e.path.join("."), e.extensions.code])).toEqual([["holdPlaced.declaration.platformOrderId", "FORBIDDEN"]]);
    expect(s.events).toHaveLength(0);
    // the same decision as a query by the same party
    const seen = await t.exec(stranger.principal, `query($id: ID!) { declaration(id: $id) { status } }`, { id: d.id });
    expect(seen.errors?.[0].extensions?.code).toBe("NOT_FOUND");
  });

  it("resumes after the last event seen: first what was missed, then live ones, no gap and no duplicate", async () => {
    const d = await file();
    const first = subscribe(client(platform.key), STATUSES, { id: d.id });
    await settle();
    await hold(d, "RFI");
    await first.waitFor(1);
    const last = first.events[0].data.declarationStatusChanged.eventId;
    first.dispose();
    await settle();
    // missed while away: RFI -> DO_NOT_LOAD (a more severe referral)
    await hold(d, "DO_NOT_LOAD");
    const again = subscribe(client(platform.key), STATUSES, { id: d.id, after: last });
    await again.waitFor(1);
    await settle();
    await t.hub.services.workflow.registerDeclaration(createContext(t.hub, customs.principal), (await file()).id, null); // another parcel: filtered out
    const open = await t.db.prisma.hold.findMany({ where: { declarationId: d.id, status: "OPEN", kind: "DO_NOT_LOAD" } });
    await t.hub.services.workflow.releaseHold(createContext(t.hub, customs.principal), open[0].id, { outcome: "screened, clean" } as never);
    await again.waitFor(2);
    await settle();
    const got = again.events.map((e) => e.data.declarationStatusChanged);
    expect(got.map((e: any) => [e.fromStatus, e.toStatus])).toEqual([
      ["RFI", "DO_NOT_LOAD"],
      ["DO_NOT_LOAD", "RFI"],
    ]);
    expect(new Set(got.map((e: any) => e.eventId)).size).toBe(2);
    expect(BigInt(got[0].eventId)).toBeGreaterThan(BigInt(last));
  });

  it("answers an `after` older than the events kept with a clear error, not a silent gap", async () => {
    const d = await file();
    await hold(d);
    const oldest = (await events())[0].seq;
    await t.db.prisma.hubEvent.deleteMany({ where: { seq: { lte: oldest + 1n } } }); // retention passed
    const sub = subscribe(client(platform.key), STATUSES, { after: String(oldest - 1n) });
    await sub.waitFor(1);
    expect(JSON.stringify(sub.errors[0] ?? sub.events[0])).toContain("no longer kept");
    const bad = subscribe(client(platform.key), STATUSES, { after: "nope" });
    await bad.waitFor(1);
    expect(JSON.stringify(bad.errors[0] ?? bad.events[0])).toContain("BAD_USER_INPUT");
  });

  it("loses nothing committed while no feed was reading (a crash between commit and relay)", async () => {
    const d = await file();
    const start = await t.hub.feed.repo.latestSeq();
    t.hub.feed.stop(); // nobody relays: as if the process died after commit
    await hold(d);
    const sub = subscribe(client(platform.key), STATUSES, { id: d.id, after: String(start) }); // starts the feed again
    await sub.waitFor(1);
    expect(sub.events.map((e) => e.data.declarationStatusChanged.toStatus)).toEqual(["RFI"]);
  });

  it("stops the events an agreement allowed once it is revoked", async () => {
    const watcher = await makeParty(t, "BROKER", "NL", "Watcher");
    const agreement = await makeAgreement(t, platform, watcher, { categories: ["STATUS"] });
    const sub = subscribe(client(watcher.key), STATUSES);
    await settle();
    const d1 = await file();
    await hold(d1);
    await sub.waitFor(1);
    await t.db.prisma.agreement.update({ where: { id: agreement.id }, data: { status: "REVOKED" } });
    const d2 = await file();
    await hold(d2);
    await settle();
    await settle();
    expect(sub.events.map((e) => e.data.declarationStatusChanged.declarationId)).toEqual([d1.id]);
  });
});

const onPostgres = process.env.TEST_DB === "postgres" ? describe : describe.skip;
onPostgres("two instances on one PostgreSQL", () => {
  it("an instance that hears no wake-up (no Redis, or Redis cut) still delivers the other's events from the outbox", async () => {
    // no REDIS_URL: wake-ups stay in each process; the other instance's feed polls the outbox
    const a = await startTestHub({ env: { HUB_EVENT_POLL_MS: "200" } });
    const b = await startTestHub({ env: { HUB_EVENT_POLL_MS: "200" }, sameDatabaseAs: a });
    const c = () => wsClient(b, platform.key);
    let platform!: TestParty;
    try {
      platform = await makeParty(a, "PLATFORM", "IE", "Platform");
      const customs = await makeParty(a, "CUSTOMS", "DE", "Zoll");
      const client = c();
      const sub = subscribe(client, STATUSES);
      await settle();
      const d = (await a.hub.services.declarations.fileOne(createContext(a.hub, platform.principal), declarationInput() as never)).declaration;
      for (const kind of ["RFI", "DO_NOT_LOAD"]) {
        await a.hub.services.workflow.placeHold(createContext(a.hub, customs.principal), d.id, { kind, reason: "x" } as never);
      }
      await sub.waitFor(2, 5000);
      expect(sub.events.map((e) => e.data.declarationStatusChanged.toStatus)).toEqual(["RFI", "DO_NOT_LOAD"]);
      sub.dispose();
      await client.dispose();
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
