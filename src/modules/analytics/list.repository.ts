import { Prisma } from "../../generated/prisma/client";
import { DataCategory } from "../../authz/categories";
import type { MoneySql } from "./money.sql";
import type { AnalyticsDb } from "./analytics.db";
import type { StatsHolder } from "./stats.repository";
import type { StagedFilter } from "./filter.compiler";

const { STATUS, TRANSPORT, COMMERCIAL } = DataCategory;

/** A sort key: its SQL on `d`, the type a cursor's value is read back as, and the category it reads. */
export interface SortSpec {
  sql: Prisma.Sql;
  pgType: string;
  category: DataCategory;
  nullable: boolean;
  /** an index gives rows in this key's order (Declaration_walk_idx, led by filedAt, id): a page can walk it */
  walkable?: boolean;
  /** an amount converted to the reference currency: tested after the scan's conditions (StagedFilter) */
  converts?: boolean;
}

export function sortSpec(field: string, money: MoneySql): SortSpec {
  const c = (name: string, pgType: string, category: DataCategory, nullable = false): SortSpec => ({
    sql: Prisma.raw(`d."${name}"`),
    pgType,
    category,
    nullable,
  });
  switch (field) {
    case "filedAt":
      return { ...c("filedAt", "timestamp", STATUS), walkable: true };
    case "updatedAt":
      return c("updatedAt", "timestamp", STATUS);
    case "releasedAt":
      return c("releasedAt", "timestamp", STATUS, true);
    case "status":
      return c("status", `"DeclarationStatus"`, STATUS);
    case "grossWeightKg":
      return c("grossWeightKg", "numeric", TRANSPORT);
    case "destinationCountry":
      return c("destinationCountry", "bpchar", TRANSPORT);
    case "originCountry":
      return c("originCountry", "bpchar", TRANSPORT);
    case "trackingNumber":
      return c("trackingNumber", "text", TRANSPORT);
    case "totalValue":
      // in the reference currency, so a CNY amount does not outrank a larger EUR one
      return {
        sql: money.inReference(Prisma.raw(`d."totalValue"`), Prisma.raw(`d."currency"`), Prisma.raw(`d."filedAt"`)),
        pgType: "numeric",
        category: COMMERCIAL,
        nullable: true,
        converts: true,
      };
    default:
      throw new Error(`no sort key ${field}`);
  }
}

export interface PageQuery {
  /** the policy: declarations the viewer may read in the categories the filter and sort read */
  visible: Prisma.Sql;
  filter: Prisma.Sql;
  /** the same filter, its relations as semi-joins, in stages (CompiledFilter.staged): for all matches at once */
  setwise?: StagedFilter;
  /**
   * The same `visible AND setwise`, as an OR of the policy's branches, each with the filter
   * compiled within it (PolicySql.branches): for all matches at once, one scan per branch.
   * Asked for only when that plan runs (a walk that fills the page needs none)
   */
  branches?: () => { visible: Prisma.Sql; filter: Prisma.Sql; after?: Prisma.Sql | null }[] | undefined;
  keys: { spec: SortSpec; desc: boolean }[];
  /** values of the keys and the id of the last row of the previous page */
  after: { values: string[]; id: string } | null;
  take: number;
}

/** Visible declarations a page walks in index order at first, and at most on a second try. */
export const WALK = { first: 2000, max: 20_000 };

type Row = { id: string; keys: string[] };

/**
 * The analysts' declarations page: keyset pagination on the sort keys and the id, so a
 * page follows the rows of the previous one whatever is filed meanwhile (a new row sorts
 * before or after the cursor, never shifts the pages). Rows whose sort value is unknown
 * (no exchange rate, never released) are not ranked and are left out.
 *
 * Two plans, chosen by what the data says rather than by the planner's estimates (which
 * cannot see that, say, a carrier's tracking numbers never start with RR): when the first
 * key has an index order, walk the viewer's declarations in that order, a bounded number
 * of them, testing the filter on each; a full page found there is the answer (the first
 * matches in order are the first matches). Otherwise the filter is selective: all its
 * matches first (through whatever indexes serve it), then sorted.
 */
export class ListRepository {
  constructor(
    private readonly db: AnalyticsDb,
    private readonly budgets: { first: number; max: number } = WALK,
  ) {}

  async page(q: PageQuery): Promise<Row[]> {
    if (q.keys[0].spec.walkable) {
      const found: Row[] = [];
      let from = q;
      let budget = this.budgets.first;
      let walked = 0;
      for (;;) {
        const { rows, marker } = await this.walk({ ...from, take: q.take - found.length }, budget);
        found.push(...rows);
        // a full page, or every visible declaration walked: the answer
        if (found.length >= q.take || !marker) return found;
        walked += budget;
        if (!found.length || walked >= this.budgets.max) break;
        // some matches, too sparse for a page: on from where this walk stopped (its rows are
        // not tested twice), as far as the rest of the page needs at the rate found
        budget = Math.min(this.budgets.max - walked, Math.ceil(((q.take - found.length) * walked * 1.2) / found.length));
        from = { ...q, after: { values: marker.keys, id: marker.id } };
      }
    }
    return this.matchesThenSort(q);
  }

  private parts(q: PageQuery) {
    const staged = this.conditions(q, q.visible);
    const conds = [...staged.scan, ...staged.after];
    const dir = (desc: boolean) => Prisma.raw(desc ? "DESC" : "ASC");
    const last = q.keys[q.keys.length - 1];
    const order = (key: (i: number) => Prisma.Sql, id: Prisma.Sql) => [
      ...q.keys.map((k, i) => Prisma.sql`${key(i)} ${dir(k.desc)}`),
      Prisma.sql`${id} ${dir(last.desc)}`,
    ];
    const keys = q.keys.map((k, i) => Prisma.sql`${k.spec.sql} AS ${Prisma.raw(`k${i}`)}`);
    const text = q.keys.map((_, i) => Prisma.raw(`k${i}::text AS k${i}`));
    return { conds, order, keys, text };
  }

  /**
   * The page's conditions besides the filter: the policy, known sort values, the cursor; those
   * reading a converted amount apart (`after`), as StagedFilter keeps them.
   */
  private conditions(q: PageQuery, visible: Prisma.Sql): { scan: Prisma.Sql[]; after: Prisma.Sql[] } {
    const out = { scan: [visible], after: [] as Prisma.Sql[] };
    for (const k of q.keys) if (k.spec.nullable) (k.spec.converts ? out.after : out.scan).push(Prisma.sql`${k.spec.sql} IS NOT NULL`);
    if (q.after) {
      const { bound, order } = this.keyset(q);
      (q.keys[0].spec.converts ? out.after : out.scan).push(bound);
      (q.keys.some((k) => k.spec.converts) ? out.after : out.scan).push(order);
    }
    return out;
  }

  private rows(rows: Record<string, string>[], q: PageQuery): Row[] {
    return rows.map((r) => ({ id: r.id, keys: q.keys.map((_, i) => r[`k${i}`]) }));
  }

  /**
   * The first `budget` visible declarations in key order (an index walk, stopping at `take`
   * matches), those matching the filter; `marker`: the budget-th row when the walk reached
   * its budget (matching or not), where a further walk goes on from.
   */
  private async walk(q: PageQuery, budget: number): Promise<{ rows: Row[]; marker: Row | null }> {
    const { conds, order, keys, text } = this.parts(q);
    const keyOrder = Prisma.join(order((i) => q.keys[i].spec.sql, Prisma.raw(`d."id"`)), ", ");
    const columns = Prisma.raw(q.keys.map((_, i) => `v.k${i}`).join(", "));
    // the walk (`v`) reads the policy's and the keys' columns: with filedAt the only key,
    // Declaration_walk_idx holds them all (an index-only scan, no table page for a row the
    // viewer may not read); the filter then reads the table row of each declaration walked,
    // one at a time (a subquery per row: the walk still stops at `take` matches)
    const rows = await this.db.query<Record<string, string> & { n: string; hit: boolean }>(Prisma.sql`
      SELECT w."id"::text AS id, ${Prisma.join(text, ", ")}, w.n::text AS n, w.hit FROM (
        SELECT v."id", ${columns}, v.n, (SELECT COALESCE(${q.filter}, FALSE) FROM "Declaration" d WHERE d."id" = v."id") AS hit
        FROM (
          SELECT d."id", ${Prisma.join(keys, ", ")}, row_number() OVER (ORDER BY ${keyOrder}) AS n
          FROM "Declaration" d
          WHERE ${Prisma.join(conds, " AND ")}
          ORDER BY ${keyOrder}
          LIMIT ${budget}::int) v) w
      WHERE w.hit OR w.n = ${budget}::int
      LIMIT ${q.take}::int`);
    rows.sort((a, b) => Number(a.n) - Number(b.n));
    const last = rows.find((r) => Number(r.n) === budget);
    return { rows: this.rows(rows.filter((r) => r.hit), q), marker: last ? this.rows([last], q)[0] : null };
  }

  /**
   * Every match (the CTE is not walked in key order), then the first `take` sorted. With the
   * policy's branches, the matches of each branch apart, united (a declaration in two
   * branches once): each branch's scan then reads one basis's rows through its own index,
   * where the OR of all would read them all through a bitmap and the table.
   */
  private async matchesThenSort(q: PageQuery): Promise<Row[]> {
    const { order, text, keys } = this.parts(q);
    const branches = q.branches?.() ?? [{ visible: q.visible, filter: q.setwise?.scan ?? q.filter, after: q.setwise?.after }];
    const selects = branches.map((b) => {
      const conds = this.conditions(q, b.visible);
      const scan = [...conds.scan, b.filter];
      const after = [...conds.after, ...(b.after ? [b.after] : [])];
      if (!after.length) return Prisma.sql`SELECT d."id", ${Prisma.join(keys, ", ")} FROM "Declaration" d WHERE ${Prisma.join(scan, " AND ")}`;
      // the scan's rows first, behind OFFSET 0 (PostgreSQL does not pull its conditions up
      // into it), with the columns the later conditions and keys read (an index holding them
      // answers without the table); then the conversions, on those rows alone
      const read = [...new Set(["id", ...[...keys, ...after].flatMap((x) => [...x.text.matchAll(/\bd\."(\w+)"/g)].map((m) => m[1]))])];
      const columns = Prisma.raw(read.map((c) => `d."${c}"`).join(", "));
      return Prisma.sql`SELECT d."id", ${Prisma.join(keys, ", ")} FROM (SELECT ${columns} FROM "Declaration" d WHERE ${Prisma.join(scan, " AND ")} OFFSET 0) d WHERE ${Prisma.join(after, " AND ")}`;
    });
    const rows = await this.db.query<Record<string, string>>(Prisma.sql`
      WITH m AS MATERIALIZED (${Prisma.join(selects, " UNION ")})
      SELECT "id"::text AS id, ${Prisma.join(text, ", ")} FROM m
      ORDER BY ${Prisma.join(order((i) => Prisma.raw(`m."k${i}"`), Prisma.raw(`m."id"`)), ", ")}
      LIMIT ${q.take}::int`);
    return this.rows(rows, q);
  }

  /**
   * (k1, ..., id) after the cursor, each key in its own direction; the id breaks ties in the
   * last key's. `bound`: the first key's bound alone as well, so an index on it starts at the cursor.
   */
  private keyset(q: PageQuery): { bound: Prisma.Sql; order: Prisma.Sql } {
    const after = q.after!;
    const terms = [
      ...q.keys.map((k, i) => ({ sql: k.spec.sql, value: Prisma.sql`${after.values[i]}::${Prisma.raw(k.spec.pgType)}`, desc: k.desc })),
      { sql: Prisma.raw(`d."id"`), value: Prisma.sql`${after.id}::uuid`, desc: q.keys[q.keys.length - 1].desc },
    ];
    const ors: Prisma.Sql[] = terms.map((t, i) => {
      const eq = terms.slice(0, i).map((p) => Prisma.sql`${p.sql} = ${p.value}`);
      const step = Prisma.sql`${t.sql} ${Prisma.raw(t.desc ? "<" : ">")} ${t.value}`;
      return Prisma.sql`(${Prisma.join([...eq, step], " AND ")})`;
    });
    const first = terms[0];
    const bound = Prisma.sql`${first.sql} ${Prisma.raw(first.desc ? "<=" : ">=")} ${first.value}`;
    return { bound, order: Prisma.sql`(${Prisma.join(ors, " OR ")})` };
  }

  /**
   * How many match, up to `limit` + 1 (the caller reports more than `limit` as "at least"),
   * and whose declarations were counted (for the holders' access logs).
   */
  async count(where: Prisma.Sql, viewerId: string, limit: number): Promise<{ n: number; holders: StatsHolder[] }> {
    const rows = await this.db.query<StatsHolder & { n: number }>(Prisma.sql`
      SELECT d."filerId"::text AS holder, 'Declaration' AS kind,
             rtrim(d."destinationCountry") AS "destinationCountry", rtrim(d."originCountry") AS "originCountry",
             COALESCE(d."carrierId" = ${viewerId}::uuid OR d."postId" = ${viewerId}::uuid, FALSE) AS carried,
             COALESCE(d."platformId" = ${viewerId}::uuid, FALSE) AS platform,
             d."filerId" = ${viewerId}::uuid AS filed, count(*)::int AS n
      FROM (SELECT d."filerId", d."destinationCountry", d."originCountry", d."carrierId", d."postId", d."platformId"
            FROM "Declaration" d WHERE ${where} LIMIT ${limit + 1}::int) d
      GROUP BY 1, 2, 3, 4, 5, 6, 7`);
    const n = rows.reduce((s, r) => s + r.n, 0);
    return { n, holders: rows.filter((r) => r.holder !== viewerId) };
  }
}
