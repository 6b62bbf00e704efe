import { Field, ID, InputType, registerEnumType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { AgreementStatus, Contribution } from "../../generated/prisma/enums";
import { DataCategory } from "../../authz/categories";
// Registers the Contribution and AgreementStatus enums before they are used here.
import "./agreements.types";

// Inputs are validated in the service, which names every offending path at once.

@InputType({ description: "Which of the grantor's records the agreement covers. Empty lists mean no restriction." })
export class AgreementScopeInput {
  @Field(() => [String], { defaultValue: [], description: "ISO 3166-1 alpha-2 destination countries" })
  destinationCountries!: string[];
  @Field(() => [String], { defaultValue: [], description: "ISO 3166-1 alpha-2 origin countries" })
  originCountries!: string[];
  @Field(() => Boolean, { defaultValue: false, description: "Only declarations the grantee carries" })
  onlyCarried!: boolean;
}

@InputType({ description: "A proposal; the caller's party must be the grantor or the grantee." })
export class ProposeAgreementInput {
  @Field(() => ID, { description: "The data holder" })
  grantorId!: string;
  @Field(() => ID, { description: "The recipient of access" })
  granteeId!: string;
  @Field(() => String, { description: "Why the data is shared (at most 2000 characters)" })
  purpose!: string;
  @Field(() => String, { description: "The legal basis for sharing (at most 2000 characters)" })
  legalBasis!: string;
  @Field(() => [DataCategory], { defaultValue: [], description: "Categories the grantee may read" })
  categories!: DataCategory[];
  @Field(() => [Contribution], { defaultValue: [], description: "What the grantee may contribute" })
  contributions!: Contribution[];
  @Field(() => AgreementScopeInput, { nullable: true, description: "Omit for no restriction" })
  scope?: AgreementScopeInput | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "Start of validity; defaults to now" })
  validFrom?: Date | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "End of validity (exclusive); omit for open-ended" })
  validTo?: Date | null;
}

export const AgreementRole = {
  AS_GRANTOR: "AS_GRANTOR",
  AS_GRANTEE: "AS_GRANTEE",
  ANY: "ANY",
} as const;
export type AgreementRole = (typeof AgreementRole)[keyof typeof AgreementRole];

registerEnumType(AgreementRole, {
  name: "AgreementRole",
  description: "The caller's party's side of an agreement",
  valuesConfig: {
    AS_GRANTOR: { description: "Agreements where the caller's party is the grantor" },
    AS_GRANTEE: { description: "Agreements where the caller's party is the grantee" },
    ANY: { description: "Either side (for the OPERATOR role: every agreement in the hub)" },
  },
});

@InputType()
export class AgreementFilter {
  @Field(() => AgreementRole, { defaultValue: AgreementRole.ANY })
  role!: AgreementRole;
  @Field(() => AgreementStatus, { nullable: true, description: "Only agreements with this stored status" })
  status?: AgreementStatus | null;
}
