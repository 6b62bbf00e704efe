import { Arg, Ctx, ID, Info, Int, Mutation, Query, Resolver } from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import type { HubContext } from "../../context/context";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import { RegisterWebhookInput, UpdateWebhookInput } from "./webhook.inputs";
import { RegisteredWebhook, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookReplayResult } from "./webhook.types";

/** Thin: the service checks, the worker delivers. Documents are validated against the served schema. */
@Resolver()
export class WebhookResolver {
  @Query(() => [WebhookEndpoint], { description: "Your party's webhooks" })
  webhooks(@Arg("includeDeleted", () => Boolean, { defaultValue: false }) includeDeleted: boolean, @Ctx() ctx: HubContext) {
    return ctx.hub.services.webhooks.list(ctx, includeDeleted);
  }

  @Query(() => [WebhookDelivery], { description: "A webhook's delivery log, newest event first (page back with beforeEventId)" })
  webhookDeliveries(
    @Arg("endpointId", () => ID) endpointId: string,
    @Arg("status", () => WebhookDeliveryStatus, { nullable: true }) status: WebhookDeliveryStatus | null,
    @Arg("beforeEventId", () => ID, { nullable: true }) beforeEventId: string | null,
    @Arg("first", () => Int, { nullable: true, description: "1 to 500 (default 50)" }) first: number | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.webhooks.deliveries(ctx, endpointId, { status, beforeEventId, first });
  }

  @Mutation(() => RegisteredWebhook, { description: "Hear events at an HTTPS endpoint, signed with a secret shown this once" })
  registerWebhook(
    @Arg("input", () => RegisterWebhookInput) input: RegisterWebhookInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    return ctx.hub.services.webhooks.register(ctx, info.schema, input, idempotencyKey);
  }

  @Mutation(() => WebhookEndpoint, { description: "Change a webhook, or disable (enabled: false) and enable it again" })
  updateWebhook(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateWebhookInput) input: UpdateWebhookInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    return ctx.hub.services.webhooks.update(ctx, info.schema, id, input, idempotencyKey);
  }

  @Mutation(() => WebhookEndpoint, { description: "Delete a webhook; its delivery log is kept" })
  deleteWebhook(
    @Arg("id", () => ID) id: string,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.webhooks.delete(ctx, id, idempotencyKey);
  }

  @Mutation(() => WebhookReplayResult, { description: "Send again one delivery (deliveryId) or every event after one (afterEventId)" })
  replayWebhookDeliveries(
    @Arg("endpointId", () => ID) endpointId: string,
    @Arg("deliveryId", () => ID, { nullable: true }) deliveryId: string | null,
    @Arg("afterEventId", () => ID, { nullable: true }) afterEventId: string | null,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.webhooks.replay(ctx, endpointId, { deliveryId, afterEventId }, idempotencyKey);
  }
}
