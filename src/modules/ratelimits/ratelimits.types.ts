import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { PartyKind } from "../../generated/prisma/enums";

@ObjectType({
  description:
    "How many requests a party may make: per minute (rate limit) and per 24 hours (quota). Versioned: a change adds a policy, " +
    "the newest in force applies. Without a party (partyId null) it is the default for every party of partyKind.",
})
export class RateLimitPolicy {
  @Field(() => ID)
  id!: string;
  @Field(() => ID, { nullable: true, description: "The party it is for; null: the default of partyKind" })
  partyId!: string | null;
  @Field(() => PartyKind)
  partyKind!: PartyKind;
  @Field(() => Int, { description: "Requests per minute (all the party's keys together)" })
  perMinute!: number;
  @Field(() => Int, { nullable: true, description: "Requests per 24 hours; null: no quota" })
  perDay!: number | null;
  @Field(() => GraphQLDateTime, { description: "In force from (until a newer policy is)" })
  validFrom!: Date;
  @Field(() => ID, { nullable: true, description: "The party that set it; null for the defaults installed with the hub" })
  setById!: string | null;
  @Field(() => String, { nullable: true, description: "Why it was set (e.g. the agreement or ticket)" })
  reason!: string | null;
  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@InputType({ description: "New limits for one party (partyId) or the default of a party kind (partyKind): give exactly one" })
export class SetRateLimitInput {
  @Field(() => ID, { nullable: true })
  partyId?: string | null;
  @Field(() => PartyKind, { nullable: true })
  partyKind?: PartyKind | null;
  @Field(() => Int, { description: "Requests per minute, 1 to 100,000,000" })
  perMinute!: number;
  @Field(() => Int, { nullable: true, description: "Requests per 24 hours; omit or null for no quota" })
  perDay?: number | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "In force from (default: now); not in the past" })
  validFrom?: Date | null;
  @Field(() => String, { nullable: true, description: "Why (at most 500 characters)" })
  reason?: string | null;
}
