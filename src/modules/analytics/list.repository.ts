import { Prisma } from "../../generated/prisma/client";
import { DataCategory } from "../../authz/categories";
import type { PolicySql } from "../../authz/policy-sql";
import type { MoneySql } from "./money.sql";
import type { AnalyticsDb } from "./analytics.db";
import type { StatsHolder } from "./stats.repository";

const { STATUS, TRANSPORT, COMMERCIAL } = DataCategory;

/** A sort key: its SQL on `d`, the type a cursor's value is read back as, and the category it reads. */
export interface SortSpec {
  sql: Prisma.Sql;
  pgType: string;
  category: DataCategory;
  nullable: boolean;
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
      return c("filedAt", "timestamp", STATUS);
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
      };
    default:
      throw new Error(`no sort key ${field}`);
  }
}

export interface PageQuery {
  where: Prisma.Sql;
  keys: { spec: SortSpec; desc: boolean }[];
  /** values of the keys and the id of the last row of the previous page */
  after: { values: string[]; id: string } | null;
  take: number;
}

/**
 * The analysts' declarations page: keyset pagination on the sort keys and the id, so a
 * page follows the rows of the previous one whatever is filed meanwhile (a new row sorts
 * before or after the cursor, never shifts the pages). Rows whose sort value is unknown
 * (no exchange rate, never released) are not ranked and are left out.
 */
export class ListRepository {
  constructor(
    private readonly db: AnalyticsDb,
    private readonly policy: PolicySql,
  ) {}

  async page(q: PageQuery): Promise<{ id: string; keys: string[] }[]> {
    const conds: Prisma.Sql[] = [q.where];
    for (const k of q.keys) if (k.spec.nullable) conds.push(Prisma.sql`${k.spec.sql} IS NOT NULL`);
    if (q.after) conds.push(this.keyset(q));
    const dir = (desc: boolean) => Prisma.raw(desc ? "DESC" : "ASC");
    const last = q.keys[q.keys.length - 1];
    const order = [...q.keys.map((k) => Prisma.sql`${k.spec.sql} ${dir(k.desc)}`), Prisma.sql`d."id" ${dir(last.desc)}`];
    const select = q.keys.map((k, i) => Prisma.sql`${k.spec.sql}::text AS ${Prisma.raw(`k${i}`)}`);
    const rows = await this.db.query<Record<string, string>>(Prisma.sql`
      SELECT d."id"::text AS id, ${Prisma.join(select, ", ")}
      FROM "Declaration" d
      WHERE ${Prisma.join(conds, " AND ")}
      ORDER BY ${Prisma.join(order, ", ")}
      LIMIT ${q.take}::int`);
    return rows.map((r) => ({ id: r.id, keys: q.keys.map((_, i) => r[`k${i}`]) }));
  }

  /** (k1, ..., id) after the cursor, each key in its own direction; the id breaks ties in the last key's. */
  private keyset(q: PageQuery): Prisma.Sql {
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
    return Prisma.sql`(${Prisma.join(ors, " OR ")})`;
  }

  /** How many match, and whose declarations were counted (for the holders' access logs). */
  async count(where: Prisma.Sql, viewerId: string): Promise<{ total: number; holders: StatsHolder[] }> {
    const rows = await this.db.query<StatsHolder & { n: number }>(Prisma.sql`
      SELECT d."filerId"::text AS holder, 'Declaration' AS kind,
             rtrim(d."destinationCountry") AS "destinationCountry", rtrim(d."originCountry") AS "originCountry",
             COALESCE(d."carrierId" = ${viewerId}::uuid OR d."postId" = ${viewerId}::uuid, FALSE) AS carried,
             COALESCE(d."platformId" = ${viewerId}::uuid, FALSE) AS platform,
             d."filerId" = ${viewerId}::uuid AS filed, count(*)::int AS n
      FROM "Declaration" d WHERE ${where}
      GROUP BY 1, 2, 3, 4, 5, 6, 7`);
    const total = rows.reduce((s, r) => s + r.n, 0);
    return { total, holders: rows.filter((r) => r.holder !== viewerId) };
  }

  get policySql(): PolicySql {
    return this.policy;
  }
}
