import { randomUUID } from "node:crypto";
import { Decimal } from "@prisma/client/runtime/client";
import type { Declaration, Prisma } from "../../generated/prisma/client";
import { sqlRows, type NamedStatement, type PrismaClient } from "../../infra/prisma";
import type { DeclarationScope } from "../../authz/policy";
import type { DeclarationCategory, DeclarationStatus, HoldKind, PartyKind } from "../../generated/prisma/enums";
import { newMovementReference, type Assessment } from "../risk/risk.assessor";
import type { Tx } from "../writes";

export type DeclarationRow = Declaration;

/** A validated, normalized declaration ready to store (decimals as canonical strings). */
export interface NewDeclaration {
  declaration: {
    filerId: string;
    localReference: string;
    payloadHash: string;
    trackingNumber: string;
    platformId: string | null;
    carrierId: string | null;
    postId: string | null;
    originCountry: string;
    destinationCountry: string;
    totalValue: string;
    currency: string;
    grossWeightKg: string;
    category: DeclarationCategory;
    iossNumber: string | null;
    platformOrderId: string | null;
    incoterm: string | null;
    ddp: boolean;
    sellerName: string | null;
    sellerAddress: string | null;
    sellerCountry: string | null;
    buyerName: string | null;
    buyerAddress: string | null;
    buyerCountry: string | null;
    buyerEmail: string | null;
  };
  /** in line order; line numbers are given here from 1 */
  goodsItems: {
    description: string;
    quantity: number;
    netWeightKg: string;
    value: string;
    currency: string;
    hsCode: string;
    originCountry: string;
  }[];
}

type DeclarationFields = NewDeclaration["declaration"] & { id: string };
type ItemFields = NewDeclaration["goodsItems"][number] & { id: string; declarationId: string; lineNumber: number };

// Columns written, in order. Tables and columns carry the model's names (the schema uses
// no @map), and each column's type comes from the table itself (json_populate_recordset).
const DECLARATION_COLUMNS: (keyof DeclarationFields | "status" | "movementReference" | "version" | "filedAt" | "updatedAt")[] = [
  "id", "filerId", "localReference", "payloadHash", "trackingNumber", "platformId", "carrierId", "postId",
  "originCountry", "destinationCountry", "totalValue", "currency", "grossWeightKg", "category", "iossNumber",
  "platformOrderId", "incoterm", "ddp", "sellerName", "sellerAddress", "sellerCountry", "buyerName",
  "buyerAddress", "buyerCountry", "buyerEmail", "status", "movementReference", "version", "filedAt", "updatedAt",
];
const ITEM_COLUMNS: (keyof ItemFields)[] = [
  "id", "declarationId", "lineNumber", "description", "quantity", "netWeightKg", "value", "currency", "hsCode", "originCountry",
];
const cols = (names: string[]) => names.map((c) => `"${c}"`).join(", ");

/**
 * One statement stores a batch: declarations and goods items are inserted together through
 * a data-modifying CTE, so the batch is atomic without an interactive transaction, in one
 * round trip. Each table's rows travel as ONE JSON parameter expanded by PostgreSQL
 * (json_populate_recordset): Prisma's per-row work for createMany (seconds per 1,000 rows
 * here) and per-value parameter handling are both avoided.
 *
 * ON CONFLICT DO NOTHING absorbs a concurrent call filing the same (filer, localReference):
 * that declaration is skipped instead of failing the batch, and only items of declarations
 * actually inserted are written (`WHERE ... IN (SELECT id FROM d)`): nothing partial.
 */
const INSERT_BATCH_CTE = [
  `WITH d AS (`,
  `  INSERT INTO "Declaration" (${cols(DECLARATION_COLUMNS)})`,
  `  SELECT ${cols(DECLARATION_COLUMNS)} FROM json_populate_recordset(NULL::"Declaration", $1::json)`,
  `  ON CONFLICT DO NOTHING RETURNING "id", "filerId", "localReference", "trackingNumber", "carrierId", "postId", "payloadHash", "status", "movementReference", "destinationCountry"`,
  `), i AS (`,
  `  INSERT INTO "GoodsItem" (${cols(ITEM_COLUMNS)})`,
  `  SELECT ${cols(ITEM_COLUMNS)} FROM json_populate_recordset(NULL::"GoodsItem", $2::json)`,
  `  WHERE "declarationId" IN (SELECT "id" FROM d)`,
  // One parcel, one live declaration per carrier or post: a second one violates the key.
  `), l AS (`,
  `  INSERT INTO "LiveParcel" ("trackingNumber", "partyId", "declarationId")`,
  `  SELECT d."trackingNumber", p."partyId", d."id" FROM d CROSS JOIN LATERAL (VALUES (d."carrierId"), (d."postId")) AS p("partyId")`,
  `  WHERE p."partyId" IS NOT NULL`,
  `), a AS (`,
  `  INSERT INTO "WriteAuditEntry" ("id", "actorPartyId", "apiKeyId", "operation", "recordType", "recordId", "declarationId", "holderId", "changes", "idempotencyKey", "at")`,
  `  SELECT gen_random_uuid(), d."filerId", $3::uuid, 'fileDeclaration', 'Declaration', d."id"::text, d."id", d."filerId",`,
  `         jsonb_build_object('status', jsonb_build_object('before', NULL, 'after', d."status"),`,
  `                            'localReference', jsonb_build_object('before', NULL, 'after', d."localReference"),`,
  `                            'trackingNumber', jsonb_build_object('before', NULL, 'after', d."trackingNumber"),`,
  `                            'payloadHash', jsonb_build_object('before', NULL, 'after', d."payloadHash"))`,
  `         || CASE WHEN d."movementReference" IS NULL THEN '{}'::jsonb`,
  `            ELSE jsonb_build_object('movementReference', jsonb_build_object('before', NULL, 'after', d."movementReference")) END`,
  // the assessment (path through the statuses, rule versions used) per destination: $6 in
  // the assessed statement, NULL in the plain one
  `         || COALESCE($6::jsonb -> rtrim(d."destinationCountry"), '{}'::jsonb),`,
  `         $4::text, $5::timestamp`,
  `  FROM d`,
  `)`,
].join("\n");

/** The plain filing: declarations, their goods items, live bindings and audit. */
const INSERT_BATCH_SQL = `${INSERT_BATCH_CTE}\nSELECT "id" FROM d`;

const ALERT_COLUMNS = ["id", "declarationId", "raisedById", "raisedByRule", "ruleId", "ruleVersion", "severity", "reasonCode", "reason", "createdAt"];
const HOLD_COLUMNS = ["id", "declarationId", "placedById", "kind", "reason", "placedAt", "addresseeId", "question", "dueAt", "ruleId", "ruleVersion"];

/**
 * Filing with risk assessment, still ONE statement: the risk alerts and holds the rules
 * raised, their audit entries and the outbox events of the holds are inserted with the
 * declarations they belong to (only those actually inserted). The event counter is taken
 * only when there is an event, so a batch without holds does not queue behind other writes.
 */
const INSERT_ASSESSED_SQL = [
  INSERT_BATCH_CTE,
  `, ra AS (`,
  `  INSERT INTO "RiskAlert" (${cols(ALERT_COLUMNS)})`,
  `  SELECT ${cols(ALERT_COLUMNS)} FROM json_populate_recordset(NULL::"RiskAlert", $7::json) WHERE "declarationId" IN (SELECT "id" FROM d)`,
  `), rh AS (`,
  `  INSERT INTO "Hold" (${cols(HOLD_COLUMNS)})`,
  `  SELECT ${cols(HOLD_COLUMNS)} FROM json_populate_recordset(NULL::"Hold", $8::json) WHERE "declarationId" IN (SELECT "id" FROM d)`,
  `), ax AS (`,
  `  INSERT INTO "WriteAuditEntry" ("id", "actorPartyId", "apiKeyId", "operation", "recordType", "recordId", "declarationId", "holderId", "changes", "idempotencyKey", "at")`,
  `  SELECT gen_random_uuid(), d."filerId", $3::uuid, 'fileDeclaration', x."recordType", x."recordId", x."declarationId", x."holderId", x."changes", $4::text, $5::timestamp`,
  `  FROM json_to_recordset($9::json) AS x("recordType" text, "recordId" text, "declarationId" uuid, "holderId" uuid, "changes" jsonb)`,
  `  JOIN d ON d."id" = x."declarationId"`,
  `), ev AS (`,
  `  SELECT e."type", e."declarationId", e."payload", row_number() OVER (ORDER BY e."ord") AS "n"`,
  `  FROM json_to_recordset($10::json) AS e("ord" int, "type" text, "declarationId" uuid, "payload" jsonb)`,
  `  WHERE e."declarationId" IN (SELECT "id" FROM d)`,
  `), c AS (`,
  `  UPDATE "HubEventCounter" SET "last" = "last" + (SELECT count(*) FROM ev) WHERE "id" = 1 AND EXISTS (SELECT 1 FROM ev) RETURNING "last"`,
  `), ei AS (`,
  `  INSERT INTO "HubEvent" ("seq", "type", "declarationId", "payload", "at")`,
  `  SELECT c."last" - (SELECT count(*) FROM ev) + ev."n", ev."type", ev."declarationId", ev."payload", $5::timestamp FROM ev CROSS JOIN c`,
  `)`,
  `SELECT "id" FROM d`,
].join("\n");

const CLEARANCE_CANDIDATES: NamedStatement = {
  name: "hub_clearance_candidates",
  text: `
  SELECT d."id", d."filerId", d."carrierId", d."postId", d."platformId",
         rtrim(d."originCountry") AS "originCountry", rtrim(d."destinationCountry") AS "destinationCountry",
         d."status"::text AS "status", d."updatedAt" AT TIME ZONE 'UTC' AS "updatedAt",
         COALESCE((SELECT json_agg(json_build_object('kind', h."kind", 'placedById', h."placedById"))
                   FROM "Hold" h WHERE h."declarationId" = d."id" AND h."status" = 'OPEN'), '[]'::json) AS "openHolds"
  FROM "Declaration" d
  WHERE d."trackingNumber" = $1
  ORDER BY ($2::uuid IN (d."carrierId", d."postId")) DESC NULLS LAST,
           (d."status" NOT IN ('DELIVERED', 'RETURNED', 'SEIZED')) DESC,
           d."filedAt" DESC
  LIMIT 20`,
};

/** What clearanceStatus needs of a parcel: its scope, status and open holds. */
export interface ClearanceCandidate extends DeclarationScope {
  status: DeclarationRow["status"];
  updatedAt: Date;
  openHolds: { kind: HoldKind; placedById: string }[];
}

/** Prisma access for filing declarations; no rules here, only storage. */
/** Risk assessment of a batch at filing, run inside the insert's transaction. */
export interface AssessedFiling {
  at: Date;
  /** advisory lock keys (signed 64-bit, as decimal strings), taken in ascending order */
  locks: string[];
  assess: (tx: Tx) => Promise<(Assessment | null)[]>;
}

export class DeclarationRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Declarations with this tracking number, with their open holds, in the order a viewer
   * is answered from: those naming the viewer as carrier or post first (its one live
   * declaration, bound by LiveParcel), then live before final, then newest. One indexed
   * statement on the carriers' hot path; the caller applies the policy in memory.
   */
  async clearanceCandidates(trackingNumber: string, viewerPartyId: string): Promise<ClearanceCandidate[]> {
    return sqlRows<ClearanceCandidate>(this.prisma, CLEARANCE_CANDIDATES, [trackingNumber, viewerPartyId]);
  }

  /** The first declaration matching `where` with this id (the caller's row filter included). */
  findOne(where: Prisma.DeclarationWhereInput): Promise<DeclarationRow | null> {
    return this.prisma.declaration.findFirst({ where });
  }

  page(where: Prisma.DeclarationWhereInput, orderBy: Prisma.DeclarationOrderByWithRelationInput[], cursor: { id: string } | undefined, take: number): Promise<DeclarationRow[]> {
    return this.prisma.declaration.findMany({ where, orderBy, cursor, skip: cursor ? 1 : 0, take });
  }

  findByIds(ids: string[]): Promise<DeclarationRow[]> {
    return ids.length ? this.prisma.declaration.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  /**
   * How many match, counted as far as `limit + 1` rows (as count), per filer and declaration
   * scope: whose data a count used, for their access logs.
   */
  async countByScope(where: Prisma.DeclarationWhereInput, limit: number): Promise<{ n: number; groups: (Omit<DeclarationScope, "id"> & { n: number })[] }> {
    const rows = await this.prisma.declaration.findMany({
      where,
      select: { filerId: true, carrierId: true, postId: true, platformId: true, originCountry: true, destinationCountry: true },
      take: limit + 1,
    });
    const groups = new Map<string, Omit<DeclarationScope, "id"> & { n: number }>();
    for (const r of rows) {
      const key = `${r.filerId}|${r.carrierId}|${r.postId}|${r.platformId}|${r.originCountry}|${r.destinationCountry}`;
      const g = groups.get(key);
      if (g) g.n++;
      else groups.set(key, { ...r, n: 1 });
    }
    return { n: rows.length, groups: [...groups.values()] };
  }

  async exists(where: Prisma.DeclarationWhereInput): Promise<boolean> {
    return (await this.prisma.declaration.findFirst({ where, select: { id: true } })) !== null;
  }

  /**
   * Which (tracking number, carrier or post) pairs of these declarations are live already,
   * as "trackingNumber|partyId" strings: one statement for the whole batch.
   */
  async liveBindings(decls: NewDeclaration["declaration"][]): Promise<Set<string>> {
    const pairs = decls.flatMap((d) => [d.carrierId, d.postId].filter((x): x is string => !!x).map((p) => [d.trackingNumber, p] as const));
    if (!pairs.length) return new Set();
    const rows = await this.prisma.$queryRawUnsafe<{ trackingNumber: string; partyId: string }[]>(
      `SELECT "trackingNumber", "partyId"::text AS "partyId" FROM "LiveParcel"
       WHERE ("trackingNumber", "partyId") IN (SELECT * FROM unnest($1::text[], $2::uuid[]))`,
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    );
    return new Set(rows.map((r) => `${r.trackingNumber}|${r.partyId}`));
  }

  /** Kinds of the given parties, in one query; unknown ids are simply absent. */
  async partyKinds(ids: string[]): Promise<Map<string, PartyKind>> {
    if (!ids.length) return new Map();
    const rows = await this.prisma.party.findMany({ where: { id: { in: ids } }, select: { id: true, kind: true } });
    return new Map(rows.map((r) => [r.id, r.kind]));
  }

  /** The filer's declarations with these local references, in one query. */
  async findByLocalReferences(filerId: string, localReferences: string[]): Promise<DeclarationRow[]> {
    if (!localReferences.length) return [];
    return this.prisma.declaration.findMany({ where: { filerId, localReference: { in: localReferences } } });
  }

  /**
   * Stores declarations with their goods items atomically (see INSERT_BATCH_SQL). Ids are
   * generated here so items link to their declaration without a lookup. Returns, per
   * input, the stored row, or null when the (filer, localReference) already existed.
   */
  async insertNew(
    batch: NewDeclaration[],
    audit: { apiKeyId: string | null; idempotencyKey: string | null },
    risk?: AssessedFiling,
  ): Promise<(DeclarationRow | null)[]> {
    if (!batch.length) return [];
    if (!risk) return this.insertAssessed(this.prisma, batch, audit);
    // Assessment and insert in one transaction, after the split-shipment locks: a concurrent
    // batch for the same (destination, buyer, platform, day) waits, then sees these rows.
    return this.prisma.$transaction(
      async (tx) => {
        if (risk.locks.length) {
          await tx.$queryRawUnsafe(
            `SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS s`,
            [...new Set(risk.locks)],
          );
        }
        const assessments = await risk.assess(tx);
        return this.insertAssessed(tx, batch, audit, { at: risk.at, assessments });
      },
      { maxWait: 30_000, timeout: 120_000 },
    );
  }

  private async insertAssessed(
    db: PrismaClient | Tx,
    batch: NewDeclaration[],
    audit: { apiKeyId: string | null; idempotencyKey: string | null },
    risk?: { at: Date; assessments: (Assessment | null)[] },
  ): Promise<(DeclarationRow | null)[]> {
    const now = risk?.at ?? new Date();
    // Timestamps as UTC without zone, as Prisma stores DateTime in timestamp(3).
    const at = now.toISOString().replace("Z", "");
    const decls: (DeclarationFields & { status: DeclarationStatus; movementReference: string | null })[] = batch.map((b, i) => {
      const a = risk?.assessments[i];
      return { ...b.declaration, id: randomUUID(), status: a?.status ?? "FILED", movementReference: a ? newMovementReference(b.declaration.destinationCountry, now) : null };
    });
    const items: ItemFields[] = batch.flatMap((b, i) =>
      b.goodsItems.map((g, n) => ({ ...g, id: randomUUID(), declarationId: decls[i].id, lineNumber: n + 1 })),
    );
    const declJson = JSON.stringify(decls.map((d) => ({ ...d, version: 1, filedAt: at, updatedAt: at })));
    const assessed = risk?.assessments.some((a) => a) ? riskRows(decls, risk.assessments, at) : null;
    const inserted = await db.$queryRawUnsafe<{ id: string }[]>(
      assessed ? INSERT_ASSESSED_SQL : INSERT_BATCH_SQL,
      declJson,
      JSON.stringify(items),
      audit.apiKeyId,
      audit.idempotencyKey,
      at,
      assessed?.byDestination ?? null,
      ...(assessed ? [assessed.alerts, assessed.holds, assessed.audit, assessed.events] : []),
    );
    const stored = new Set(inserted.map((r) => r.id));
    // The row as stored, built from what was sent: no need to read it back.
    return decls.map((d) =>
      stored.has(d.id)
        ? {
            ...d,
            totalValue: new Decimal(d.totalValue),
            grossWeightKg: new Decimal(d.grossWeightKg),
            version: 1,
            dutiesVersion: 0,
            filedAt: now,
            updatedAt: now,
            releasedAt: null,
          }
        : null,
    );
  }
}

const created = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).filter(([k, v]) => v != null && k !== "id" && k !== "declarationId").map(([k, v]) => [k, { before: null, after: v instanceof Date ? v.toISOString() : v }]));

/**
 * The JSON parameters of INSERT_ASSESSED_SQL: per destination, what its declarations' filing
 * audit entries add (the registration path and the rule versions assessed with; the final
 * status is the entry's own); alerts and holds linked to their declaration with an audit
 * entry each; an outbox event per hold and per status a hold moved the declaration to.
 */
function riskRows(decls: { id: string; filerId: string; destinationCountry: string }[], assessments: (Assessment | null)[], at: string) {
  const alerts: object[] = [];
  const holds: object[] = [];
  const audit: object[] = [];
  const events: object[] = [];
  const byDestination: Record<string, object> = {};
  decls.forEach((d, i) => {
    const a = assessments[i];
    if (!a) return;
    // in the declaration's own filing entry: the statuses it went through (registration) and the rule versions used
    byDestination[d.destinationCountry] ??= { riskAssessment: { before: null, after: { path: ["FILED", "REGISTERED", "RISK_ASSESSED"], rules: a.rules } } };
    for (const x of a.alerts) {
      alerts.push({ ...x, declarationId: d.id, createdAt: at });
      audit.push({ recordType: "RiskAlert", recordId: x.id, declarationId: d.id, holderId: x.raisedById, changes: created({ ...x, status: "OPEN" }) });
    }
    for (const h of a.holds) {
      holds.push({ ...h, declarationId: d.id, placedAt: at, dueAt: h.dueAt?.toISOString().replace("Z", "") ?? null });
      audit.push({ recordType: "Hold", recordId: h.id, declarationId: d.id, holderId: h.placedById, changes: created({ ...h, status: "OPEN" }) });
      events.push({ ord: events.length, type: "HOLD_PLACED", declarationId: d.id, payload: { holdId: h.id, kind: h.kind } });
    }
    if (a.holds.length) events.push({ ord: events.length, type: "STATUS_CHANGED", declarationId: d.id, payload: { from: "RISK_ASSESSED", to: a.status } });
  });
  return { byDestination: JSON.stringify(byDestination), alerts: JSON.stringify(alerts), holds: JSON.stringify(holds), audit: JSON.stringify(audit), events: JSON.stringify(events) };
}

export { isUniqueViolation } from "../writes/writes.repository";
