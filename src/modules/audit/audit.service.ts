import type { PrismaClient } from "../../generated/prisma/client";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { BadUserInputError } from "../../shared/errors";
import type { AccessLogArgs } from "./audit.types";

export class AuditService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Who read the caller's data: a data holder sees reads of what it holds, nothing else. */
  async accessLog(ctx: HubContext, args: AccessLogArgs) {
    const p = requirePrincipal(ctx);
    if (args.first < 1 || args.first > 1000) throw BadUserInputError.at("first", "must be between 1 and 1000");
    // Reads still queued in this process are stored first, so the log is complete.
    await ctx.hub.accessLog.flush();
    return this.prisma.accessLogEntry.findMany({
      where: {
        holderId: p.partyId,
        at: args.since ? { gte: args.since } : undefined,
        viewerPartyId: args.viewerPartyId,
      },
      orderBy: { at: "desc" },
      take: args.first,
    });
  }
}
