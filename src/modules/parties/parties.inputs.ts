import { Field, ID, InputType } from "type-graphql";
import { PartyKind, Role } from "../../generated/prisma/enums";

@InputType({ description: "A new organisation in the exchange" })
export class CreatePartyInput {
  @Field(() => String)
  name!: string;
  @Field(() => PartyKind)
  kind!: PartyKind;
  @Field(() => String, { description: "ISO 3166-1 alpha-2" })
  country!: string;
  @Field(() => String, { nullable: true })
  eori?: string;
  @Field(() => String, { nullable: true })
  vatNumber?: string;
  @Field(() => String, { nullable: true, description: "IM + 10 digits" })
  iossNumber?: string;
  @Field(() => String, { nullable: true })
  upuCode?: string;
  @Field(() => String, { nullable: true })
  carrierCode?: string;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => ID)
  partyId!: string;
  @Field(() => Role)
  role!: Role;
  @Field(() => String, { description: "A name to tell keys apart, e.g. 'tracking system'" })
  label!: string;
}

@InputType()
export class PartiesFilter {
  @Field(() => PartyKind, { nullable: true })
  kind?: PartyKind;
  @Field(() => String, { nullable: true })
  country?: string;
}
