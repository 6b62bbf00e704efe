import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { WebhookDeliveryStatus } from "../../generated/prisma/enums";

/** What an endpoint can hear: one value per subscription of the schema. */
export enum WebhookEventType {
  HOLD_PLACED = "HOLD_PLACED",
  DECLARATION_STATUS_CHANGED = "DECLARATION_STATUS_CHANGED",
}

registerEnumType(WebhookEventType, {
  name: "WebhookEventType",
  description: "Events a webhook can hear: the same as the subscriptions (HOLD_PLACED is holdPlaced, DECLARATION_STATUS_CHANGED is declarationStatusChanged)",
});
registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description:
    "PENDING: will be attempted (again) at nextAttemptAt; DELIVERED: the endpoint answered 2xx; FAILED: gave up " +
    "(HUB_WEBHOOK_MAX_ATTEMPTS or HUB_WEBHOOK_MAX_AGE_SECONDS reached); CANCELLED: not sent (the party may no longer " +
    "hear the event, the endpoint was deleted, or its key revoked). Any of them can be replayed.",
});

export { WebhookDeliveryStatus };

@ObjectType({ description: "Which events of the types chosen an endpoint hears" })
export class WebhookFilter {
  @Field(() => ID, { nullable: true, description: "Only events of this declaration" })
  declarationId!: string | null;
  @Field(() => [String], {
    description: "Only declarations to these destination countries (ISO 3166-1 alpha-2; empty: any); applies only where you may read the destination (TRANSPORT)",
  })
  destinationCountries!: string[];
}

@ObjectType({ description: "The GraphQL subscription document rendered for each event of a type: its result is the body" })
export class WebhookDocument {
  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;
  @Field(() => String, { description: "e.g. subscription { holdPlaced { eventId declaration { trackingNumber } } }" })
  query!: string;
}

@ObjectType({ description: "An HTTPS endpoint of your party that hears events (a webhook). Its secret is shown once, at registration." })
export class WebhookEndpoint {
  @Field(() => ID)
  id!: string;
  @Field(() => String)
  url!: string;
  @Field(() => String, { nullable: true })
  description!: string | null;
  @Field(() => [WebhookEventType])
  eventTypes!: WebhookEventType[];
  @Field(() => WebhookFilter)
  filter!: WebhookFilter;
  @Field(() => [WebhookDocument], { description: "The document per event type (the default where none was given)" })
  documents!: WebhookDocument[];
  @Field(() => Boolean, { description: "Disabled endpoints hear nothing; their pending deliveries wait" })
  enabled!: boolean;
  @Field(() => String, { nullable: true, description: "Why the hub disabled it (e.g. its API key was revoked)" })
  disabledReason!: string | null;
  @Field(() => ID, { description: "The API key whose party and role it hears with (the one that registered or last updated it)" })
  apiKeyId!: string;
  @Field(() => ID, { description: "The last event considered for it; events after it are still to come" })
  lastEventId!: string;
  @Field(() => GraphQLDateTime)
  createdAt!: Date;
  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
  @Field(() => GraphQLDateTime, { nullable: true, description: "Deleted (its delivery log is kept)" })
  deletedAt!: Date | null;
}

@ObjectType({ description: "A newly registered endpoint and its signing secret, shown this one time" })
export class RegisteredWebhook {
  @Field(() => WebhookEndpoint)
  endpoint!: WebhookEndpoint;
  @Field(() => String, { description: "HMAC-SHA256 key of the Luxor-Signature header; it cannot be shown again" })
  secret!: string;
}

@ObjectType({ description: "One event for one endpoint, and how its delivery went" })
export class WebhookDelivery {
  @Field(() => ID, { description: "Sent as the Luxor-Delivery-Id header" })
  id!: string;
  @Field(() => ID)
  endpointId!: string;
  @Field(() => ID, { description: "The event's id (Luxor-Event-Id; the eventId of the subscriptions)" })
  eventId!: string;
  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;
  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;
  @Field(() => Int, { description: "Attempts made so far (replays included)" })
  attempts!: number;
  @Field(() => Int, { nullable: true, description: "HTTP status of the last answer" })
  lastStatusCode!: number | null;
  @Field(() => String, { nullable: true, description: "Why the last attempt failed (or why it was not sent)" })
  lastError!: string | null;
  @Field(() => GraphQLDateTime, { nullable: true })
  lastAttemptAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "When it is attempted next (PENDING only)" })
  nextAttemptAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true })
  deliveredAt!: Date | null;
  @Field(() => Int, { description: "How often it was replayed" })
  replays!: number;
  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class WebhookReplayResult {
  @Field(() => Int, { description: "Deliveries queued again (existing ones re-sent; events after afterEventId not yet delivered are added as they are read)" })
  requeued!: number;
  @Field(() => WebhookEndpoint)
  endpoint!: WebhookEndpoint;
}
