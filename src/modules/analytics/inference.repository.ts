import { Prisma } from "../../generated/prisma/client";
import type { DataCategory } from "../../authz/categories";
import type { PolicySql } from "../../authz/policy-sql";
import type { AnalyticsDb } from "./analytics.db";
import { RELATIONS } from "./filter.relations";
import type { StatsHolder } from "./stats.repository";

/** Relations a filter reached, with the categories each of its conditions on them compared (CompiledFilter.relations). */
export type RelationReads = Map<string, DataCategory[][]>;

/**
 * For the declaration aliased `d`: one (holder, kind) row per record of a relation that the
 * filter's conditions were evaluated on, i.e. every record of that relation the viewer may
 * read in the categories a condition compares (the others were as if absent). A hold's
 * holder is who placed it, an alert's who raised it, a duty assessment's who assessed it,
 * a status event's who recorded it; goods items are the filer's.
 */
export function relationHolderRows(policy: PolicySql, d: string, reads: RelationReads): Prisma.Sql[] {
  return [...reads].map(([name, categorySets]) => {
    const spec = RELATIONS[name];
    const holder = spec.holder ? Prisma.raw(`ri."${spec.holder}"`) : null;
    const readable = categorySets.map((cats) => policy.readable(d, cats, holder));
    const parts = [Prisma.raw(`ri."declarationId" = ${d}."id"`), ...(spec.only ? [Prisma.raw(`ri.${spec.only}`)] : []), Prisma.sql`(${Prisma.join(readable, " OR ")})`];
    return Prisma.sql`SELECT ${holder ?? Prisma.raw(`${d}."filerId"`)} AS holder, ${Prisma.raw(`'${spec.table}'`)} AS kind
      FROM ${Prisma.raw(`"${spec.table}" ri`)} WHERE ${Prisma.join(parts, " AND ")}`;
  });
}

/**
 * Whose records, reached through a filter's relations, decided which declarations matched:
 * for the access logs of their holders (not the viewer's own), per kind of record and
 * declaration scope, as StatsRepository reports the holders of an aggregate.
 */
export class InferenceRepository {
  constructor(
    private readonly db: AnalyticsDb,
    private readonly policy: PolicySql,
    private readonly viewerId: string,
  ) {}

  /** Over the declarations of a page. */
  ofIds(ids: string[], reads: RelationReads): Promise<StatsHolder[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.holders(Prisma.sql`d."id" = ANY(${ids}::uuid[])`, reads);
  }

  /** Over every declaration matching `where` (a count). */
  ofMatches(where: Prisma.Sql, reads: RelationReads): Promise<StatsHolder[]> {
    return this.holders(where, reads);
  }

  private async holders(where: Prisma.Sql, reads: RelationReads): Promise<StatsHolder[]> {
    if (!reads.size) return [];
    const me = this.viewerId;
    return this.db.query<StatsHolder>(Prisma.sql`
      SELECT x.holder::text AS holder, x.kind, rtrim(d."destinationCountry") AS "destinationCountry", rtrim(d."originCountry") AS "originCountry",
             COALESCE(d."carrierId" = ${me}::uuid OR d."postId" = ${me}::uuid, FALSE) AS carried,
             COALESCE(d."platformId" = ${me}::uuid, FALSE) AS platform,
             d."filerId" = ${me}::uuid AS filed, count(*)::int AS n
      FROM "Declaration" d
      CROSS JOIN LATERAL (${Prisma.join(relationHolderRows(this.policy, "d", reads), " UNION ALL ")}) x
      WHERE ${where} AND x.holder <> ${me}::uuid
      GROUP BY 1, 2, 3, 4, 5, 6, 7`);
  }
}
