import { Field, InputType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";

@InputType({ description: "One rule version: a later version of the same (kind, key) supersedes earlier ones within its validity" })
export class RuleInput {
  @Field(() => String, { description: "TARIFF, VAT_RATE, THRESHOLD, LOW_VALUE_DUTY or SETTING" })
  kind!: string;
  @Field(() => String, { description: 'An HS prefix of 2 to 10 digits or "*" (TARIFF, VAT_RATE); a name (THRESHOLD, SETTING, LOW_VALUE_DUTY)' })
  key!: string;
  @Field(() => String, { description: "Start of validity, inclusive (ISO 8601 date or date-time, UTC)" })
  validFrom!: string;
  @Field(() => String, { nullable: true, description: "End of validity, exclusive; omitted: open-ended" })
  validTo?: string | null;
  @Field(() => String, { description: "The legal act, article and publication the rule comes from" })
  legalReference!: string;
  @Field(() => GraphQLJSONObject, { description: "The rule's content as its kind defines it; rates and amounts as decimal strings" })
  payload!: Record<string, unknown>;
}

@InputType({ description: "A customs exchange rate: rate units of currency for one unit of baseCurrency" })
export class ExchangeRateInput {
  @Field(() => String)
  baseCurrency!: string;
  @Field(() => String)
  currency!: string;
  @Field(() => String, { description: 'Exact decimal, e.g. "1.0843"' })
  rate!: string;
  @Field(() => String)
  validFrom!: string;
  @Field(() => String, { nullable: true })
  validTo?: string | null;
  @Field(() => String)
  legalReference!: string;
}

@InputType({ description: "Rules and exchange rates of one jurisdiction, published together in one write" })
export class RuleSetInput {
  @Field(() => String, { description: "A country code (ISO 3166-1 alpha-2), or EU for the Union's common rules" })
  jurisdiction!: string;
  @Field(() => [RuleInput], { nullable: true })
  rules?: RuleInput[] | null;
  @Field(() => [ExchangeRateInput], { nullable: true })
  exchangeRates?: ExchangeRateInput[] | null;
  @Field(() => Boolean, { nullable: true, description: "Example data, not the law in force (default false)" })
  illustrative?: boolean | null;
}
