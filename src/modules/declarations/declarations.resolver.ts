import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Declaration as DeclarationRow } from "../../generated/prisma/client";
import type { HubContext } from "../../context/context";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import { Party } from "../parties/parties.types";
import {
  ClearanceStatus,
  Declaration,
  DutyAssessment,
  GoodsItem,
  Hold,
  RiskAlert,
  StatusEvent,
} from "./declarations.types";
import { DeclarationConnection, DeclarationsArgs } from "./declarations.query";
import { BulkFilingResult, DeclarationInput, FilingResult } from "./declarations.inputs";
import type { Connection } from "./declarations.service";
import { toBulkResult } from "./declarations.filing";

/** Thin: arguments in, service call, result out. Authorization lives in the policy. */
@Resolver(() => Declaration)
export class DeclarationResolver {
  @Query(() => Declaration, { description: "One declaration you may see (NOT_FOUND otherwise)" })
  declaration(@Arg("id", () => ID) id: string, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.get(ctx, id);
  }

  @Query(() => DeclarationConnection, { description: "Declarations you may see, filtered, sorted and paged" })
  declarations(@Args(() => DeclarationsArgs) args: DeclarationsArgs, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.list(ctx, args);
  }

  @Query(() => ClearanceStatus, {
    description:
      "Clearance status of a parcel by tracking number, from the declaration bound to you (NOT_FOUND when unknown, " +
      "or when you may not read its tracking number: a lookup by a value is a read of that value)",
  })
  clearanceStatus(@Arg("trackingNumber", () => String) trackingNumber: string, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.clearanceStatus(ctx, trackingNumber);
  }

  @Mutation(() => FilingResult, {
    description:
      "File one declaration (platforms, carriers, posts, brokers); idempotent on (filer, localReference). A tracking " +
      "number live on another declaration for the same carrier or post is a CONFLICT.",
  })
  fileDeclaration(
    @Arg("input", () => DeclarationInput) input: DeclarationInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.declarations.fileOne(ctx, input, idempotencyKey);
  }

  @Mutation(() => BulkFilingResult, { description: "File up to 1,000 declarations; each item succeeds or fails on its own" })
  async fileDeclarations(
    @Arg("declarations", () => [DeclarationInput]) declarations: DeclarationInput[],
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return toBulkResult(await ctx.hub.services.declarations.fileMany(ctx, declarations, idempotencyKey));
  }

  @FieldResolver(() => [GoodsItem], { nullable: true })
  goodsItems(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.children(ctx, d.id, "goodsItems", "GoodsItem");
  }

  @FieldResolver(() => [Hold], { nullable: true })
  holds(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.children(ctx, d.id, "holds", "Hold");
  }

  @FieldResolver(() => [RiskAlert], { nullable: true })
  riskAlerts(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.children(ctx, d.id, "riskAlerts", "RiskAlert");
  }

  @FieldResolver(() => [DutyAssessment], { nullable: true })
  duties(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.children(ctx, d.id, "duties", "DutyAssessment");
  }

  @FieldResolver(() => [StatusEvent], { nullable: true })
  statusEvents(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return ctx.hub.services.declarations.children(ctx, d.id, "statusEvents", "StatusEvent");
  }

  @FieldResolver(() => Party, { nullable: true })
  filer(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return ctx.loaders.party.load(d.filerId);
  }

  @FieldResolver(() => Party, { nullable: true })
  carrier(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return d.carrierId ? ctx.loaders.party.load(d.carrierId) : null;
  }

  @FieldResolver(() => Party, { nullable: true })
  post(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return d.postId ? ctx.loaders.party.load(d.postId) : null;
  }

  @FieldResolver(() => Party, { nullable: true })
  platform(@Root() d: DeclarationRow, @Ctx() ctx: HubContext) {
    return d.platformId ? ctx.loaders.party.load(d.platformId) : null;
  }
}

@Resolver(() => DeclarationConnection)
export class DeclarationConnectionResolver {
  @FieldResolver(() => Int)
  async totalCount(@Root() connection: Connection) {
    return (await connection.count()).total;
  }

  @FieldResolver(() => Boolean)
  async totalCountIsExact(@Root() connection: Connection) {
    return (await connection.count()).exact;
  }
}
