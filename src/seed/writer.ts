// Writing the demo world in bulk: rows kept by column and inserted with one
// INSERT ... SELECT FROM unnest(...) per table and batch, in one transaction per batch.
import type { Pool } from "pg";
import type { Prisma, PrismaClient } from "../generated/prisma/client";


/**
 * Rows of one table, stored by column (what the unnest INSERT wants), so a batch holds
 * arrays of primitives rather than thousands of short-lived row objects. Dates are kept as
 * epoch milliseconds. Every row pushed must have the keys of the first one.
 */
/** A row as the seed builds it: timestamps may be epoch milliseconds. */
export type SeedRow<T> = { [K in keyof T]: Date extends T[K] ? T[K] | number : T[K] };

export class Columnar<T extends object> {
  private names: string[] | null = null;
  private data: unknown[][] = [];
  length = 0;

  push(row: SeedRow<T>): void {
    const r = row as Record<string, unknown>;
    if (!this.names) {
      this.names = Object.keys(r);
      this.data = this.names.map(() => []);
    }
    for (let i = 0; i < this.names.length; i++) {
      const v = r[this.names[i]];
      this.data[i].push(v instanceof Date ? v.getTime() : (v ?? null));
    }
    this.length++;
  }

  columns(): { name: string; values: unknown[] }[] {
    return (this.names ?? []).map((name, i) => ({ name, values: this.data[i] }));
  }
}

export interface SeedBatch {
  declarations: Columnar<Prisma.DeclarationCreateManyInput>;
  goodsItems: Columnar<Prisma.GoodsItemCreateManyInput>;
  statusEvents: Columnar<Prisma.StatusEventCreateManyInput>;
  riskAlerts: Columnar<Prisma.RiskAlertCreateManyInput>;
  holds: Columnar<Prisma.HoldCreateManyInput>;
  duties: Columnar<Prisma.DutyAssessmentCreateManyInput>;
  liveParcels: Columnar<Prisma.LiveParcelCreateManyInput>;
}

export function emptyBatch(): SeedBatch {
  return {
    declarations: new Columnar(),
    goodsItems: new Columnar(),
    statusEvents: new Columnar(),
    riskAlerts: new Columnar(),
    holds: new Columnar(),
    duties: new Columnar(),
    liveParcels: new Columnar(),
  };
}

// =======================================================================================
// Writing

/**
 * SQL types of every column the seed may write, per table. Typed against Prisma's input
 * types, so a column added to the schema fails compilation here until it is listed.
 */
const SQL_TYPES = {
  Declaration: {
    id: "uuid", filerId: "uuid", localReference: "text", payloadHash: "text", movementReference: "text",
    trackingNumber: "text", platformId: "uuid", carrierId: "uuid", postId: "uuid", originCountry: "bpchar",
    destinationCountry: "bpchar", totalValue: "numeric", currency: "bpchar", grossWeightKg: "numeric",
    category: '"DeclarationCategory"', iossNumber: "text", platformOrderId: "text", incoterm: "text", ddp: "bool",
    sellerName: "text", sellerAddress: "text", sellerCountry: "bpchar", buyerName: "text", buyerAddress: "text",
    buyerCountry: "bpchar", buyerEmail: "text", status: '"DeclarationStatus"', version: "int4", dutiesVersion: "int4",
    filedAt: "timestamp", updatedAt: "timestamp", releasedAt: "timestamp",
  } satisfies Record<keyof Prisma.DeclarationCreateManyInput, string>,
  GoodsItem: {
    id: "uuid", declarationId: "uuid", lineNumber: "int4", description: "text", quantity: "int4",
    netWeightKg: "numeric", value: "numeric", currency: "bpchar", hsCode: "text", originCountry: "bpchar",
  } satisfies Record<keyof Prisma.GoodsItemCreateManyInput, string>,
  StatusEvent: {
    id: "uuid", declarationId: "uuid", recordedById: "uuid", code: "text", reasonCode: "text", occurredAt: "timestamp",
    place: "text", note: "text", customsNote: "text", createdAt: "timestamp",
  } satisfies Record<keyof Prisma.StatusEventCreateManyInput, string>,
  RiskAlert: {
    id: "uuid", declarationId: "uuid", raisedById: "uuid", raisedByRule: "text", severity: '"AlertSeverity"',
    reasonCode: "text", reason: "text", status: '"AlertStatus"', resolvedById: "uuid", resolutionNote: "text",
    createdAt: "timestamp", resolvedAt: "timestamp", ruleId: "uuid", ruleVersion: "int4",
  } satisfies Record<keyof Prisma.RiskAlertCreateManyInput, string>,
  Hold: {
    id: "uuid", declarationId: "uuid", placedById: "uuid", kind: '"HoldKind"', reason: "text", status: '"HoldStatus"',
    response: "text", outcome: "text", placedAt: "timestamp", releasedAt: "timestamp", releasedById: "uuid",
    addresseeId: "uuid", question: "text", dueAt: "timestamp", answerText: "text", answerDocuments: "text[]",
    screeningOutcome: '"ScreeningOutcome"', answeredAt: "timestamp", answeredById: "uuid", ruleId: "uuid",
    ruleVersion: "int4", escalatedToId: "uuid",
  } satisfies Record<keyof Prisma.HoldCreateManyInput, string>,
  DutyAssessment: {
    id: "uuid", declarationId: "uuid", assessedById: "uuid", taxType: '"TaxType"', base: "numeric", rate: "numeric",
    amount: "numeric", currency: "bpchar", collectionModel: '"CollectionModel"', createdAt: "timestamp",
    version: "int4", supersededAt: "timestamp", correctionReason: "text",
    lineKey: "text", method: "text", explanation: "text", basis: "jsonb", computedAmount: "numeric", overrideReason: "text",
  } satisfies Record<keyof Prisma.DutyAssessmentCreateManyInput, string>,
  LiveParcel: { trackingNumber: "text", partyId: "uuid", declarationId: "uuid" } satisfies Record<keyof Prisma.LiveParcelCreateManyInput, string>,
};

/**
 * One multi-row INSERT ... SELECT FROM unnest($1::t1[], $2::t2[], ...): one array parameter
 * per column, so any number of rows fits in one statement (no 65535 bind-parameter limit).
 * Measured on PGlite, 6,000 status events: createMany about 2.0 s, this about 0.4 s (and
 * about 0.27 s of it is PGlite inserting); createMany passes one bind parameter per value.
 * Timestamps travel as epoch milliseconds (cheaper than ISO text on both sides) and become
 * UTC TIMESTAMP(3) values, as Prisma stores them, with exact integer arithmetic.
 */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** A list column (text[]) travels as one text per row, its items joined by U+001F. */
const LIST_SEPARATOR = "\u001f";

/** How a column's values are passed (parameter type) and read back in the SELECT. */
function columnSql(type: string, i: number): { param: string; select: string } {
  if (type === "timestamp") return { param: "int8", select: `TIMESTAMP '1970-01-01' + c${i} * INTERVAL '1 millisecond'` };
  if (type === "text[]") return { param: "text", select: `string_to_array(c${i}, chr(31))` };
  return { param: type, select: `c${i}` };
}

function insertRows(table: keyof typeof SQL_TYPES, rows: Columnar<object>): Statement | null {
  if (!rows.length) return null;
  const types = SQL_TYPES[table] as Record<string, string>;
  const columns = rows.columns();
  for (const c of columns) if (!types[c.name]) throw new Error(`seed: no SQL type for ${table}.${c.name}`);
  const names = columns.map((c) => `"${c.name}"`).join(", ");
  const sqlOf = columns.map((c, i) => columnSql(types[c.name], i));
  const select = sqlOf.map((x) => x.select).join(", ");
  const arrays = sqlOf.map((x, i) => `$${i + 1}::${x.param}[]`).join(", ");
  const sql = `INSERT INTO "${table}" (${names}) SELECT ${select} FROM unnest(${arrays}) AS t(${columns.map((_, i) => `c${i}`).join(", ")})`;
  const params = columns.map((c) => (types[c.name] === "text[]" ? c.values.map((v) => (v as string[] | null)?.join(LIST_SEPARATOR) ?? "") : c.values));
  return { sql, params };
}

/** A batch's inserts, parents first so foreign keys hold. */
export function batchStatements(b: SeedBatch): Statement[] {
  return [
    insertRows("Declaration", b.declarations),
    insertRows("GoodsItem", b.goodsItems),
    insertRows("StatusEvent", b.statusEvents),
    insertRows("RiskAlert", b.riskAlerts),
    insertRows("Hold", b.holds),
    insertRows("DutyAssessment", b.duties),
    insertRows("LiveParcel", b.liveParcels),
  ].filter((st): st is Statement => st !== null);
}

/** Runs one batch's statements in one transaction: all or nothing. */
export type SeedWriter = (statements: Statement[]) => Promise<void>;

/** Through the application's Prisma client: works on any store, including the embedded one. */
export function prismaWriter(prisma: PrismaClient): SeedWriter {
  return async (statements) => {
    // Prisma's default 5 s transaction timeout is too short for a big batch on a busy machine.
    await prisma.$transaction(
      statements.map((st) => prisma.$executeRawUnsafe(st.sql, ...st.params)),
      { maxWait: 60_000, timeout: 300_000 },
    );
  };
}

/**
 * Straight through `pg`, for bulk seeding: Prisma turns raw-query parameters into tagged
 * JSON and back, which for array parameters costs more CPU than generating the rows
 * (about 200 µs per declaration, measured). On the embedded database, give it a pool of
 * max 1 and do not use the Prisma client meanwhile (PGlite serves one connection).
 */
export function pgWriter(pool: Pool): SeedWriter {
  return async (statements) => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      for (const st of statements) await client.query(st.sql, st.params);
      await client.query("COMMIT");
      client.release();
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  };
}
