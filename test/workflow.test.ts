/**
 * Write rights and lifecycle of the workflow mutations, tried as an adversary: every
 * mutation by the party entitled to it, by parties that can see the declaration but may
 * not contribute (FORBIDDEN), by parties that cannot see it (NOT_FOUND, the same answer as
 * for a declaration that does not exist), by the operator (who reads no partner data, so
 * it does not find the declaration either); illegal moves are CONFLICT.
 *
 * The hub's WorkflowService is called directly with real request contexts; who may do what
 * is the authority table (src/authz/authority.ts). One block runs the mutations through
 * GraphQL on the served schema (shield and field guards).
 */
import "reflect-metadata";
import { graphql, type GraphQLSchema } from "graphql";
import type { Declaration } from "../src/generated/prisma/client";
import type { DeclarationStatus, HoldKind } from "../src/generated/prisma/enums";
import type { Principal } from "../src/authz/principal";
import { createContext } from "../src/context/context";
import type { WorkflowService } from "../src/modules/workflow";
import type { AssessDutiesInput } from "../src/modules/workflow/workflow.inputs";
import {
  FINAL_STATUSES,
  TRANSITIONS,
  canMove,
  statusWithOpenHolds,
} from "../src/modules/workflow/workflow.lifecycle";
import { asRole, declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

let t: TestHub;
let wf: WorkflowService;
let customsDE: TestParty; // destination customs (OFFICER key)
let analystDE: Principal; // same customs, ANALYST key
let customsFR: TestParty; // customs of another country
let filer: TestParty;
let platform: TestParty; // named platform
let carrier: TestParty; // named carrier
let stranger: TestParty; // unrelated carrier
let delegate: TestParty; // carrier with an agreement from the filer: STATUS + STATUS_EVENTS (those the filer holds itself)
let statusReader: TestParty; // carrier with an agreement from the filer: STATUS only
let blindDelegate: TestParty; // carrier with STATUS_EVENTS from the filer but no category: cannot see
let operator: Principal;

type Who = TestParty | Principal;
const principalOf = (w: Who): Principal => ("principal" in w ? w.principal : w);
const ctx = (w: Who) => createContext(t.hub, principalOf(w));
const code = (c: string) => expect.objectContaining({ extensions: expect.objectContaining({ code: c }) });
const NOW = () => new Date();

async function file(over: Record<string, unknown> = {}): Promise<Declaration> {
  const { declaration } = await t.hub.services.declarations.filing.fileOne(
    filer.principal,
    declarationInput({ carrierId: carrier.id, platformId: platform.id, destinationCountry: "DE", ...over }) as never,
  );
  return declaration;
}

const statusOf = async (id: string) => (await t.db.prisma.declaration.findUniqueOrThrow({ where: { id } })).status;

const event = (who: Who, d: { id: string }, c: string, over: Record<string, unknown> = {}) =>
  wf.recordStatusEvent(ctx(who), d.id, { code: c as never, occurredAt: NOW(), place: "FRA", ...over });
const hold = (who: Who, d: { id: string }, kind: HoldKind, reason = "parcel matches a targeting profile") =>
  wf.placeHold(ctx(who), d.id, { kind, reason });
const release = (who: Who, holdId: string, over: Record<string, unknown> = {}) =>
  wf.releaseHold(ctx(who), holdId, { outcome: "no threat found", response: "invoice sent", ...over });
const alert = (who: Who, d: { id: string }) =>
  wf.raiseRiskAlert(ctx(who), d.id, { severity: "HIGH", reasonCode: "val-low", reason: "value far below market", raisedByRule: "R-17" });
/** Duties are computed from the shipped rules; `input` adds overrides, a date, a correction reason. */
const duties = (who: Who, d: { id: string }, input: AssessDutiesInput = {}) => wf.duties.assess(ctx(who), d.id, input);
const amend = (who: Who, d: { id: string }, version: number, input: Record<string, unknown>) =>
  wf.amendments.amend(ctx(who), d.id, version, input);

/** A declaration brought to `status` through the workflow itself. */
async function at(status: "FILED" | "ARRIVED" | "DUTIES_ASSESSED" | "RELEASED", over: Record<string, unknown> = {}) {
  const d = await file(over);
  if (status === "FILED") return d;
  await event(carrier, d, "ARRIVED");
  if (status === "ARRIVED") return t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
  await duties(customsDE, d); // release only after an assessment
  if (status === "RELEASED") await event(customsDE, d, "RELEASED_FROM_CUSTOMS");
  return t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
}

/** The outbox events of one declaration, oldest first, as [type, payload]. */
async function eventsOf(declarationId: string) {
  const rows = await t.db.prisma.hubEvent.findMany({ where: { declarationId }, orderBy: { seq: "asc" } });
  return rows.map((r) => [r.type, r.payload]);
}

beforeAll(async () => {
  t = await startTestHub({ http: false, rules: true });
  wf = t.hub.services.workflow;
  customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
  analystDE = asRole(customsDE, "ANALYST");
  customsFR = await makeParty(t, "CUSTOMS", "FR", "Douane FR");
  filer = await makeParty(t, "BROKER", "CN", "Shenzhen Broker");
  platform = await makeParty(t, "PLATFORM", "IE", "Shopfront");
  carrier = await makeParty(t, "CARRIER", "DE", "Fastwings");
  stranger = await makeParty(t, "CARRIER", "NL", "Nosy Express");
  delegate = await makeParty(t, "CARRIER", "BE", "Last Mile BE");
  statusReader = await makeParty(t, "CARRIER", "PL", "Tracker PL");
  blindDelegate = await makeParty(t, "CARRIER", "AT", "Blind AT");
  await makeAgreement(t, filer, delegate, { categories: ["STATUS"], contributions: ["STATUS_EVENTS"] });
  await makeAgreement(t, filer, statusReader, { categories: ["STATUS"], contributions: [] });
  await makeAgreement(t, filer, blindDelegate, { categories: [], contributions: ["STATUS_EVENTS"] });
  operator = { partyId: t.hub.services.parties.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null };
});

afterAll(async () => {
  await t?.stop();
});

describe("the transition table", () => {
  it("covers every status, ends in DELIVERED, RETURNED and SEIZED, and delivers only what was released", () => {
    const all = Object.keys(TRANSITIONS) as DeclarationStatus[];
    expect(all).toHaveLength(14);
    for (const s of all) {
      for (const to of TRANSITIONS[s]) expect(all).toContain(to);
      expect(TRANSITIONS[s].length === 0).toBe(FINAL_STATUSES.has(s));
    }
    expect(all.filter((s) => canMove(s, "DELIVERED"))).toEqual(["RELEASED"]);
    // release only after an assessment (a zero one or "nothing due" counts)
    expect(all.filter((s) => canMove(s, "RELEASED"))).toEqual(["DUTIES_ASSESSED"]);
    expect(canMove("DO_NOT_LOAD", "ARRIVED")).toBe(false);
    expect(canMove("HELD", "RELEASED")).toBe(false);
    expect(canMove("HELD", "RETURNED")).toBe(false);
  });

  it("shows the most severe open hold", () => {
    expect(statusWithOpenHolds(["RFI", "DO_NOT_LOAD", "HIGH_RISK_SCREENING"])).toBe("DO_NOT_LOAD");
    expect(statusWithOpenHolds(["RFI", "HIGH_RISK_SCREENING"])).toBe("SCREENING");
    expect(statusWithOpenHolds(["INSPECTION", "DOCUMENTS_REQUIRED"])).toBe("HELD");
    expect(statusWithOpenHolds([])).toBeNull();
  });
});

describe("recordStatusEvent (STATUS_EVENTS)", () => {
  it("the named carrier records an event, as its author; an informational code leaves the status", async () => {
    const d = await file();
    const e = await event(carrier, d, "ACCEPTED", { note: "picked up" });
    expect(e).toMatchObject({ declarationId: d.id, recordedById: carrier.id, code: "ACCEPTED", place: "FRA", note: "picked up" });
    expect(await statusOf(d.id)).toBe("FILED");
  });

  it("the filer and the destination customs officer may record events too", async () => {
    const d = await file();
    await expect(event(filer, d, "DEPARTED")).resolves.toMatchObject({ recordedById: filer.id });
    await expect(event(customsDE, d, "PRESENTED_TO_CUSTOMS")).resolves.toMatchObject({ recordedById: customsDE.id });
  });

  it("ARRIVED moves the declaration and is published (an outbox event in the same transaction)", async () => {
    const d = await file();
    await event(carrier, d, "ARRIVED");
    expect(await statusOf(d.id)).toBe("ARRIVED");
    expect(await eventsOf(d.id)).toEqual([["STATUS_CHANGED", { from: "FILED", to: "ARRIVED" }]]);
  });

  it("an unrelated carrier gets NOT_FOUND, as for a declaration that does not exist", async () => {
    const d = await file();
    await expect(event(stranger, d, "ARRIVED")).rejects.toEqual(code("NOT_FOUND"));
    await expect(event(stranger, { id: "00000000-0000-4000-8000-000000000000" }, "ARRIVED")).rejects.toEqual(code("NOT_FOUND"));
    expect(await t.db.prisma.statusEvent.count({ where: { declarationId: d.id } })).toBe(0);
  });

  it("a carrier that sees the declaration through a STATUS agreement but has no contribution gets FORBIDDEN", async () => {
    const d = await file();
    await expect(event(statusReader, d, "ARRIVED")).rejects.toEqual(code("FORBIDDEN"));
    expect(await statusOf(d.id)).toBe("FILED");
  });

  it("a carrier with an agreement granting STATUS_EVENTS from the filer may; without a category it cannot see the parcel", async () => {
    const d = await file();
    await expect(event(delegate, d, "DEPARTED")).resolves.toMatchObject({ recordedById: delegate.id });
    await expect(event(blindDelegate, d, "DEPARTED")).rejects.toEqual(code("NOT_FOUND"));
  });

  it("an agreement grants only the events its grantor may record itself", async () => {
    const d = await file();
    // The filer records ACCEPTED, DEPARTED and RETURNED before arrival; delivery events and
    // arrival belong to the named carrier (or customs), so the filer cannot pass them on.
    for (const c of ["ACCEPTED", "RETURNED"]) await expect(event(delegate, await file(), c)).resolves.toMatchObject({ recordedById: delegate.id });
    for (const c of ["ARRIVED", "OUT_FOR_DELIVERY", "DELIVERY_ATTEMPTED", "HELD_BY_CUSTOMS"]) {
      await expect(event(delegate, d, c)).rejects.toEqual(code("FORBIDDEN"));
    }
    expect(await t.db.prisma.statusEvent.count({ where: { declarationId: d.id } })).toBe(0);
  });

  it("an agreement that is suspended, revoked or out of scope grants nothing", async () => {
    const d = await file();
    for (const over of [{ status: "SUSPENDED" as const }, { status: "REVOKED" as const }, { scopeDestinations: ["FR"] }]) {
      const grantee = await makeParty(t, "CARRIER", "NL", `Grantee ${JSON.stringify(over)}`);
      await makeAgreement(t, filer, grantee, { categories: ["STATUS"], contributions: ["STATUS_EVENTS"], ...over });
      await expect(event(grantee, d, "ARRIVED")).rejects.toEqual(code("NOT_FOUND"));
    }
    // An agreement granting the contribution but read access only elsewhere: sees, may not write.
    const partial = await makeParty(t, "CARRIER", "NL", "Partial");
    await makeAgreement(t, filer, partial, { categories: ["STATUS"] });
    await makeAgreement(t, filer, partial, { contributions: ["STATUS_EVENTS"], scopeDestinations: ["FR"] });
    await expect(event(partial, d, "DEPARTED")).rejects.toEqual(code("FORBIDDEN"));
  });

  it("the platform, an analyst, other customs and the operator may not", async () => {
    const d = await file();
    await expect(event(platform, d, "ARRIVED")).rejects.toEqual(code("FORBIDDEN"));
    await expect(event(analystDE, d, "ARRIVED")).rejects.toEqual(code("FORBIDDEN"));
    await expect(event(customsFR, d, "ARRIVED")).rejects.toEqual(code("NOT_FOUND"));
    await expect(event(operator, d, "ARRIVED")).rejects.toEqual(code("NOT_FOUND"));
    expect(await t.db.prisma.statusEvent.count({ where: { declarationId: d.id } })).toBe(0);
  });

  it("DELIVERED only from RELEASED; an illegal move is a CONFLICT naming from and to, and stores nothing", async () => {
    const d = await file();
    await expect(event(carrier, d, "DELIVERED")).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", from: "FILED", to: "DELIVERED" }),
    });
    expect(await t.db.prisma.statusEvent.count({ where: { declarationId: d.id } })).toBe(0);
    await event(carrier, d, "ARRIVED");
    await expect(event(carrier, d, "ARRIVED")).rejects.toEqual(code("CONFLICT"));
    await duties(customsDE, d);
    await event(customsDE, d, "RELEASED_FROM_CUSTOMS");
    await event(carrier, d, "DELIVERED");
    expect(await statusOf(d.id)).toBe("DELIVERED");
    await expect(event(customsDE, d, "RETURNED")).rejects.toEqual(code("CONFLICT")); // final
    await expect(event(carrier, d, "RETURNED")).rejects.toEqual(code("FORBIDDEN")); // after arrival: customs only
  });

  it("releasing and seizing are customs decisions: a carrier may not record them", async () => {
    const d = await at("ARRIVED");
    await expect(event(carrier, d, "RELEASED_FROM_CUSTOMS")).rejects.toEqual(code("FORBIDDEN"));
    await expect(event(delegate, d, "SEIZED_BY_CUSTOMS")).rejects.toEqual(code("FORBIDDEN"));
    await expect(event(customsFR, d, "RELEASED_FROM_CUSTOMS")).rejects.toEqual(code("NOT_FOUND"));
    // and only after an assessment: not straight from ARRIVED
    await expect(event(customsDE, d, "RELEASED_FROM_CUSTOMS")).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", from: "ARRIVED", to: "RELEASED" }),
    });
    expect(await statusOf(d.id)).toBe("ARRIVED");
    await duties(customsDE, d);
    await expect(event(carrier, d, "RELEASED_FROM_CUSTOMS")).rejects.toEqual(code("FORBIDDEN"));
    await event(customsDE, d, "RELEASED_FROM_CUSTOMS");
    const row = await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
    expect(row.status).toBe("RELEASED");
    expect(row.releasedAt).toBeInstanceOf(Date);
  });

  it("customs decisions are delegated to customs officers only, even by an agreement in force", async () => {
    const d = await at("DUTIES_ASSESSED");
    // A HOLDS contribution written straight into the store to a carrier (proposing it is refused)
    const carrierDeputy = await makeParty(t, "CARRIER", "DE", "Would-be deputy");
    await makeAgreement(t, customsDE, carrierDeputy, { contributions: ["HOLDS"] });
    await makeAgreement(t, filer, carrierDeputy, { categories: ["STATUS"] }); // to see the declaration
    for (const c of ["RELEASED_FROM_CUSTOMS", "SEIZED_BY_CUSTOMS", "RETURNED"]) {
      await expect(event(carrierDeputy, d, c)).rejects.toEqual(code("FORBIDDEN"));
    }
    expect(await statusOf(d.id)).toBe("DUTIES_ASSESSED");
  });

  it("after arrival, only customs of the destination return the goods; before it the carrier or the filer may", async () => {
    const d = await at("ARRIVED");
    for (const who of [carrier, filer, delegate]) await expect(event(who, d, "RETURNED")).rejects.toEqual(code("FORBIDDEN"));
    await expect(event(analystDE, d, "RETURNED")).rejects.toEqual(code("FORBIDDEN"));
    expect(await statusOf(d.id)).toBe("ARRIVED");
    await expect(event(customsDE, d, "RETURNED")).resolves.toMatchObject({ recordedById: customsDE.id });
    expect(await statusOf(d.id)).toBe("RETURNED");
    const before = await file();
    await event(filer, before, "RETURNED");
    expect(await statusOf(before.id)).toBe("RETURNED");
  });

  it("ARRIVED is recorded by the named carrier or post, or destination customs; not by the filer", async () => {
    const d = await file();
    await expect(event(filer, d, "ARRIVED")).rejects.toEqual(code("FORBIDDEN"));
    await event(customsDE, d, "ARRIVED");
    expect(await statusOf(d.id)).toBe("ARRIVED");
    const post = await makeParty(t, "POST", "DE", "Deutsche Post");
    const byPost = await file({ carrierId: null, postId: post.id });
    await event(post, byPost, "ARRIVED");
    expect(await statusOf(byPost.id)).toBe("ARRIVED");
  });

  it("a note written by customs is RISK data (customsNote); a trade party's note is STATUS data", async () => {
    const d = await file();
    const byCustoms = await event(customsDE, d, "PRESENTED_TO_CUSTOMS", { note: "x-ray lane 3" });
    expect(byCustoms).toMatchObject({ note: null, customsNote: "x-ray lane 3" });
    const byCarrier = await event(carrier, d, "ACCEPTED", { note: "picked up" });
    expect(byCarrier).toMatchObject({ note: "picked up", customsNote: null });
  });

  it("a parcel under a pre-loading referral cannot arrive, nor can a held one be released", async () => {
    const d = await file();
    await hold(customsDE, d, "DO_NOT_LOAD");
    await expect(event(carrier, d, "ARRIVED")).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", from: "DO_NOT_LOAD", to: "ARRIVED" }),
    });
    const e = await at("ARRIVED");
    await hold(customsDE, e, "INSPECTION");
    await expect(event(customsDE, e, "RELEASED_FROM_CUSTOMS")).rejects.toEqual(code("CONFLICT"));
    await event(customsDE, e, "SEIZED_BY_CUSTOMS");
    expect(await statusOf(e.id)).toBe("SEIZED");
  });

  it("checks the input: code, a date not in the future, lengths", async () => {
    const d = await file();
    // The code decides which action is asked of the authority table, so it is checked first.
    const bad = await event(carrier, d, "TELEPORTED").catch((e) => e);
    expect(bad.extensions.code).toBe("BAD_USER_INPUT");
    expect(bad.problems.map((p: { path: string }) => p.path)).toEqual(["input.code"]);
    const err = await event(carrier, d, "ACCEPTED", { occurredAt: new Date(Date.now() + 3600_000), place: "x".repeat(101) }).catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.problems.map((p: { path: string }) => p.path).sort()).toEqual(["input.occurredAt", "input.place"]);
    expect(await t.db.prisma.statusEvent.count({ where: { declarationId: d.id } })).toBe(0);
  });
});

describe("risk alerts (RISK_ALERTS)", () => {
  it("destination customs, officer or analyst, raise alerts; the status does not change, so it reveals nothing", async () => {
    const d = await file();
    const before = await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
    const a = await alert(customsDE, d);
    expect(a).toMatchObject({ raisedById: customsDE.id, reasonCode: "VAL-LOW", status: "OPEN", severity: "HIGH" });
    await expect(alert(analystDE, d)).resolves.toMatchObject({ raisedById: customsDE.id });
    const after = await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
    expect([after.status, after.version, after.updatedAt]).toEqual([before.status, before.version, before.updatedAt]);
  });

  it("the carrier, platform and filer may not; other customs, strangers and the operator get NOT_FOUND", async () => {
    const d = await file();
    for (const who of [carrier, platform, filer, statusReader]) await expect(alert(who, d)).rejects.toEqual(code("FORBIDDEN"));
    for (const who of [customsFR, stranger]) await expect(alert(who, d)).rejects.toEqual(code("NOT_FOUND"));
    await expect(alert(operator, d)).rejects.toEqual(code("NOT_FOUND"));
    expect(await t.db.prisma.riskAlert.count({ where: { declarationId: d.id } })).toBe(0);
  });

  it("checks the input", async () => {
    const d = await file();
    const err = await wf
      .raiseRiskAlert(ctx(customsDE), d.id, { severity: "SEVERE" as never, reasonCode: "no spaces", reason: " " })
      .catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.problems.map((p: { path: string }) => p.path).sort()).toEqual(["input.reason", "input.reasonCode", "input.severity"]);
  });

  describe("resolveRiskAlert", () => {
    let trustTeam: TestParty; // a platform with RISK_ALERTS (and RISK reading) delegated by destination customs

    beforeAll(async () => {
      trustTeam = await makeParty(t, "PLATFORM", "IE", "Trust team");
      await makeAgreement(t, customsDE, trustTeam, { categories: ["RISK"], contributions: ["RISK_ALERTS"], scopeDestinations: ["DE"] });
    });

    it("destination customs confirm or dismiss; a second resolution is a CONFLICT", async () => {
      const d = await file();
      const a = await alert(customsDE, d);
      const done = await wf.resolveRiskAlert(ctx(analystDE), a.id, { outcome: "DISMISSED", note: "price checked" });
      expect(done).toMatchObject({ status: "DISMISSED", resolvedById: customsDE.id, resolutionNote: "price checked" });
      await expect(wf.resolveRiskAlert(ctx(customsDE), a.id, { outcome: "CONFIRMED" })).rejects.toMatchObject({
        extensions: expect.objectContaining({ code: "CONFLICT", from: "DISMISSED", to: "CONFIRMED" }),
      });
    });

    it("a delegated party resolves its own alerts only; customs resolve any", async () => {
      const d = await file({ platformId: trustTeam.id });
      const own = await alert(trustTeam, d);
      const theirs = await alert(customsDE, d);
      await expect(wf.resolveRiskAlert(ctx(trustTeam), theirs.id, { outcome: "DISMISSED" })).rejects.toEqual(code("FORBIDDEN"));
      await expect(wf.resolveRiskAlert(ctx(customsDE), own.id, { outcome: "CONFIRMED" })).resolves.toMatchObject({ status: "CONFIRMED" });
      const another = await alert(trustTeam, d);
      await expect(wf.resolveRiskAlert(ctx(trustTeam), another.id, { outcome: "DISMISSED" })).resolves.toMatchObject({
        status: "DISMISSED",
        resolvedById: trustTeam.id,
      });
    });

    it("parties that cannot see the alert, the operator included, get NOT_FOUND", async () => {
      const d = await file();
      const a = await alert(customsDE, d);
      // The carrier sees the declaration but not customs' RISK data: the alert does not exist for it.
      for (const who of [carrier, platform, filer, customsFR, stranger]) {
        await expect(wf.resolveRiskAlert(ctx(who), a.id, { outcome: "DISMISSED" })).rejects.toEqual(code("NOT_FOUND"));
      }
      await expect(wf.resolveRiskAlert(ctx(operator), a.id, { outcome: "DISMISSED" })).rejects.toEqual(code("NOT_FOUND"));
      await expect(wf.resolveRiskAlert(ctx(customsDE), "not-an-id", { outcome: "DISMISSED" })).rejects.toEqual(code("NOT_FOUND"));
      expect((await t.db.prisma.riskAlert.findUniqueOrThrow({ where: { id: a.id } })).status).toBe("OPEN");
    });
  });
});

describe("holds (HOLDS)", () => {
  it("the destination customs officer places a hold: status, HOLD_PLACED and DECLARATION_STATUS_CHANGED", async () => {
    const d = await file();
    const h = await hold(customsDE, d, "RFI");
    expect(h).toMatchObject({ declarationId: d.id, placedById: customsDE.id, kind: "RFI", status: "OPEN" });
    expect(await statusOf(d.id)).toBe("RFI");
    expect(await eventsOf(d.id)).toEqual([
      ["HOLD_PLACED", { holdId: h.id, kind: "RFI" }],
      ["STATUS_CHANGED", { from: "FILED", to: "RFI" }],
    ]);
  });

  it("an analyst, the platform on its own parcel, the carrier and the filer may not; others do not see it", async () => {
    const d = await file();
    for (const who of [analystDE, platform, carrier, filer, delegate]) {
      await expect(hold(who, d, "RFI")).rejects.toEqual(code("FORBIDDEN"));
    }
    for (const who of [customsFR, stranger]) await expect(hold(who, d, "RFI")).rejects.toEqual(code("NOT_FOUND"));
    await expect(hold(operator, d, "RFI")).rejects.toEqual(code("NOT_FOUND"));
    expect(await t.db.prisma.hold.count({ where: { declarationId: d.id } })).toBe(0);
    expect(await statusOf(d.id)).toBe("FILED");
  });

  it("customs may delegate HOLDS by agreement, to customs officers only", async () => {
    const d = await file();
    const deputy = await makeParty(t, "CUSTOMS", "AT", "Customs deputy");
    await makeAgreement(t, customsDE, deputy, { contributions: ["HOLDS"] });
    await makeAgreement(t, filer, deputy, { categories: ["STATUS"] }); // to see the declaration at all
    await expect(hold(deputy, d, "DOCUMENTS_REQUIRED")).rejects.toEqual(code("CONFLICT")); // rights fine, stage wrong
    await expect(hold(deputy, d, "RFI")).resolves.toMatchObject({ placedById: deputy.id });
    // the same agreement does not make the deputy's analysts officers of the decision
    await expect(hold(asRole(deputy, "ANALYST"), d, "RFI")).rejects.toEqual(code("FORBIDDEN"));
    // a customs decision is never delegated to the trade, even by an agreement in the store
    const broker = await makeParty(t, "BROKER", "DE", "Would-be deputy");
    await makeAgreement(t, customsDE, broker, { contributions: ["HOLDS"] });
    await makeAgreement(t, filer, broker, { categories: ["STATUS"] });
    await expect(hold(broker, d, "RFI")).rejects.toEqual(code("FORBIDDEN"));
    expect(await t.db.prisma.hold.count({ where: { declarationId: d.id } })).toBe(1);
  });

  it("pre-loading referrals: the most severe open one shows; DO_NOT_LOAD needs a screening outcome to be released", async () => {
    const d = await file();
    const rfi = await hold(customsDE, d, "RFI");
    const dnl = await hold(customsDE, d, "DO_NOT_LOAD");
    expect(await statusOf(d.id)).toBe("DO_NOT_LOAD");
    await hold(customsDE, d, "RFI"); // a lesser referral does not lower the status
    expect(await statusOf(d.id)).toBe("DO_NOT_LOAD");

    const err = await release(customsDE, dnl.id, { outcome: "  " }).catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.problems).toEqual([{ path: "input.outcome", message: expect.stringContaining("outcome of the screening") }]);
    await expect(wf.releaseHold(ctx(customsDE), dnl.id, {})).rejects.toEqual(code("BAD_USER_INPUT"));
    expect(await statusOf(d.id)).toBe("DO_NOT_LOAD");

    await expect(release(customsDE, dnl.id, { outcome: "screened: no threat" })).resolves.toMatchObject({
      status: "RELEASED",
      outcome: "screened: no threat",
      releasedById: customsDE.id,
    });
    expect(await statusOf(d.id)).toBe("RFI");
    const others = await t.db.prisma.hold.findMany({ where: { declarationId: d.id, status: "OPEN" } });
    for (const h of others) await wf.releaseHold(ctx(customsDE), h.id, { response: "invoice sent" }); // RFI: outcome optional
    expect(await statusOf(d.id)).toBe("CLEARED_TO_LOAD");
    await expect(release(customsDE, rfi.id)).rejects.toEqual(code("CONFLICT")); // already released
    await event(carrier, d, "ARRIVED");
    expect(await statusOf(d.id)).toBe("ARRIVED");
  });

  it("a hold must fit the stage: controls at destination after arrival, referrals before it, nothing after the end", async () => {
    const d = await file();
    await expect(hold(customsDE, d, "INSPECTION")).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", from: "FILED", to: "HELD" }),
    });
    const arrived = await at("ARRIVED");
    await expect(hold(customsDE, arrived, "DO_NOT_LOAD")).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", from: "ARRIVED", to: "DO_NOT_LOAD" }),
    });
    const released = await at("RELEASED");
    await expect(hold(customsDE, released, "INSPECTION")).rejects.toEqual(code("CONFLICT"));
    expect(await t.db.prisma.hold.count({ where: { declarationId: { in: [d.id, arrived.id, released.id] } } })).toBe(0);
  });

  it("at destination: HELD until the last hold goes, then back to ARRIVED or DUTIES_ASSESSED; release is a separate decision", async () => {
    const d = await at("ARRIVED");
    const inspection = await hold(customsDE, d, "INSPECTION");
    const docs = await hold(customsDE, d, "DOCUMENTS_REQUIRED");
    expect(await statusOf(d.id)).toBe("HELD");
    await duties(customsDE, d); // duties may be assessed while held; the status stays
    expect(await statusOf(d.id)).toBe("HELD");
    await release(customsDE, inspection.id);
    expect(await statusOf(d.id)).toBe("HELD");
    await release(customsDE, docs.id);
    expect(await statusOf(d.id)).toBe("DUTIES_ASSESSED");

    const e = await at("ARRIVED");
    const h = await hold(customsDE, e, "INSPECTION");
    await release(customsDE, h.id);
    expect(await statusOf(e.id)).toBe("ARRIVED");
    // release needs an assessment: none yet is a CONFLICT
    await expect(event(customsDE, e, "RELEASED_FROM_CUSTOMS")).rejects.toEqual(code("CONFLICT"));
    await duties(customsDE, e);
    expect(await statusOf(e.id)).toBe("DUTIES_ASSESSED");
    await event(customsDE, e, "RELEASED_FROM_CUSTOMS");
    expect(await statusOf(e.id)).toBe("RELEASED");
  });

  it("who may release: the officer; not the analyst or the carrier; others do not find the hold", async () => {
    const d = await file();
    const h = await hold(customsDE, d, "RFI");
    for (const who of [analystDE, carrier, platform, filer]) await expect(release(who, h.id)).rejects.toEqual(code("FORBIDDEN"));
    for (const who of [customsFR, stranger]) await expect(release(who, h.id)).rejects.toEqual(code("NOT_FOUND"));
    await expect(release(operator, h.id)).rejects.toEqual(code("NOT_FOUND"));
    await expect(release(customsDE, "00000000-0000-4000-8000-000000000000")).rejects.toEqual(code("NOT_FOUND"));
    expect((await t.db.prisma.hold.findUniqueOrThrow({ where: { id: h.id } })).status).toBe("OPEN");
    await expect(release(customsDE, h.id)).resolves.toMatchObject({ status: "RELEASED" });
  });

  it("a returned do-not-load parcel keeps its hold open; releasing it later leaves the final status", async () => {
    const d = await file();
    const dnl = await hold(customsDE, d, "DO_NOT_LOAD");
    await event(carrier, d, "RETURNED");
    expect(await statusOf(d.id)).toBe("RETURNED");
    expect((await t.db.prisma.hold.findUniqueOrThrow({ where: { id: dnl.id } })).status).toBe("OPEN");
    await release(customsDE, dnl.id, { outcome: "goods not carried" });
    expect(await statusOf(d.id)).toBe("RETURNED");
  });

  it("concurrent holds and releases are serialized: no lost update, the status matches the open holds", async () => {
    const d = await file();
    const kinds: HoldKind[] = ["RFI", "HIGH_RISK_SCREENING", "DO_NOT_LOAD", "RFI", "HIGH_RISK_SCREENING"];
    const holds = await Promise.all(kinds.map((k) => hold(customsDE, d, k)));
    expect(await statusOf(d.id)).toBe("DO_NOT_LOAD");
    const results = await Promise.allSettled([
      ...holds.map((h) => release(customsDE, h.id)),
      release(customsDE, holds[0].id), // the same hold twice: one of the two is a CONFLICT
    ]);
    const rejected = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(rejected.map((r) => r.reason.extensions.code)).toEqual(["CONFLICT"]);
    expect(await t.db.prisma.hold.count({ where: { declarationId: d.id, status: "OPEN" } })).toBe(0);
    expect(await statusOf(d.id)).toBe("CLEARED_TO_LOAD");
  });
});

describe("duties.assess (DUTIES)", () => {
  it("the destination customs officer assesses an arrived parcel: computed lines, exact decimals", async () => {
    const d = await at("ARRIVED");
    const rows = await duties(customsDE, d);
    // EUR 120.50 with an IOSS number, after 1 July 2026: EUR 3 per item category, no import VAT
    expect(rows.map((r) => [r.taxType, r.lineKey, r.amount.toFixed(2), r.collectionModel, r.assessedById])).toEqual([
      ["DUTY", "DUTY:flat:851830", "3.00", "IOSS", customsDE.id],
      ["DUTY", "DUTY:flat:610910", "3.00", "IOSS", customsDE.id],
      ["VAT", "VAT:exempt", "0.00", "IOSS", customsDE.id],
    ]);
    expect(await statusOf(d.id)).toBe("DUTIES_ASSESSED");
  });

  it("an assessment is a versioned whole: a second one is a correction, with a reason, that supersedes the first", async () => {
    const d = await at("ARRIVED");
    const first = await duties(customsDE, d);
    expect(first.map((r) => r.version)).toEqual([1, 1, 1]);
    const err = await duties(customsDE, d).catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.problems.map((p: { path: string }) => p.path)).toEqual(["input.correctionReason"]);
    const second = await duties(customsDE, d, { correctionReason: "goods arrived earlier", taxableEventAt: "2026-06-30" });
    expect(second.map((r) => [r.lineKey, r.version, r.correctionReason])).toEqual([
      ["DUTY:exempt", 2, "goods arrived earlier"],
      ["VAT:exempt", 2, "goods arrived earlier"],
    ]);
    const rows = await t.db.prisma.dutyAssessment.findMany({ where: { declarationId: d.id }, orderBy: { version: "asc" } });
    expect(rows.map((r) => [r.version, r.supersededAt === null])).toEqual([
      [1, false],
      [1, false],
      [1, false],
      [2, true],
      [2, true],
    ]);
    const row = await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
    expect([row.status, row.dutiesVersion]).toEqual(["DUTIES_ASSESSED", 2]);
  });

  it("zero amounts are lines like any other", async () => {
    const d = await at("ARRIVED");
    await expect(duties(customsDE, d, { taxableEventAt: "2026-06-30" })).resolves.toMatchObject([
      { taxType: "DUTY", method: "EXEMPT", version: 1 },
      { taxType: "VAT", method: "EXEMPT", version: 1 },
    ]);
    expect(await statusOf(d.id)).toBe("DUTIES_ASSESSED");
  });

  it("an analyst, the carrier, the filer and the platform may not; other customs and the operator do not see it", async () => {
    const d = await at("ARRIVED");
    for (const who of [analystDE, carrier, filer, platform]) await expect(duties(who, d)).rejects.toEqual(code("FORBIDDEN"));
    for (const who of [customsFR, stranger]) await expect(duties(who, d)).rejects.toEqual(code("NOT_FOUND"));
    await expect(duties(operator, d)).rejects.toEqual(code("NOT_FOUND"));
    expect(await t.db.prisma.dutyAssessment.count({ where: { declarationId: d.id } })).toBe(0);
  });

  it("only between arrival and release", async () => {
    const filed = await file();
    await expect(duties(customsDE, filed)).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", from: "FILED", to: "DUTIES_ASSESSED" }),
    });
    const released = await at("RELEASED");
    await expect(duties(customsDE, released, { correctionReason: "late correction" })).rejects.toEqual(code("CONFLICT"));
  });

  it("names every bad value: overrides (line, amount, reason), the taxable event date", async () => {
    const d = await at("ARRIVED", { iossNumber: null });
    const err = await duties(customsDE, d, {
      taxableEventAt: "yesterday",
      overrides: [
        { lineKey: "DUTY:flat:851830", amount: "-1", reason: "x" },
        { lineKey: "DUTY:flat:851830", amount: "1.005", reason: " " },
      ],
    }).catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.problems.map((p: { path: string }) => p.path)).toEqual([
      "input.overrides[0].amount",
      "input.overrides[1].lineKey",
      "input.overrides[1].amount",
      "input.overrides[1].reason",
      "input.taxableEventAt",
    ]);
    // A line that was not computed is named with the lines that were.
    const err2 = await duties(customsDE, d, { overrides: [{ lineKey: "DUTY:item:9", amount: "1", reason: "x" }] }).catch((e) => e);
    expect(err2.problems).toEqual([{ path: "input.overrides[0].lineKey", message: expect.stringContaining("DUTY:flat:851830, DUTY:flat:610910, VAT:*") }]);
    expect(await statusOf(d.id)).toBe("ARRIVED");
  });
});

describe("amendments.amend (AMEND)", () => {
  it("the filer amends with the current version; the version goes up by one; values are normalized", async () => {
    const d = await file({ incoterm: "DAP", currency: "USD", totalValue: "99.90" }); // goods items in USD
    // a new total within the EU's value tolerance (USD 0.05 or 0.1%) of the items' sum
    const a = await amend(filer, d, 1, { totalValue: "99.9400", currency: " usd", buyerName: "  Max Muster ", incoterm: "ddp" });
    expect(a).toMatchObject({ version: 2, currency: "USD", buyerName: "Max Muster", incoterm: "DDP", ddp: true });
    expect(a.totalValue.toFixed(2)).toBe("99.94");
    const b = await amend(filer, a, 2, { sellerAddress: null, platformOrderId: "ORD-NEW" });
    expect(b).toMatchObject({ version: 3, sellerAddress: null, platformOrderId: "ORD-NEW", buyerName: "Max Muster" });
  });

  it("a stale version is a CONFLICT; of two concurrent amendments on one version, one wins", async () => {
    const d = await file();
    await amend(filer, d, 1, { buyerName: "First" });
    await expect(amend(filer, d, 1, { buyerName: "Stale" })).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", currentVersion: 2 }),
    });
    const results = await Promise.allSettled([amend(filer, d, 2, { buyerName: "A" }), amend(filer, d, 2, { buyerName: "B" })]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } })).version).toBe(3);
  });

  it("nobody but the filer: carrier, platform, customs FORBIDDEN; strangers, other customs and the operator NOT_FOUND", async () => {
    const d = await file();
    for (const who of [carrier, platform, customsDE, analystDE, statusReader, delegate]) {
      await expect(amend(who, d, 1, { buyerName: "Mallory" })).rejects.toEqual(code("FORBIDDEN"));
    }
    for (const who of [stranger, customsFR]) await expect(amend(who, d, 1, { buyerName: "Mallory" })).rejects.toEqual(code("NOT_FOUND"));
    await expect(amend(operator, d, 1, { buyerName: "Mallory" })).rejects.toEqual(code("NOT_FOUND"));
    const row = await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
    expect([row.version, row.buyerName]).toEqual([1, "Erika Mustermann"]);
  });

  it("the filer may let another party amend for it (AMEND); a party that is not the filer cannot grant it", async () => {
    const { declaration: d } = await t.hub.services.declarations.filing.fileOne(
      platform.principal,
      declarationInput({ carrierId: carrier.id, platformId: platform.id }) as never,
    );
    const broker = await makeParty(t, "BROKER", "DE", "Platform's broker");
    await makeAgreement(t, platform, broker, { categories: ["STATUS"], contributions: ["AMEND"] });
    await expect(amend(broker, d, 1, { buyerName: "Corrected" })).resolves.toMatchObject({ version: 2, buyerName: "Corrected" });
    // the carrier is not the filer of `file()`'s declarations: its AMEND grants nothing there
    const e = await file();
    const other = await makeParty(t, "BROKER", "DE", "Carrier's broker");
    await makeAgreement(t, carrier, other, { contributions: ["AMEND"] });
    await makeAgreement(t, filer, other, { categories: ["STATUS"] });
    await expect(amend(other, e, 1, { buyerName: "Mallory" })).rejects.toEqual(code("FORBIDDEN"));
  });

  it("values (IOSS number, total value, currency, weight, incoterm) are frozen after release; other fields may still be corrected", async () => {
    const d = await file();
    const changed = await amend(filer, d, 1, { iossNumber: "IM2760000002" }); // before release: fine
    const released = await at("RELEASED");
    await expect(amend(filer, released, 1, { iossNumber: "IM2760000099" })).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: "CONFLICT", field: "iossNumber" }),
    });
    await expect(amend(filer, released, 1, { iossNumber: null })).rejects.toEqual(code("CONFLICT"));
    for (const values of [{ totalValue: "99.00" }, { currency: "USD" }, { grossWeightKg: "2.000" }, { incoterm: "DDP" }]) {
      await expect(amend(filer, released, 1, values)).rejects.toMatchObject({
        extensions: expect.objectContaining({ code: "CONFLICT", field: Object.keys(values)[0] }),
      });
    }
    await expect(amend(filer, released, 1, { iossNumber: released.iossNumber, buyerName: "Fixed" })).resolves.toMatchObject({
      version: 2,
      buyerName: "Fixed",
    });
    expect(changed.iossNumber).toBe("IM2760000002");
  });

  it("validates like filing, naming every path", async () => {
    const d = await file({ incoterm: "DAP" });
    const err = await amend(filer, d, 1, {
      trackingNumber: "RR123456784CN", // wrong S10 check digit
      totalValue: null,
      grossWeightKg: "0.5", // below the goods' net weight 0.700, checked once formats pass
      currency: "EURO",
      buyerEmail: "not-an-email",
      sellerCountry: "XX",
      ddp: true, // contradicts DAP
    }).catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.problems.map((p: { path: string }) => p.path).sort()).toEqual(
      ["input.buyerEmail", "input.currency", "input.sellerCountry", "input.totalValue", "input.trackingNumber"].sort(),
    );
    const err2 = await amend(filer, d, 1, { grossWeightKg: "0.5", ddp: true }).catch((e) => e);
    expect(err2.problems.map((p: { path: string }) => p.path).sort()).toEqual(["input.ddp", "input.grossWeightKg"]);
    const gift = await file({ category: "GIFT", iossNumber: null });
    await expect(amend(filer, gift, 1, { iossNumber: "IM2760000001" })).rejects.toEqual(code("BAD_USER_INPUT"));
    await expect(amend(filer, d, 1, {})).rejects.toEqual(code("BAD_USER_INPUT"));
    expect((await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } })).version).toBe(1);
  });
});

describe("through GraphQL (the served schema: shield + field guards)", () => {
  let schema: GraphQLSchema;
  const run = (who: Who, source: string, variableValues?: Record<string, unknown>) =>
    graphql({ schema, source, variableValues, contextValue: createContext(t.hub, principalOf(who)) });

  beforeAll(async () => {
    schema = t.schema;
  });

  it("each mutation answers with the existing object types, read through the field guards", async () => {
    const d = await file();
    const ev = await run(carrier, `mutation($id: ID!, $at: DateTime!) {
      recordStatusEvent(declarationId: $id, input: { code: ARRIVED, occurredAt: $at, place: "FRA", note: "bay 4" }) { id code occurredAt place note }
    }`, { id: d.id, at: new Date().toISOString() });
    expect(ev.errors).toBeUndefined();
    expect(ev.data!.recordStatusEvent).toMatchObject({ code: "ARRIVED", place: "FRA", note: "bay 4" });
    // The note a client sent is readable back, as STATUS data (the platform sees STATUS by baseline).
    const back = await run(platform, `query($id: ID!) { declaration(id: $id) { statusEvents { code note } } }`, { id: d.id });
    expect(back.errors).toBeUndefined();
    expect((back.data!.declaration as { statusEvents: unknown[] }).statusEvents).toContainEqual({ code: "ARRIVED", note: "bay 4" });

    const h = await run(customsDE, `mutation($id: ID!) {
      placeHold(declarationId: $id, input: { kind: INSPECTION, reason: "x-ray anomaly" }) { id kind status reason }
    }`, { id: d.id });
    expect(h.errors).toBeUndefined();
    expect(h.data!.placeHold).toMatchObject({ kind: "INSPECTION", status: "OPEN", reason: "x-ray anomaly" });

    // The carrier sees that its parcel is held, not why.
    const seen = await run(carrier, `query($id: ID!) { declaration(id: $id) { status holds { kind reason } } }`, { id: d.id });
    expect(seen.data!.declaration).toEqual({ status: "HELD", holds: [{ kind: "INSPECTION", reason: null }] });
    expect(seen.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);

    const rel = await run(customsDE, `mutation($id: ID!) { releaseHold(holdId: $id, input: { outcome: "ok" }) { status outcome } }`, {
      id: (h.data!.placeHold as { id: string }).id,
    });
    expect(rel.data!.releaseHold).toEqual({ status: "RELEASED", outcome: "ok" });

    const dut = await run(customsDE, `mutation($id: ID!) {
      assessDuties(declarationId: $id) { taxType lineKey amount collectionModel }
    }`, { id: d.id });
    expect(dut.errors).toBeUndefined();
    expect(dut.data!.assessDuties).toEqual([
      { taxType: "DUTY", lineKey: "DUTY:flat:851830", amount: "3", collectionModel: "IOSS" },
      { taxType: "DUTY", lineKey: "DUTY:flat:610910", amount: "3", collectionModel: "IOSS" },
      { taxType: "VAT", lineKey: "VAT:exempt", amount: "0", collectionModel: "IOSS" },
    ]);

    const al = await run(analystDE, `mutation($id: ID!) {
      raiseRiskAlert(declarationId: $id, input: { severity: LOW, reasonCode: "HS", reason: "HS code unusual" }) { id status reasonCode }
    }`, { id: d.id });
    expect(al.data!.raiseRiskAlert).toMatchObject({ status: "OPEN", reasonCode: "HS" });
    const res = await run(customsDE, `mutation($id: ID!) { resolveRiskAlert(alertId: $id, input: { outcome: DISMISSED }) { status } }`, {
      id: (al.data!.raiseRiskAlert as { id: string }).id,
    });
    expect(res.data!.resolveRiskAlert).toEqual({ status: "DISMISSED" });

    const am = await run(filer, `mutation($id: ID!) {
      amendDeclaration(id: $id, expectedVersion: 1, input: { buyerName: "New Name" }) { version buyerName status }
    }`, { id: d.id });
    expect(am.errors).toBeUndefined();
    expect(am.data!.amendDeclaration).toEqual({ version: 2, buyerName: "New Name", status: "DUTIES_ASSESSED" });
  });

  it("errors keep their codes", async () => {
    const d = await file();
    const r = await run(stranger, `mutation($id: ID!) { placeHold(declarationId: $id, input: { kind: RFI, reason: "x" }) { id } }`, { id: d.id });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["NOT_FOUND"]);
    const s = await run(filer, `mutation($id: ID!) { amendDeclaration(id: $id, expectedVersion: 7, input: { buyerName: "x" }) { id } }`, {
      id: d.id,
    });
    expect(s.errors?.map((e) => e.extensions?.code)).toEqual(["CONFLICT"]);
  });
});
