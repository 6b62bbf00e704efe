import { Args, Ctx, FieldResolver, Info, Query, Resolver, Root } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { HubContext } from "../../context/context";
import { categorizedFields } from "../../authz/field-guard";
import { Party } from "../parties/parties.types";
import { AccessLogArgs, AccessLogEntry, FieldCategory } from "./audit.types";

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

  @FieldResolver(() => Party)
  viewer(@Root() entry: { viewerPartyId: string }, @Ctx() ctx: HubContext) {
    return ctx.loaders.party.load(entry.viewerPartyId);
  }
}
