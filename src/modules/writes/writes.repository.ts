import { Prisma, type PrismaClient } from "../../generated/prisma/client";
import type { IdempotencyRecord, WriteAuditEntry } from "../../generated/prisma/client";

export type Tx = Prisma.TransactionClient;
export type { IdempotencyRecord, WriteAuditEntry };

/** One changed field: what it was and what it became (null where it did not exist). */
export interface FieldChange {
  before: unknown;
  after: unknown;
}

export interface AuditRow {
  actorPartyId: string;
  apiKeyId: string | null;
  operation: string;
  recordType: string;
  recordId: string;
  declarationId: string | null;
  holderId: string | null;
  changes: Record<string, FieldChange>;
  idempotencyKey: string | null;
  at: Date;
}

/** A change others may hear about, appended to the outbox (HubEvent) with the write. */
export interface OutboxEvent {
  type: string;
  declarationId: string | null;
  payload: Record<string, unknown>;
  at: Date;
}

export interface NewIdempotencyRecord {
  partyId: string;
  key: string;
  operation: string;
  requestHash: string;
  result: Prisma.InputJsonValue;
}

export interface AuditQuery {
  declarationId?: string;
  recordId?: string;
  since?: Date;
  /** entries of records held by these parties, or written by the first of them */
  holderIds?: string[];
  actorPartyId?: string;
  take: number;
}

/** The SQL of the write side's journal: transactions, the audit trail, idempotency keys. */
export class WritesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Runs `work` and then `seal` in one transaction: a write and its journal commit together. */
  transaction<T>(work: (tx: Tx) => Promise<T>, seal: (tx: Tx, result: T) => Promise<void>): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        const result = await work(tx);
        await seal(tx, result);
        return result;
      },
      { maxWait: 10_000, timeout: 20_000 },
    );
  }

  async insertAudit(tx: Tx, rows: AuditRow[]): Promise<void> {
    if (!rows.length) return;
    await tx.writeAuditEntry.createMany({
      data: rows.map((r) => ({ ...r, changes: r.changes as unknown as Prisma.InputJsonValue })),
    });
  }

  /**
   * Appends events with the next sequence numbers. The counter's row lock is held until
   * the transaction commits, so numbers are gap-free and committed in order: a reader that
   * has seen N has seen everything up to N.
   */
  async appendEvents(tx: Tx, events: OutboxEvent[]): Promise<void> {
    if (!events.length) return;
    const [{ last }] = await tx.$queryRaw<{ last: bigint }[]>`
      UPDATE "HubEventCounter" SET "last" = "last" + ${events.length} WHERE "id" = 1 RETURNING "last"`;
    const first = BigInt(last) - BigInt(events.length) + 1n;
    await tx.hubEvent.createMany({
      data: events.map((e, i) => ({
        seq: first + BigInt(i),
        type: e.type,
        declarationId: e.declarationId,
        payload: e.payload as Prisma.InputJsonValue,
        at: e.at,
      })),
    });
  }

  insertIdempotency(tx: Tx, record: NewIdempotencyRecord): Promise<unknown> {
    return tx.idempotencyRecord.create({ data: record });
  }

  /** Outside a transaction: for writes that are idempotent by themselves (filing). */
  async insertIdempotencyNow(record: NewIdempotencyRecord): Promise<void> {
    await this.prisma.idempotencyRecord.createMany({ data: [record], skipDuplicates: true });
  }

  findIdempotency(partyId: string, key: string): Promise<IdempotencyRecord | null> {
    return this.prisma.idempotencyRecord.findUnique({ where: { partyId_key: { partyId, key } } });
  }

  /** Records older than `before` are forgotten (a retry that late is a new request). */
  async forgetIdempotencyBefore(before: Date): Promise<number> {
    return (await this.prisma.idempotencyRecord.deleteMany({ where: { createdAt: { lt: before } } })).count;
  }

  listAudit(q: AuditQuery): Promise<WriteAuditEntry[]> {
    const or: Prisma.WriteAuditEntryWhereInput[] = [];
    if (q.holderIds?.length) or.push({ holderId: { in: q.holderIds } });
    if (q.actorPartyId) or.push({ actorPartyId: q.actorPartyId });
    return this.prisma.writeAuditEntry.findMany({
      where: {
        declarationId: q.declarationId,
        recordId: q.recordId,
        at: q.since ? { gte: q.since } : undefined,
        ...(or.length ? { OR: or } : {}),
      },
      orderBy: [{ at: "desc" }, { id: "asc" }],
      take: q.take,
    });
  }
}

/** A unique violation from a Prisma call (P2002) or raw SQL (23505). */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; meta?: { code?: unknown } };
  return e.code === "P2002" || e.meta?.code === "23505" || e.code === "23505";
}
