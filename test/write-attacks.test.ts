/**
 * Issue 7's attacks on the write side, one regression test each, through the GraphQL API
 * (in-process `t.exec`, the same schema, shield, field guards and services as over HTTP;
 * `t.http` where the transport matters). Every test shows the attack failing AND the
 * legitimate path next to it still working, so a fix that simply refuses everything fails.
 */
import { randomUUID } from "node:crypto";
import type { Principal } from "../src/authz/principal";
import { ADMIN_TOKEN, asRole, declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

let t: TestHub;
let customsDE: TestParty, customsFR: TestParty, customsNL: TestParty;
let analystDE: Principal;
let platform: TestParty, platform2: TestParty;
let carrier: TestParty, carrier2: TestParty, carrier3: TestParty;
let broker: TestParty;
let operator: Principal;

type Who = TestParty | Principal;
const principalOf = (w: Who): Principal => ("principal" in w ? w.principal : w);
const run = (w: Who, query: string, variables?: Record<string, unknown>) => t.exec(principalOf(w), query, variables);

type Result = Awaited<ReturnType<TestHub["exec"]>>;
const codeOf = (r: Result) => r.errors?.[0]?.extensions?.code as string | undefined;
const codesOf = (r: Result) => (r.errors ?? []).map((e) => e.extensions?.code as string);
/** The data of a result that must have succeeded. */
function ok(r: Result): any {
  if (r.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(r.errors)}`);
  return r.data;
}
const problemPaths = (r: Result) => ((r.errors?.[0]?.extensions?.problems ?? []) as { path: string }[]).map((p) => p.path);

let tnCounter = 0;
const newTrackingNumber = (prefix = "WA") => `${prefix}-${Date.now().toString(36).toUpperCase()}-${++tnCounter}`;
const now = () => new Date().toISOString();

// ---- documents -------------------------------------------------------------------------

const FILE = `mutation($i: DeclarationInput!, $k: String) { fileDeclaration(input: $i, idempotencyKey: $k) { created declaration { id version } } }`;
const FILE_MANY = `mutation($ds: [DeclarationInput!]!) { fileDeclarations(declarations: $ds) { createdCount failedCount results { error { code } } } }`;
const EVENT = `mutation($d: ID!, $code: StatusEventCode!, $at: DateTime!, $note: String, $k: String) {
  recordStatusEvent(declarationId: $d, input: { code: $code, occurredAt: $at, note: $note }, idempotencyKey: $k) { id code } }`;
const HOLD = `mutation($d: ID!, $kind: HoldKind!, $reason: String!, $k: String) {
  placeHold(declarationId: $d, input: { kind: $kind, reason: $reason }, idempotencyKey: $k) { id kind status } }`;
const RELEASE_HOLD = `mutation($h: ID!, $o: String) { releaseHold(holdId: $h, input: { outcome: $o }) { id status } }`;
const ALERT = `mutation($d: ID!, $reason: String!, $k: String) {
  raiseRiskAlert(declarationId: $d, input: { severity: HIGH, reasonCode: "VAL-LOW", reason: $reason }, idempotencyKey: $k) { id } }`;
const DUTIES = `mutation($d: ID!, $i: AssessDutiesInput!, $k: String) { assessDuties(declarationId: $d, input: $i, idempotencyKey: $k) { id amount version } }`;
const AMEND = `mutation($id: ID!, $v: Int!, $i: AmendDeclarationInput!, $k: String) {
  amendDeclaration(id: $id, expectedVersion: $v, input: $i, idempotencyKey: $k) { id version } }`;
const PROPOSE = `mutation($i: ProposeAgreementInput!, $k: String) { proposeAgreement(input: $i, idempotencyKey: $k) { id status contributions } }`;
const ACCEPT = `mutation($id: ID!) { acceptAgreement(id: $id) { id status } }`;
const CREATE_PARTY = `mutation($i: CreatePartyInput!, $k: String) { createParty(input: $i, idempotencyKey: $k) { id name } }`;
const CREATE_KEY = `mutation($i: CreateApiKeyInput!, $k: String) { createApiKey(input: $i, idempotencyKey: $k) { key { id } secret } }`;
const CLEARANCE = `query($tn: String!) { clearanceStatus(trackingNumber: $tn) { id status onHold openHoldKinds } }`;
const WRITE_AUDIT = `query($d: ID, $r: ID) { writeAudit(declarationId: $d, recordId: $r, first: 1000) {
  operation recordType recordId declarationId actor { id } changes { field before after } } }`;

/** Duties are computed from the shipped rules: nothing to type. */
const COMPUTED = {};
const RELIEF = { overrides: [{ lineKey: "DUTY:flat:851830", amount: "0", reason: "returned goods relief" }] };

// ---- helpers ---------------------------------------------------------------------------

async function file(filer: Who, over: Record<string, unknown> = {}): Promise<string> {
  const r = await run(filer, FILE, {
    i: declarationInput({ carrierId: carrier.id, platformId: platform.id, destinationCountry: "DE", trackingNumber: newTrackingNumber(), ...over }),
  });
  return ok(r).fileDeclaration.declaration.id;
}
const event = (who: Who, d: string, code: string, extra: { note?: string; k?: string; at?: string } = {}) =>
  run(who, EVENT, { d, code, at: extra.at ?? now(), note: extra.note ?? null, k: extra.k ?? null });
const hold = (who: Who, d: string, kind: string, reason = "matches a targeting profile", k?: string) =>
  run(who, HOLD, { d, kind, reason, k: k ?? null });
const assess = (who: Who, d: string, input: Record<string, unknown>, k?: string) => run(who, DUTIES, { d, i: input, k: k ?? null });
const amend = (who: Who, id: string, v: number, input: Record<string, unknown>, k?: string) => run(who, AMEND, { id, v, i: input, k: k ?? null });
const propose = (who: Who, input: Record<string, unknown>, k?: string) =>
  run(who, PROPOSE, { i: { purpose: "parcel data exchange", legalBasis: "bilateral MoU", categories: [], ...input }, k: k ?? null });

const db = () => t.db.prisma;
const row = (id: string) => db().declaration.findUniqueOrThrow({ where: { id } });

beforeAll(async () => {
  t = await startTestHub({ rules: true });
  customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
  analystDE = asRole(customsDE, "ANALYST");
  customsFR = await makeParty(t, "CUSTOMS", "FR", "Douane FR");
  customsNL = await makeParty(t, "CUSTOMS", "NL", "Douane NL");
  platform = await makeParty(t, "PLATFORM", "IE", "Shopfront");
  platform2 = await makeParty(t, "PLATFORM", "LU", "Bazaar");
  carrier = await makeParty(t, "CARRIER", "DE", "Fastwings");
  carrier2 = await makeParty(t, "CARRIER", "NL", "Second Express");
  carrier3 = await makeParty(t, "CARRIER", "BE", "Third Express");
  broker = await makeParty(t, "BROKER", "DE", "Broker GmbH");
  operator = { partyId: t.hub.services.parties.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null };
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

// ---------------------------------------------------------------------------------------

describe("attack: a platform delegates customs decisions to a carrier", () => {
  it("a proposal with contributions HOLDS and DUTIES is BAD_USER_INPUT naming input.contributions[i]; STATUS_EVENTS is fine", async () => {
    const before = await db().agreement.count();
    for (const proposer of [platform, carrier]) {
      const r = await propose(proposer, { grantorId: platform.id, granteeId: carrier.id, categories: ["STATUS"], contributions: ["HOLDS", "DUTIES"] });
      expect(codeOf(r)).toBe("BAD_USER_INPUT");
      expect(problemPaths(r)).toEqual(expect.arrayContaining(["input.contributions[0]", "input.contributions[1]"]));
    }
    // one bad contribution among good ones: it alone is named
    const mixed = await propose(platform, { grantorId: platform.id, granteeId: carrier.id, contributions: ["STATUS_EVENTS", "HOLDS"] });
    expect(codeOf(mixed)).toBe("BAD_USER_INPUT");
    expect(problemPaths(mixed)).toContain("input.contributions[1]");
    expect(problemPaths(mixed)).not.toContain("input.contributions[0]");
    expect(await db().agreement.count()).toBe(before);

    // the legitimate proposal: what a platform does itself (status events as a filer)
    const good = ok(await propose(platform, { grantorId: platform.id, granteeId: carrier.id, categories: ["STATUS"], contributions: ["STATUS_EVENTS"] }));
    expect(good.proposeAgreement).toMatchObject({ status: "PROPOSED", contributions: ["STATUS_EVENTS"] });
    expect(ok(await run(carrier, ACCEPT, { id: good.proposeAgreement.id })).acceptAgreement.status).toBe("ACTIVE");
    await db().agreement.update({ where: { id: good.proposeAgreement.id }, data: { status: "REVOKED" } });
  });

  it("an old agreement row carrying HOLDS and DUTIES, straight in the store, lets the carrier take no customs decision", async () => {
    const legacy = await makeAgreement(t, platform, carrier, {
      categories: ["STATUS", "TRANSPORT", "COMMERCIAL", "PARTIES", "RISK", "REVENUE"],
      contributions: ["HOLDS", "DUTIES", "STATUS_EVENTS", "RISK_ALERTS"],
    });
    // and one from customs itself: customs decisions still go to customs officers only
    const fromCustoms = await makeAgreement(t, customsDE, carrier, { categories: ["STATUS"], contributions: ["HOLDS", "DUTIES"] });
    try {
      const before = await file(platform);
      for (const kind of ["RFI", "HIGH_RISK_SCREENING", "DO_NOT_LOAD"]) expect(codeOf(await hold(carrier, before, kind))).toBe("FORBIDDEN");

      const d = await file(platform);
      ok(await event(carrier, d, "ARRIVED")); // what a carrier may do
      expect(codeOf(await assess(carrier, d, COMPUTED))).toBe("FORBIDDEN");
      expect(codeOf(await assess(carrier, d, RELIEF))).toBe("FORBIDDEN");
      expect(codeOf(await event(carrier, d, "RELEASED_FROM_CUSTOMS"))).toBe("FORBIDDEN");
      expect(codeOf(await event(carrier, d, "SEIZED_BY_CUSTOMS"))).toBe("FORBIDDEN");
      for (const kind of ["INSPECTION", "DOCUMENTS_REQUIRED"]) expect(codeOf(await hold(carrier, d, kind))).toBe("FORBIDDEN");
      expect(codeOf(await run(carrier, ALERT, { d, reason: "x" }))).toBe("FORBIDDEN");
      expect(await db().hold.count({ where: { declarationId: { in: [before, d] } } })).toBe(0);
      expect(await db().dutyAssessment.count({ where: { declarationId: d } })).toBe(0);
      expect(await db().riskAlert.count({ where: { declarationId: d } })).toBe(0);
      expect((await row(d)).status).toBe("ARRIVED");
      expect((await row(before)).status).toBe("FILED");

      // customs of the destination still decide
      ok(await assess(customsDE, d, COMPUTED));
      ok(await event(customsDE, d, "RELEASED_FROM_CUSTOMS"));
      expect((await row(d)).status).toBe("RELEASED");
      ok(await hold(customsDE, before, "DO_NOT_LOAD"));
    } finally {
      await db().agreement.updateMany({ where: { id: { in: [legacy.id, fromCustoms.id] } }, data: { status: "REVOKED" } });
    }
  });
});

describe("attack: a filer hides an open hold from the carrier", () => {
  it("the carrier keeps seeing DO_NOT_LOAD whatever else is filed under the same tracking number", async () => {
    const tn = newTrackingNumber("HIDE");
    const d = await file(platform, { trackingNumber: tn });
    ok(await hold(customsDE, d, "DO_NOT_LOAD"));
    const seen = async () => ok(await run(carrier, CLEARANCE, { tn })).clearanceStatus;
    expect(await seen()).toEqual({ id: d, status: "DO_NOT_LOAD", onHold: true, openHoldKinds: ["DO_NOT_LOAD"] });

    // another platform files the same parcel naming the same carrier: CONFLICT
    for (const filer of [platform2, platform, broker]) {
      const r = await run(filer, FILE, { i: declarationInput({ trackingNumber: tn, carrierId: carrier.id, platformId: platform2.id, destinationCountry: "DE" }) });
      expect(codeOf(r)).toBe("CONFLICT");
    }
    const bulk = ok(await run(platform2, FILE_MANY, { ds: [declarationInput({ trackingNumber: tn, carrierId: carrier.id, destinationCountry: "DE" })] }));
    expect(bulk.fileDeclarations).toMatchObject({ createdCount: 0, failedCount: 1, results: [{ error: { code: "CONFLICT" } }] });
    expect(await seen()).toEqual({ id: d, status: "DO_NOT_LOAD", onHold: true, openHoldKinds: ["DO_NOT_LOAD"] });

    // 20 more filings: same number, no carrier or other carriers; none changes what the carrier sees
    const filers = [platform2, broker, platform];
    const carriers = [null, carrier2.id, carrier3.id, null];
    for (let i = 0; i < 20; i++) {
      await run(filers[i % filers.length], FILE, {
        i: declarationInput({ trackingNumber: tn, carrierId: carriers[i % carriers.length], platformId: null, destinationCountry: ["DE", "FR", "NL"][i % 3] }),
      });
      expect(await seen()).toEqual({ id: d, status: "DO_NOT_LOAD", onHold: true, openHoldKinds: ["DO_NOT_LOAD"] });
    }
    expect(await db().declaration.count({ where: { trackingNumber: tn, carrierId: carrier.id } })).toBe(1);

    // the legitimate path: customs release the hold, the carrier sees it at once; once the
    // parcel is returned (final), the number may be filed again for the carrier
    const h = await db().hold.findFirstOrThrow({ where: { declarationId: d } });
    ok(await run(customsDE, RELEASE_HOLD, { h: h.id, o: "screened: no threat" }));
    expect(await seen()).toEqual({ id: d, status: "CLEARED_TO_LOAD", onHold: false, openHoldKinds: [] });
    ok(await event(carrier, d, "RETURNED"));
    const again = ok(await run(platform2, FILE, { i: declarationInput({ trackingNumber: tn, carrierId: carrier.id, destinationCountry: "DE" }) }));
    expect(await seen()).toMatchObject({ id: again.fileDeclaration.declaration.id, status: "FILED", onHold: false });
  });
});

describe("attack: retries", () => {
  it("assessDuties twice without a key never doubles the duty due; a correction supersedes", async () => {
    const d = await file(platform);
    ok(await event(carrier, d, "ARRIVED"));
    ok(await assess(customsDE, d, COMPUTED));
    const second = await assess(customsDE, d, COMPUTED);
    expect(codeOf(second)).toBe("BAD_USER_INPUT"); // a correction needs a reason: refused, not appended
    const due = async () =>
      (ok(await run(customsDE, `query($id: ID!) { declaration(id: $id) { duties { amount version } } }`, { id: d })).declaration.duties as { amount: string; version: number }[]);
    expect((await due()).map((l) => Number(l.amount))).toEqual([3, 3, 0]);

    ok(await assess(customsDE, d, { ...RELIEF, correctionReason: "relief granted" }));
    const lines = await due();
    expect(lines.map((l) => [Number(l.amount), l.version])).toEqual([
      [0, 2],
      [3, 2],
      [0, 2],
    ]);
    expect(await db().dutyAssessment.count({ where: { declarationId: d, supersededAt: null } })).toBe(3);
  });

  /** Runs `call(key)` twice and once with another payload; checks one effect and the first result back. */
  async function once(name: string, first: () => Promise<Result>, retry: () => Promise<Result>, other: () => Promise<Result>, count: () => Promise<number>, idOf: (data: any) => unknown) {
    const before = await count();
    const a = ok(await first());
    const b = ok(await retry());
    expect({ name, id: idOf(b) }).toEqual({ name, id: idOf(a) });
    expect({ name, applied: (await count()) - before }).toEqual({ name, applied: 1 });
    const c = await other();
    expect({ name, code: codeOf(c) }).toEqual({ name, code: "CONFLICT" });
    expect({ name, applied: (await count()) - before }).toEqual({ name, applied: 1 });
    return { a, b };
  }

  it("with the same idempotencyKey each write applies once and returns the first result; another payload is CONFLICT", async () => {
    const k = () => `retry-${randomUUID()}`;

    const d1 = await file(platform);
    let key = k();
    await once("placeHold", () => hold(customsDE, d1, "RFI", "invoice?", key), () => hold(customsDE, d1, "RFI", "invoice?", key), () => hold(customsDE, d1, "RFI", "other reason", key),
      () => db().hold.count({ where: { declarationId: d1 } }), (x) => x.placeHold.id);

    key = k();
    const alertKey = key;
    await once("raiseRiskAlert", () => run(customsDE, ALERT, { d: d1, reason: "value low", k: key }), () => run(customsDE, ALERT, { d: d1, reason: "value low", k: key }),
      () => run(customsDE, ALERT, { d: d1, reason: "value very low", k: key }), () => db().riskAlert.count({ where: { declarationId: d1 } }), (x) => x.raiseRiskAlert.id);

    const d2 = await file(platform);
    key = k();
    const at = now();
    await once("recordStatusEvent", () => event(carrier, d2, "ARRIVED", { k: key, at }), () => event(carrier, d2, "ARRIVED", { k: key, at }),
      () => event(carrier, d2, "ARRIVED", { k: key, at, note: "gate 4" }), () => db().statusEvent.count({ where: { declarationId: d2 } }), (x) => x.recordStatusEvent.id);
    expect((await row(d2)).status).toBe("ARRIVED");

    key = k();
    await once("assessDuties", () => assess(customsDE, d2, COMPUTED, key), () => assess(customsDE, d2, COMPUTED, key),
      () => assess(customsDE, d2, { ...RELIEF, correctionReason: "x" }, key),
      async () => (await row(d2)).dutiesVersion, (x) => x.assessDuties.map((l: any) => l.id));
    expect(await db().dutyAssessment.count({ where: { declarationId: d2 } })).toBe(3); // one computed assessment: three lines

    key = k();
    await once("amendDeclaration", () => amend(platform, d2, 1, { buyerName: "Erika M." }, key), () => amend(platform, d2, 1, { buyerName: "Erika M." }, key),
      () => amend(platform, d2, 1, { buyerName: "Someone Else" }, key), async () => (await row(d2)).version - 1, (x) => x.amendDeclaration.id);
    expect((await row(d2)).buyerName).toBe("Erika M.");

    key = k();
    const agreement = { grantorId: platform.id, granteeId: broker.id, categories: ["STATUS"] };
    await once("proposeAgreement", () => propose(platform, agreement, key), () => propose(platform, agreement, key),
      () => propose(platform, { ...agreement, categories: ["STATUS", "TRANSPORT"] }, key), () => db().agreement.count({ where: { grantorId: platform.id, granteeId: broker.id } }), (x) => x.proposeAgreement.id);
    // keys are per party: another party's key of the same name is its own
    ok(await propose(platform2, { grantorId: platform2.id, granteeId: broker.id, categories: ["STATUS"] }, key));

    key = k();
    const partyInput = { name: `Retry Carrier ${key}`, kind: "CARRIER", country: "PL" };
    await once("createParty", () => run(operator, CREATE_PARTY, { i: partyInput, k: key }), () => run(operator, CREATE_PARTY, { i: partyInput, k: key }),
      () => run(operator, CREATE_PARTY, { i: { ...partyInput, country: "CZ" }, k: key }), () => db().party.count({ where: { name: partyInput.name } }), (x) => x.createParty.id);

    key = k();
    const keyInput = { partyId: broker.id, role: "AGENT", label: "retried key" };
    const { a, b } = await once("createApiKey", () => run(operator, CREATE_KEY, { i: keyInput, k: key }), () => run(operator, CREATE_KEY, { i: keyInput, k: key }),
      () => run(operator, CREATE_KEY, { i: { ...keyInput, label: "another" }, k: key }), () => db().apiKey.count({ where: { partyId: broker.id } }), (x) => x.createApiKey.key.id);
    expect(b.createApiKey.secret).toBe(a.createApiKey.secret);
    await expect(t.hub.authenticator.authenticate(`Bearer ${b.createApiKey.secret}`)).resolves.toMatchObject({ partyId: broker.id });

    // a key reused for another operation of the same party is a CONFLICT too
    expect(codeOf(await hold(customsDE, d1, "RFI", "invoice?", alertKey))).toBe("CONFLICT");
    expect(await db().hold.count({ where: { declarationId: d1 } })).toBe(1);
  });
});

describe("attack: customs decisions by the wrong party", () => {
  it("carrier or filer moving an ARRIVED parcel to RETURNED: FORBIDDEN; customs may (and the carrier may before arrival)", async () => {
    const d = await file(platform);
    ok(await event(carrier, d, "ARRIVED"));
    for (const who of [carrier, platform]) expect(codeOf(await event(who, d, "RETURNED"))).toBe("FORBIDDEN");
    expect(codeOf(await event(analystDE, d, "RETURNED"))).toBe("FORBIDDEN"); // a decision: officers only
    expect((await row(d)).status).toBe("ARRIVED");
    ok(await event(customsDE, d, "RETURNED"));
    expect((await row(d)).status).toBe("RETURNED");

    const early = await file(platform);
    ok(await event(carrier, early, "RETURNED"));
    expect((await row(early)).status).toBe("RETURNED");
  });

  it("a platform recording ARRIVED: FORBIDDEN; the carrier may", async () => {
    const d = await file(platform);
    expect(codeOf(await event(platform, d, "ARRIVED"))).toBe("FORBIDDEN");
    const other = await file(broker); // platform named, not filer
    expect(codeOf(await event(platform, other, "ARRIVED"))).toBe("FORBIDDEN");
    expect(await db().statusEvent.count({ where: { declarationId: { in: [d, other] } } })).toBe(0);
    ok(await event(carrier, d, "ARRIVED"));
    expect((await row(d)).status).toBe("ARRIVED");
  });

  it("an ARRIVED event on a HELD parcel does not lift the customs hold: CONFLICT (found by the write property test)", async () => {
    const tn = newTrackingNumber("HELD");
    const d = await file(platform, { trackingNumber: tn });
    ok(await event(carrier, d, "ARRIVED"));
    const h = ok(await hold(customsDE, d, "INSPECTION", "x-ray anomaly")).placeHold.id;
    expect((await row(d)).status).toBe("HELD");
    for (const who of [carrier, customsDE]) {
      expect({ who: (who as TestParty).name, code: codeOf(await event(who, d, "ARRIVED")) }).toEqual({ who: (who as TestParty).name, code: "CONFLICT" });
    }
    expect((await row(d)).status).toBe("HELD");
    expect(ok(await run(carrier, CLEARANCE, { tn })).clearanceStatus).toMatchObject({ status: "HELD", onHold: true });
    // nor a referral before loading: a parcel under DO_NOT_LOAD does not arrive
    const dnl = await file(platform);
    ok(await hold(customsDE, dnl, "DO_NOT_LOAD"));
    expect(codeOf(await event(carrier, dnl, "ARRIVED"))).toBe("CONFLICT");
    // the legitimate path: customs release the inspection, the parcel is back where the hold found it
    ok(await run(customsDE, RELEASE_HOLD, { h, o: "nothing found" }));
    expect((await row(d)).status).toBe("ARRIVED");
  });

  it("ARRIVED -> RELEASED without an assessment: CONFLICT; with an assessment (computed or overridden) it works", async () => {
    for (const assessment of [COMPUTED, RELIEF]) {
      const d = await file(platform);
      ok(await event(carrier, d, "ARRIVED"));
      expect(codeOf(await event(customsDE, d, "RELEASED_FROM_CUSTOMS"))).toBe("CONFLICT");
      expect((await row(d)).status).toBe("ARRIVED");
      ok(await assess(customsDE, d, assessment));
      ok(await event(customsDE, d, "RELEASED_FROM_CUSTOMS"));
      expect((await row(d)).status).toBe("RELEASED");
    }
  });

  it("totalValue amended after release: CONFLICT; every accepted amendment is in writeAudit with before and after", async () => {
    const d = await file(platform);
    const accepted: { field: string; before: unknown; after: unknown }[] = [];
    let v = 1;
    const tryAmend = async (input: Record<string, string>) => {
      const before = await row(d);
      const r = await amend(platform, d, v, input);
      if (!r.errors) {
        v++;
        for (const [field, after] of Object.entries(input)) accepted.push({ field, before: String((before as any)[field]), after });
      }
      return r;
    };
    ok(await tryAmend({ totalValue: "120.55" })); // within the EU value tolerance of the items' 120.50
    ok(await tryAmend({ buyerName: "E. Mustermann" }));
    ok(await event(carrier, d, "ARRIVED"));
    ok(await assess(customsDE, d, COMPUTED));
    ok(await event(customsDE, d, "RELEASED_FROM_CUSTOMS"));
    for (const input of [{ totalValue: "5.00" }, { currency: "USD" }, { grossWeightKg: "9.000" }] as Record<string, string>[]) {
      expect(codeOf(await tryAmend(input))).toBe("CONFLICT");
    }
    expect(Number((await row(d)).totalValue)).toBe(120.55);
    ok(await tryAmend({ buyerName: "Erika Mustermann-Schmidt" })); // a non-value field may still change
    ok(await event(carrier, d, "DELIVERED"));
    expect(codeOf(await tryAmend({ totalValue: "1.00" }))).toBe("CONFLICT");

    for (const who of [platform, customsDE]) {
      const entries = ok(await run(who, WRITE_AUDIT, { d })).writeAudit.filter((e: any) => e.operation === "amendDeclaration");
      expect(entries).toHaveLength(3);
      const changes = entries.flatMap((e: any) => e.changes.filter((c: any) => c.field !== "version"));
      const norm = (x: unknown) => (typeof x === "string" && /^\d+(\.\d+)?$/.test(x) ? Number(x) : x);
      expect(changes.map((c: any) => [c.field, norm(c.before), norm(c.after)]).sort()).toEqual(
        accepted.map((c) => [c.field, norm(c.before), norm(c.after)]).sort(),
      );
      for (const e of entries) expect(e.changes.find((c: any) => c.field === "version")).toBeTruthy();
    }
  });
});

describe("attack: reading a customs note on a status event", () => {
  it("customsNote is RISK: FORBIDDEN/null for the platform and the carrier, readable by destination customs", async () => {
    const secret = "x-ray: undeclared lithium batteries, profile R-88";
    const d = await file(platform);
    ok(await event(customsDE, d, "PRESENTED_TO_CUSTOMS", { note: secret }));
    ok(await event(carrier, d, "DEPARTED", { note: "left HKG" }));
    const Q = `query($id: ID!) { declaration(id: $id) { statusEvents { code note customsNote } } }`;
    for (const who of [platform, carrier]) {
      const r = await run(who, Q, { id: d });
      expect(JSON.stringify(r.data)).not.toContain("lithium");
      const events = r.data!.declaration.statusEvents as any[];
      const presented = events.find((e) => e.code === "PRESENTED_TO_CUSTOMS");
      expect(presented).toEqual({ code: "PRESENTED_TO_CUSTOMS", note: null, customsNote: null });
      const i = events.indexOf(presented);
      expect(r.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: ["declaration", "statusEvents", i, "customsNote"], extensions: expect.objectContaining({ code: "FORBIDDEN" }) })]),
      );
      // the legitimate path: the carrier's own note is STATUS data the platform may read
      expect(events.find((e) => e.code === "DEPARTED")).toMatchObject({ note: "left HKG" });
    }
    for (const who of [customsDE, analystDE]) {
      const r = ok(await run(who, Q, { id: d }));
      expect(r.declaration.statusEvents.find((e: any) => e.code === "PRESENTED_TO_CUSTOMS")).toEqual({ code: "PRESENTED_TO_CUSTOMS", note: null, customsNote: secret });
    }
  });
});

describe("attack: malformed ids", () => {
  it("answer NOT_FOUND or BAD_USER_INPUT, never INTERNAL_SERVER_ERROR, over HTTP", async () => {
    const d = await file(platform);
    // blankIsAbsent: an optional id given as blank means "none" (no filter, no carrier)
    const cases: { key: string; query: string; vars: (id: string) => Record<string, unknown>; blankIsAbsent?: boolean }[] = [
      { key: platform.key, query: `query($id: ID!) { party(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `query($id: ID) { accessLog(viewerPartyId: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: ADMIN_TOKEN, query: `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: customsDE.key, query: `query($id: ID!) { declaration(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: customsDE.key, query: `mutation($id: ID!) { releaseHold(holdId: $id, input: { outcome: "x" }) { id } }`, vars: (id) => ({ id }) },
      { key: customsDE.key, query: `mutation($id: ID!) { resolveRiskAlert(alertId: $id, input: { outcome: DISMISSED }) { id } }`, vars: (id) => ({ id }) },
      { key: customsDE.key, query: `mutation($id: ID!) { placeHold(declarationId: $id, input: { kind: RFI, reason: "x" }) { id } }`, vars: (id) => ({ id }) },
      { key: customsDE.key, query: `mutation($id: ID!) { assessDuties(declarationId: $id) { id } }`, vars: (id) => ({ id }) },
      { key: customsDE.key, query: `mutation($id: ID!) { registerDeclaration(declarationId: $id) { id } }`, vars: (id) => ({ id }) },
      { key: customsDE.key, query: `mutation($id: ID!) { raiseRiskAlert(declarationId: $id, input: { severity: LOW, reasonCode: "X", reason: "x" }) { id } }`, vars: (id) => ({ id }) },
      { key: carrier.key, query: `mutation($id: ID!, $at: DateTime!) { recordStatusEvent(declarationId: $id, input: { code: ARRIVED, occurredAt: $at }) { id } }`, vars: (id) => ({ id, at: now() }) },
      { key: platform.key, query: `mutation($id: ID!) { amendDeclaration(id: $id, expectedVersion: 1, input: { buyerName: "x" }) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `query($id: ID!) { agreement(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `mutation($id: ID!) { acceptAgreement(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `mutation($id: ID!) { suspendAgreement(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `mutation($id: ID!) { revokeAgreement(id: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `query($id: ID) { writeAudit(declarationId: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `query($id: ID) { writeAudit(recordId: $id) { id } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `query($id: ID) { apiKeys(partyId: $id) { id } }`, vars: (id) => ({ id }) },
      { key: ADMIN_TOKEN, query: `query($id: ID) { apiKeys(partyId: $id) { id } }`, vars: (id) => ({ id }) },
      { key: ADMIN_TOKEN, query: `mutation($id: ID!) { createApiKey(input: { partyId: $id, role: AGENT, label: "x" }) { secret } }`, vars: (id) => ({ id }) },
      { key: platform.key, query: `query($id: ID) { declarations(filter: { carrierId: $id }) { totalCount } }`, vars: (id) => ({ id }), blankIsAbsent: true },
      {
        key: platform.key,
        query: `mutation($id: ID!, $me: ID!) { proposeAgreement(input: { grantorId: $id, granteeId: $me, purpose: "p", legalBasis: "l", categories: [STATUS] }) { id } }`,
        vars: (id) => ({ id, me: platform.id }),
      },
      { key: platform.key, query: `mutation($i: DeclarationInput!) { fileDeclaration(input: $i) { created } }`, vars: (id) => ({ i: declarationInput({ carrierId: id }) }), blankIsAbsent: true },
    ];
    // malformed: not an id at all; well-formed: the shape of an id that names nothing here
    const malformed = ["nope", "", " ", "'; DROP TABLE \"Declaration\"; --", `${d}x`, d.toUpperCase().replace(/-/g, ""), "x".repeat(5000)];
    const wellFormed = ["00000000-0000-0000-0000-000000000000", randomUUID()];
    const wrong: unknown[] = [];
    for (const c of cases) {
      for (const id of [...malformed, ...wellFormed]) {
        if (c.blankIsAbsent && id.trim() === "") continue;
        const res = await t.http(c.key, c.query, c.vars(id));
        const errors = (res.body.errors ?? []) as { message: string; extensions?: { code?: string; stacktrace?: unknown } }[];
        const codes = errors.map((e) => e.extensions?.code ?? "");
        // a malformed id is NOT_FOUND or BAD_USER_INPUT; a well-formed unknown one may also be
        // FORBIDDEN, or an empty answer of a query that filters by it
        const fine = malformed.includes(id)
          ? codes.length > 0 && codes.every((x) => ["NOT_FOUND", "BAD_USER_INPUT"].includes(x))
          : codes.every((x) => ["NOT_FOUND", "BAD_USER_INPUT", "FORBIDDEN"].includes(x)) && (codes.length > 0 || c.query.startsWith("query"));
        if (!fine || res.status >= 500 || errors.some((e) => e.extensions?.stacktrace)) {
          wrong.push({ query: c.query.slice(0, 70), id: id.slice(0, 40), status: res.status, codes, message: errors[0]?.message?.slice(0, 120) });
        }
      }
    }
    expect(wrong).toEqual([]);
    // the legitimate path: the well-formed id answers
    expect((await t.http(customsDE.key, `query($id: ID!) { declaration(id: $id) { id } }`, { id: d })).body.data.declaration.id).toBe(d);
  }, 120_000);
});

describe("attack: existence oracles", () => {
  it("the filer's riskAlerts { id } (and duties { id }) are empty when only customs raised one", async () => {
    const d = await file(platform);
    ok(await run(customsDE, ALERT, { d, reason: "value far below market" }));
    ok(await event(carrier, d, "ARRIVED"));
    ok(await assess(customsDE, d, COMPUTED));
    const Q = `query($id: ID!) { declaration(id: $id) { id riskAlerts { id } duties { id } holds { id } } }`;
    // the legitimate path: destination customs list them
    const c = ok(await run(customsDE, Q, { id: d })).declaration;
    expect(c.riskAlerts).toHaveLength(1);
    expect(c.duties).toHaveLength(3); // the computed lines
    for (const who of [platform, carrier]) {
      const r = await run(who, Q, { id: d });
      const got = r.data!.declaration;
      expect({ who: (who as TestParty).name, riskAlerts: got.riskAlerts ?? [], duties: got.duties ?? [] }).toEqual({ who: (who as TestParty).name, riskAlerts: [], duties: [] });
    }
  });

  it("clearanceStatus by customs of another country holding a STATUS-only agreement: NOT_FOUND", async () => {
    const tn = newTrackingNumber("ORACLE");
    const d = await file(platform, { trackingNumber: tn });
    const statusOnly = await makeAgreement(t, platform, customsFR, { categories: ["STATUS"] });
    const withTransport = await makeAgreement(t, platform, customsNL, { categories: ["STATUS", "TRANSPORT"] });
    try {
      const r = await run(customsFR, CLEARANCE, { tn });
      expect(codeOf(r)).toBe("NOT_FOUND");
      const unknown = await run(customsFR, CLEARANCE, { tn: newTrackingNumber("NOSUCH") });
      expect(codeOf(unknown)).toBe("NOT_FOUND");
      // nor through a filter on the tracking number (TRANSPORT)
      const page = ok(await run(customsFR, `query($tn: String) { declarations(filter: { trackingNumber: $tn }) { totalCount } }`, { tn }));
      expect(page.declarations.totalCount).toBe(0);
      // it may read the status it was granted
      expect(ok(await run(customsFR, `query($id: ID!) { declaration(id: $id) { status } }`, { id: d })).declaration.status).toBe("FILED");
      // the legitimate paths
      expect(ok(await run(customsNL, CLEARANCE, { tn })).clearanceStatus).toMatchObject({ id: d, status: "FILED" });
      expect(ok(await run(customsDE, CLEARANCE, { tn })).clearanceStatus).toMatchObject({ id: d, status: "FILED" });
      expect(ok(await run(carrier, CLEARANCE, { tn })).clearanceStatus).toMatchObject({ id: d, status: "FILED" });
    } finally {
      await db().agreement.updateMany({ where: { id: { in: [statusOnly.id, withTransport.id] } }, data: { status: "REVOKED" } });
    }
  });
});

describe("attack: delegating rights the grantor never had", () => {
  it("a carrier grants AMEND to a broker: the broker amends what the carrier filed, never what it merely carries", async () => {
    // a carrier may file, so it holds AMEND as a filer and may grant it; not HOLDS or RISK_ALERTS
    for (const c of ["HOLDS", "RISK_ALERTS", "DUTIES"]) {
      const bad = await propose(carrier, { grantorId: carrier.id, granteeId: broker.id, categories: ["STATUS"], contributions: [c] });
      expect(codeOf(bad)).toBe("BAD_USER_INPUT");
      expect(problemPaths(bad)).toContain("input.contributions[0]");
    }
    const a = ok(await propose(carrier, { grantorId: carrier.id, granteeId: broker.id, categories: ["STATUS", "TRANSPORT", "COMMERCIAL"], contributions: ["AMEND"] }));
    ok(await run(broker, ACCEPT, { id: a.proposeAgreement.id }));
    // the broker also reads the platform's filings (no contribution), so it sees the carried parcel
    const reads = await makeAgreement(t, platform, broker, { categories: ["STATUS", "TRANSPORT"] });
    try {
      const own = await file(carrier, { carrierId: carrier.id, platformId: null });
      const carried = await file(platform, { carrierId: carrier.id });
      ok(await amend(broker, own, 1, { buyerName: "Amended by broker" }));
      expect((await row(own)).buyerName).toBe("Amended by broker");

      expect(codeOf(await amend(broker, carried, 1, { buyerName: "Hijacked" }))).toBe("FORBIDDEN");
      expect(codeOf(await amend(carrier, carried, 1, { buyerName: "Hijacked" }))).toBe("FORBIDDEN");
      const after = await row(carried);
      expect([after.version, after.buyerName]).toEqual([1, "Erika Mustermann"]);
    } finally {
      await db().agreement.updateMany({ where: { id: { in: [a.proposeAgreement.id, reads.id] } }, data: { status: "REVOKED" } });
    }
  });

  it("customs of FR granting HOLDS to customs of NL does not let NL hold a parcel destined to DE", async () => {
    const bad = await propose(customsFR, { grantorId: customsFR.id, granteeId: carrier.id, categories: ["STATUS"], contributions: ["HOLDS"] });
    expect(codeOf(bad)).toBe("BAD_USER_INPUT"); // customs decisions go to customs only
    expect(problemPaths(bad)).toContain("input.contributions[0]");

    const a = ok(await propose(customsFR, { grantorId: customsFR.id, granteeId: customsNL.id, categories: ["STATUS"], contributions: ["HOLDS"] }));
    ok(await run(customsNL, ACCEPT, { id: a.proposeAgreement.id }));
    const reads = await makeAgreement(t, platform, customsNL, { categories: ["STATUS", "TRANSPORT"] });
    try {
      const toDE = await file(platform, { destinationCountry: "DE" });
      const toFR = await file(platform, { destinationCountry: "FR" });
      expect(codeOf(await hold(customsNL, toDE, "DO_NOT_LOAD"))).toBe("FORBIDDEN");
      expect(codeOf(await hold(asRole(customsNL, "ANALYST"), toFR, "DO_NOT_LOAD"))).toBe("FORBIDDEN"); // officers only
      expect(await db().hold.count({ where: { declarationId: { in: [toDE, toFR] } } })).toBe(0);
      expect((await row(toDE)).status).toBe("FILED");
      // the legitimate delegated path: NL officers hold a parcel destined to FR
      ok(await hold(customsNL, toFR, "DO_NOT_LOAD"));
      expect((await row(toFR)).status).toBe("DO_NOT_LOAD");
    } finally {
      await db().agreement.updateMany({ where: { id: { in: [a.proposeAgreement.id, reads.id] } }, data: { status: "REVOKED" } });
    }
  });
});

describe("attack: reading the write audit trail", () => {
  it("destination customs and the filer see the filer's amendments; the carrier does not; a customs hold's entry is not shown to the filer", async () => {
    const d = await file(platform);
    ok(await amend(platform, d, 1, { buyerName: "Audit Person" }));
    const h = ok(await hold(customsDE, d, "RFI", "why is it so cheap")).placeHold.id;
    const entries = async (who: Who, vars: Record<string, unknown>) => ok(await run(who, WRITE_AUDIT, vars)).writeAudit as any[];
    const isAmendment = (e: any) => e.operation === "amendDeclaration" && e.recordId === d;
    const isHold = (e: any) => e.recordType === "Hold" && e.recordId === h;

    for (const who of [customsDE, analystDE]) {
      const list = await entries(who, { d });
      expect(list.filter(isAmendment)).toHaveLength(1);
      expect(list.filter(isAmendment)[0].changes).toEqual(
        expect.arrayContaining([{ field: "buyerName", before: "Erika Mustermann", after: "Audit Person" }]),
      );
      expect(list.filter(isHold)).toHaveLength(1);
    }
    const filerView = await entries(platform, { d });
    expect(filerView.filter(isAmendment)).toHaveLength(1);
    expect(filerView.filter(isHold)).toEqual([]);
    expect(JSON.stringify(filerView)).not.toContain("why is it so cheap");
    expect(await entries(platform, { r: h })).toEqual([]);
    expect((await entries(platform, {})).filter(isHold)).toEqual([]);
    expect((await entries(platform, {})).filter(isAmendment)).toHaveLength(1);

    const carrierView = await entries(carrier, { d });
    expect(carrierView.filter(isAmendment)).toEqual([]);
    expect(carrierView.filter(isHold)).toEqual([]);
    expect(JSON.stringify(carrierView)).not.toContain("Audit Person");
    expect((await entries(carrier, {})).filter((e) => isAmendment(e) || isHold(e))).toEqual([]);
  });
});
