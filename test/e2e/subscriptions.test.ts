/** Subscriptions over graphql-ws: authorized when subscribing and again for every event. */
import type { Client } from "graphql-ws";
import { subscribe, wsClient } from "../testkit/ws";
import type { Declaration } from "../../src/generated/prisma/client";
import { createContext } from "../../src/context/context";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const HOLDS = `subscription($id: ID) { holdPlaced(declarationId: $id) { eventId declarationId kind hold { id kind reason } } }`;
const settle = () => new Promise((r) => setTimeout(r, 300));

describe("subscriptions", () => {
  let t: TestHub;
  let platform: TestParty, otherPlatform: TestParty, customs: TestParty, partner: TestParty;
  let mine: Declaration, theirs: Declaration;
  const clients: Client[] = [];
  const client = (key: string | null) => {
    const c = wsClient(t, key);
    clients.push(c);
    return c;
  };
  const placeHold = (d: Declaration, reason = "check") =>
    t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), d.id, { kind: "RFI", reason } as never);

  beforeAll(async () => {
    t = await startTestHub();
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    otherPlatform = await makeParty(t, "PLATFORM", "IE", "Other platform");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    partner = await makeParty(t, "CARRIER", "NL", "Partner");
    mine = (await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
    theirs = (await t.hub.services.declarations.filing.fileOne(otherPlatform.principal, declarationInput() as never)).declaration;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.stop();
  });

  it("a platform hears of holds on its own parcels only, and not why", async () => {
    const sub = subscribe(client(platform.key), HOLDS);
    await settle();
    await placeHold(theirs);
    await placeHold(mine, "undervaluation");
    await sub.waitFor(1);
    await settle();
    expect(sub.events).toHaveLength(1);
    expect(sub.events[0].data.holdPlaced).toMatchObject({ declarationId: mine.id, kind: "RFI", hold: { kind: "RFI", reason: null } });
    expect(sub.events[0].errors[0]).toMatchObject({ path: ["holdPlaced", "hold", "reason"], extensions: { code: "FORBIDDEN" } });
    sub.dispose();
  });

  it("refuses at subscribe time a declaration the caller may not see", async () => {
    const sub = subscribe(client(platform.key), HOLDS, { id: theirs.id });
    await sub.waitFor(1);
    const err = sub.errors[0] ?? sub.events[0];
    expect(JSON.stringify(err)).toContain("NOT_FOUND");
  });

  it("refuses a connection without a valid key", async () => {
    const sub = subscribe(client("lux_wrong"), HOLDS);
    await sub.waitFor(1);
    expect(sub.events).toHaveLength(0);
    expect(sub.errors).toHaveLength(1);
  });

  it("a revoked agreement stops the events it allowed", async () => {
    const agreement = await makeAgreement(t, otherPlatform, partner, { categories: ["STATUS"] });
    const fresh = (await t.hub.services.declarations.filing.fileOne(otherPlatform.principal, declarationInput() as never)).declaration;
    const sub = subscribe(client(partner.key), `subscription { declarationStatusChanged { declarationId fromStatus toStatus declaration { status } } }`);
    const control = subscribe(client(otherPlatform.key), `subscription($id: ID) { declarationStatusChanged(declarationId: $id) { toStatus } }`, { id: fresh.id });
    await settle();
    await placeHold(fresh, "second");
    await sub.waitFor(1);
    expect(sub.events.map((e) => e.data.declarationStatusChanged)).toEqual([
      { declarationId: fresh.id, fromStatus: "FILED", toStatus: "RFI", declaration: { status: "RFI" } },
    ]);
    await t.db.prisma.agreement.update({ where: { id: agreement.id }, data: { status: "REVOKED" } });
    const hold = await t.db.prisma.hold.findFirstOrThrow({ where: { declarationId: fresh.id, status: "OPEN" } });
    await t.hub.services.workflow.releaseHold(createContext(t.hub, customs.principal), hold.id, { outcome: "ok" } as never);
    await control.waitFor(2);
    await settle();
    // the filer still hears of the release; the partner, whose agreement is revoked, does not
    expect(control.events.map((e) => e.data.declarationStatusChanged.toStatus)).toEqual(["RFI", "CLEARED_TO_LOAD"]);
    expect(sub.events).toHaveLength(1);
    sub.dispose();
    control.dispose();
  });

  it("applies the HTTP limits over WebSocket too", async () => {
    const deep = `subscription { holdPlaced { ${"eventId ".repeat(3)} ${"a: eventId ".repeat(1)} ${Array.from({ length: 40 }, (_, i) => `x${i}: eventId`).join(" ")} } }`;
    const sub = subscribe(client(platform.key), deep);
    await sub.waitFor(1);
    expect(JSON.stringify(sub.errors[0] ?? sub.events[0])).toContain("QUERY_TOO_COMPLEX");
  });
});

const onPostgres = process.env.TEST_DB === "postgres" ? describe : describe.skip;
onPostgres("subscriptions across two hub instances sharing Redis", () => {
  it("an event raised on one instance reaches a subscriber on the other", async () => {
    const env = { REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379" };
    const a = await startTestHub({ env });
    const b = await startTestHub({ env, sameDatabaseAs: a });
    try {
      const platform = await makeParty(a, "PLATFORM", "IE", "Platform");
      const customs = await makeParty(a, "CUSTOMS", "DE", "Zoll");
      const d = (await a.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
      const c = wsClient(b, platform.key);
      const sub = subscribe(c, HOLDS, { id: d.id });
      await settle();
      await a.hub.services.workflow.placeHold(createContext(a.hub, customs.principal), d.id, { kind: "RFI", reason: "x" } as never);
      await sub.waitFor(1, 5000);
      expect(sub.events.map((e) => e.data.holdPlaced.kind)).toEqual(["RFI"]);
      await c.dispose();
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
