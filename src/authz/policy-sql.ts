import { Prisma } from "../generated/prisma/client";
import { ALL_CATEGORIES, CATEGORY_BIT, maskOf, type DataCategory } from "./categories";
import { isCustoms } from "./principal";
import { PLATFORM_BASELINE, STATUS_TRANSPORT, type Policy } from "./policy";

/**
 * The read policy as SQL, for queries that filter, sort, count and aggregate in PostgreSQL
 * (analytics). It states exactly what Policy.decide grants, one category at a time:
 * "the viewer may read category C of data held by H on declaration d" is the OR of the
 * bases that grant C (own data, the statutory baselines, agreements in force). Every value
 * bound as a parameter.
 */
export class PolicySql {
  constructor(private readonly policy: Policy) {}

  private get me() {
    return this.policy.principal;
  }

  /**
   * The viewer may read every category in `categories` of the data held by `holder` (an
   * SQL expression of a party id; the declaration's filer when null) on the declaration
   * aliased `d`. With no category: at least one (the record's existence).
   */
  readable(d: string, categories: Iterable<DataCategory>, holder: Prisma.Sql | null = null): Prisma.Sql {
    const mask = maskOf(categories);
    if (mask === 0) {
      const any = new Map(ALL_CATEGORIES.flatMap((c) => [...this.bases(d, c, holder)]));
      return Prisma.sql`(${Prisma.join([...any.values()], " OR ")})`;
    }
    // (C OR R1) AND (C OR R2) = C OR (R1 AND R2): a basis granting every category asked is
    // stated once, so the planner estimates one OR over the viewer's columns (an AND of
    // near-identical ORs reads to it as independent conditions and misjudges the rows)
    const each = ALL_CATEGORIES.filter((c) => mask & CATEGORY_BIT[c]).map((c) => this.bases(d, c, holder));
    const common = [...each[0].entries()].filter(([k]) => each.every((b) => b.has(k))).map(([, sql]) => sql);
    const rest = each.map((b) => [...b.entries()].filter(([k]) => !each.every((o) => o.has(k))).map(([, sql]) => sql));
    const or = [...common];
    if (rest.every((r) => r.length)) or.push(Prisma.sql`(${Prisma.join(rest.map((r) => Prisma.sql`(${Prisma.join(r, " OR ")})`), " AND ")})`);
    return or.length ? Prisma.sql`(${Prisma.join(or, " OR ")})` : Prisma.sql`FALSE`;
  }

  /** Bases granting one category, each once, keyed by their SQL and values. */
  private bases(d: string, category: DataCategory, holder: Prisma.Sql | null): Map<string, Prisma.Sql> {
    return new Map(this.readableOne(d, category, holder).map((sql) => [`${sql.text}|${JSON.stringify(sql.values)}`, sql]));
  }

  /** Bases granting one category, as in Policy.decide (keep the two in step). */
  private readableOne(d: string, category: DataCategory, holder: Prisma.Sql | null): Prisma.Sql[] {
    const bit = CATEGORY_BIT[category];
    const me = this.me.partyId;
    const col = (name: string) => Prisma.raw(`${d}."${name}"`);
    const holderExpr = holder ?? col("filerId");
    const or: Prisma.Sql[] = [Prisma.sql`${holderExpr} = ${me}::uuid`];
    if (isCustoms(this.me)) or.push(Prisma.sql`${col("destinationCountry")} = ${this.me.country}`);
    if (bit & STATUS_TRANSPORT) or.push(Prisma.sql`(${col("carrierId")} = ${me}::uuid OR ${col("postId")} = ${me}::uuid)`);
    if (bit & CATEGORY_BIT.STATUS) or.push(Prisma.sql`${col("filerId")} = ${me}::uuid`);
    if (bit & PLATFORM_BASELINE) or.push(Prisma.sql`${col("platformId")} = ${me}::uuid`);
    for (const a of this.policy.agreements) {
      if (!a.categories.includes(category)) continue;
      const and: Prisma.Sql[] = [Prisma.sql`${holderExpr} = ${a.grantorId}::uuid`];
      if (a.scopeDestinations.length) and.push(Prisma.sql`${col("destinationCountry")} = ANY(${a.scopeDestinations}::text[])`);
      if (a.scopeOrigins.length) and.push(Prisma.sql`${col("originCountry")} = ANY(${a.scopeOrigins}::text[])`);
      if (a.scopeOnlyCarried) and.push(Prisma.sql`(${col("carrierId")} = ${me}::uuid OR ${col("postId")} = ${me}::uuid)`);
      or.push(Prisma.sql`(${Prisma.join(and, " AND ")})`);
    }
    return or;
  }

  /**
   * Parties other than the viewer whose data on declarations of `d` the viewer reads
   * through the query: the filer of the declaration (its own data) or the holder of a child.
   */
  isOthers(holder: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`${holder} <> ${this.me.partyId}::uuid`;
  }
}
