import { Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { HubContext } from "../../context/context";
import { categorizedFields } from "../../authz/field-guard";
import { Party } from "../parties/parties.types";
import { AccessLogArgs, AccessLogEntry, FieldCategory } from "./audit.types";
import { WriteAuditArgs, WriteAuditEntry } from "./write-audit.types";

@Resolver(() => AccessLogEntry)
export class AuditResolver {
  @Query(() => [AccessLogEntry], { description: "Who read your data, when, and under which agreement" })
  accessLog(@Args(() => AccessLogArgs) args: AccessLogArgs, @Ctx() ctx: HubContext) {
    return ctx.hub.services.audit.accessLog(ctx, args);
  }

  @Query(() => [FieldCategory], { description: "Every partner-data field and its data category" })
  fieldCategories(@Info() info: GraphQLResolveInfo): FieldCategory[] {
    return categorizedFields(info.schema);
  }

  @Query(() => [WriteAuditEntry], {
    description:
      "Who wrote what: every write (filing, amendments, status events, alerts, holds, duties, agreements, parties, keys) " +
      "with the acting party, key, time, operation and each changed field before and after. Entries about a " +
      "declaration's records are shown to whoever may read all of that record holder's data on it (the holder, " +
      "customs of the destination); other entries to the party they concern and to the party that wrote them.",
  })
  writeAudit(@Args(() => WriteAuditArgs) args: WriteAuditArgs, @Ctx() ctx: HubContext) {
    return ctx.hub.services.audit.writeAudit(ctx, args);
  }

  @FieldResolver(() => Party)
  viewer(@Root() entry: { viewerPartyId: string }, @Ctx() ctx: HubContext) {
    return ctx.loaders.party.load(entry.viewerPartyId);
  }
}

@Resolver(() => WriteAuditEntry)
export class WriteAuditResolver {
  @FieldResolver(() => Party)
  actor(@Root() entry: { actorPartyId: string }, @Ctx() ctx: HubContext) {
    return ctx.loaders.party.load(entry.actorPartyId);
  }
}
