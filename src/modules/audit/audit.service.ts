import type { PrismaClient } from "../../generated/prisma/client";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { ALL_MASK } from "../../authz/categories";
import { BadUserInputError, NotFoundError } from "../../shared/errors";
import { isUuid } from "../../shared/validation";
import type { WriteService } from "../writes";
import type { WriteAuditEntry as WriteAuditRow } from "../writes/writes.repository";
import { AccessLogRepository } from "./access-log.repository";
import type { AccessLogArgs } from "./audit.types";
import type { WriteAuditArgs } from "./write-audit.types";

export class AuditService {
  private readonly accessLogs: AccessLogRepository;

  constructor(
    prisma: PrismaClient,
    private readonly writes: WriteService,
  ) {
    this.accessLogs = new AccessLogRepository(prisma);
  }

  /** Who read the caller's data: a data holder sees reads of what it holds, nothing else. */
  async accessLog(ctx: HubContext, args: AccessLogArgs) {
    const p = requirePrincipal(ctx);
    if (args.first < 1 || args.first > 1000) throw BadUserInputError.at("first", "must be between 1 and 1000");
    if (args.viewerPartyId != null && !isUuid(args.viewerPartyId)) throw new NotFoundError("Party", args.viewerPartyId);
    // Reads still queued in this process are stored first, so the log is complete.
    await ctx.hub.accessLog.flush();
    return this.accessLogs.list({ holderId: p.partyId, since: args.since, viewerPartyId: args.viewerPartyId, take: args.first });
  }

  /**
   * The write audit trail, through the same policy as reads: an entry about a declaration's
   * record is shown to whoever may read every category of that record's holder's data on
   * it (the holder itself, customs of the destination, or a full agreement); any other
   * entry to the party it concerns (its holder) and to the party that wrote it.
   */
  async writeAudit(ctx: HubContext, args: WriteAuditArgs) {
    const me = requirePrincipal(ctx);
    if (args.first < 1 || args.first > 1000) throw BadUserInputError.at("first", "must be between 1 and 1000");
    for (const key of ["declarationId", "recordId"] as const) {
      if (args[key] != null && !isUuid(args[key])) throw new NotFoundError(key === "declarationId" ? "Declaration" : "Record", args[key]!);
    }
    if (args.declarationId) {
      const declaration = await ctx.hub.services.declarations.get(ctx, args.declarationId);
      const policy = await ctx.authz.policy();
      const rows = await this.writes.repo.listAudit({ declarationId: declaration.id, recordId: args.recordId, since: args.since, take: 1000 });
      const readable = (r: WriteAuditRow) =>
        r.actorPartyId === me.partyId || policy.decide(r.holderId ?? declaration.filerId, declaration).mask === ALL_MASK;
      return rows.filter(readable).slice(0, args.first).map(toEntry);
    }
    const rows = await this.writes.repo.listAudit({
      recordId: args.recordId,
      since: args.since,
      holderIds: [me.partyId],
      actorPartyId: me.partyId,
      take: args.first,
    });
    return rows.map(toEntry);
  }
}

function toEntry(r: WriteAuditRow) {
  const changes = Object.entries((r.changes ?? {}) as Record<string, { before: unknown; after: unknown }>).map(([field, c]) => ({
    field,
    before: c?.before ?? null,
    after: c?.after ?? null,
  }));
  return { ...r, changes };
}
