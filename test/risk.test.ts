/**
 * Risk assessment at filing, with rules published through the API by customs of the
 * destination (publishRules, RISK_RULE and RISK_SETTINGS): each rule with a hit and a near
 * miss; the automatic hold above the customs' severity setting; registration through
 * REGISTERED and RISK_ASSESSED to CLEARED_TO_LOAD; rule and setting changes taking effect on
 * the next filing without a restart; assessment after an amendment and at registration.
 */
import "reflect-metadata";
import type { Declaration } from "../src/generated/prisma/client";
import { loadShippedRuleSets } from "../src/modules/rules/rules.loader";
import { splitShipmentLocks } from "../src/modules/risk/risk.assessor";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

let t: TestHub;
let customs: TestParty;
let platform: TestParty; // files; its registered IOSS number is IM2760000001
let carrier: TestParty;

const PUBLISH = `mutation($input: RuleSetInput!) { publishRules(input: $input) { rules { id kind key version } } }`;
const LEGAL = "Illustrative: Regulation (EU) 2015/2447 Art. 186 (common risk criteria), test rule";
const TODAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

const rule = (key: string, payload: Record<string, unknown>, over: Record<string, unknown> = {}) => ({ kind: "RISK_RULE", key, validFrom: TODAY, legalReference: LEGAL, payload, ...over });
const settings = (enabled: boolean, holdAbove = "MEDIUM") => ({ kind: "RISK_SETTINGS", key: "ASSESSMENT", validFrom: TODAY, legalReference: LEGAL, payload: { enabled, holdAbove } });

async function publish(rules: unknown[], who: TestParty = customs, jurisdiction = "DE") {
  const r = await t.exec(who.principal, PUBLISH, { input: { jurisdiction, rules } });
  return r;
}

const RULES = [
  settings(true),
  rule("UNDERVALUE", {
    test: "VALUE_BELOW_REFERENCE",
    severity: "HIGH",
    holdKind: "RFI",
    reasonCode: "UNDERVALUATION",
    reason: "Declared value far below the reference value",
    question: "Please send the invoice and proof of payment.",
    answerDays: 3,
    params: { currency: "EUR", ratio: "0.2", references: [{ hsPrefix: "8517", unitValue: "200" }] },
  }),
  rule("RESTRICTED", {
    test: "RESTRICTED_GOODS",
    severity: "CRITICAL",
    holdKind: "DO_NOT_LOAD",
    reasonCode: "PROHIBITED_GOODS",
    reason: "Restricted or prohibited goods",
    params: { hsPrefixes: ["9303"], keywords: ["firearm", "fireworks"] },
  }),
  rule("WATCHLIST", {
    test: "WATCH_LIST",
    severity: "HIGH",
    holdKind: "HIGH_RISK_SCREENING",
    reasonCode: "SECURITY",
    reason: "Watch-listed party",
    params: { sellers: ["Shady Exports Ltd"], buyers: ["John Doe-Watched"], addresses: ["99 harbour road"] },
  }),
  rule("IOSS", { test: "IOSS_CHECK", severity: "MEDIUM", holdKind: "RFI", question: "Which IOSS number applies?", reasonCode: "IOSS", reason: "IOSS number and value do not agree" }),
  rule("HSCODE", { test: "HS_CODE_CHECK", severity: "LOW", reasonCode: "MISCLASSIFICATION", reason: "Commercial goods without a valid HS code", params: { invalidHsPrefixes: ["999"] } }),
  rule("SPLIT", { test: "SPLIT_SHIPMENT", severity: "LOW", reasonCode: "SPLIT_SHIPMENT", reason: "Consignment split to stay under the threshold" }),
];

let buyerN = 0;
/** A declaration to DE by `platform` that no rule hits, unless `over` says otherwise. */
function clean(over: Record<string, unknown> = {}, item: Record<string, unknown> = {}) {
  const value = (item.value as string) ?? "40.00";
  return declarationInput({
    platformId: platform.id,
    carrierId: carrier.id,
    destinationCountry: "DE",
    totalValue: value,
    iossNumber: "IM2760000001",
    buyerName: `Buyer ${++buyerN}`,
    goodsItems: [{ description: "Cotton T-shirt", quantity: 1, netWeightKg: "0.200", value, currency: "EUR", hsCode: "610910", originCountry: "CN", ...item }],
    ...over,
  });
}

async function file(input: Record<string, unknown>): Promise<Declaration> {
  return (await t.hub.services.declarations.filing.fileOne(platform.principal, input as never)).declaration;
}
async function fileMany(inputs: Record<string, unknown>[]): Promise<Declaration[]> {
  const out = await t.hub.services.declarations.filing.fileMany(platform.principal, inputs as never);
  return out.map((o) => {
    if (o.error) throw new Error(JSON.stringify(o.error));
    return o.declaration!;
  });
}
const alertsOf = (id: string) => t.db.prisma.riskAlert.findMany({ where: { declarationId: id }, orderBy: { raisedByRule: "asc" } });
const holdsOf = (id: string) => t.db.prisma.hold.findMany({ where: { declarationId: id } });
const codes = async (id: string) => (await alertsOf(id)).map((a) => a.raisedByRule);

beforeAll(async () => {
  t = await startTestHub({ http: false });
  await loadShippedRuleSets(t.hub.services.rules); // EU thresholds (IOSS_MAX EUR 150) and customs exchange rates
  customs = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
  platform = await makeParty(t, "PLATFORM", "CN", "Platform");
  carrier = await makeParty(t, "CARRIER", "CN", "Carrier");
  const r = await publish(RULES);
  expect(r.errors).toBeUndefined();
}, 120_000);

afterAll(() => t?.stop());

describe("registration at filing", () => {
  it("a clean parcel goes FILED -> REGISTERED -> RISK_ASSESSED -> CLEARED_TO_LOAD with a movement reference, the rules used in the audit", async () => {
    const d = await file(clean());
    expect(d.status).toBe("CLEARED_TO_LOAD");
    expect(d.movementReference).toMatch(/^\d{2}DE[A-Z0-9]{14}$/);
    const stored = await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: d.id } });
    expect(stored).toMatchObject({ status: "CLEARED_TO_LOAD", movementReference: d.movementReference });
    expect(await alertsOf(d.id)).toEqual([]);
    const audit = await t.db.prisma.writeAuditEntry.findMany({ where: { declarationId: d.id } });
    // the filing's own audit entry: the statuses it went through, the status it ended in, the rule versions used
    const filing = audit.find((e) => e.recordType === "Declaration" && e.operation === "fileDeclaration")!.changes as any;
    expect(filing.riskAssessment.after).toEqual({
      path: ["FILED", "REGISTERED", "RISK_ASSESSED"],
      rules: ["HSCODE v1", "IOSS v1", "RESTRICTED v1", "SPLIT v1", "UNDERVALUE v1", "WATCHLIST v1"],
    });
    expect(filing.status.after).toBe("CLEARED_TO_LOAD");
    expect(filing.movementReference.after).toBe(d.movementReference);
  });

  it("a destination whose customs have no risk settings files as before: FILED, no movement reference", async () => {
    const d = await file(clean({ destinationCountry: "FR", iossNumber: null, buyerCountry: "FR" }));
    expect(d).toMatchObject({ status: "FILED", movementReference: null });
  });
});

describe("each rule: a hit and a near miss", () => {
  it("VALUE_BELOW_REFERENCE: a unit value under 20% of the HS heading's reference", async () => {
    const hit = await file(clean({}, { hsCode: "851712", value: "39.99", description: "Smartphone" }));
    const miss = await file(clean({}, { hsCode: "851712", value: "40.00", description: "Smartphone" }));
    const alerts = await alertsOf(hit.id);
    expect(alerts).toEqual([expect.objectContaining({ raisedByRule: "UNDERVALUE", ruleVersion: 1, severity: "HIGH", reasonCode: "UNDERVALUATION", raisedById: customs.id })]);
    expect(alerts[0].reason).toContain("39.99 EUR per unit");
    expect(await codes(miss.id)).toEqual([]);
    // the unit value counts: 2 units for 79.98 is 39.99 each
    const two = await file(clean({}, { hsCode: "851712", value: "79.98", quantity: 2, description: "Smartphone" }));
    expect(await codes(two.id)).toEqual(["UNDERVALUE"]);
  });

  it("RESTRICTED_GOODS: by HS prefix and by whole-word keyword", async () => {
    const byHs = await file(clean({}, { hsCode: "930320", description: "Sporting rifle" }));
    const byWord = await file(clean({}, { description: "Toy FIREARM replica" }));
    const nearHs = await file(clean({}, { hsCode: "930400", description: "Air gun" }));
    const nearWord = await file(clean({}, { description: "Fireworkshop poster" }));
    expect(await codes(byHs.id)).toEqual(["RESTRICTED"]);
    expect(await codes(byWord.id)).toEqual(["RESTRICTED"]);
    expect(await codes(nearHs.id)).toEqual([]);
    expect(await codes(nearWord.id)).toEqual([]);
  });

  it("WATCH_LIST: sellers and buyers by name (any case and spacing), addresses by fragment", async () => {
    const seller = await file(clean({ sellerName: "SHADY   exports ltd" }));
    const buyer = await file(clean({ buyerName: "john doe-watched" }));
    const address = await file(clean({ sellerAddress: "Unit 4, 99 Harbour Road, Lagos" }));
    const near = await file(clean({ sellerName: "Shady Exports Ltd.", sellerAddress: "98 Harbour Road" }));
    expect(await codes(seller.id)).toEqual(["WATCHLIST"]);
    expect(await codes(buyer.id)).toEqual(["WATCHLIST"]);
    expect(await codes(address.id)).toEqual(["WATCHLIST"]);
    expect(await codes(near.id)).toEqual([]);
  });

  it("IOSS_CHECK: at or under EUR 150 without IOSS, above with IOSS, not the platform's number; converted at the date's rate", async () => {
    const atCeiling = await file(clean({ iossNumber: null }, { value: "150.00" }));
    const above = await file(clean({ iossNumber: null }, { value: "150.01" }));
    const iossAbove = await file(clean({}, { value: "150.01" }));
    const iossAt = await file(clean({}, { value: "150.00" }));
    const foreign = await file(clean({ iossNumber: "IM2760000002" }));
    expect(await codes(atCeiling.id)).toEqual(["IOSS"]);
    expect(await codes(above.id)).toEqual([]);
    expect(await codes(iossAbove.id)).toEqual(["IOSS"]);
    expect(await codes(iossAt.id)).toEqual([]);
    expect(await codes(foreign.id)).toEqual(["IOSS"]);
    expect((await alertsOf(foreign.id))[0].reason).toContain("not the named platform's");
    // USD 174.75 is EUR 150.00 at the shipped rate in force since 2026-07-01 (1.1650): at the ceiling
    const usd = await file(clean({ iossNumber: null, currency: "USD" }, { value: "174.75", currency: "USD" }));
    expect(await codes(usd.id)).toEqual(["IOSS"]);
    expect((await alertsOf(usd.id))[0].reason).toContain("150.00 EUR");
    const usdAbove = await file(clean({ iossNumber: null, currency: "USD" }, { value: "174.76", currency: "USD" }));
    expect(await codes(usdAbove.id)).toEqual([]);
  });

  it("HS_CODE_CHECK: a commercial item whose code is not in the nomenclature's chapters or is barred", async () => {
    const ch98 = await file(clean({}, { hsCode: "980100" }));
    // chapter 77 (reserved for future use) is refused at filing by the nomenclature check (shared/hs-code.ts)
    await expect(file(clean({}, { hsCode: "770000" }))).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    const barred = await file(clean({}, { hsCode: "999000" }));
    const gift = await file(clean({ category: "GIFT", iossNumber: null }, { hsCode: "980100" }));
    const ch97 = await file(clean({}, { hsCode: "970110" }));
    expect(await codes(ch98.id)).toEqual(["HSCODE"]);
    expect(await codes(barred.id)).toEqual(["HSCODE"]);
    expect(await codes(gift.id)).toEqual([]);
    expect(await codes(ch97.id)).toEqual([]);
  });

  it("SPLIT_SHIPMENT: one buyer and platform, one day, each at or under EUR 150, more than 150 together", async () => {
    const buyer = { buyerName: "Split Buyer", buyerAddress: "Splitweg 2, Berlin" };
    const first = await file(clean(buyer, { value: "80.00" }));
    expect(await codes(first.id)).toEqual([]); // alone, nothing to see
    const second = await file(clean({ ...buyer, buyerAddress: "SPLITWEG 2,  Berlin" }, { value: "80.00" }));
    expect(await codes(second.id)).toEqual(["SPLIT"]);
    // near miss: 70 + 70 = 140
    const near = { buyerName: "Near Buyer", buyerAddress: "Nahweg 1" };
    const a = await file(clean(near, { value: "70.00" }));
    const b = await file(clean(near, { value: "70.00" }));
    expect([...(await codes(a.id)), ...(await codes(b.id))]).toEqual([]);
    // within one batch: both parcels see each other
    const pair = { buyerName: "Batch Buyer", buyerAddress: "Stapelweg 3" };
    const [x, y] = await fileMany([clean(pair, { value: "100.00" }), clean(pair, { value: "100.00" })]);
    expect(await codes(x.id)).toEqual(["SPLIT"]);
    expect(await codes(y.id)).toEqual(["SPLIT"]);
  });

  it("SPLIT_SHIPMENT across two concurrent batches: the check is serialised per (destination, buyer, platform, day), the later batch sees the earlier", async () => {
    for (let round = 0; round < 4; round++) {
      const buyer = { buyerName: `Race Buyer ${round}`, buyerAddress: `Rennweg ${round}` };
      const [[x], [y]] = await Promise.all([fileMany([clean(buyer, { value: "90.00" })]), fileMany([clean(buyer, { value: "90.00" })])]);
      // 90 + 90 > 150: exactly one of the two (the one assessed second) is hit
      expect([...(await codes(x.id)), ...(await codes(y.id))]).toEqual(["SPLIT"]);
    }
  });

  it("split-shipment lock keys: one per destination, buyer (as the rule compares it), platform and UTC day", () => {
    const at = new Date("2026-07-02T10:00:00Z");
    const s = { destinationCountry: "DE", buyerName: "Erika  Muster", platformId: "p1" };
    const [k] = splitShipmentLocks([s], at);
    expect(splitShipmentLocks([{ ...s, buyerName: "erika muster" }], new Date("2026-07-02T23:59:00Z"))).toEqual([k]);
    expect(splitShipmentLocks([{ ...s, platformId: "p2" }], at)).not.toEqual([k]);
    expect(splitShipmentLocks([s], new Date("2026-07-03T00:00:00Z"))).not.toEqual([k]);
    expect(splitShipmentLocks([s, s, { ...s, buyerName: null }], at)).toEqual([k]);
    expect(BigInt(k) >= -(2n ** 63n) && BigInt(k) < 2n ** 63n).toBe(true);
  });
});

describe("automatic holds", () => {
  it("severity above the customs' setting places the rule's hold, addressed to the filer with the rule's question; the status follows", async () => {
    const d = await file(clean({}, { hsCode: "851712", value: "10.00", description: "Smartphone" }));
    expect(d.status).toBe("RFI");
    const [hold] = await holdsOf(d.id);
    expect(hold).toMatchObject({ kind: "RFI", status: "OPEN", placedById: customs.id, addresseeId: platform.id, question: "Please send the invoice and proof of payment.", ruleVersion: 1 });
    expect(Math.round((hold.dueAt!.getTime() - hold.placedAt.getTime()) / 86_400_000)).toBe(3);
    expect(hold.reason).toContain("UNDERVALUE v1");
    // carriers hear of it: HOLD_PLACED in the outbox
    const events = await t.db.prisma.hubEvent.findMany({ where: { declarationId: d.id } });
    expect(events.map((e) => e.type).sort()).toEqual(["HOLD_PLACED", "STATUS_CHANGED"]);
    // several: the most severe wins
    const worst = await file(clean({ sellerName: "Shady Exports Ltd" }, { description: "fireworks set" }));
    expect(worst.status).toBe("DO_NOT_LOAD");
    expect((await holdsOf(worst.id)).map((h) => h.kind).sort()).toEqual(["DO_NOT_LOAD", "HIGH_RISK_SCREENING"]);
  });

  it("a hit at or below the setting only alerts; the setting changed through the API applies to the next filing", async () => {
    const medium = await file(clean({ iossNumber: null }, { value: "20.00" })); // IOSS: MEDIUM, not above MEDIUM
    expect(medium.status).toBe("CLEARED_TO_LOAD");
    expect(await codes(medium.id)).toEqual(["IOSS"]);
    expect(await holdsOf(medium.id)).toEqual([]);
    expect((await publish([settings(true, "LOW")])).errors).toBeUndefined();
    const now = await file(clean({ iossNumber: null }, { value: "20.00" }));
    expect(now.status).toBe("RFI");
    expect((await holdsOf(now.id))[0]).toMatchObject({ kind: "RFI", question: "Which IOSS number applies?" });
    expect((await publish([settings(true, "MEDIUM")])).errors).toBeUndefined();
  });
});

describe("rules changed through the API", () => {
  it("a new version applies to the next filing and is recorded on its alerts; a version not yet in force does not apply", async () => {
    const r = await publish([rule("RESTRICTED", { test: "RESTRICTED_GOODS", severity: "LOW", reasonCode: "PROHIBITED_GOODS", reason: "Restricted goods (v2)", params: { keywords: ["drone"] } })]);
    expect(r.errors).toBeUndefined();
    expect(r.data!.publishRules.rules[0]).toMatchObject({ key: "RESTRICTED", version: 2 });
    const drone = await file(clean({}, { description: "Camera drone" }));
    const [alert] = await alertsOf(drone.id);
    expect(alert).toMatchObject({ raisedByRule: "RESTRICTED", ruleVersion: 2, ruleId: r.data!.publishRules.rules[0].id, severity: "LOW" });
    expect(drone.status).toBe("CLEARED_TO_LOAD");
    const gun = await file(clean({}, { hsCode: "930320", description: "Rifle" }));
    expect(await codes(gun.id)).toEqual([]); // v1's HS prefix is no longer in force
    const future = await publish([rule("DRONE2", { test: "RESTRICTED_GOODS", severity: "HIGH", reasonCode: "X", reason: "later", params: { keywords: ["kite"] } }, { validFrom: "2099-01-01" })]);
    expect(future.errors).toBeUndefined();
    expect(await codes((await file(clean({}, { description: "Kite" }))).id)).toEqual([]);
  });

  it("assessment switched off by the customs' setting: filings stay FILED", async () => {
    expect((await publish([settings(false)])).errors).toBeUndefined();
    const d = await file(clean({ sellerName: "Shady Exports Ltd" }));
    expect(d).toMatchObject({ status: "FILED", movementReference: null });
    expect(await alertsOf(d.id)).toEqual([]);
    // registered by customs later, when assessment is on again: the rules in force then run
    expect((await publish([settings(true)])).errors).toBeUndefined();
    const registered = await t.hub.services.workflow.registerDeclaration(ctxOf(customs), d.id);
    expect(registered.status).toBe("SCREENING");
    expect(await codes(d.id)).toEqual(["WATCHLIST"]);
    const moves = (await t.db.prisma.writeAuditEntry.findMany({ where: { declarationId: d.id, operation: "declaration:status" }, orderBy: { at: "asc" } })).map((e) => (e.changes as any).status.after);
    expect(moves).toEqual(["REGISTERED", "RISK_ASSESSED", "SCREENING"]);
  });

  it("an amendment of a registered declaration is assessed again: new hits only", async () => {
    const d = await file(clean());
    expect(d.status).toBe("CLEARED_TO_LOAD");
    const amended = await t.hub.services.workflow.amendments.amend(ctxOf(platform), d.id, 1, { sellerName: "Shady Exports Ltd" });
    expect(amended.status).toBe("SCREENING");
    expect(await codes(d.id)).toEqual(["WATCHLIST"]);
    await t.hub.services.workflow.amendments.amend(ctxOf(platform), d.id, 2, { buyerEmail: "x@example.com" });
    expect(await codes(d.id)).toEqual(["WATCHLIST"]); // not raised twice
    expect((await holdsOf(d.id)).length).toBe(1);
  });

  it("only customs of the jurisdiction publish risk rules; a bad rule is BAD_USER_INPUT at its path", async () => {
    const fr = await makeParty(t, "CUSTOMS", "FR", "Douane FR");
    const byFr = await publish([settings(false)], fr);
    expect(byFr.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const byPlatform = await publish([settings(false)], platform);
    expect(byPlatform.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const bad = await publish([rule("BAD", { test: "VALUE_BELOW_REFERENCE", severity: "HIGH", holdKind: "INSPECTION", reasonCode: "X", reason: "r", params: { ratio: "2", currency: "EUR", references: [], keywords: ["x"] } })]);
    expect(bad.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const paths = (bad.errors![0].extensions!.problems as { path: string }[]).map((p) => p.path).sort();
    expect(paths).toEqual([
      "input.rules[0].payload.holdKind",
      "input.rules[0].payload.params.keywords",
      "input.rules[0].payload.params.ratio",
      "input.rules[0].payload.params.references",
    ]);
    // nothing of it applies
    expect((await file(clean({ sellerName: "x" }))).status).toBe("CLEARED_TO_LOAD");
  });
});

import { createContext } from "../src/context/context";
const ctxOf = (p: TestParty) => createContext(t.hub, p.principal);
