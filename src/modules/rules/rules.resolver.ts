import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { HubContext } from "../../context/context";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import { RuleSetInput } from "./rules.inputs";
import { ExchangeRateVersion, PublishedRules, RuleVersion } from "./rules.types";

/** Thin: RulesService checks, authorizes and stores. */
@Resolver()
export class RulesResolver {
  @Query(() => [RuleVersion], { description: "Tariff rules, VAT rates, thresholds and settings of a jurisdiction: every version, or those in force at `at`" })
  rules(
    @Arg("jurisdiction", () => String, { description: "A country code, or EU" }) jurisdiction: string,
    @Arg("kind", () => String, { nullable: true }) kind: string | null,
    @Arg("key", () => String, { nullable: true }) key: string | null,
    @Arg("at", () => String, { nullable: true, description: "Only the versions in force at this date (ISO 8601)" }) at: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.rules.list(ctx, { jurisdiction, kind, key, at });
  }

  @Query(() => [RuleVersion], {
    description:
      "Risk rules and risk settings of a jurisdiction (the rule kinds that are not public): every version, or those in force at `at`. Customs of that jurisdiction (of an EU member state for EU rules) and the operator; anyone else FORBIDDEN",
  })
  riskRules(
    @Arg("jurisdiction", () => String, { description: "A country code, or EU" }) jurisdiction: string,
    @Arg("kind", () => String, { nullable: true, description: "RISK_RULE or RISK_SETTINGS" }) kind: string | null,
    @Arg("key", () => String, { nullable: true }) key: string | null,
    @Arg("at", () => String, { nullable: true, description: "Only the versions in force at this date (ISO 8601)" }) at: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.rules.restricted(ctx, { jurisdiction, kind, key, at });
  }

  @Query(() => [ExchangeRateVersion], { description: "Customs exchange rates a jurisdiction publishes: every version, or those in force at `at`" })
  exchangeRates(
    @Arg("jurisdiction", () => String) jurisdiction: string,
    @Arg("currency", () => String, { nullable: true }) currency: string | null,
    @Arg("at", () => String, { nullable: true }) at: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.rules.exchangeRates(ctx, { jurisdiction, currency, at });
  }

  @Mutation(() => PublishedRules, {
    description: "Publish rules and exchange rates of a jurisdiction as new versions (customs officers of that jurisdiction; EU rules: of a member state). In force at once, without a restart",
  })
  publishRules(
    @Arg("input", () => RuleSetInput) input: RuleSetInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.rules.publish(ctx, input, idempotencyKey);
  }
}
