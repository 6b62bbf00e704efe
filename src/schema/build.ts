import "reflect-metadata";
import { buildSchema } from "type-graphql";
import { printSchema, type GraphQLSchema } from "graphql";
import { applyMiddleware } from "graphql-middleware";
import { installFieldGuards } from "../authz/field-guard";
import { hubShield } from "../authz/shield";
import { PartyResolver } from "../modules/parties";
import { AgreementResolver } from "../modules/agreements";
import { DeclarationConnectionResolver, DeclarationResolver } from "../modules/declarations";
import { AuditResolver, WriteAuditResolver } from "../modules/audit";
import { ReferralResolver, StatusEventResolver, WorkflowResolver } from "../modules/workflow";
import { NotificationResolver } from "../modules/notifications";
import { WebhookResolver } from "../modules/webhooks/webhook.resolver";
import { AnalyticsResolver } from "../modules/analytics";
import { RulesResolver } from "../modules/rules";
import { OwnRateLimitResolver, RateLimitResolver } from "../modules/ratelimits";
import { createHubPubSub, type HubPubSub } from "../infra/pubsub";

const resolvers = [PartyResolver, AgreementResolver, DeclarationResolver, DeclarationConnectionResolver, AuditResolver, WriteAuditResolver, WorkflowResolver, ReferralResolver, StatusEventResolver, NotificationResolver, WebhookResolver, AnalyticsResolver, RulesResolver, RateLimitResolver, OwnRateLimitResolver] as const;

/** The schema as type-graphql builds it from the modules, before authorization wraps it. */
export async function buildBareSchema(events?: HubPubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    validate: false, // inputs are validated in services, with paths and reasons
    // printing the SDL needs a PubSub too; an in-process one will do
    pubSub: (events ?? createHubPubSub(undefined)).pubsub as never,
  });
}

/** The served schema: field guards from the policy, then graphql-shield with fallback deny. */
export async function buildHubSchema(
  events: HubPubSub,
  opts: { debug?: boolean; /** bench only: measure what enforcement costs */ enforce?: boolean } = {},
): Promise<GraphQLSchema> {
  const schema = await buildBareSchema(events);
  if (opts.enforce === false) return schema;
  installFieldGuards(schema);
  return applyMiddleware(schema, hubShield(Boolean(opts.debug)));
}

export async function printHubSdl(): Promise<string> {
  const schema = await buildBareSchema();
  installFieldGuards(schema); // also fails the print when a field lacks a category
  return `# Generated from the code by \`npm run schema:emit\`; do not edit.\n\n${printSchema(schema)}\n`;
}
