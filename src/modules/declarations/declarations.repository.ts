import { randomUUID } from "node:crypto";
import { Decimal } from "@prisma/client/runtime/client";
import type { Declaration, Prisma } from "../../generated/prisma/client";
import { sqlRows, type NamedStatement, type PrismaClient } from "../../infra/prisma";
import type { DeclarationScope } from "../../authz/policy";
import type { DeclarationCategory, HoldKind, PartyKind } from "../../generated/prisma/enums";

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
const DECLARATION_COLUMNS: (keyof DeclarationFields | "status" | "version" | "filedAt" | "updatedAt")[] = [
  "id", "filerId", "localReference", "payloadHash", "trackingNumber", "platformId", "carrierId", "postId",
  "originCountry", "destinationCountry", "totalValue", "currency", "grossWeightKg", "category", "iossNumber",
  "platformOrderId", "incoterm", "ddp", "sellerName", "sellerAddress", "sellerCountry", "buyerName",
  "buyerAddress", "buyerCountry", "buyerEmail", "status", "version", "filedAt", "updatedAt",
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
const INSERT_BATCH_SQL = [
  `WITH d AS (`,
  `  INSERT INTO "Declaration" (${cols(DECLARATION_COLUMNS)})`,
  `  SELECT ${cols(DECLARATION_COLUMNS)} FROM json_populate_recordset(NULL::"Declaration", $1::json)`,
  `  ON CONFLICT DO NOTHING RETURNING "id", "filerId", "localReference", "trackingNumber", "carrierId", "postId", "payloadHash"`,
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
  `         jsonb_build_object('status', jsonb_build_object('before', NULL, 'after', 'FILED'),`,
  `                            'localReference', jsonb_build_object('before', NULL, 'after', d."localReference"),`,
  `                            'trackingNumber', jsonb_build_object('before', NULL, 'after', d."trackingNumber"),`,
  `                            'payloadHash', jsonb_build_object('before', NULL, 'after', d."payloadHash")),`,
  `         $4::text, $5::timestamp`,
  `  FROM d`,
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

  count(where: Prisma.DeclarationWhereInput): Promise<number> {
    return this.prisma.declaration.count({ where });
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
  async insertNew(batch: NewDeclaration[], audit: { apiKeyId: string | null; idempotencyKey: string | null }): Promise<(DeclarationRow | null)[]> {
    if (!batch.length) return [];
    const now = new Date();
    // Timestamps as UTC without zone, as Prisma stores DateTime in timestamp(3).
    const at = now.toISOString().replace("Z", "");
    const decls: DeclarationFields[] = batch.map((b) => ({ ...b.declaration, id: randomUUID() }));
    const items: ItemFields[] = batch.flatMap((b, i) =>
      b.goodsItems.map((g, n) => ({ ...g, id: randomUUID(), declarationId: decls[i].id, lineNumber: n + 1 })),
    );
    const declJson = JSON.stringify(decls.map((d) => ({ ...d, status: "FILED", version: 1, filedAt: at, updatedAt: at })));
    const inserted = await this.prisma.$queryRawUnsafe<{ id: string }[]>(
      INSERT_BATCH_SQL,
      declJson,
      JSON.stringify(items),
      audit.apiKeyId,
      audit.idempotencyKey,
      at,
    );
    const stored = new Set(inserted.map((r) => r.id));
    // The row as stored, built from what was sent: no need to read it back.
    return decls.map((d) =>
      stored.has(d.id)
        ? {
            ...d,
            totalValue: new Decimal(d.totalValue),
            grossWeightKg: new Decimal(d.grossWeightKg),
            movementReference: null,
            status: "FILED",
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

export { isUniqueViolation } from "../writes/writes.repository";
