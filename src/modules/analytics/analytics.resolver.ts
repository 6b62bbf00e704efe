import { Args, Ctx, Info, Query, Resolver } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import { selectedFields } from "./selection";
import type { HubContext } from "../../context/context";
import { DeclarationStats, DeclarationStatsArgs } from "./stats.types";

/** Thin: arguments in, service call, result out. The policy applies inside the SQL. */
@Resolver()
export class AnalyticsResolver {
  @Query(() => DeclarationStats, {
    description:
      "Measures of the declarations you may see, grouped (computed in PostgreSQL under your own rights): every " +
      "number counts only values you may read; groups smaller than minGroupSize are suppressed; amounts are in " +
      "the reference currency at the rate of each declaration's filing date. Your use is in the access log of " +
      "each party whose data it measured (inference: aggregate). Example: " +
      "declarationStats(groupBy: [DESTINATION, MONTH], where: { filedAt: { gte: \"2026-01-01T00:00:00Z\" } }) " +
      "{ groups { key { destination period } count totalValue holdRate clearanceHoursMedian } }",
  })
  declarationStats(@Args(() => DeclarationStatsArgs) args: DeclarationStatsArgs, @Ctx() ctx: HubContext, @Info() info: GraphQLResolveInfo) {
    // only the measures asked for are computed
    return ctx.hub.services.analytics.stats(ctx, args, selectedFields(info, ["groups"]));
  }
}
