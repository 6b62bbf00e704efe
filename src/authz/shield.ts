import { allow, deny, rule, shield } from "graphql-shield";
import { middleware } from "graphql-middleware";
import type { GraphQLSchema } from "graphql";
import type { HubContext } from "../context/context";
import { ForbiddenError, UnauthenticatedError } from "../shared/errors";
import { isFieldGuardedType } from "./field-guard";
import { describeAction, type Action } from "./authority";

const isAuthenticated = rule({ cache: "contextual" })((_p, _a, ctx: HubContext) =>
  ctx.principal ? true : new UnauthenticatedError(),
);

/**
 * An action that needs no resource (creating parties and keys, filing): decided by the
 * policy engine's authority table, like every other write. Actions on a resource are
 * asserted by the services, which have the resource at hand.
 */
const mayRules = new Map<Action, ReturnType<ReturnType<typeof rule>>>();
const may = (action: Action) => {
  let r = mayRules.get(action);
  if (!r) {
    r = rule(`may:${action}`, { cache: "contextual" })(async (_p, _a, ctx: HubContext) => {
      if (!ctx.principal) return new UnauthenticatedError();
      return (await ctx.authz.can(action)) ? true : new ForbiddenError(`Your party may not ${describeAction(action)}`, { action });
    });
    mayRules.set(action, r);
  }
  return r;
};

/**
 * Operation-level rules. Everything not named here is denied (fallbackRule), so a new
 * operation or type stays closed until someone decides who may use it. Fields of
 * partner-data types are decided per category by the field guard (field-guard.ts), from
 * the same policy; shield does not wrap them, which keeps long lists fast.
 */
const ruleTree = {
  Query: {
    me: isAuthenticated,
    party: isAuthenticated,
    parties: isAuthenticated,
    agreement: isAuthenticated,
    agreements: isAuthenticated,
    declaration: isAuthenticated,
    declarations: isAuthenticated,
    clearanceStatus: isAuthenticated,
    accessLog: isAuthenticated,
    writeAudit: isAuthenticated,
    apiKeys: isAuthenticated,
    fieldCategories: isAuthenticated,
    webhooks: isAuthenticated,
    webhookDeliveries: isAuthenticated,
    // computed under the viewer's rights in SQL (AnalyticsService, PolicySql)
    declarationStats: isAuthenticated,
    // public law (tariffs, thresholds, rates); RulesService lists public kinds only
    rules: isAuthenticated,
    exchangeRates: isAuthenticated,
    // risk rules are not public: RulesService asks the policy (rules:readRestricted) per jurisdiction
    riskRules: isAuthenticated,
    rateLimit: may("rateLimit:read"),
    rateLimitPolicies: may("rateLimit:read"),
  },
  Mutation: {
    createParty: may("party:create"),
    createApiKey: may("apiKey:create"),
    fileDeclaration: may("declaration:file"),
    fileDeclarations: may("declaration:file"),
    // actions on a resource: the service asks the policy engine with the resource at hand
    revokeApiKey: isAuthenticated,
    proposeAgreement: isAuthenticated,
    acceptAgreement: isAuthenticated,
    suspendAgreement: isAuthenticated,
    revokeAgreement: isAuthenticated,
    amendDeclaration: isAuthenticated,
    registerDeclaration: isAuthenticated,
    recordStatusEvent: isAuthenticated,
    raiseRiskAlert: isAuthenticated,
    resolveRiskAlert: isAuthenticated,
    placeHold: isAuthenticated,
    releaseHold: isAuthenticated,
    answerReferral: isAuthenticated,
    escalateHold: isAuthenticated,
    assessDuties: isAuthenticated,
    registerWebhook: may("webhook:register"),
    updateWebhook: isAuthenticated,
    deleteWebhook: isAuthenticated,
    replayWebhookDeliveries: isAuthenticated,
    publishRules: isAuthenticated,
    setRateLimit: may("rateLimit:set"),
  },
  // shield guards only each event's resolve step; the service authorizes the subscribe step
  Subscription: {
    holdPlaced: isAuthenticated,
    declarationStatusChanged: isAuthenticated,
  },
  // Result types reachable only through the operations above, whose services already
  // returned only what the caller may see.
  Party: allow,
  ApiKey: allow,
  CreatedApiKey: allow,
  Me: allow,
  Agreement: allow,
  AgreementScope: allow,
  AgreementEvent: allow,
  AccessLogEntry: allow,
  WriteAuditEntry: allow,
  // delivered only to parties that may read the STATUS they are about (NotificationService)
  HoldPlacedEvent: allow,
  DeclarationStatusChangedEvent: allow,
  ChangedField: allow,
  FieldCategory: allow,
  FilingResult: allow,
  BulkFilingResult: allow,
  FilingError: allow,
  FilingOutcome: allow,
  InputProblem: allow,
  // a party's own webhooks, returned by WebhookService only to their owner
  WebhookEndpoint: allow,
  WebhookFilter: allow,
  WebhookDocument: allow,
  RegisteredWebhook: allow,
  WebhookDelivery: allow,
  WebhookReplayResult: allow,
  // measures computed by AnalyticsService from values the viewer may read only
  DeclarationStats: allow,
  DeclarationStatsGroup: allow,
  StatsGroupKeys: allow,
  AlertRate: allow,
  // public rule data
  RuleVersion: allow,
  ExchangeRateVersion: allow,
  PublishedRules: allow,
  // returned to the operator only (rateLimit:read / rateLimit:set above)
  RateLimitPolicy: allow,
};

export function hubShield(debug: boolean) {
  const generator = shield(ruleTree, {
    fallbackRule: deny,
    allowExternalErrors: true,
    debug,
    fallbackError: () => new ForbiddenError("Not authorised"),
  });
  // Drop shield's wrappers on field-guarded types: they are guarded synchronously instead.
  return middleware((schema: GraphQLSchema) => {
    const generated = generator.generate(schema) as Record<string, unknown>;
    for (const typeName of Object.keys(generated)) if (isFieldGuardedType(typeName)) delete generated[typeName];
    return generated as never;
  });
}
