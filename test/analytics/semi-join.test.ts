/**
 * The all-matches plan tests a relation under OR or NOT with the policy's declaration part
 * taken out of its EXISTS (semi-join.ts: one EXISTS per holder part of the policy, correlated
 * on the id alone, which PostgreSQL can hash). The two forms must select exactly the same
 * declarations: here over random filters with AND / OR /
 * NOT and relations (some and none), for viewers with mixed rights (own records, the
 * carrier's baseline, agreements scoped by destination or to what it carries) on holds and
 * alerts placed by several holders.
 */
import { Prisma } from "../../src/generated/prisma/client";
import { createContext } from "../../src/context/context";
import type { DeclarationWhere } from "../../src/modules/analytics/analytics.inputs";
import { Problems } from "../../src/shared/validation";
import { declarationInput, makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

/** A small seeded PRNG (mulberry32): the same filters on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe("relations in the split form select exactly what the EXISTS form selects", () => {
  let t: TestHub;
  let platform: TestParty, other: TestParty, carrier: TestParty, carrier2: TestParty, customs: TestParty;
  const rnd = prng(10);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    other = await makeParty(t, "PLATFORM", "IE", "Other");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    carrier2 = await makeParty(t, "CARRIER", "NL", "Carrier 2");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    // mixed rights for the carrier: the platform's commercial and risk data bound for DE, the
    // other platform's risk data on what it carries, the customs' holds (STATUS) everywhere
    await makeAgreement(t, platform, carrier, { categories: ["COMMERCIAL", "RISK", "STATUS"], scopeDestinations: ["DE"] });
    await makeAgreement(t, other, carrier, { categories: ["RISK"], scopeOnlyCarried: true });
    await makeAgreement(t, customs, carrier, { categories: ["STATUS"] });
    // a rate table: amounts on items convert at the declaration's date (their condition reads d)
    await t.db.prisma.exchangeRate.create({
      data: { jurisdiction: "EU", baseCurrency: "EUR", currency: "CNY", rate: "100", version: 1, validFrom: new Date("2020-01-01"), legalReference: "test", source: "test" },
    });
    const placers = [customs, platform, other, carrier, carrier2];
    for (let i = 0; i < 36; i++) {
      const filer = i % 3 === 2 ? other : platform;
      // 10 EUR, 9 EUR (900 CNY at 100) or 900 EUR: a converted total tells them apart
      const amount = pick([{ totalValue: "10.00", currency: "EUR" }, { totalValue: "900.00", currency: "CNY" }, { totalValue: "900.00", currency: "EUR" }]);
      const { declaration } = await t.hub.services.declarations.filing.fileOne(
        filer.principal,
        declarationInput({
          ...amount,
          destinationCountry: pick(["DE", "DE", "FR", "NL"]),
          carrierId: pick([carrier.id, carrier.id, carrier2.id, null]),
          goodsItems: [
            {
              description: pick(["Cotton T-shirt", "Mobile phone", "Toy car"]),
              quantity: 1,
              netWeightKg: "0.300",
              value: amount.totalValue,
              currency: amount.currency,
              hsCode: pick(["610910", "851712", "950300"]),
              originCountry: "CN",
            },
          ],
        }) as never,
      );
      // tracking prefixes as the analysts filter on them (set here: filing checks S10 digits)
      const tracking = `${pick(["RR", "LX", "CP"])}${String(i).padStart(9, "0")}CN`;
      await t.db.prisma.declaration.update({ where: { id: declaration.id }, data: { trackingNumber: tracking } });
      for (let h = Math.floor(rnd() * 3); h > 0; h--) {
        await t.db.prisma.hold.create({
          data: { declarationId: declaration.id, placedById: pick(placers).id, kind: pick(["INSPECTION", "RFI"] as const), status: pick(["OPEN", "RELEASED"] as const), reason: "r" },
        });
      }
      for (let a = Math.floor(rnd() * 3); a > 0; a--) {
        await t.db.prisma.riskAlert.create({
          data: { declarationId: declaration.id, raisedById: pick(placers).id, severity: pick(["LOW", "HIGH", "CRITICAL"] as const), reasonCode: "X", reason: "r" },
        });
      }
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  const leaf = (): DeclarationWhere =>
    pick<() => DeclarationWhere>([
      () => ({ destinationCountry: { eq: pick(["DE", "FR"]) } }),
      () => ({ trackingNumber: { startsWith: pick(["RR", "LX"]) } }),
      () => ({ carrierId: { eq: pick([carrier.id, carrier2.id]) } }),
      () => ({ holds: { [pick(["some", "none"])]: pick([{}, { status: { eq: "OPEN" } }, { kind: { eq: "INSPECTION" }, status: { eq: "OPEN" } }]) } }),
      () => ({ riskAlerts: { [pick(["some", "none"])]: pick([{}, { severity: { in: ["HIGH", "CRITICAL"] } }]) } }),
      () => ({ goodsItems: { [pick(["some", "none"])]: pick([{ hsCode: { startsWith: "61" } }, { description: { search: "phone" } }, {}, { value: { gt: "5" } }]) } }),
      // converted to EUR at the declaration's date: at the top of a branch, a later stage (StagedFilter)
      () => ({ totalValue: pick([{ gt: "9.50" }, { lte: "10" }]) }),
    ])();
  const filter = (depth: number): DeclarationWhere => {
    if (depth >= 3 || rnd() < 0.35) return leaf();
    const kind = pick(["AND", "OR", "NOT"] as const);
    if (kind === "NOT") return { NOT: filter(depth + 1) };
    return { [kind]: [filter(depth + 1), filter(depth + 1), ...(rnd() < 0.4 ? [filter(depth + 1)] : [])] };
  };

  /** branches with a later stage (StagedFilter.after) in the current test */
  let staged = 0;

  async function selected(viewer: TestParty, where: DeclarationWhere) {
    const service = t.hub.services.analytics;
    const policy = await createContext(t.hub, viewer.principal).authz.policy();
    const problems = new Problems();
    const compiled = service.compile(policy, await service.money(), where, "where", problems);
    expect(problems.list).toEqual([]);
    const visible = compiled.policySql.readable("d", compiled.categories);
    const run = async (cond: Prisma.Sql) =>
      (await service.db.query<{ id: string }>(Prisma.sql`SELECT d."id"::text AS id FROM "Declaration" d WHERE ${visible} AND ${cond} ORDER BY 1`)).map((r) => r.id);
    // the policy's branches, each with the filter compiled within it (the bases it states granted), united
    const money = await service.money();
    const branches = service.branches(compiled.policySql, money, where, [...compiled.categories]) ?? [];
    const inBranches = new Set<string>();
    for (const b of branches) {
      if (b.after) staged++;
      const rows = await service.db.query<{ id: string }>(Prisma.sql`SELECT d."id"::text AS id FROM "Declaration" d WHERE ${b.visible} AND ${b.filter} AND ${b.after ?? Prisma.sql`TRUE`}`);
      for (const r of rows) inBranches.add(r.id);
    }
    const { scan, after } = compiled.staged;
    return {
      exists: await run(compiled.sql),
      setwise: await run(compiled.setwise),
      staged: await run(after ? Prisma.sql`${scan} AND ${after}` : scan),
      branched: branches.length ? [...inBranches].sort() : null,
      rewritten: compiled.setwise.text !== compiled.sql.text,
    };
  }

  it.each([
    ["a carrier with mixed rights", () => carrier],
    ["the destination customs", () => customs],
    ["a filer", () => platform],
  ])("over 120 random filters, as %s", async (_label, viewer) => {
    let rewritten = 0;
    staged = 0;
    let partial = 0;
    let branched = 0;
    for (let i = 0; i < 120; i++) {
      const where = filter(0);
      const r = await selected(viewer(), where);
      expect({ where, ids: r.setwise }).toEqual({ where, ids: r.exists });
      expect({ where, ids: r.staged, staged: true }).toEqual({ where, ids: r.exists, staged: true });
      if (r.branched) {
        branched++;
        expect({ where, ids: r.branched, branches: true }).toEqual({ where, ids: r.exists, branches: true });
      }
      if (r.rewritten) rewritten++;
      if (r.exists.length > 0 && r.exists.length < 36) partial++;
    }
    // the rewrite did apply, and the filters discriminate (neither always none nor all)
    expect(rewritten).toBeGreaterThan(40);
    expect(branched).toBeGreaterThan(100);
    expect(staged).toBeGreaterThan(10);
    expect(partial).toBeGreaterThan(30);
  });

  it("within a branch of the policy its bases are granted: customs' own destination reads every holder's alerts, other branches keep the holder test", async () => {
    const policy = await createContext(t.hub, customs.principal).authz.policy();
    const service = t.hub.services.analytics;
    const where: DeclarationWhere = { OR: [{ riskAlerts: { some: { severity: { eq: "HIGH" } } } }, { ddp: true }] };
    const c = service.compile(policy, await service.money(), where, "where", new Problems());
    const branches = service.branches(c.policySql, await service.money(), where, [...c.categories])!;
    const own = branches.find((b) => b.visible.text.includes(`d."destinationCountry" =`) && b.visible.values.includes("DE"))!;
    expect(own).toBeDefined();
    expect(own.filter.text).not.toMatch(/raisedById/);
    const others = branches.filter((b) => b !== own);
    expect(others.length).toBeGreaterThan(0);
    // its own filings (none here, yet a basis): the filer reads only its own alerts
    for (const b of others) expect(b.filter.text).toMatch(/raisedById/);
  });

  it("the split form under OR / NOT: one EXISTS per holder part of the policy, NOT kept two-valued; EXISTS kept at the top", async () => {
    const policy = await createContext(t.hub, carrier.principal).authz.policy();
    const service = t.hub.services.analytics;
    const c = service.compile(policy, await service.money(), { NOT: { holds: { some: { status: { eq: "OPEN" } } } } }, "where", new Problems());
    expect(c.sql.text.match(/EXISTS/g)?.length).toBe(1);
    // the policy's declaration part outside: each EXISTS correlates on the id alone
    expect(c.setwise.text.match(/EXISTS \(SELECT 1 FROM "Hold" r1 WHERE r1."declarationId" = d."id"( AND r1."placedById" = \$\d+::uuid)? AND \(r1."status"/g)?.length).toBeGreaterThanOrEqual(2);
    expect(c.setwise.text).toMatch(/NOT \(+COALESCE/);
    // an amount at the declaration's date reads the declaration: EXISTS kept
    const amount = service.compile(policy, await service.money(), { OR: [{ goodsItems: { some: { value: { gt: "5" } } } }, { ddp: true }] }, "where", new Problems());
    expect(amount.setwise.text).toBe(amount.sql.text);
    // reached through ANDs alone: the EXISTS form, which PostgreSQL joins as it sees fit
    const top = service.compile(policy, await service.money(), { AND: [{ holds: { none: {} } }, { ddp: true }] }, "where", new Problems());
    expect(top.setwise.text).toBe(top.sql.text);
  });

  it("conditions on the declaration's own columns come before relations and parties, at every level", async () => {
    const policy = await createContext(t.hub, customs.principal).authz.policy();
    const service = t.hub.services.analytics;
    // given relations first (the input type's field order puts AND and OR before the columns)
    const where: DeclarationWhere = {
      AND: [{ riskAlerts: { some: { severity: { eq: "HIGH" } } } }, { carrier: { country: { eq: "CH" } } }, { ddp: true }],
      OR: [{ holds: { some: { status: { eq: "OPEN" } } } }, { trackingNumber: { startsWith: "RR" } }],
      originCountry: { eq: "CN" },
    } as DeclarationWhere;
    const c = service.compile(policy, await service.money(), where, "where", new Problems());
    const at = (needle: string) => c.sql.text.indexOf(needle);
    expect(at(`d."originCountry"`)).toBeLessThan(at("EXISTS"));
    expect(at(`d."ddp"`)).toBeLessThan(at(`FROM "RiskAlert"`));
    expect(at(`d."ddp"`)).toBeLessThan(at(`FROM "Party"`));
    expect(at(`d."trackingNumber"`)).toBeLessThan(at(`FROM "Hold"`));
    // the OR holding a relation comes after the plain condition, the AND of relations last but for its plain part
    expect(at(`d."originCountry"`)).toBeLessThan(at(`d."trackingNumber"`));
  });
});
