import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver } from "type-graphql";
import type { HubContext } from "../../context/context";
import { PartyKind } from "../../generated/prisma/enums";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import { Me } from "../parties/parties.types";
import { RateLimitPolicy, SetRateLimitInput } from "./ratelimits.types";

@Resolver()
export class RateLimitResolver {
  @Query(() => RateLimitPolicy, { description: "Operator: the limits in force for a party (its own, else its kind's default)" })
  rateLimit(@Arg("partyId", () => ID) partyId: string, @Ctx() ctx: HubContext) {
    return ctx.hub.services.rateLimits.inForce(ctx, partyId);
  }

  @Query(() => [RateLimitPolicy], {
    description: "Operator: a party's policies (partyId) or a kind's defaults (partyKind), newest first; neither: the defaults in force",
  })
  rateLimitPolicies(
    @Arg("partyId", () => ID, { nullable: true }) partyId: string | null,
    @Arg("partyKind", () => PartyKind, { nullable: true }) partyKind: PartyKind | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.rateLimits.history(ctx, { partyId, partyKind });
  }

  @Mutation(() => RateLimitPolicy, { description: "Operator: new limits for a party or a party kind's default (versioned; recorded in the write audit)" })
  setRateLimit(
    @Arg("input", () => SetRateLimitInput) input: SetRateLimitInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.rateLimits.set(ctx, input, idempotencyKey);
  }
}

@Resolver(() => Me)
export class OwnRateLimitResolver {
  @FieldResolver(() => RateLimitPolicy, {
    description:
      "Your party's limits in force: requests per minute and per 24 hours (all its keys together), since when, and whether " +
      "they are your party's own (partyId set) or its kind's default (partyId null). The RateLimit headers say how many are left.",
  })
  rateLimit(@Ctx() ctx: HubContext) {
    return ctx.hub.services.rateLimits.own(ctx);
  }
}
