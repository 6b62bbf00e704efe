import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { AgreementStatus, Contribution } from "../../generated/prisma/enums";
import { DataCategory } from "../../authz/categories";
import { Party } from "../parties/parties.types";

registerEnumType(Contribution, {
  name: "Contribution",
  description: "What an agreement lets the grantee contribute to the grantor's declarations",
  valuesConfig: {
    STATUS_EVENTS: { description: "Add status events" },
    RISK_ALERTS: { description: "Raise risk alerts" },
    HOLDS: { description: "Place holds" },
    AMEND: { description: "Amend declarations" },
    DUTIES: { description: "Assess duties and taxes" },
  },
});

registerEnumType(AgreementStatus, {
  name: "AgreementStatus",
  description: "Stored lifecycle state of an agreement",
  valuesConfig: {
    PROPOSED: { description: "Proposed by one party, awaiting the other's acceptance" },
    ACTIVE: { description: "Accepted by both parties; grants access while within its validity period" },
    SUSPENDED: { description: "Paused by one party; grants nothing until re-activated" },
    REVOKED: { description: "Ended for good; grants nothing" },
  },
});

/** The stored status plus EXPIRED, which is computed from validTo and never stored. */
export const AgreementState = {
  PROPOSED: "PROPOSED",
  ACTIVE: "ACTIVE",
  SUSPENDED: "SUSPENDED",
  REVOKED: "REVOKED",
  EXPIRED: "EXPIRED",
} as const;
export type AgreementState = (typeof AgreementState)[keyof typeof AgreementState];

registerEnumType(AgreementState, {
  name: "AgreementState",
  description: "Status as it stands now: the stored status, or EXPIRED once validTo has passed",
  valuesConfig: {
    EXPIRED: { description: "validTo has passed; grants nothing whatever the stored status" },
  },
});

/** REVOKED is final and wins; otherwise a passed validTo makes the agreement EXPIRED. */
export function effectiveStatus(row: { status: AgreementStatus; validTo: Date | null }, now: Date): AgreementState {
  if (row.status !== "REVOKED" && row.validTo && row.validTo.getTime() <= now.getTime()) return AgreementState.EXPIRED;
  return row.status;
}

@ObjectType({ description: "Which of the grantor's records an agreement covers. Empty lists mean no restriction." })
export class AgreementScope {
  @Field(() => [String], { description: "Only declarations to these ISO 3166-1 alpha-2 countries" })
  destinationCountries!: string[];
  @Field(() => [String], { description: "Only declarations from these ISO 3166-1 alpha-2 countries" })
  originCountries!: string[];
  @Field(() => Boolean, { description: "Only declarations the grantee carries (as carrier or post)" })
  onlyCarried!: boolean;
}

@ObjectType({ description: "One change in an agreement's life: who did what, when." })
export class AgreementEvent {
  @Field(() => ID)
  id!: string;
  @Field(() => ID, { description: "The party that made the change" })
  actorPartyId!: string;
  @Field(() => String, { description: "PROPOSE, ACCEPT, RESUME, SUSPEND or REVOKE" })
  action!: string;
  @Field(() => AgreementStatus, { nullable: true, description: "Status before the change; null when proposed" })
  fromStatus!: AgreementStatus | null;
  @Field(() => AgreementStatus)
  toStatus!: AgreementStatus;
  @Field(() => String, { nullable: true })
  note!: string | null;
  @Field(() => GraphQLDateTime)
  at!: Date;
}

@ObjectType({
  description:
    "A data-sharing agreement: the grantor (data holder) lets the grantee read the listed categories " +
    "of its data and make the listed contributions, within the scope and validity period, while ACTIVE.",
})
export class Agreement {
  @Field(() => ID)
  id!: string;
  @Field(() => Party, { description: "The data holder" })
  grantor!: Party;
  @Field(() => Party, { description: "The recipient of access" })
  grantee!: Party;
  @Field(() => ID)
  grantorId!: string;
  @Field(() => ID)
  granteeId!: string;
  @Field(() => ID, { description: "The party that proposed it; the other party accepts" })
  proposedById!: string;
  @Field(() => String, { description: "Why the data is shared" })
  purpose!: string;
  @Field(() => String, { description: "The legal basis for sharing" })
  legalBasis!: string;
  @Field(() => [DataCategory], { description: "Categories of the grantor's data the grantee may read" })
  categories!: DataCategory[];
  @Field(() => [Contribution], { description: "What the grantee may contribute to the grantor's declarations" })
  contributions!: Contribution[];
  @Field(() => AgreementScope)
  scope!: AgreementScope;
  @Field(() => GraphQLDateTime)
  validFrom!: Date;
  @Field(() => GraphQLDateTime, { nullable: true, description: "End of validity (exclusive); null for open-ended" })
  validTo!: Date | null;
  @Field(() => AgreementStatus, { description: "Stored status" })
  status!: AgreementStatus;
  @Field(() => AgreementState, { description: "Status now: EXPIRED once validTo has passed" })
  effectiveStatus!: AgreementState;
  @Field(() => Int, { description: "Increases with every change; pass it back as expectedVersion" })
  version!: number;
  @Field(() => GraphQLDateTime)
  createdAt!: Date;
  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
  @Field(() => [AgreementEvent], { description: "Every change, oldest first" })
  history!: AgreementEvent[];
}
