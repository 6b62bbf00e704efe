import { Field, ID, Int, ObjectType } from "type-graphql";
import { GraphQLDateTime, GraphQLJSONObject } from "graphql-scalars";

@ObjectType({ description: "A version of a rule: tariff line, VAT rate, threshold or setting of a jurisdiction" })
export class RuleVersion {
  @Field(() => ID)
  id!: string;
  @Field(() => String, { description: "A country code, or EU" })
  jurisdiction!: string;
  @Field(() => String)
  kind!: string;
  @Field(() => String)
  key!: string;
  @Field(() => Int, { description: "Versions of one (jurisdiction, kind, key) count from 1; a higher one wins within its validity" })
  version!: number;
  @Field(() => GraphQLDateTime)
  validFrom!: Date;
  @Field(() => GraphQLDateTime, { nullable: true, description: "Exclusive; null: open-ended" })
  validTo!: Date | null;
  @Field(() => String)
  legalReference!: string;
  @Field(() => GraphQLJSONObject)
  payload!: Record<string, unknown>;
  @Field(() => Boolean, { description: "Shipped example data, not the law in force" })
  illustrative!: boolean;
  @Field(() => String, { description: '"api", or the shipped data file it was loaded from' })
  source!: string;
  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: "A customs exchange rate: rate units of currency for one unit of baseCurrency" })
export class ExchangeRateVersion {
  @Field(() => ID)
  id!: string;
  @Field(() => String)
  jurisdiction!: string;
  @Field(() => String)
  baseCurrency!: string;
  @Field(() => String)
  currency!: string;
  @Field(() => String)
  rate!: string;
  @Field(() => Int)
  version!: number;
  @Field(() => GraphQLDateTime)
  validFrom!: Date;
  @Field(() => GraphQLDateTime, { nullable: true })
  validTo!: Date | null;
  @Field(() => String)
  legalReference!: string;
  @Field(() => Boolean)
  illustrative!: boolean;
  @Field(() => String)
  source!: string;
}

@ObjectType({ description: "What one publishRules call stored" })
export class PublishedRules {
  @Field(() => [RuleVersion])
  rules!: RuleVersion[];
  @Field(() => [ExchangeRateVersion])
  exchangeRates!: ExchangeRateVersion[];
}
