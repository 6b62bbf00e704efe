import type { ApiKey, Party, Prisma, PrismaClient, WebhookDelivery, WebhookEndpoint } from "../../generated/prisma/client";
import type { WebhookDeliveryStatus } from "../../generated/prisma/enums";
import type { Tx } from "../writes";

export type { WebhookDelivery, WebhookEndpoint };
export type EndpointRow = WebhookEndpoint;
export type DeliveryRow = WebhookDelivery;

export interface NewDelivery {
  endpointId: string;
  eventSeq: bigint;
  eventType: string;
  at: Date;
}

const iso = (d: Date) => d.toISOString();

/** All of the webhooks module's SQL. */
export class WebhookRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The newest event sequence number (within a write, through its transaction). */
  async latestSeq(tx?: Tx): Promise<bigint> {
    const row = await (tx ?? this.prisma).hubEventCounter.findUnique({ where: { id: 1 } });
    return row?.last ?? 0n;
  }

  /** The oldest event still kept, or null. */
  async oldestSeq(): Promise<bigint | null> {
    return (await this.prisma.hubEvent.findFirst({ orderBy: { seq: "asc" }, select: { seq: true } }))?.seq ?? null;
  }

  createEndpoint(tx: Tx, data: Prisma.WebhookEndpointUncheckedCreateInput): Promise<EndpointRow> {
    return tx.webhookEndpoint.create({ data });
  }

  updateEndpoint(tx: Tx, id: string, data: Prisma.WebhookEndpointUncheckedUpdateInput): Promise<EndpointRow> {
    return tx.webhookEndpoint.update({ where: { id }, data });
  }

  findEndpoint(id: string, tx?: Tx): Promise<EndpointRow | null> {
    return (tx ?? this.prisma).webhookEndpoint.findUnique({ where: { id } });
  }

  endpointsOf(partyId: string, includeDeleted: boolean): Promise<EndpointRow[]> {
    return this.prisma.webhookEndpoint.findMany({
      where: { partyId, ...(includeDeleted ? {} : { deletedAt: null }) },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
  }

  countLive(partyId: string, tx?: Tx): Promise<number> {
    return (tx ?? this.prisma).webhookEndpoint.count({ where: { partyId, deletedAt: null } });
  }

  /** Enabled endpoints that have not yet considered events up to `latest`, furthest behind first. */
  endpointsBehind(latest: bigint, take: number): Promise<EndpointRow[]> {
    return this.prisma.webhookEndpoint.findMany({
      where: { enabled: true, deletedAt: null, cursorSeq: { lt: latest } },
      orderBy: { cursorSeq: "asc" },
      take,
    });
  }

  keys(ids: string[]): Promise<ApiKey[]> {
    return ids.length ? this.prisma.apiKey.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  parties(ids: string[]): Promise<Party[]> {
    return ids.length ? this.prisma.party.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  /**
   * Moves endpoints' cursors and adds their deliveries in one transaction (two statements,
   * whatever their number): each endpoint's cursor moves from its `from` to `to` unless another instance
   * (or a replay) moved it meanwhile, and only the deliveries of endpoints that moved are
   * added (one per endpoint and event at most). Returns the ids of those that moved.
   */
  async advanceAll(moves: { id: string; from: bigint }[], to: bigint, deliveries: NewDelivery[]): Promise<Set<string>> {
    if (!moves.length) return new Set();
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.$queryRaw<{ id: string }[]>`
        UPDATE "WebhookEndpoint" e SET "cursorSeq" = ${to}
        FROM unnest(${moves.map((m) => m.id)}::uuid[], ${moves.map((m) => m.from)}::bigint[]) AS v("id", "from")
        WHERE e."id" = v."id" AND e."cursorSeq" = v."from" AND e."enabled" AND e."deletedAt" IS NULL
        RETURNING e."id"`;
      const ids = new Set(moved.map((r) => r.id));
      const mine = deliveries.filter((d) => ids.has(d.endpointId));
      if (mine.length) {
        await tx.webhookDelivery.createMany({
          data: mine.map((d) => ({ endpointId: d.endpointId, eventSeq: d.eventSeq, eventType: d.eventType, scheduledAt: d.at, nextAttemptAt: d.at, createdAt: d.at })),
          skipDuplicates: true,
        });
      }
      return ids;
    });
  }

  /** Settles many delivered attempts with one statement per status code (the common case of a round). */
  async settleDelivered(done: { id: string; statusCode: number }[], at: Date): Promise<void> {
    const byCode = new Map<number, string[]>();
    for (const d of done) byCode.set(d.statusCode, [...(byCode.get(d.statusCode) ?? []), d.id]);
    for (const [code, ids] of byCode) {
      await this.prisma.webhookDelivery.updateMany({
        where: { id: { in: ids } },
        data: { status: "DELIVERED", attempts: { increment: 1 }, lastAttemptAt: at, lastStatusCode: code, lastError: null, deliveredAt: at },
      });
    }
  }

  /** Disables an endpoint the hub cannot deliver for any more (its key was revoked). */
  async disable(endpointId: string, reason: string): Promise<void> {
    await this.prisma.webhookEndpoint.updateMany({ where: { id: endpointId, enabled: true }, data: { enabled: false, disabledReason: reason } });
  }

  /**
   * Claims up to `take` due deliveries of enabled endpoints for this instance: their next
   * attempt moves to `leaseUntil`, so no other instance takes them meanwhile and a crash
   * mid-send only delays them. Rows another instance is claiming are skipped, not waited for.
   */
  async claimDue(now: Date, leaseUntil: Date, take: number): Promise<DeliveryRow[]> {
    const ids = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE "WebhookDelivery" SET "nextAttemptAt" = ${iso(leaseUntil)}::timestamptz AT TIME ZONE 'UTC'
      WHERE "id" IN (
        SELECT d."id" FROM "WebhookDelivery" d
        JOIN "WebhookEndpoint" e ON e."id" = d."endpointId"
        WHERE d."status" = 'PENDING' AND d."nextAttemptAt" <= ${iso(now)}::timestamptz AT TIME ZONE 'UTC'
          AND e."enabled" AND e."deletedAt" IS NULL
        ORDER BY d."nextAttemptAt"
        LIMIT ${take}
        FOR UPDATE OF d SKIP LOCKED)
      RETURNING "id"`;
    if (!ids.length) return [];
    return this.prisma.webhookDelivery.findMany({ where: { id: { in: ids.map((r) => r.id) } }, orderBy: { eventSeq: "asc" } });
  }

  endpoints(ids: string[]): Promise<EndpointRow[]> {
    return ids.length ? this.prisma.webhookEndpoint.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  /** The outcome of an attempt (or the reason it was not made). */
  async settle(
    id: string,
    data: {
      status: WebhookDeliveryStatus;
      attempted: boolean;
      at: Date;
      statusCode?: number | null;
      error?: string | null;
      nextAttemptAt?: Date;
    },
  ): Promise<void> {
    // a delivery cancelled meanwhile (its endpoint deleted) stays cancelled unless this attempt delivered it
    await this.prisma.webhookDelivery.updateMany({
      where: { id, ...(data.status === "DELIVERED" ? {} : { status: "PENDING" }) },
      data: {
        status: data.status,
        ...(data.attempted ? { attempts: { increment: 1 }, lastAttemptAt: data.at, lastStatusCode: data.statusCode ?? null } : {}),
        lastError: data.error ?? null,
        ...(data.status === "DELIVERED" ? { deliveredAt: data.at } : {}),
        ...(data.nextAttemptAt ? { nextAttemptAt: data.nextAttemptAt } : {}),
      },
    });
  }

  /** An endpoint answered again: its other waiting deliveries are due now, not at their backoff. */
  async pullForward(endpointId: string, now: Date): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({ where: { endpointId, status: "PENDING", attempts: { gt: 0 }, nextAttemptAt: { gt: now } }, data: { nextAttemptAt: now } });
  }

  /** Gives claimed deliveries back, due now (an attempt cut short by shutdown does not count). */
  async release(ids: string[], now: Date): Promise<void> {
    if (ids.length) await this.prisma.webhookDelivery.updateMany({ where: { id: { in: ids }, status: "PENDING" }, data: { nextAttemptAt: now } });
  }

  deliveries(q: { endpointId: string; status?: WebhookDeliveryStatus; beforeSeq?: bigint; take: number }): Promise<DeliveryRow[]> {
    return this.prisma.webhookDelivery.findMany({
      where: { endpointId: q.endpointId, ...(q.status ? { status: q.status } : {}), ...(q.beforeSeq !== undefined ? { eventSeq: { lt: q.beforeSeq } } : {}) },
      orderBy: { eventSeq: "desc" },
      take: q.take,
    });
  }

  findDelivery(id: string, tx?: Tx): Promise<DeliveryRow | null> {
    return (tx ?? this.prisma).webhookDelivery.findUnique({ where: { id } });
  }

  /** Queues deliveries again, due now, with a fresh maximum age; returns how many. */
  async requeue(tx: Tx, where: Prisma.WebhookDeliveryWhereInput, now: Date): Promise<number> {
    const { count } = await tx.webhookDelivery.updateMany({
      where,
      data: { status: "PENDING", nextAttemptAt: now, scheduledAt: now, deliveredAt: null, replays: { increment: 1 } },
    });
    return count;
  }

  /** Cancels what is still to be sent for an endpoint (deleted, or key revoked). */
  async cancelPending(tx: Tx | undefined, endpointId: string, reason: string): Promise<void> {
    await (tx ?? this.prisma).webhookDelivery.updateMany({ where: { endpointId, status: "PENDING" }, data: { status: "CANCELLED", lastError: reason } });
  }
}
