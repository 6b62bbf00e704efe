import { Field, ID, InputType } from "type-graphql";
import { WebhookEventType } from "./webhook.types";

@InputType()
export class WebhookFilterInput {
  @Field(() => ID, { nullable: true, description: "Only events of this declaration (one you may see)" })
  declarationId?: string | null;
  @Field(() => [String], { nullable: true, description: "Only declarations to these destination countries (ISO 3166-1 alpha-2)" })
  destinationCountries?: string[] | null;
}

@InputType()
export class WebhookDocumentInput {
  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;
  @Field(() => String, {
    description: "A subscription document selecting that event's field, without variables or arguments, within the query limits",
  })
  query!: string;
}

@InputType({ description: "An endpoint to hear events at" })
export class RegisterWebhookInput {
  @Field(() => String, { description: "https URL of a public address (plain http and private addresses only for hosts in HUB_WEBHOOK_ALLOW_HOSTS)" })
  url!: string;
  @Field(() => [WebhookEventType])
  eventTypes!: WebhookEventType[];
  @Field(() => String, { nullable: true, description: "Your own signing secret (32 to 200 printable characters); omitted: the hub makes one" })
  secret?: string | null;
  @Field(() => String, { nullable: true })
  description?: string | null;
  @Field(() => WebhookFilterInput, { nullable: true })
  filter?: WebhookFilterInput | null;
  @Field(() => [WebhookDocumentInput], { nullable: true, description: "Documents per event type; a type without one gets the default" })
  documents?: WebhookDocumentInput[] | null;
}

@InputType({ description: "What to change; what is omitted stays" })
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true })
  url?: string | null;
  @Field(() => [WebhookEventType], { nullable: true })
  eventTypes?: WebhookEventType[] | null;
  @Field(() => String, { nullable: true })
  description?: string | null;
  @Field(() => WebhookFilterInput, { nullable: true, description: "Replaces the filter" })
  filter?: WebhookFilterInput | null;
  @Field(() => [WebhookDocumentInput], { nullable: true, description: "Replaces the documents" })
  documents?: WebhookDocumentInput[] | null;
  @Field(() => Boolean, {
    nullable: true,
    description: "false: hear nothing more (pending deliveries wait); true: hear again from the latest event on (replay with afterEventId for what happened between)",
  })
  enabled?: boolean | null;
}
