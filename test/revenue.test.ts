/**
 * assessDuties through the API: lines computed from the rules in force at the taxable event
 * (the arrival, unless customs state it), each explaining itself with the rule versions it
 * used; an override with a reason, kept; rules published through the API taking effect on
 * the next assessment without a restart; a destination without rules named as such.
 */
import "reflect-metadata";
import { createContext } from "../src/context/context";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

let t: TestHub;
let customsDE: TestParty;
let customsFR: TestParty;
let filer: TestParty;
let carrier: TestParty;

const ASSESS = `mutation($d: ID!, $i: AssessDutiesInput) {
  assessDuties(declarationId: $d, input: $i) {
    taxType lineKey method base rate amount currency collectionModel explanation basis computedAmount overrideReason version
  }
}`;

async function arrived(over: Record<string, unknown>, arrivedAt: string) {
  const { declaration } = await t.hub.services.declarations.filing.fileOne(
    filer.principal,
    declarationInput({ carrierId: carrier.id, destinationCountry: "DE", ...over }) as never,
  );
  await t.hub.services.workflow.recordStatusEvent(createContext(t.hub, carrier.principal), declaration.id, {
    code: "ARRIVED" as never,
    occurredAt: new Date(arrivedAt),
    place: "FRA",
  });
  return declaration.id;
}

beforeAll(async () => {
  t = await startTestHub({ http: false, rules: true });
  customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
  customsFR = await makeParty(t, "CUSTOMS", "FR", "Douane FR");
  filer = await makeParty(t, "PLATFORM", "CN", "Shop");
  carrier = await makeParty(t, "CARRIER", "DE", "Fastwings");
});
afterAll(() => t?.stop());

const items = [
  { description: "Cotton T-shirt", quantity: 2, netWeightKg: "0.400", value: "100.00", currency: "EUR", hsCode: "61091000", originCountry: "CN" },
  { description: "Printed book", quantity: 1, netWeightKg: "0.600", value: "100.00", currency: "EUR", hsCode: "490199", originCountry: "CN" },
];

describe("assessDuties computes and explains", () => {
  it("at the arrival date by default: each line with base, rate, rule, version and legal reference", async () => {
    const d = await arrived({ iossNumber: null, totalValue: "200.00", goodsItems: items }, "2026-08-10T09:00:00Z");
    const r = await t.exec(customsDE.principal, ASSESS, { d, i: null });
    expect(r.errors).toBeUndefined();
    const lines = r.data.assessDuties;
    expect(lines.map((l: any) => [l.lineKey, l.method, l.base, l.rate, l.amount, l.collectionModel])).toEqual([
      ["DUTY:item:1", "AD_VALOREM", "100", "0.12", "12", "COLLECTED_ON_DELIVERY"],
      ["DUTY:item:2", "AD_VALOREM", "100", "0", "0", "COLLECTED_ON_DELIVERY"],
      ["VAT:*", "AD_VALOREM", "112", "0.19", "21.28", "COLLECTED_ON_DELIVERY"],
      ["VAT:49", "AD_VALOREM", "100", "0.07", "7", "COLLECTED_ON_DELIVERY"],
    ]);
    expect(lines[0].explanation).toBe("Duty 12% ad valorem of EUR 100.00 (item 1, HS 61091000: EU TARIFF 610910 v1) = EUR 12.00");
    expect(lines[2].explanation).toBe("VAT 19% of EUR 112.00 (goods EUR 100.00 + duty EUR 12.00; items 1; DE VAT_RATE * v1) = EUR 21.28");
    expect(lines[0].basis).toMatchObject({ taxableEventAt: "2026-08-10T09:00:00.000Z", currency: "EUR", consignmentValue: "200" });
    expect(lines[0].basis.rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ jurisdiction: "EU", kind: "TARIFF", key: "610910", version: 1, legalReference: expect.stringContaining("Combined Nomenclature") })]),
    );
    // the write audit keeps the taxable event and the lines
    const audit = await t.db.prisma.writeAuditEntry.findFirstOrThrow({ where: { operation: "assessDuties", recordId: d } });
    expect((audit.changes as any).taxableEventAt.after).toBe("2026-08-10T09:00:00.000Z");
  });

  it("the same parcel arrived before 1 July 2026: no duty (de minimis), VAT collected under IOSS", async () => {
    const d = await arrived({}, "2026-06-30T22:00:00Z");
    const r = await t.exec(customsDE.principal, ASSESS, { d });
    expect(r.data.assessDuties.map((l: any) => [l.lineKey, l.amount, l.collectionModel])).toEqual([
      ["DUTY:exempt", "0", "IOSS"],
      ["VAT:exempt", "0", "IOSS"],
    ]);
    // customs state a later taxable event in a correction: the flat duty applies
    const c = await t.exec(customsDE.principal, ASSESS, { d, i: { taxableEventAt: "2026-07-01T08:00:00Z", correctionReason: "declaration accepted on 1 July" } });
    expect(c.data.assessDuties.map((l: any) => [l.lineKey, l.amount, l.version])).toEqual([
      ["DUTY:flat:851830", "3", 2],
      ["DUTY:flat:610910", "3", 2],
      ["VAT:exempt", "0", 2],
    ]);
  });

  it("customs override a computed line with a reason: kept with the computed amount", async () => {
    const d = await arrived({ iossNumber: null, totalValue: "200.00", goodsItems: items }, "2026-08-10T09:00:00Z");
    const r = await t.exec(customsDE.principal, ASSESS, {
      d,
      i: { overrides: [{ lineKey: "DUTY:item:1", amount: "0", reason: "end-use relief, authorisation DE-EU-123" }] },
    });
    expect(r.errors).toBeUndefined();
    const [duty] = r.data.assessDuties;
    expect([duty.amount, duty.computedAmount, duty.overrideReason]).toEqual(["0", "12", "end-use relief, authorisation DE-EU-123"]);
    expect(duty.explanation).toMatch(/= EUR 12.00\. Overridden by customs to EUR 0: end-use relief/);
    const row = await t.db.prisma.dutyAssessment.findFirstOrThrow({ where: { declarationId: d, lineKey: "DUTY:item:1" } });
    expect(row.overrideReason).toBe("end-use relief, authorisation DE-EU-123");
    // no reason: refused, naming the path
    const e = await arrived({ iossNumber: null, totalValue: "200.00", goodsItems: items }, "2026-08-10T09:00:00Z");
    const bad = await t.exec(customsDE.principal, ASSESS, { d: e, i: { overrides: [{ lineKey: "DUTY:item:1", amount: "0", reason: "" }] } });
    expect(bad.errors?.[0].extensions?.problems).toEqual([{ path: "input.overrides[0].reason", message: expect.any(String) }]);
  });

  it("rules published through the API apply to the next assessment, without a restart", async () => {
    const d = await arrived({ iossNumber: null, totalValue: "200.00", goodsItems: items }, "2026-10-05T09:00:00Z");
    const first = await t.exec(customsDE.principal, ASSESS, { d });
    expect(first.data.assessDuties.find((l: any) => l.lineKey === "VAT:*")).toMatchObject({ rate: "0.19", amount: "21.28" });
    const pub = await t.exec(
      customsDE.principal,
      `mutation($i: RuleSetInput!) { publishRules(input: $i) { rules { version } } }`,
      { i: { jurisdiction: "DE", rules: [{ kind: "VAT_RATE", key: "*", validFrom: "2026-10-01", legalReference: "UStG § 12(1) as amended (test)", payload: { rate: "0.21" } }] } },
    );
    expect(pub.data.publishRules.rules).toEqual([{ version: 2 }]);
    const again = await t.exec(customsDE.principal, ASSESS, { d, i: { correctionReason: "VAT rate changed on 1 October" } });
    const vat = again.data.assessDuties.find((l: any) => l.lineKey === "VAT:*");
    expect([vat.rate, vat.amount]).toEqual(["0.21", "23.52"]);
    expect(vat.basis.rules).toEqual(expect.arrayContaining([expect.objectContaining({ jurisdiction: "DE", kind: "VAT_RATE", key: "*", version: 2 })]));
    // customs of another member state may not change German VAT
    const refused = await t.exec(customsFR.principal, `mutation($i: RuleSetInput!) { publishRules(input: $i) { rules { version } } }`, {
      i: { jurisdiction: "DE", rules: [{ kind: "VAT_RATE", key: "*", validFrom: "2026-10-01", legalReference: "x law", payload: { rate: "0.5" } }] },
    });
    expect(refused.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });

  it("a destination without rules: BAD_USER_INPUT naming what is missing", async () => {
    const customsJP = await makeParty(t, "CUSTOMS", "JP", "Japan Customs");
    const d = await arrived({ destinationCountry: "JP", iossNumber: null }, "2026-08-10T09:00:00Z");
    const r = await t.exec(customsJP.principal, ASSESS, { d });
    expect(r.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(r.errors?.[0].message).toMatch(/input.taxableEventAt: no SETTING CURRENCY in force for JP on 2026-08-10/);
  });
});
