import { allow, deny, rule, shield } from "graphql-shield";
import { middleware } from "graphql-middleware";
import type { GraphQLSchema } from "graphql";
import type { HubContext } from "../context/context";
import { ForbiddenError, UnauthenticatedError } from "../shared/errors";
import { isFieldGuardedType } from "./field-guard";

const isAuthenticated = rule({ cache: "contextual" })((_p, _a, ctx: HubContext) =>
  ctx.principal ? true : new UnauthenticatedError(),
);

const isOperator = rule({ cache: "contextual" })((_p, _a, ctx: HubContext) => {
  if (!ctx.principal) return new UnauthenticatedError();
  return ctx.principal.role === "OPERATOR" ? true : new ForbiddenError("Only the hub operator may do this");
});

/** Trade parties and customs act on partner data; the operator runs the hub and does not. */
const isNotOperator = rule({ cache: "contextual" })((_p, _a, ctx: HubContext) => {
  if (!ctx.principal) return new UnauthenticatedError();
  return ctx.principal.role !== "OPERATOR" ? true : new ForbiddenError("The hub operator does not file or change partner data");
});

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
    fieldCategories: isAuthenticated,
  },
  Mutation: {
    createParty: isOperator,
    createApiKey: isOperator,
    revokeApiKey: isAuthenticated,
    proposeAgreement: isNotOperator,
    acceptAgreement: isNotOperator,
    suspendAgreement: isNotOperator,
    revokeAgreement: isNotOperator,
    fileDeclaration: isNotOperator,
    fileDeclarations: isNotOperator,
    amendDeclaration: isNotOperator,
    recordStatusEvent: isNotOperator,
    raiseRiskAlert: isNotOperator,
    resolveRiskAlert: isNotOperator,
    placeHold: isNotOperator,
    releaseHold: isNotOperator,
    assessDuties: isNotOperator,
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
  FieldCategory: allow,
  FilingResult: allow,
  BulkFilingResult: allow,
  FilingError: allow,
  FilingOutcome: allow,
  InputProblem: allow,
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
