/**
 * The value tolerance (|total - sum of items|) is versioned rule data per destination
 * (SETTING VALUE_TOLERANCE), checked at filing and on amendments by the same validation:
 * the shipped EU version, a DE version published by DE customs taking over from its date,
 * and amendments of total, currency and IOSS number re-validated against the goods items
 * with the problem at the amended field.
 */
import "reflect-metadata";
import { loadShippedRuleSets } from "../src/modules/rules/rules.loader";
import type { BadUserInputError } from "../src/shared/errors";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

let t: TestHub;
let customs: TestParty;
let platform: TestParty;

const DAY = 86_400_000;
const YESTERDAY = new Date(Date.now() - DAY).toISOString().slice(0, 10);

/** A DE parcel of one T-shirt worth 40.00 declared with `total`. */
const shirt = (total: string, over: Record<string, unknown> = {}) =>
  declarationInput({
    totalValue: total,
    iossNumber: null,
    goodsItems: [{ description: "Cotton T-shirt", quantity: 1, netWeightKg: "0.200", value: "40.00", currency: "EUR", hsCode: "610910", originCountry: "CN" }],
    ...over,
  });

const file = (input: Record<string, unknown>) => t.hub.services.declarations.filing.fileOne(platform.principal, input as never);
const problemsOf = async (p: Promise<unknown>) => ((await p.then(() => null, (e) => e)) as BadUserInputError | null)?.problems ?? [];

const AMEND = `mutation($id: ID!, $v: Int!, $input: AmendDeclarationInput!) { amendDeclaration(id: $id, expectedVersion: $v, input: $input) { version totalValue currency iossNumber } }`;
async function amend(id: string, input: Record<string, unknown>) {
  const r = await t.exec(platform.principal, AMEND, { id, v: 1, input });
  const problems = (r.errors?.[0]?.extensions?.problems ?? []) as { path: string; message: string }[];
  return { r, problems };
}

beforeAll(async () => {
  t = await startTestHub({ http: false });
  await loadShippedRuleSets(t.hub.services.rules); // EU SETTING VALUE_TOLERANCE v1: EUR 0.05 or 0.1%
  customs = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
  platform = await makeParty(t, "PLATFORM", "CN", "Platform");
});

afterAll(async () => {
  await t?.stop();
});

describe("filing against the destination's VALUE_TOLERANCE rule", () => {
  it("at and under the EU rule's EUR 0.05: accepted; over: refused naming the rule version and the path", async () => {
    expect((await file(shirt("40.05"))).created).toBe(true);
    expect((await file(shirt("39.96"))).created).toBe(true);
    const problems = await problemsOf(file(shirt("40.06")));
    expect(problems).toEqual([
      { path: "input.totalValue", message: "must equal the sum of the goods items' values (40.00) within 0.05 (EU SETTING VALUE_TOLERANCE v1: at most 0.05 or 0.1% of the total)" },
    ]);
  });

  it("a destination without a tolerance rule: the total must equal the sum exactly", async () => {
    const problems = await problemsOf(file(shirt("40.01", { destinationCountry: "JP" })));
    expect(problems.map((p) => p.path)).toEqual(["input.totalValue"]);
    expect(problems[0].message).toMatch(/exactly \(no VALUE_TOLERANCE rule is in force/);
  });
});

describe("amendments re-validated as at filing", () => {
  it("a new total within the tolerance is taken; outside it is refused at input.totalValue", async () => {
    const { declaration } = await file(shirt("40.00"));
    const bad = await amend(declaration.id, { totalValue: "45.00" });
    expect(bad.problems).toEqual([expect.objectContaining({ path: "input.totalValue", message: expect.stringMatching(/sum of the goods items' values \(40.00\) within 0.05/) })]);
    const ok = await amend(declaration.id, { totalValue: "40.04" });
    expect(ok.r.errors).toBeUndefined();
    expect(ok.r.data?.amendDeclaration).toMatchObject({ version: 2, totalValue: "40.04" });
  });

  it("a currency other than the goods items' is refused at input.currency", async () => {
    const { declaration } = await file(shirt("40.00"));
    const bad = await amend(declaration.id, { currency: "USD" });
    expect(bad.problems).toEqual([{ path: "input.currency", message: "must be EUR, the goods items' currency (one currency per declaration)" }]);
  });

  it("an IOSS number on excise goods is refused at input.iossNumber", async () => {
    const wine = { description: "Red wine", quantity: 1, netWeightKg: "1.000", value: "40.00", currency: "EUR", hsCode: "220421", originCountry: "CN" };
    const { declaration } = await file(shirt("40.00", { goodsItems: [wine] }));
    const bad = await amend(declaration.id, { iossNumber: "IM2760000001" });
    expect(bad.problems.map((p) => p.path)).toEqual(["input.iossNumber"]);
    expect(bad.problems[0].message).toMatch(/goods item 1 is excise goods \(heading 2204\)/);
  });
});

describe("a tolerance change by date", () => {
  it("DE customs publish a stricter DE version from yesterday: it applies from then, the EU version before", async () => {
    const PUBLISH = `mutation($input: RuleSetInput!) { publishRules(input: $input) { rules { kind key version } } }`;
    const r = await t.exec(customs.principal, PUBLISH, {
      input: {
        jurisdiction: "DE",
        rules: [{ kind: "SETTING", key: "VALUE_TOLERANCE", validFrom: YESTERDAY, legalReference: "Test: hub setting of DE customs", payload: { amount: "0.01", relative: "0" } }],
      },
    });
    expect(r.errors).toBeUndefined();
    const book = await t.hub.services.rules.book("DE");
    expect(book.valueTolerance(new Date(Date.now() - 3 * DAY))?.rule).toBe("EU SETTING VALUE_TOLERANCE v1");
    expect(book.valueTolerance(new Date())?.rule).toBe("DE SETTING VALUE_TOLERANCE v1");

    // filing now: 0.04 off was accepted under the EU version, is refused under DE's
    const problems = await problemsOf(file(shirt("40.04")));
    expect(problems).toEqual([
      { path: "input.totalValue", message: "must equal the sum of the goods items' values (40.00) within 0.01 (DE SETTING VALUE_TOLERANCE v1: at most 0.01 or 0% of the total)" },
    ]);
    expect((await file(shirt("40.01"))).created).toBe(true);
    // an amendment is checked against the version in force at the amendment
    const { declaration } = await file(shirt("40.00"));
    expect((await amend(declaration.id, { totalValue: "40.03" })).problems.map((p) => p.message)).toEqual([expect.stringMatching(/DE SETTING VALUE_TOLERANCE v1/)]);
  });
});
