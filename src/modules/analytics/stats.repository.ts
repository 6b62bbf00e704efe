import { Prisma } from "../../generated/prisma/client";
import { DataCategory } from "../../authz/categories";
import type { PolicySql } from "../../authz/policy-sql";
import type { MoneySql } from "./money.sql";
import { StatsGroupKey } from "./stats.types";
import type { AnalyticsDb } from "./analytics.db";
import { relationHolderRows, type RelationReads } from "./inference.repository";

const { STATUS, TRANSPORT, COMMERCIAL, RISK, REVENUE } = DataCategory;
const SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;

/** A group key: its SQL on the facts (alias f), its output name, and the category it reads on the declaration. */
interface KeySpec {
  sql: string;
  name: string;
  category: DataCategory | null;
}
const KEYS: Record<StatsGroupKey, KeySpec> = {
  DESTINATION: { sql: `rtrim(f."destinationCountry")`, name: "destination", category: TRANSPORT },
  ORIGIN: { sql: `rtrim(f."originCountry")`, name: "origin", category: TRANSPORT },
  HS_CHAPTER: { sql: `f.hs`, name: "hsCode", category: COMMERCIAL },
  HS_HEADING: { sql: `f.hs`, name: "hsCode", category: COMMERCIAL },
  PLATFORM: { sql: `f."platformId"`, name: "platformId", category: COMMERCIAL },
  CARRIER: { sql: `f."carrierId"`, name: "carrierId", category: TRANSPORT },
  POST: { sql: `f."postId"`, name: "postId", category: TRANSPORT },
  STATUS: { sql: `f."status"`, name: "status", category: STATUS },
  HOLD_KIND: { sql: `f.hold_kind`, name: "holdKind", category: null },
  ALERT_SEVERITY: { sql: `f.alert_severity`, name: "alertSeverity", category: null },
  DAY: { sql: `date_trunc('day', f."filedAt")`, name: "period", category: STATUS },
  WEEK: { sql: `date_trunc('week', f."filedAt")`, name: "period", category: STATUS },
  MONTH: { sql: `date_trunc('month', f."filedAt")`, name: "period", category: STATUS },
};

export function keyCategories(keys: StatsGroupKey[]): DataCategory[] {
  return keys.flatMap((k) => (KEYS[k].category ? [KEYS[k].category!] : []));
}

/** Measures computed only when asked for (count always is). */
export type Measure = "value" | "holds" | "alerts" | "duties" | "clearance";
export const ALL_MEASURES: Measure[] = ["value", "holds", "alerts", "duties", "clearance"];

export interface StatsQuery {
  filter: Prisma.Sql;
  /** categories the viewer must read on a declaration for it to count at all */
  categories: DataCategory[];
  groupBy: StatsGroupKey[];
  minGroupSize: number;
  limit: number;
  measures: Set<Measure>;
  /** relations the filter reached: their records' holders are reported too */
  relations: RelationReads;
}

export interface StatsHolder {
  holder: string;
  kind: "Declaration" | "Hold" | "RiskAlert" | "DutyAssessment" | "StatusEvent" | "GoodsItem";
  destinationCountry: string;
  originCountry: string;
  carried: boolean;
  platform: boolean;
  filed: boolean;
  n: number;
}

export interface StatsRow {
  key: Record<string, string | null>;
  n: number;
  vn: number;
  total: string | null;
  avg: string | null;
  held: number;
  alerts: Record<(typeof SEVERITIES)[number], number>;
  duty: string | null;
  released: number;
  median: number | null;
  p90: number | null;
}

export interface StatsResult {
  groups: StatsRow[] | null;
  suppressed: number;
  holders: StatsHolder[] | null;
}

/**
 * declarationStats in one statement: the declarations counted (policy and filter), one row
 * of readable hold / alert / duty facts per declaration, the group keys (goods items' HS
 * codes and hold kinds or alert severities expand a declaration into one row per value),
 * the measures per group, the suppression of small groups, and whose data was read (for
 * the holders' access logs). Every value is a parameter; identifiers come from tables here.
 */
export class StatsRepository {
  constructor(
    private readonly db: AnalyticsDb,
    private readonly policy: PolicySql,
    private readonly money: MoneySql,
    private readonly viewerId: string,
  ) {}

  async run(q: StatsQuery): Promise<StatsResult> {
    const [row] = await this.db.query<{ result: StatsResult }>(this.sql(q));
    return row.result;
  }

  sql(q: StatsQuery): Prisma.Sql {
    const p = this.policy;
    const m = q.measures;
    const cols: Prisma.Sql[] = [];
    if (m.has("value")) {
      const ref = this.money.inReference(Prisma.raw(`d."totalValue"`), Prisma.raw(`d."currency"`), Prisma.raw(`d."filedAt"`));
      cols.push(Prisma.sql`${p.readable("d", [COMMERCIAL])} AS c_com`, Prisma.sql`${ref} AS ref_value`);
    }
    if (m.has("clearance")) cols.push(Prisma.sql`${p.readable("d", [STATUS])} AS c_sta`);
    // one pass over the declarations: their readable holds, alerts and duties as laterals
    const flags = this.flags(m);
    cols.push(...flags.cols.map((c) => Prisma.raw(c)));
    const base = Prisma.sql`
      SELECT d."id", d."filerId", d."destinationCountry", d."originCountry", d."carrierId", d."postId", d."platformId",
             d."status", d."filedAt", d."releasedAt"${cols.length ? Prisma.sql`, ${Prisma.join(cols, ", ")}` : Prisma.empty}
      FROM "Declaration" d ${flags.joins.length ? Prisma.join(flags.joins, " ") : Prisma.empty}
      WHERE ${p.readable("d", q.categories)} AND ${q.filter}`;
    return Prisma.sql`
      WITH base AS MATERIALIZED (${base}),
      facts AS (${this.facts(q.groupBy, m)}),
      groups AS (${this.groups(q.groupBy, m)})
      SELECT json_build_object(
        'groups', (SELECT json_agg(g) FROM (SELECT * FROM groups WHERE n >= ${q.minGroupSize}::int
                                            ORDER BY n DESC, key::text LIMIT ${q.limit}::int) g),
        'suppressed', (SELECT count(*) FROM groups WHERE n < ${q.minGroupSize}::int),
        'holders', (${this.holders(m, q.relations)})
      ) AS result`;
  }

  /** Per declaration: its readable holds, alerts and current duties, as the measures asked for need them. */
  private flags(m: Set<Measure>): { cols: string[]; joins: Prisma.Sql[] } {
    const p = this.policy;
    const cols: string[] = [];
    const joins: Prisma.Sql[] = [];
    if (m.has("holds")) {
      cols.push("ho.holders AS hold_holders", "ho.n > 0 AS held");
      joins.push(Prisma.sql`CROSS JOIN LATERAL (SELECT count(*) AS n, array_agg(DISTINCT h."placedById") AS holders
        FROM "Hold" h WHERE h."declarationId" = d."id" AND ${p.readable("d", [STATUS], Prisma.raw(`h."placedById"`))}) ho`);
    }
    if (m.has("alerts")) {
      cols.push("al.holders AS alert_holders", ...SEVERITIES.map((s) => `COALESCE(al.${s.toLowerCase()}, FALSE) AS a_${s.toLowerCase()}`));
      joins.push(Prisma.sql`CROSS JOIN LATERAL (SELECT ${Prisma.raw(SEVERITIES.map((s) => `bool_or(a."severity" = '${s}') AS ${s.toLowerCase()}`).join(", "))},
          array_agg(DISTINCT a."raisedById") AS holders
        FROM "RiskAlert" a WHERE a."declarationId" = d."id" AND ${p.readable("d", [RISK], Prisma.raw(`a."raisedById"`))}) al`);
    }
    if (m.has("duties")) {
      const dutyRef = this.money.inReference(Prisma.raw(`x."amount"`), Prisma.raw(`x."currency"`), Prisma.raw(`x."createdAt"`));
      cols.push("du.holders AS duty_holders", "du.duty");
      joins.push(Prisma.sql`CROSS JOIN LATERAL (SELECT sum(${dutyRef}) AS duty, array_agg(DISTINCT x."assessedById") AS holders
        FROM "DutyAssessment" x WHERE x."declarationId" = d."id" AND x."supersededAt" IS NULL
          AND ${p.readable("d", [REVENUE], Prisma.raw(`x."assessedById"`))}) du`);
    }
    return { cols, joins };
  }

  /** One row per (declaration, HS code, hold kind, alert severity) as grouped by. */
  private facts(groupBy: StatsGroupKey[], m: Set<Measure>): Prisma.Sql {
    const p = this.policy;
    const joins: Prisma.Sql[] = [];
    const extra: string[] = [];
    let value = m.has("value") ? `CASE WHEN b.c_com THEN b.ref_value END` : `NULL::numeric`;
    const hsDigits = groupBy.includes(StatsGroupKey.HS_CHAPTER) ? 2 : groupBy.includes(StatsGroupKey.HS_HEADING) ? 4 : 0;
    if (hsDigits) {
      // the items' values in the reference currency; goods items are the filer's, like the declaration
      const item = m.has("value")
        ? this.money.inReference(Prisma.raw(`g."value"`), Prisma.raw(`g."currency"`), Prisma.raw(`b."filedAt"`), Prisma.raw(`b."destinationCountry"`))
        : Prisma.sql`NULL::numeric`;
      joins.push(Prisma.sql`CROSS JOIN LATERAL (SELECT left(g."hsCode", ${Prisma.raw(String(hsDigits))}) AS hs, sum(${item}) AS v
        FROM "GoodsItem" g WHERE g."declarationId" = b."id" GROUP BY 1) gi`);
      if (m.has("value")) value = `CASE WHEN b.c_com THEN gi.v END`;
      extra.push(`gi.hs`);
    }
    if (groupBy.includes(StatsGroupKey.HOLD_KIND)) {
      joins.push(Prisma.sql`LEFT JOIN LATERAL (SELECT DISTINCT h."kind" AS hold_kind FROM "Hold" h WHERE h."declarationId" = b."id"
        AND ${p.readable("b", [STATUS], Prisma.raw(`h."placedById"`))}) hk ON TRUE`);
      extra.push(`hk.hold_kind`);
    }
    if (groupBy.includes(StatsGroupKey.ALERT_SEVERITY)) {
      joins.push(Prisma.sql`LEFT JOIN LATERAL (SELECT DISTINCT a."severity" AS alert_severity FROM "RiskAlert" a WHERE a."declarationId" = b."id"
        AND ${p.readable("b", [RISK], Prisma.raw(`a."raisedById"`))}) ak ON TRUE`);
      extra.push(`ak.alert_severity`);
    }
    const columns = [`${value} AS v`, ...extra];
    return Prisma.sql`
      SELECT b.*, ${Prisma.raw(columns.join(", "))}
      FROM base b ${joins.length ? Prisma.join(joins, " ") : Prisma.empty}`;
  }

  private groups(groupBy: StatsGroupKey[], m: Set<Measure>): Prisma.Sql {
    const keys = groupBy.map((k) => KEYS[k]);
    const keyObject = keys.length ? `json_build_object(${keys.map((k) => `'${k.name}', ${k.sql}`).join(", ")})` : `'{}'::json`;
    const hours = `EXTRACT(EPOCH FROM (f."releasedAt" - f."filedAt")) / 3600.0`;
    const released = `f.c_sta AND f."releasedAt" IS NOT NULL`;
    const alerts = `json_build_object(${SEVERITIES.map((s) => `'${s}', avg(f.a_${s.toLowerCase()}::int)::float8`).join(", ")})`;
    const cols = [
      `${keyObject} AS key`,
      `count(*)::int AS n`,
      `count(f.v)::int AS vn`,
      `round(sum(f.v), 2)::text AS total`,
      `round(avg(f.v), 2)::text AS avg`,
      m.has("holds") ? `avg(f.held::int)::float8 AS held` : `0::float8 AS held`,
      m.has("alerts") ? `${alerts} AS alerts` : `'{}'::json AS alerts`,
      m.has("duties") ? `round(sum(f.duty), 2)::text AS duty` : `NULL::text AS duty`,
      ...(m.has("clearance")
        ? [
            `(count(*) FILTER (WHERE ${released}))::int AS released`,
            `(percentile_cont(0.5) WITHIN GROUP (ORDER BY ${hours}) FILTER (WHERE ${released}))::float8 AS median`,
            `(percentile_cont(0.9) WITHIN GROUP (ORDER BY ${hours}) FILTER (WHERE ${released}))::float8 AS p90`,
          ]
        : [`0 AS released`, `NULL::float8 AS median`, `NULL::float8 AS p90`]),
    ];
    return Prisma.sql`
      SELECT ${Prisma.raw(cols.join(",\n             "))}
      FROM facts f
      ${keys.length ? Prisma.raw(`GROUP BY ${keys.map((k) => k.sql).join(", ")}`) : Prisma.empty}`;
  }

  /** Other parties whose data was read, per kind of record and declaration scope. */
  private holders(m: Set<Measure>, relations: RelationReads): Prisma.Sql {
    const me = this.viewerId;
    const children = [
      m.has("holds") ? `UNION ALL SELECT unnest(b.hold_holders), 'Hold'` : "",
      m.has("alerts") ? `UNION ALL SELECT unnest(b.alert_holders), 'RiskAlert'` : "",
      m.has("duties") ? `UNION ALL SELECT unnest(b.duty_holders), 'DutyAssessment'` : "",
    ].join("\n          ");
    // the records the filter's relation conditions were evaluated on
    const filtered = relationHolderRows(this.policy, "b", relations).map((rows) => Prisma.sql`UNION ALL ${rows}`);
    return Prisma.sql`
      SELECT json_agg(h) FROM (
        SELECT x.holder, x.kind, rtrim(b."destinationCountry") AS "destinationCountry", rtrim(b."originCountry") AS "originCountry",
               COALESCE(b."carrierId" = ${me}::uuid OR b."postId" = ${me}::uuid, FALSE) AS carried,
               COALESCE(b."platformId" = ${me}::uuid, FALSE) AS platform,
               b."filerId" = ${me}::uuid AS filed, count(*)::int AS n
        FROM base b
        CROSS JOIN LATERAL (
          SELECT b."filerId" AS holder, 'Declaration' AS kind
          ${Prisma.raw(children)}
          ${filtered.length ? Prisma.join(filtered, " ") : Prisma.empty}
        ) x
        WHERE x.holder <> ${me}::uuid
        GROUP BY 1, 2, 3, 4, 5, 6, 7
      ) h`;
  }
}
