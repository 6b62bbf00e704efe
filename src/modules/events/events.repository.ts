import type { Declaration, Hold, HubEvent, PrismaClient } from "../../generated/prisma/client";
import { sideClient } from "../../infra/prisma";

export type { HubEvent };

/** The outbox as readers see it: events after a sequence number, with what they are about. */
export class EventsRepository {
  /** the feed's reads: on connections of their own, so they never wait behind writers for one */
  private side: PrismaClient | null | undefined;

  constructor(private readonly prisma: PrismaClient) {}

  private get reader(): PrismaClient {
    if (this.side === undefined) this.side = sideClient(this.prisma, 2);
    return this.side ?? this.prisma;
  }

  /** Closes the reader's own connections (opened again on the next read). */
  async close(): Promise<void> {
    const side = this.side;
    this.side = undefined;
    await side?.$disconnect();
  }

  /** The newest sequence number handed out (0: none yet). */
  async latestSeq(): Promise<bigint> {
    const row = await this.prisma.hubEventCounter.findUnique({ where: { id: 1 } });
    return row?.last ?? 0n;
  }

  /** The oldest event still kept, or null when none is. */
  async oldestSeq(): Promise<bigint | null> {
    const row = await this.prisma.hubEvent.findFirst({ orderBy: { seq: "asc" }, select: { seq: true } });
    return row?.seq ?? null;
  }

  /** Events after `seq`, in order, at most `take`; optionally of one declaration only. */
  after(seq: bigint, take: number, declarationId?: string): Promise<HubEvent[]> {
    return this.reader.hubEvent.findMany({
      where: { seq: { gt: seq }, ...(declarationId ? { declarationId } : {}) },
      orderBy: { seq: "asc" },
      take,
    });
  }

  /** The events with these sequence numbers (those still kept), in order. */
  bySeq(seqs: bigint[]): Promise<HubEvent[]> {
    return seqs.length ? this.reader.hubEvent.findMany({ where: { seq: { in: seqs } }, orderBy: { seq: "asc" } }) : Promise.resolve([]);
  }

  declarations(ids: string[]): Promise<Declaration[]> {
    return ids.length ? this.reader.declaration.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  holds(ids: string[]): Promise<Hold[]> {
    return ids.length ? this.reader.hold.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  /** Forgets events older than `before` (retention); returns how many. */
  async forgetBefore(before: Date): Promise<number> {
    return (await this.prisma.hubEvent.deleteMany({ where: { at: { lt: before } } })).count;
  }
}
