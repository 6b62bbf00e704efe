import type { AccessLogEntry, PrismaClient } from "../../generated/prisma/client";

/** Reads of the access log (it is written in batches by AccessLogWriter). */
export class AccessLogRepository {
  constructor(private readonly prisma: PrismaClient) {}

  list(q: { holderId: string; since?: Date; viewerPartyId?: string; take: number }): Promise<AccessLogEntry[]> {
    return this.prisma.accessLogEntry.findMany({
      where: { holderId: q.holderId, at: q.since ? { gte: q.since } : undefined, viewerPartyId: q.viewerPartyId },
      orderBy: { at: "desc" },
      take: q.take,
    });
  }
}
