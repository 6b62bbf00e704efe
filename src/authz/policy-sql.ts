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
      return Prisma.sql`(${Prisma.join(ALL_CATEGORIES.map((c) => this.readableOne(d, c, holder)), " OR ")})`;
    }
    const each = ALL_CATEGORIES.filter((c) => mask & CATEGORY_BIT[c]).map((c) => this.readableOne(d, c, holder));
    return Prisma.sql`(${Prisma.join(each, " AND ")})`;
  }

  /** Bases granting one category, as in Policy.decide (keep the two in step). */
  private readableOne(d: string, category: DataCategory, holder: Prisma.Sql | null): Prisma.Sql {
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
    return Prisma.sql`(${Prisma.join(or, " OR ")})`;
  }

  /**
   * Parties other than the viewer whose data on declarations of `d` the viewer reads
   * through the query: the filer of the declaration (its own data) or the holder of a child.
   */
  isOthers(holder: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`${holder} <> ${this.me.partyId}::uuid`;
  }
}
