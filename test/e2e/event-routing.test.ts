/**
 * The fan-out's per-event decisions (routed once per (party, role), executed once per
 * (party, role, document)) are the query policy's: for every party and every event, a
 * socket hears it exactly when a query by the same key may read the STATUS it is about,
 * and reads the declaration's fields exactly as that query does. Two sockets of a party
 * get the same payloads.
 */
import type { Client } from "graphql-ws";
import { createContext } from "../../src/context/context";
import type { Declaration } from "../../src/generated/prisma/client";
import { subscribe, wsClient } from "../testkit/ws";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const HOLDS = "subscription { holdPlaced { eventId declarationId hold { id } declaration { trackingNumber platformOrderId } } }";
const STATUSES = "subscription { declarationStatusChanged { eventId declarationId toStatus declaration { trackingNumber platformOrderId } } }";
const QUERY = "query($id: ID!) { declaration(id: $id) { status trackingNumber platformOrderId } }";

describe("event routing follows the query policy", () => {
  let t: TestHub;
  const clients: Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.stop();
  });

  it("delivers to a party exactly what its queries may read, the same to each of its sockets", async () => {
    t = await startTestHub();
    const platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    const carrier = await makeParty(t, "CARRIER", "NL", "Carrier");
    const otherCarrier = await makeParty(t, "CARRIER", "FR", "Other carrier");
    const customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    const customsFR = await makeParty(t, "CUSTOMS", "FR", "Douane");
    const withStatus = await makeParty(t, "BROKER", "NL", "Broker with STATUS");
    const withoutStatus = await makeParty(t, "BROKER", "NL", "Broker without STATUS");
    const suspended = await makeParty(t, "BROKER", "BE", "Broker suspended");
    const scopedFR = await makeParty(t, "BROKER", "FR", "Broker scoped to FR");
    await makeAgreement(t, platform, withStatus, { categories: ["STATUS", "TRANSPORT"] });
    await makeAgreement(t, platform, withoutStatus, { categories: ["TRANSPORT"] });
    await makeAgreement(t, platform, suspended, { categories: ["STATUS"], status: "SUSPENDED" });
    await makeAgreement(t, platform, scopedFR, { categories: ["STATUS", "COMMERCIAL"], scopeDestinations: ["FR"] });
    await makeAgreement(t, customsDE, withStatus, { categories: ["STATUS"] }); // the holder's own grant for its holds
    const parties = [platform, carrier, otherCarrier, customsDE, customsFR, withStatus, withoutStatus, suspended, scopedFR];

    // two sockets per party, each with both subscriptions
    const subs = new Map<string, { holds: ReturnType<typeof subscribe>; statuses: ReturnType<typeof subscribe> }[]>();
    for (const p of parties) {
      const list = [];
      for (let i = 0; i < 2; i++) {
        const c = wsClient(t, p.key);
        clients.push(c);
        list.push({ holds: subscribe(c, HOLDS), statuses: subscribe(c, STATUSES) });
      }
      subs.set(p.id, list);
    }
    await new Promise((r) => setTimeout(r, 500));

    // declarations to DE and FR, by the platform, carried by one carrier or the other; DE or FR customs hold them
    const declarations: Declaration[] = [];
    for (const [destination, by, customs] of [
      ["DE", carrier, customsDE],
      ["DE", otherCarrier, customsDE],
      ["FR", carrier, customsFR],
      ["FR", otherCarrier, customsFR],
    ] as const) {
      const input = declarationInput({ carrierId: by.id, platformId: platform.id, destinationCountry: destination });
      const d = (await t.hub.services.declarations.fileOne(createContext(t.hub, platform.principal), input as never)).declaration as Declaration;
      await t.hub.services.workflow.placeHold(createContext(t.hub, (customs as TestParty).principal), d.id, { kind: "RFI", reason: "check" } as never);
      declarations.push(d);
    }
    const holds = await t.db.prisma.hold.findMany({ where: { declarationId: { in: declarations.map((d) => d.id) } } });

    // what each party's queries may read: the declaration's STATUS and fields over HTTP, the hold's STATUS through the field guard
    const expected = new Map<string, { statuses: Map<string, unknown>; holds: Set<string> }>();
    for (const p of parties) {
      const statuses = new Map<string, unknown>();
      for (const d of declarations) {
        const res = await t.http(p.key, QUERY, { id: d.id });
        const data = res.body.data?.declaration as { status: string | null; trackingNumber: string | null; platformOrderId: string | null } | null;
        if (data?.status) statuses.set(d.id, { trackingNumber: data.trackingNumber, platformOrderId: data.platformOrderId });
      }
      const ctx = createContext(t.hub, p.principal);
      const policy = await ctx.authz.policy();
      const heardHolds = new Set<string>();
      for (const h of holds) {
        policy.rememberScope(declarations.find((d) => d.id === h.declarationId)!);
        if (ctx.authz.canRead("Hold", h, "STATUS")) heardHolds.add(h.declarationId);
      }
      expected.set(p.id, { statuses, holds: heardHolds });
    }
    // the world is varied enough to mean something: some hear all, some some, some nothing
    const counts = parties.map((p) => expected.get(p.id)!.statuses.size);
    expect(Math.max(...counts)).toBe(4);
    expect(Math.min(...counts)).toBe(0);
    expect(counts.some((n) => n > 0 && n < 4)).toBe(true);

    await new Promise((r) => setTimeout(r, 1500));
    const ours = new Set(declarations.map((d) => d.id));
    for (const p of parties) {
      const want = expected.get(p.id)!;
      const got = subs.get(p.id)!.map((s) => ({
        statuses: s.statuses.events.map((e) => e.data.declarationStatusChanged).filter((e: any) => ours.has(e.declarationId)),
        holds: s.holds.events.map((e) => e.data.holdPlaced).filter((e: any) => ours.has(e.declarationId)),
      }));
      for (const g of got) {
        expect({ party: p.name, heard: g.statuses.map((e: any) => e.declarationId).sort() }).toEqual({ party: p.name, heard: [...want.statuses.keys()].sort() });
        for (const e of g.statuses) expect({ party: p.name, ...e.declaration }).toEqual({ party: p.name, ...(want.statuses.get(e.declarationId) as object) });
        expect({ party: p.name, heard: g.holds.map((e: any) => e.declarationId).sort() }).toEqual({ party: p.name, heard: [...want.holds].sort() });
      }
      expect(got[1]).toEqual(got[0]); // the same payloads to both sockets
    }
  });
});
