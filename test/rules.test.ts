/**
 * Rules as versioned data: the shipped rule sets load; lookups pick the version in force at
 * a date (thresholds, exchange rates, longest HS prefix); customs of the jurisdiction
 * publish new versions through the API, recorded in the write audit and in force at once
 * (no restart); anyone else is refused.
 */
import "reflect-metadata";
import { loadShippedRuleSets } from "../src/modules/rules";
import { makeParty, startTestHub, asRole, type TestHub, type TestParty } from "./testkit/hub";

let t: TestHub;
let customsDE: TestParty;
let customsFR: TestParty;
let customsGB: TestParty;
let platform: TestParty;

const day = (s: string) => new Date(`${s}T12:00:00Z`);

const PUBLISH = `mutation($input: RuleSetInput!, $key: String) {
  publishRules(input: $input, idempotencyKey: $key) {
    rules { id jurisdiction kind key version validFrom validTo legalReference payload source }
    exchangeRates { id currency rate version }
  }
}`;

beforeAll(async () => {
  t = await startTestHub({ http: false });
  customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
  customsFR = await makeParty(t, "CUSTOMS", "FR", "Douane FR");
  customsGB = await makeParty(t, "CUSTOMS", "GB", "HMRC");
  platform = await makeParty(t, "PLATFORM", "CN", "Shop");
  await loadShippedRuleSets(t.hub.services.rules);
});
afterAll(() => t?.stop());

describe("shipped rule sets", () => {
  it("load once (a second load adds nothing), every row with a legal reference", async () => {
    const again = await loadShippedRuleSets(t.hub.services.rules);
    expect(again.rules + again.rates).toBe(0);
    const rows = await t.db.prisma.ruleVersion.findMany();
    expect(rows.length).toBeGreaterThan(50);
    for (const r of rows) {
      expect(r.legalReference.length).toBeGreaterThan(10);
      expect(r.illustrative).toBe(true);
    }
  });

  it("answer thresholds by date: the EU duty de minimis ends when the flat duty starts", async () => {
    const rules = t.hub.services.rules;
    expect((await rules.threshold("DE", "DUTY_DE_MINIMIS", day("2026-06-30")))?.amount.toString()).toBe("150");
    expect(await rules.threshold("DE", "DUTY_DE_MINIMIS", day("2026-07-01"))).toBeNull();
    expect((await rules.threshold("FR", "IOSS_MAX", day("2026-07-01")))?.rule.legalReference).toMatch(/369l/);
    expect((await rules.threshold("DE", "VAT_DE_MINIMIS", day("2021-06-30")))?.amount.toString()).toBe("22");
    expect(await rules.threshold("DE", "VAT_DE_MINIMIS", day("2021-07-01"))).toBeNull();
    expect((await rules.threshold("US", "DUTY_DE_MINIMIS", day("2025-08-28")))?.amount.toString()).toBe("800");
    expect((await rules.threshold("US", "DUTY_DE_MINIMIS", day("2025-08-29")))?.amount.toString()).toBe("0");
    expect(await rules.threshold("GB", "IOSS_MAX", day("2026-07-01"))).toBeNull(); // the UK has no IOSS
  });

  it("convert at the date's rate, exactly, through the publishing jurisdiction's base", async () => {
    const rules = t.hub.services.rules;
    const before = await rules.toEur("108.70", "USD", day("2026-06-30"));
    expect(before.amount.toString()).toBe("100");
    expect(before.rates.map((r) => [r.currency, r.version])).toEqual([["USD", 1]]);
    const after = await rules.toEur("116.50", "USD", day("2026-07-01"));
    expect(after.amount.toString()).toBe("100");
    expect((await rules.convert("DE", "100", "EUR", "EUR", day("2026-07-01"))).rates).toEqual([]);
    // USD -> CNY at the EU's rates: 100 / 1.165 x 8.31
    const cross = await rules.convert("NL", "100", "USD", "CNY", day("2026-08-01"));
    expect(cross.amount.toDecimalPlaces(6).toString()).toBe("713.304721");
    await expect(rules.toEur("1", "XAF", day("2026-07-01"))).rejects.toThrow(/no exchange rate for XAF/);
  });

  it("pick the longest HS prefix in force, then the member state before the EU", async () => {
    const book = await t.hub.services.rules.book("DE");
    expect(book.byHsPrefix("TARIFF", "61091000", day("2026-07-01"))?.key).toBe("610910");
    expect(book.byHsPrefix("TARIFF", "490199", day("2026-07-01"))?.key).toBe("49");
    expect(book.byHsPrefix("TARIFF", "010121", day("2026-07-01"))?.key).toBe("*");
    expect(book.byHsPrefix("VAT_RATE", "490199", day("2026-07-01"))?.payload.rate).toBe("0.07");
    expect(book.byHsPrefix("VAT_RATE", "610910", day("2026-07-01"))?.jurisdiction).toBe("DE");
    expect(book.rule("LOW_VALUE_DUTY", "FLAT", day("2026-07-01"))?.version).toBe(1);
    expect(book.rule("LOW_VALUE_DUTY", "FLAT", day("2028-07-01"))).toBeNull();
  });
});

describe("publishRules", () => {
  const vatDE = (rate: string, validFrom = "2026-09-01") => ({
    jurisdiction: "DE",
    rules: [{ kind: "VAT_RATE", key: "*", validFrom, legalReference: "UStG § 12(1) as amended (test)", payload: { rate } }],
  });

  it("by customs of the jurisdiction: a new version, in force at once without a restart, in the write audit", async () => {
    const rules = t.hub.services.rules;
    const at = day("2026-10-01");
    const before = (await rules.book("DE")).byHsPrefix("VAT_RATE", "610910", at);
    expect(before?.payload.rate).toBe("0.19");
    const r = await t.exec(customsDE.principal, PUBLISH, { input: vatDE("0.2"), key: "vat-de-1" });
    expect(r.errors).toBeUndefined();
    const stored = r.data.publishRules.rules[0];
    expect(stored).toMatchObject({ jurisdiction: "DE", kind: "VAT_RATE", key: "*", version: 2, source: "api", payload: { rate: "0.2" } });
    const after = (await rules.book("DE")).byHsPrefix("VAT_RATE", "610910", at);
    expect([after?.payload.rate, after?.version]).toEqual(["0.2", 2]);
    // before the new version's validity, version 1 still answers (assessments stay reproducible)
    expect((await rules.book("DE")).byHsPrefix("VAT_RATE", "610910", day("2026-08-31"))?.version).toBe(1);
    const audit = await t.db.prisma.writeAuditEntry.findMany({ where: { operation: "publishRules", recordId: stored.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorPartyId: customsDE.id, recordType: "RuleVersion" });
    expect((audit[0].changes as any).payload.after).toEqual({ rate: "0.2" });
    // a replay of the key stores nothing more
    const replay = await t.exec(customsDE.principal, PUBLISH, { input: vatDE("0.2"), key: "vat-de-1" });
    expect(replay.data.publishRules.rules[0].id).toBe(stored.id);
    expect(await t.db.prisma.ruleVersion.count({ where: { jurisdiction: "DE", kind: "VAT_RATE", key: "*" } })).toBe(2);
  });

  it("is refused to customs of another country, to analysts and to trade parties", async () => {
    for (const who of [customsFR.principal, customsGB.principal, asRole(customsDE, "ANALYST"), platform.principal]) {
      const r = await t.exec(who, PUBLISH, { input: vatDE("0.5") });
      expect(r.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    }
    expect(await t.db.prisma.ruleVersion.count({ where: { jurisdiction: "DE", payload: { equals: { rate: "0.5" } } } })).toBe(0);
  });

  it("EU rules by customs of any member state, not of the UK", async () => {
    const input = { jurisdiction: "EU", exchangeRates: [{ baseCurrency: "EUR", currency: "CHF", rate: "0.95", validFrom: "2026-11-01", legalReference: "ECB rate (test)" }] };
    expect((await t.exec(customsGB.principal, PUBLISH, { input })).errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const r = await t.exec(customsFR.principal, PUBLISH, { input });
    expect(r.errors).toBeUndefined();
    expect(r.data.publishRules.exchangeRates[0]).toMatchObject({ currency: "CHF", rate: "0.95", version: 2 });
    expect((await t.hub.services.rules.toEur("95", "CHF", day("2026-11-02"))).amount.toString()).toBe("100");
  });

  it("names every bad part of a rule set (BAD_USER_INPUT with paths)", async () => {
    const r = await t.exec(customsDE.principal, PUBLISH, {
      input: {
        jurisdiction: "DE",
        rules: [
          { kind: "TARIFF", key: "61x", validFrom: "2026-13-01", legalReference: " ", payload: { type: "AD_VALOREM", rate: "-1" } },
          { kind: "NOPE", key: "*", validFrom: "2026-01-01", legalReference: "x law", payload: {} },
          { kind: "THRESHOLD", key: "IOSS_MAX", validFrom: "2026-02-01", validTo: "2026-01-01", legalReference: "x law", payload: { amount: "150", currency: "EURO" } },
        ],
      },
    });
    expect(r.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const paths = (r.errors?.[0].extensions?.problems as { path: string }[]).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "input.rules[0].validFrom",
        "input.rules[0].legalReference",
        "input.rules[0].key",
        "input.rules[1].kind",
        "input.rules[2].validTo",
        "input.rules[2].payload.currency",
      ]),
    );
  });

  it("lists rules and rates, every version or those in force at a date", async () => {
    const q = `query($at: String) { rules(jurisdiction: "DE", kind: "VAT_RATE", key: "*", at: $at) { version payload } exchangeRates(jurisdiction: "EU", currency: "USD", at: $at) { rate version } }`;
    const all = await t.exec(platform.principal, q, {});
    expect(all.data.rules.map((r: any) => r.version)).toEqual([1, 2]);
    const at = await t.exec(platform.principal, q, { at: "2026-07-15" });
    expect(at.data.rules).toEqual([{ version: 1, payload: { rate: "0.19" } }]);
    expect(at.data.exchangeRates).toEqual([{ rate: "1.165", version: 2 }]);
  });
});

describe("riskRules: customs read their own risk rules, as the policy says (rules:readRestricted)", () => {
  const RISK = `query($j: String!, $kind: String, $at: String) { riskRules(jurisdiction: $j, kind: $kind, at: $at) { jurisdiction kind key version payload legalReference } }`;
  const PUBLIC = `query($j: String!) { rules(jurisdiction: $j) { kind } }`;
  const hsRule = {
    kind: "RISK_RULE",
    key: "HSCODE",
    validFrom: "2026-01-01",
    legalReference: "Illustrative: Council Regulation (EEC) No 2658/87 (test rule)",
    payload: { test: "HS_CODE_CHECK", severity: "LOW", reasonCode: "MISCLASSIFICATION", reason: "Commercial goods without a valid HS code", params: { invalidHsPrefixes: ["999"] } },
  };

  beforeAll(async () => {
    const r = await t.exec(customsDE.principal, PUBLISH, { input: { jurisdiction: "DE", rules: [hsRule] } });
    expect(r.errors).toBeUndefined();
  });

  it("customs of the jurisdiction (officer and analyst) and the operator read them; the public query never shows them", async () => {
    const operator = await makeParty(t, "OPERATOR", "NL", "Luxor Hub", "OPERATOR");
    for (const who of [customsDE.principal, asRole(customsDE, "ANALYST"), operator.principal]) {
      const r = await t.exec(who, RISK, { j: "DE", kind: "RISK_RULE", at: "2026-06-01" });
      expect(r.errors).toBeUndefined();
      expect(r.data.riskRules).toEqual([expect.objectContaining({ jurisdiction: "DE", kind: "RISK_RULE", key: "HSCODE", version: 1, payload: expect.objectContaining({ test: "HS_CODE_CHECK" }) })]);
    }
    expect((await t.exec(customsDE.principal, RISK, { j: "DE", at: "2025-06-01" })).data.riskRules).toEqual([]); // not yet in force
    const pub = await t.exec(customsDE.principal, PUBLIC, { j: "DE" });
    expect(pub.data.rules.map((r: { kind: string }) => r.kind)).not.toContain("RISK_RULE");
  });

  it("anyone else is FORBIDDEN, the same whether or not the jurisdiction has risk rules (no oracle)", async () => {
    for (const [who, j] of [
      [customsFR.principal, "DE"],
      [customsGB.principal, "DE"],
      [platform.principal, "DE"],
      [customsFR.principal, "JP"], // no rules at all: the same answer
      [platform.principal, "JP"],
      [customsGB.principal, "EU"],
    ] as const) {
      const r = await t.exec(who, RISK, { j });
      expect(r.errors?.[0].extensions?.code).toBe("FORBIDDEN");
      expect(r.errors?.[0].message).toMatch(/read the risk rules of this jurisdiction/);
      expect(r.data?.riskRules ?? null).toBeNull();
    }
  });
});
