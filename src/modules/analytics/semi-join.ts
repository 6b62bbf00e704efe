import { Prisma } from "../../generated/prisma/client";
import type { DataCategory } from "../../authz/categories";
import { keyOf, type PolicySql } from "../../authz/policy-sql";
import type { RelationSpec } from "./filter.relations";

/**
 * A relation's `some` with the policy's declaration part taken out of the related rows' scan,
 * for the plan that tests the filter on many declarations at once (all matches, then sorted).
 * EXISTS (a related row r of d: conds(r) AND OR_i (H_i(r.holder) AND D_i(d))), the policy's
 * bases split into a part H on the holder and D on the declaration, is exactly the OR over
 * the distinct holder parts H of (OR of their D(d)) AND EXISTS (r of d: conds AND H). Each
 * EXISTS then correlates on the declaration id alone, so PostgreSQL may read its related
 * rows once as a hashed set (or a semi-join when it stands alone) rather than probe them for
 * every declaration; it chooses by its estimates. `twoValued` (under a NOT, or for `none`):
 * a NULL D (a NULL column) is made false, as the EXISTS form gives, so the NOT stays exact;
 * elsewhere NULL excludes the row as false does, and the bare form lets the planner pull a
 * lone EXISTS up into a join. Null (keep the EXISTS form) when a condition reads the
 * declaration itself (an amount converted at its date) or the policy would take too many bases.
 */
export function semiJoin(
  policy: PolicySql,
  spec: RelationSpec & { alias: string },
  cats: Set<DataCategory>,
  conds: Prisma.Sql[],
  twoValued: boolean,
): Prisma.Sql | null {
  if (conds.some((c) => /(^|[^\w"])d\."/.test(c.text))) return null;
  const { alias } = spec;
  const holder = spec.holder ? Prisma.raw(`${alias}."${spec.holder}"`) : null;
  const bases = holder ? policy.readableSplit("d", cats, holder) : [{ holder: null, decl: policy.readable("d", cats) }];
  if (!bases) return null;
  if (!bases.length) return Prisma.sql`FALSE`;
  const groups = new Map<string, { holder: Prisma.Sql | null; decls: (Prisma.Sql | null)[] }>();
  for (const b of bases) {
    const key = b.holder ? keyOf(b.holder) : "";
    const g = groups.get(key) ?? { holder: b.holder, decls: [] };
    g.decls.push(b.decl);
    groups.set(key, g);
  }
  const only = spec.only ? [Prisma.raw(`${alias}.${spec.only}`)] : [];
  const or = [...groups.values()].map((g) => {
    const where = [Prisma.raw(`${alias}."declarationId" = d."id"`), ...only, ...(g.holder ? [g.holder] : []), ...conds];
    const rows = Prisma.sql`EXISTS (SELECT 1 FROM ${Prisma.raw(`"${spec.table}" ${alias}`)} WHERE ${Prisma.join(where, " AND ")})`;
    // a basis with no part on the declaration: the set alone
    const decls = g.decls.every((x) => x != null) ? (g.decls as Prisma.Sql[]) : [];
    return decls.length ? Prisma.sql`((${Prisma.join(decls, " OR ")}) AND ${rows})` : rows;
  });
  const any = Prisma.sql`(${Prisma.join(or, " OR ")})`;
  const nullable = [...groups.values()].some((g) => g.decls.every((x) => x != null));
  return twoValued && nullable ? Prisma.sql`COALESCE(${any}, FALSE)` : any;
}
