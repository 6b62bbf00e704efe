import { Prisma } from "../../generated/prisma/client";
import { DataCategory } from "../../authz/categories";
import type { PolicySql } from "../../authz/policy-sql";
import type { Problems } from "../../shared/validation";
import type { RelationCondition } from "./analytics.inputs";
import { col, type Column } from "./filter.columns";
import { semiJoin } from "./semi-join";

const { STATUS, COMMERCIAL, TRANSPORT, RISK, REVENUE } = DataCategory;

export interface RelationSpec {
  table: string;
  /** the column of the party holding the record; null: the declaration's filer */
  holder: string | null;
  columns: Record<string, Column>;
  /** extra condition on the table (e.g. only the current duty assessment) */
  only?: string;
}

export const RELATIONS: Record<string, RelationSpec> = {
  goodsItems: {
    table: "GoodsItem",
    holder: null,
    columns: {
      hsCode: col("hsCode", "string", COMMERCIAL),
      // the description's tsvector, a generated column with a GIN index (prisma/schema.prisma)
      description: col("descriptionSearch", "text", COMMERCIAL),
      value: col("value", "amount", COMMERCIAL, { currency: "currency" }),
      quantity: col("quantity", "int", COMMERCIAL),
      originCountry: col("originCountry", "code", COMMERCIAL),
      netWeightKg: col("netWeightKg", "decimal", TRANSPORT),
    },
  },
  holds: {
    table: "Hold",
    holder: "placedById",
    columns: {
      kind: col("kind", "enum", STATUS, { pgType: "HoldKind" }),
      status: col("status", "enum", STATUS, { pgType: "HoldStatus" }),
      placedAt: col("placedAt", "date", STATUS),
      releasedAt: col("releasedAt", "date", STATUS),
    },
  },
  riskAlerts: {
    table: "RiskAlert",
    holder: "raisedById",
    columns: {
      severity: col("severity", "enum", RISK, { pgType: "AlertSeverity" }),
      status: col("status", "enum", RISK, { pgType: "AlertStatus" }),
      reasonCode: col("reasonCode", "string", RISK),
      createdAt: col("createdAt", "date", RISK),
    },
  },
  duties: {
    table: "DutyAssessment",
    holder: "assessedById",
    only: `"supersededAt" IS NULL`,
    columns: {
      taxType: col("taxType", "enum", REVENUE, { pgType: "TaxType" }),
      amount: col("amount", "amount", REVENUE, { currency: "currency", date: "createdAt" }),
      collectionModel: col("collectionModel", "enum", REVENUE, { pgType: "CollectionModel" }),
    },
  },
  statusEvents: {
    table: "StatusEvent",
    holder: "recordedById",
    columns: {
      code: col("code", "string", STATUS),
      occurredAt: col("occurredAt", "date", STATUS),
    },
  },
};

/** What compiling one relation's condition takes from the filter compiler (filter.compiler.ts). */
export interface RelationScope {
  policy: PolicySql;
  problems: Problems;
  /** relations as semi-joins where exact (the `setwise` form) */
  setwise: boolean;
  /** a fresh alias for the related table; counts the relation's cost */
  open(): string;
  /** one column's condition on the related row */
  leaf(alias: string, c: Column, cond: unknown, path: string): Prisma.Sql;
}

/**
 * A relation's `some` or `none` as one condition on the declaration `d`, with the categories
 * its conditions compare (null when the input names neither or both: a problem is recorded).
 * `negated` and `top` as in FilterCompiler.node.
 */
export function compileRelation(
  scope: RelationScope,
  spec: RelationSpec,
  r: RelationCondition<Record<string, unknown>>,
  path: string,
  negated: boolean,
  top: boolean,
): { sql: Prisma.Sql; cats: DataCategory[] | null } {
  const given = (["some", "none"] as const).filter((k) => r[k] != null);
  if (given.length !== 1) {
    scope.problems.add(path, given.length ? "some and none cannot be combined (nest them under AND)" : "needs some or none");
    return { sql: Prisma.sql`FALSE`, cats: null };
  }
  const alias = scope.open();
  const cats = new Set<DataCategory>();
  const conds: Prisma.Sql[] = [];
  const w = r[given[0]]!;
  for (const [key, value] of Object.entries(w)) {
    if (value == null || !(key in spec.columns)) continue;
    cats.add(spec.columns[key].category);
    conds.push(scope.leaf(alias, spec.columns[key], value, `${path}.${given[0]}.${key}`));
  }
  const a = (c: string) => Prisma.raw(`${alias}."${c}"`);
  const holder = spec.holder ? a(spec.holder) : null;
  const only = spec.only ? [Prisma.raw(`${alias}.${spec.only}`)] : [];
  // at the top, the planner joins the EXISTS form as it sees fit (a hash semi-join, probes)
  const some = scope.setwise && !top ? semiJoin(scope.policy, { ...spec, alias }, cats, conds, negated || given[0] === "none") : null;
  if (some) return { sql: given[0] === "some" ? some : Prisma.sql`NOT ${some}`, cats: [...cats] };
  const parts = [Prisma.sql`${a("declarationId")} = d."id"`, ...only, scope.policy.readable("d", cats, holder), ...conds];
  const exists = Prisma.sql`EXISTS (SELECT 1 FROM ${Prisma.raw(`"${spec.table}" ${alias}`)} WHERE ${Prisma.join(parts, " AND ")})`;
  return { sql: given[0] === "some" ? exists : Prisma.sql`NOT ${exists}`, cats: [...cats] };
}
