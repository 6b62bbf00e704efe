import { Field, InputType, registerEnumType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { AlertSeverity, HoldKind, ScreeningOutcome } from "../../generated/prisma/enums";
// Registers AlertSeverity, HoldKind and ScreeningOutcome before they are used here.
import "../declarations/declarations.types";
import { EVENT_EFFECT, NON_DELIVERY_REASONS, RETENTION_REASONS, StatusEventCode } from "./workflow.lifecycle";

/*
 * Workflow inputs. Formats and lengths are checked by WorkflowService (not class-validator),
 * so every problem is reported at once with its full input path in one BAD_USER_INPUT.
 * Decimal amounts travel as strings so no value is rounded through a float.
 */

export { StatusEventCode };

registerEnumType(StatusEventCode, {
  name: "StatusEventCode",
  description: "Parcel lifecycle events, each mapped to a UPU EMSEVT event code (in brackets; README \"Status events and UPU EMSEVT\"); some move the declaration's status",
  valuesConfig: Object.fromEntries(Object.entries(EVENT_EFFECT).map(([k, e]) => [k, { description: `[UPU ${e.upu}] ${e.description}` }])),
});

export const AlertOutcome = { CONFIRMED: "CONFIRMED", DISMISSED: "DISMISSED" } as const;
export type AlertOutcome = (typeof AlertOutcome)[keyof typeof AlertOutcome];

registerEnumType(AlertOutcome, {
  name: "AlertOutcome",
  description: "How a risk alert was resolved",
  valuesConfig: {
    CONFIRMED: { description: "The risk was real" },
    DISMISSED: { description: "A false positive" },
  },
});

@InputType({ description: "A lifecycle event of a parcel. The caller's party is recorded as its author." })
export class StatusEventInput {
  @Field(() => StatusEventCode, { description: "What happened" })
  code!: StatusEventCode;
  @Field(() => GraphQLDateTime, { description: "When it happened; not more than 5 minutes in the future" })
  occurredAt!: Date;
  @Field(() => String, {
    nullable: true,
    description:
      "Why (UPU EMSEVT retention or non-delivery reason): for HELD_BY_CUSTOMS and SEIZED_BY_CUSTOMS one of " +
      `${RETENTION_REASONS.join(", ")}; for DELIVERY_ATTEMPTED and RETURNED one of ${NON_DELIVERY_REASONS.join(", ")}; other events take none`,
  })
  reasonCode?: string | null;
  @Field(() => String, { nullable: true, description: "Where it happened, e.g. an airport or office of exchange (max 100 characters)" })
  place?: string | null;
  @Field(() => String, {
    nullable: true,
    description: "Free-text note (max 2000 characters). Written by customs it is RISK data (StatusEvent.customsNote)",
  })
  note?: string | null;
}

@InputType({ description: "A risk alert on a declaration. Alerts never change the declaration's status." })
export class RiskAlertInput {
  @Field(() => AlertSeverity)
  severity!: AlertSeverity;
  @Field(() => String, { description: "Reason code: 1 to 32 of A-Z, 0-9, '_' and '-' (upper-cased)" })
  reasonCode!: string;
  @Field(() => String, { description: "Free-text reason, the targeting logic (RISK data; max 2000 characters)" })
  reason!: string;
  @Field(() => String, { nullable: true, description: "Name of the rule that raised it, if a rule did (max 100 characters)" })
  raisedByRule?: string | null;
}

@InputType({ description: "How a risk alert ends." })
export class ResolveRiskAlertInput {
  @Field(() => AlertOutcome)
  outcome!: AlertOutcome;
  @Field(() => String, { nullable: true, description: "Analyst's note (RISK data; max 2000 characters)" })
  note?: string | null;
}

@InputType({ description: "A customs referral on a declaration." })
export class PlaceHoldInput {
  @Field(() => HoldKind, {
    description:
      "RFI, HIGH_RISK_SCREENING and DO_NOT_LOAD are pre-loading referrals (before arrival); INSPECTION and " +
      "DOCUMENTS_REQUIRED are controls at destination (after arrival)",
  })
  kind!: HoldKind;
  @Field(() => String, { description: "Why customs place the hold (RISK data; max 2000 characters)" })
  reason!: string;
  @Field(() => String, {
    nullable: true,
    description: "What the addressee (the filer) must answer (max 2000 characters); an RFI without one asks for the invoice and a precise description. The addressee reads it",
  })
  question?: string | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "When the answer is due (in the future); an RFI defaults to 48 hours" })
  dueAt?: Date | null;
}

@InputType({ description: "The addressee's answer to a referral, kept with the hold." })
export class AnswerReferralInput {
  @Field(() => String, { nullable: true, description: "The answer (max 2000 characters); an RFI needs text or document references" })
  text?: string | null;
  @Field(() => [String], { nullable: true, description: "References of supporting documents (invoice numbers, document ids; at most 20, 200 characters each)" })
  documentReferences?: string[] | null;
  @Field(() => ScreeningOutcome, { nullable: true, description: "Required for, and only for, a HIGH_RISK_SCREENING referral: the coded result" })
  screeningOutcome?: ScreeningOutcome | null;
}

@InputType({ description: "Customs escalate a referral: the hold is closed as escalated and a more severe one placed." })
export class EscalateHoldInput {
  @Field(() => HoldKind, { description: "RFI -> HIGH_RISK_SCREENING or DO_NOT_LOAD; HIGH_RISK_SCREENING -> DO_NOT_LOAD; DOCUMENTS_REQUIRED -> INSPECTION" })
  kind!: HoldKind;
  @Field(() => String, { description: "Why (RISK data; max 2000 characters)" })
  reason!: string;
  @Field(() => String, { nullable: true, description: "For an RFI: the question (required)" })
  question?: string | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "When the answer is due" })
  dueAt?: Date | null;
}

@InputType({ description: "Closes a hold with the referral's outcome." })
export class ReleaseHoldInput {
  @Field(() => String, {
    nullable: true,
    description:
      "Outcome of the referral (RISK data; max 2000 characters). Required for DO_NOT_LOAD and " +
      "HIGH_RISK_SCREENING holds: they are released only with the screening outcome",
  })
  outcome?: string | null;
  @Field(() => String, { nullable: true, description: "The trade's response to the request (RISK data; max 2000 characters)" })
  response?: string | null;
}

@InputType({ description: "Customs' decision to replace a computed line's amount, with its reason (kept with the line)" })
export class DutyOverrideInput {
  @Field(() => String, { description: "The computed line's lineKey, e.g. DUTY:item:2, DUTY:flat:610910, VAT:*" })
  lineKey!: string;
  @Field(() => String, { description: 'The amount due instead, exact decimal string, up to 2 decimals (0 allowed), e.g. "4.50"' })
  amount!: string;
  @Field(() => String, { description: "Why (required; max 2000 characters)" })
  reason!: string;
}

@InputType({
  description:
    "Duties and taxes are computed from the rules in force at the taxable event; customs may override a computed " +
    "line with a reason. A later assessment is a correction: it supersedes the previous version (kept).",
})
export class AssessDutiesInput {
  @Field(() => String, {
    nullable: true,
    description:
      "The taxable event (ISO 8601) whose rules apply; default: when the goods arrived (first ARRIVED or " +
      "PRESENTED_TO_CUSTOMS event), else now",
  })
  taxableEventAt?: string | null;
  @Field(() => [DutyOverrideInput], { nullable: true, description: "Computed lines whose amount customs replace (at most one per line)" })
  overrides?: DutyOverrideInput[] | null;
  @Field(() => String, { nullable: true, description: "Why a previous assessment is corrected: required for a correction" })
  correctionReason?: string | null;
}

@InputType({
  description:
    "Changes to a declaration's own data. An omitted field stays as it is; null clears an optional field. " +
    "Formats are those of DeclarationInput. The IOSS number cannot change once the declaration was released.",
})
export class AmendDeclarationInput {
  @Field(() => String, { nullable: true, description: "UPU S10 tracking number or a carrier's own (not clearable)" })
  trackingNumber?: string | null;
  @Field(() => String, { nullable: true, description: "Gross weight in kg, exact decimal string (not clearable)" })
  grossWeightKg?: string | null;
  @Field(() => String, { nullable: true, description: "Total declared value, exact decimal string (not clearable)" })
  totalValue?: string | null;
  @Field(() => String, { nullable: true, description: "ISO 4217 currency of the total value (not clearable)" })
  currency?: string | null;
  @Field(() => String, { nullable: true, description: "Incoterms 2020 code; null clears it" })
  incoterm?: string | null;
  @Field(() => Boolean, {
    nullable: true,
    description: "Delivered duty paid (not clearable). Follows a new incoterm when omitted; must agree with the incoterm",
  })
  ddp?: boolean | null;
  @Field(() => String, { nullable: true, description: "IOSS number (IM + 10 digits); null clears it; frozen after release" })
  iossNumber?: string | null;
  @Field(() => String, { nullable: true, description: "The platform's order id" })
  platformOrderId?: string | null;
  @Field(() => String, { nullable: true })
  sellerName?: string | null;
  @Field(() => String, { nullable: true })
  sellerAddress?: string | null;
  @Field(() => String, { nullable: true, description: "ISO 3166-1 alpha-2" })
  sellerCountry?: string | null;
  @Field(() => String, { nullable: true })
  buyerName?: string | null;
  @Field(() => String, { nullable: true })
  buyerAddress?: string | null;
  @Field(() => String, { nullable: true, description: "ISO 3166-1 alpha-2" })
  buyerCountry?: string | null;
  @Field(() => String, { nullable: true })
  buyerEmail?: string | null;
}
