/**
 * The analysts' page takes one of two plans (list.repository.ts): a bounded walk in filedAt
 * order, going on from where it stopped when matches are sparse, else all matches then sorted. With
 * budgets of a few rows, every path runs here on a small world; each must give exactly the
 * pages a plain ORDER BY ... LIMIT gives, page after page through the cursors.
 */
import { Prisma } from "../../src/generated/prisma/client";
import { ListRepository, sortSpec, type PageQuery } from "../../src/modules/analytics/list.repository";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

describe("the analysts' page plans", () => {
  let t: TestHub;
  let platform: TestParty, other: TestParty;
  const ids: { id: string; origin: string; filer: string; at: Date }[] = [];

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    other = await makeParty(t, "PLATFORM", "IE", "Other");
    // 40 declarations, one a minute back from now; HK on 3 of them (sparse), two of which are old
    const base = Date.now();
    for (let i = 0; i < 40; i++) {
      const filer = i % 4 === 3 ? other : platform;
      const origin = [5, 31, 37].includes(i) ? "HK" : "CN";
      const { declaration } = await t.hub.services.declarations.filing.fileOne(filer.principal, declarationInput({ originCountry: origin }) as never);
      const at = new Date(base - i * 60_000);
      // two declarations share a filing time: the id breaks the tie
      await t.db.prisma.declaration.update({ where: { id: declaration.id }, data: { filedAt: i === 8 ? new Date(base - 7 * 60_000) : at } });
      ids.push({ id: declaration.id, origin, filer: filer.id, at: i === 8 ? new Date(base - 7 * 60_000) : at });
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Every page in turn, through the cursors, with these walk budgets. */
  async function allPages(budgets: { first: number; max: number }, filter: Prisma.Sql, take: number, desc: boolean, over: Partial<PageQuery> = {}) {
    const money = await t.hub.services.analytics.money();
    const repo = new ListRepository(t.hub.services.analytics.db, budgets);
    const q: PageQuery = {
      visible: Prisma.sql`d."filerId" = ${platform.id}::uuid`,
      filter,
      keys: [{ spec: sortSpec("filedAt", money), desc }],
      after: null,
      take,
      ...over,
    };
    const out: string[][] = [];
    for (let guard = 0; guard < 50; guard++) {
      const rows = await repo.page(q);
      if (!rows.length) break;
      out.push(rows.map((r) => r.id));
      const last = rows[rows.length - 1];
      q.after = { values: last.keys, id: last.id };
    }
    return out;
  }

  type Row = (typeof ids)[number];
  const expected = (match: (d: Row) => boolean, take: number, desc: boolean, visible = (d: Row) => d.filer === platform.id) => {
    const sorted = ids
      .filter((d) => visible(d) && match(d))
      .sort((a, b) => (a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1)) * (desc ? -1 : 1))
      .map((d) => d.id);
    const pages: string[][] = [];
    for (let i = 0; i < sorted.length; i += take) pages.push(sorted.slice(i, i + take));
    return pages;
  };

  it("a dense filter: the first walk fills each page", async () => {
    const cn = Prisma.sql`d."originCountry" = 'CN'`;
    expect(await allPages({ first: 6, max: 12 }, cn, 4, true)).toEqual(expected((d) => d.origin === "CN", 4, true));
    expect(await allPages({ first: 6, max: 12 }, cn, 4, false)).toEqual(expected((d) => d.origin === "CN", 4, false));
  });

  it("a sparse filter: a longer walk, then all matches sorted", async () => {
    const hk = Prisma.sql`d."originCountry" = 'HK'`;
    // HK rows at positions 5, 31, 37 of the store (4, 23, 28 among the platform's): the first walk
    // finds one, the second (budget scaled up) does not fill the page, then all matches sorted
    const spy = jest.spyOn(t.hub.services.analytics.db, "query");
    for (const budgets of [{ first: 6, max: 12 }, { first: 2, max: 4 }, { first: 1000, max: 1000 }]) {
      spy.mockClear();
      expect(await allPages(budgets, hk, 2, true)).toEqual(expected((d) => d.origin === "HK", 2, true));
      expect(await allPages(budgets, hk, 2, false)).toEqual(expected((d) => d.origin === "HK", 2, false));
      const plans = spy.mock.calls.map(([s]) => (s.text.includes("MATERIALIZED") ? "all" : s.text.includes("row_number()") ? "walk" : "other"));
      // small budgets reach the fallback; a budget past the store never does
      expect(plans.includes("all")).toBe(budgets.first < 40);
      expect(plans.includes("walk")).toBe(true);
    }
    spy.mockRestore();
  });

  it("a walk too short for a page goes on from where it stopped, each row tested once", async () => {
    const cn = Prisma.sql`d."originCountry" = 'CN'`;
    const spy = jest.spyOn(t.hub.services.analytics.db, "query");
    for (const desc of [true, false]) {
      spy.mockClear();
      // a first walk of 3 rows, pages of 8: every page needs further walks, never the fallback
      expect(await allPages({ first: 3, max: 40 }, cn, 8, desc)).toEqual(expected((d) => d.origin === "CN", 8, desc));
      const texts = spy.mock.calls.map(([s]) => s.text);
      expect(texts.some((x) => x.includes("MATERIALIZED"))).toBe(false);
      expect(texts.filter((x) => x.includes("row_number()")).length).toBeGreaterThan(expected((d) => d.origin === "CN", 8, desc).length);
    }
    // the first page's second walk starts after the first walk's last row (a keyset on it), not at the top again
    spy.mockClear();
    const money = await t.hub.services.analytics.money();
    const q: PageQuery = { visible: Prisma.sql`d."filerId" = ${platform.id}::uuid`, filter: cn, keys: [{ spec: sortSpec("filedAt", money), desc: true }], after: null, take: 8 };
    await new ListRepository(t.hub.services.analytics.db, { first: 3, max: 40 }).page(q);
    const walks = spy.mock.calls.map(([s]) => s.text).filter((x) => x.includes("row_number()"));
    expect(walks[0]).not.toContain(`d."filedAt" <=`);
    expect(walks[1]).toContain(`d."filedAt" <=`);
    spy.mockRestore();
  });

  it("all matches by the policy's branches: a row in two branches comes once, pages as a plain ORDER BY", async () => {
    // visible: the platform's own OR from HK (the other filer's HK rows too); the HK rows of the platform are in both branches
    const own = Prisma.sql`d."filerId" = ${platform.id}::uuid`;
    const hk = Prisma.sql`d."originCountry" = 'HK'`;
    const recent = Prisma.sql`d."filedAt" > ${new Date(Date.now() - 30 * 60_000).toISOString().replace("Z", "")}::timestamp`;
    const over = { visible: Prisma.sql`(${own} OR ${hk})`, branches: () => [{ visible: own, filter: recent }, { visible: hk, filter: Prisma.sql`TRUE` }] };
    const spy = jest.spyOn(t.hub.services.analytics.db, "query");
    for (const desc of [true, false]) {
      // the branches' filters differ (as a filter compiled within each may): each branch's own is applied
      const want = expected((d) => (d.filer === platform.id && d.at.getTime() > Date.now() - 30 * 60_000) || d.origin === "HK", 3, desc, () => true);
      expect(await allPages({ first: 1, max: 1 }, Prisma.sql`TRUE`, 3, desc, over)).toEqual(want);
    }
    expect(spy.mock.calls.some(([s]) => s.text.includes("UNION"))).toBe(true);
    spy.mockRestore();
  });

  it("a converted amount in the sort and the filter is tested after the scan (StagedFilter), pages as a plain ORDER BY", async () => {
    const money = await t.hub.services.analytics.money();
    // totals with ties; CNY has no rate here: its rows have no amount in EUR, match no amount condition and rank nowhere
    for (const [i, d] of ids.entries()) {
      await t.db.prisma.declaration.update({ where: { id: d.id }, data: { totalValue: String((i % 5) * 10 + 5), currency: i % 6 === 0 ? "CNY" : "EUR" } });
    }
    const eur = (sql: Prisma.Sql) => money.inReference(sql, Prisma.raw(`d."currency"`), Prisma.raw(`d."filedAt"`));
    const scan = Prisma.sql`d."originCountry" = 'CN'`;
    const after = Prisma.sql`${eur(Prisma.raw(`d."totalValue"`))} > 10`;
    const visible = Prisma.sql`d."filerId" = ${platform.id}::uuid`;
    const spy = jest.spyOn(t.hub.services.analytics.db, "query");
    for (const desc of [true, false]) {
      const dir = Prisma.raw(desc ? "DESC" : "ASC");
      const plain = await t.hub.services.analytics.db.query<{ id: string }>(Prisma.sql`
        SELECT d."id"::text AS id FROM "Declaration" d WHERE ${visible} AND ${scan} AND ${after}
        ORDER BY ${eur(Prisma.raw(`d."totalValue"`))} ${dir}, d."id" ${dir}`);
      const want: string[][] = [];
      for (let i = 0; i < plain.length; i += 3) want.push(plain.slice(i, i + 3).map((r) => r.id));
      expect(want.length).toBeGreaterThan(2);
      const keys = [{ spec: sortSpec("totalValue", money), desc }];
      const staged = { filter: Prisma.sql`${scan} AND ${after}`, setwise: { scan, after }, keys };
      expect(await allPages({ first: 1, max: 1 }, staged.filter, 3, desc, staged)).toEqual(want);
      // the same through a branch of the policy
      const branches = () => [{ visible, filter: scan, after }];
      expect(await allPages({ first: 1, max: 1 }, staged.filter, 3, desc, { ...staged, branches })).toEqual(want);
    }
    // the conversions run outside the scan: behind OFFSET 0, on the rows it left
    const all = spy.mock.calls.map(([s]) => s.text).filter((x) => x.includes("MATERIALIZED"));
    expect(all.length).toBeGreaterThan(4);
    for (const x of all) expect(x).toMatch(/FROM \(SELECT d\."id", [^)]*FROM "Declaration" d WHERE [^]*OFFSET 0\) d WHERE \(CASE/);
    spy.mockRestore();
  });

  it("a filter matching nothing: no rows on any plan", async () => {
    const none = Prisma.sql`d."originCountry" = 'ZZ'`;
    expect(await allPages({ first: 3, max: 6 }, none, 5, true)).toEqual([]);
    expect(await allPages({ first: 1000, max: 1000 }, none, 5, true)).toEqual([]);
  });
});
