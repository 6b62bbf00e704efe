import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { PartyKind, Role } from "../../generated/prisma/enums";

registerEnumType(PartyKind, { name: "PartyKind", description: "What kind of organisation a party is" });
registerEnumType(Role, {
  name: "Role",
  description: "OPERATOR runs the hub; OFFICER and ANALYST work for customs; AGENT acts for a trade party",
});

@ObjectType({ description: "An organisation taking part in the exchange. The directory is visible to every partner." })
export class Party {
  @Field(() => ID)
  id!: string;
  @Field(() => String)
  name!: string;
  @Field(() => PartyKind)
  kind!: PartyKind;
  @Field(() => String, { description: "ISO 3166-1 alpha-2 country of establishment" })
  country!: string;
  @Field(() => String, { nullable: true, description: "EORI number" })
  eori!: string | null;
  @Field(() => String, { nullable: true, description: "VAT or tax identification number" })
  vatNumber!: string | null;
  @Field(() => String, { nullable: true, description: "IOSS number (IM + 10 digits) of a platform" })
  iossNumber!: string | null;
  @Field(() => String, { nullable: true, description: "UPU operator code of a designated postal operator" })
  upuCode!: string | null;
  @Field(() => String, { nullable: true, description: "Carrier code of an express or air carrier" })
  carrierCode!: string | null;
  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ description: "An API key. Its secret is shown once, when it is created." })
export class ApiKey {
  @Field(() => ID)
  id!: string;
  @Field(() => ID)
  partyId!: string;
  @Field(() => Role)
  role!: Role;
  @Field(() => String, { description: "A name to tell keys apart" })
  label!: string;
  @Field(() => String, { description: "First characters of the key, to recognise it in logs" })
  prefix!: string;
  @Field(() => GraphQLDateTime)
  createdAt!: Date;
  @Field(() => GraphQLDateTime, { nullable: true })
  revokedAt!: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "When it last authenticated a request (to the minute); null: never used" })
  lastUsedAt!: Date | null;
}

@ObjectType({ description: "A newly created key with its secret, shown this one time only." })
export class CreatedApiKey {
  @Field(() => ApiKey)
  key!: ApiKey;
  @Field(() => String, { description: "Send as `Authorization: Bearer <secret>`; it cannot be shown again" })
  secret!: string;
}

@ObjectType({ description: "The caller: its party and the role of the key in use." })
export class Me {
  @Field(() => Party)
  party!: Party;
  @Field(() => Role)
  role!: Role;
  @Field(() => ID, { nullable: true, description: "The key in use; null for the operator token" })
  apiKeyId!: string | null;
}
