import { ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import {
  AlertSeverity,
  AlertStatus,
  CollectionModel,
  DeclarationCategory,
  DeclarationStatus,
  HoldKind,
  HoldStatus,
  ScreeningOutcome,
  TaxType,
} from "../../generated/prisma/enums";
import { CategoryField, DataCategory, StructuralField } from "../../authz/categories";
import { Party } from "../parties/parties.types";

const { STATUS, TRANSPORT, COMMERCIAL, PARTIES, RISK, REVENUE } = DataCategory;

registerEnumType(DeclarationStatus, { name: "DeclarationStatus", description: "Where a declaration is in its lifecycle" });
registerEnumType(DeclarationCategory, { name: "DeclarationCategory", description: "Nature of the consignment (CN 23)" });
registerEnumType(HoldKind, { name: "HoldKind", description: "Kind of customs referral (EU ICS2 vocabulary)" });
registerEnumType(HoldStatus, { name: "HoldStatus" });
registerEnumType(AlertSeverity, { name: "AlertSeverity" });
registerEnumType(AlertStatus, { name: "AlertStatus" });
registerEnumType(TaxType, { name: "TaxType" });
registerEnumType(ScreeningOutcome, {
  name: "ScreeningOutcome",
  description: "The coded result of a high-risk screening (ICS2 referral for screening), reported by the addressee",
  valuesConfig: {
    NO_THREAT_FOUND: { description: "Screened with an approved method; no threat found" },
    THREAT_FOUND: { description: "Screened; a threat was found or could not be ruled out" },
    NOT_SCREENABLE: { description: "Could not be screened (method not applicable, item not reachable)" },
  },
});
registerEnumType(CollectionModel, { name: "CollectionModel", description: "Who collects duties and taxes, and when" });

// Every field of these types carries exactly one data category (test/schema.test.ts walks
// them), except the ids, which are structural: a hub-made random key that names the record
// and says nothing but that it exists, and whether the viewer may learn that is decided for
// the record as a whole (a declaration is returned, a child record listed, only where the
// viewer may read one of its categorized fields). A category on an id would not hide more:
// a declaration's cursor encodes its id, and ids are the handles the API takes back
// (declaration(id), releaseHold(holdId), ...). Parties reached through filer, carrier, post
// and platform are the public directory (party, parties): the link carries the category.

/** Decimal columns are exposed as strings so no value is rounded through a float. */
const Money = () => String;

@ObjectType({ description: "One line of a declaration (CN 23 level)." })
export class GoodsItem {
  @StructuralField(() => ID, { description: "Identifier of the goods item" })
  id!: string;
  @CategoryField(COMMERCIAL, () => Int, { description: "Position of the line in its declaration, from 1" })
  lineNumber!: number;
  @CategoryField(COMMERCIAL, () => String, { description: "Plain-language description of the goods" })
  description!: string;
  @CategoryField(COMMERCIAL, () => Int, { description: "Number of units" })
  quantity!: number;
  @CategoryField(TRANSPORT, Money, { description: "Net weight in kilograms (exact decimal)" })
  netWeightKg!: string;
  @CategoryField(COMMERCIAL, Money, { description: "Value of the line (exact decimal)" })
  value!: string;
  @CategoryField(COMMERCIAL, () => String, { description: "ISO 4217 currency of the value" })
  currency!: string;
  @CategoryField(COMMERCIAL, () => String, { description: "Harmonized System code, 6 to 10 digits" })
  hsCode!: string;
  @CategoryField(COMMERCIAL, () => String, { description: "ISO 3166-1 alpha-2 country of origin of the goods" })
  originCountry!: string;
}

@ObjectType({
  description:
    "The exchange of a referral between customs and its addressee (the filer): the question, the due date and the " +
    "answer. It is the addressee's data (RISK): the addressee and customs of the destination read it; others only " +
    "through an agreement of the addressee granting RISK.",
})
export class Referral {
  @StructuralField(() => ID, { description: "Identifier of the hold the referral belongs to" })
  id!: string;
  @CategoryField(RISK, () => ID, { description: "The party the referral is addressed to (the filer)" })
  addresseeId!: string;
  @CategoryField(RISK, () => String, { description: "What customs ask (an RFI); null for a referral without a question" })
  question!: string | null;
  @CategoryField(RISK, () => GraphQLDateTime, { description: "When the answer is due" })
  dueAt!: Date | null;
  @CategoryField(RISK, () => String, { description: "The addressee's answer" })
  answerText!: string | null;
  @CategoryField(RISK, () => [String], { description: "References of the documents given with the answer (e.g. invoice numbers, document ids)" })
  answerDocuments!: string[];
  @CategoryField(RISK, () => ScreeningOutcome, { description: "The coded outcome of a high-risk screening, as reported" })
  screeningOutcome!: ScreeningOutcome | null;
  @CategoryField(RISK, () => GraphQLDateTime, { description: "When the addressee answered" })
  answeredAt!: Date | null;
}

@ObjectType({ description: "A customs referral on a declaration: a request with a response and an outcome." })
export class Hold {
  @StructuralField(() => ID, { description: "Identifier of the hold" })
  id!: string;
  @CategoryField(STATUS, () => HoldKind, { description: "Kind of hold" })
  kind!: HoldKind;
  @CategoryField(STATUS, () => HoldStatus, { description: "Whether the hold is still open" })
  status!: HoldStatus;
  @CategoryField(STATUS, () => GraphQLDateTime, { description: "When the hold was placed" })
  placedAt!: Date;
  @CategoryField(STATUS, () => GraphQLDateTime, { description: "When the hold was released" })
  releasedAt!: Date | null;
  @CategoryField(RISK, () => String, { description: "Why customs placed the hold" })
  reason!: string;
  @CategoryField(RISK, () => String, { description: "The trade's response to the request" })
  response!: string | null;
  @CategoryField(RISK, () => String, { description: "Outcome of the referral" })
  outcome!: string | null;
  @CategoryField(STATUS, () => Referral, {
    description: "The referral exchange with its addressee (question, due date, answer); null when the hold names no addressee",
  })
  referral?: Referral | null;
  @CategoryField(STATUS, () => ID, { description: "The hold that replaced this one when customs escalated the referral" })
  escalatedToId!: string | null;
  @CategoryField(RISK, () => ID, { description: "The risk rule version that placed the hold automatically (null: placed by an officer)" })
  ruleId!: string | null;
  @CategoryField(RISK, () => Int, { description: "Version of that rule" })
  ruleVersion!: number | null;
}

@ObjectType({ description: "A risk alert raised on a declaration by a rule or an analyst." })
export class RiskAlert {
  @StructuralField(() => ID, { description: "Identifier of the alert" })
  id!: string;
  @CategoryField(RISK, () => AlertSeverity, { description: "Severity" })
  severity!: AlertSeverity;
  @CategoryField(RISK, () => String, { description: "Reason code" })
  reasonCode!: string;
  @CategoryField(RISK, () => String, { description: "Free-text reason (targeting logic)" })
  reason!: string;
  @CategoryField(RISK, () => String, { description: "Name (code) of the rule that raised it, if any" })
  raisedByRule!: string | null;
  @CategoryField(RISK, () => ID, { description: "The rule version (RuleVersion) that raised it; null for an analyst's alert" })
  ruleId!: string | null;
  @CategoryField(RISK, () => Int, { description: "Version of that rule" })
  ruleVersion!: number | null;
  @CategoryField(RISK, () => AlertStatus, { description: "Open, confirmed or dismissed" })
  status!: AlertStatus;
  @CategoryField(RISK, () => String, { description: "Analyst's note on resolution" })
  resolutionNote!: string | null;
  @CategoryField(RISK, () => GraphQLDateTime, { description: "When the alert was raised" })
  createdAt!: Date;
  @CategoryField(RISK, () => GraphQLDateTime, { description: "When the alert was resolved" })
  resolvedAt!: Date | null;
}

@ObjectType({ description: "A duty or tax assessed on a declaration." })
export class DutyAssessment {
  @StructuralField(() => ID, { description: "Identifier of the assessment" })
  id!: string;
  @CategoryField(REVENUE, () => TaxType, { description: "Duty, VAT or fee" })
  taxType!: TaxType;
  @CategoryField(REVENUE, Money, { description: "Taxable base (exact decimal)" })
  base!: string;
  @CategoryField(REVENUE, Money, { description: "Rate as a fraction, e.g. 0.19 (exact decimal)" })
  rate!: string;
  @CategoryField(REVENUE, Money, { description: "Amount due (exact decimal)" })
  amount!: string;
  @CategoryField(REVENUE, () => String, { description: "ISO 4217 currency" })
  currency!: string;
  @CategoryField(REVENUE, () => CollectionModel, { description: "Collection model" })
  collectionModel!: CollectionModel;
  @CategoryField(REVENUE, () => GraphQLDateTime, { description: "When it was assessed" })
  createdAt!: Date;
  @CategoryField(REVENUE, () => Int, { description: "Version of the assessment this line belongs to (a correction supersedes the previous version)" })
  version!: number;
  @CategoryField(REVENUE, () => String, { description: "Why the previous version was corrected (null on a first assessment)" })
  correctionReason!: string | null;
  @CategoryField(REVENUE, () => String, { nullable: true, description: "The computed line's name (DUTY:item:2, DUTY:flat:610910, VAT:*, VAT:exempt); overrides name it" })
  lineKey!: string | null;
  @CategoryField(REVENUE, () => String, { nullable: true, description: "AD_VALOREM, SPECIFIC, FLAT or EXEMPT" })
  method!: string | null;
  @CategoryField(REVENUE, () => String, { nullable: true, description: "How the line was computed: base, rate, rule and version, conversions" })
  explanation!: string | null;
  @CategoryField(REVENUE, () => GraphQLJSON, {
    nullable: true,
    description: "What the line rests on: taxableEventAt, consignmentValue, currency, and every rule version used (jurisdiction, kind, key, version, legalReference)",
  })
  basis!: unknown;
  @CategoryField(REVENUE, Money, { nullable: true, description: "The computed amount, when customs overrode it (null otherwise)" })
  computedAmount!: string | null;
  @CategoryField(REVENUE, () => String, { nullable: true, description: "Why customs overrode the computed amount" })
  overrideReason!: string | null;
}

@ObjectType({ description: "A lifecycle event of a parcel (UPU event vocabulary)." })
export class StatusEvent {
  @StructuralField(() => ID, { description: "Identifier of the event" })
  id!: string;
  @CategoryField(STATUS, () => String, { description: "Event code, e.g. PRESENTED_TO_CUSTOMS, DELIVERED (the StatusEventCode vocabulary)" })
  code!: string;
  @CategoryField(STATUS, () => String, { description: "The UPU EMSEVT event code it maps to, e.g. EMA, EMD, EDB, EME, EMH, EMI (see README)" })
  upuEventCode?: string | null;
  @CategoryField(STATUS, () => String, { description: "Retention (EME) or non-delivery (EMH) reason, where the event has one" })
  reasonCode!: string | null;
  @CategoryField(STATUS, () => GraphQLDateTime, { description: "When it happened" })
  occurredAt!: Date;
  @CategoryField(TRANSPORT, () => String, { description: "Where it happened" })
  place!: string | null;
  @CategoryField(STATUS, () => String, { description: "Free-text note of the trade party that recorded the event" })
  note!: string | null;
  @CategoryField(RISK, () => String, { description: "Note written by customs with the event (never shown to the trade by baseline)" })
  customsNote!: string | null;
}

@ObjectType({ description: "A house-level declaration of one parcel, with its goods items." })
export class Declaration {
  @StructuralField(() => ID, { description: "Identifier of the declaration" })
  id!: string;
  @CategoryField(STATUS, () => Int, { description: "Version, incremented by every amendment (optimistic concurrency)" })
  version!: number;

  @CategoryField(STATUS, () => DeclarationStatus, { description: "Clearance status" })
  status!: DeclarationStatus;
  @CategoryField(STATUS, () => GraphQLDateTime, { description: "When the declaration was filed" })
  filedAt!: Date;
  @CategoryField(STATUS, () => GraphQLDateTime, { description: "When it last changed" })
  updatedAt!: Date;
  @CategoryField(STATUS, () => GraphQLDateTime, { description: "When customs released it" })
  releasedAt!: Date | null;
  @CategoryField(STATUS, () => String, { description: "Movement reference number assigned by customs" })
  movementReference!: string | null;
  @CategoryField(STATUS, () => [Hold], { description: "Holds on this parcel (their reasons are RISK)" })
  holds?: Hold[];
  @CategoryField(STATUS, () => [StatusEvent], { description: "Lifecycle events, oldest first" })
  statusEvents?: StatusEvent[];

  @CategoryField(TRANSPORT, () => String, { description: "Tracking number (UPU S10 or the carrier's own)" })
  trackingNumber!: string;
  @CategoryField(TRANSPORT, () => Party, { description: "Express carrier moving the parcel" })
  carrier?: Party | null;
  @CategoryField(TRANSPORT, () => Party, { description: "Postal operator moving the parcel" })
  post?: Party | null;
  @CategoryField(TRANSPORT, () => String, { description: "ISO 3166-1 alpha-2 country of departure" })
  originCountry!: string;
  @CategoryField(TRANSPORT, () => String, { description: "ISO 3166-1 alpha-2 country of destination" })
  destinationCountry!: string;
  @CategoryField(TRANSPORT, Money, { description: "Gross weight in kilograms (exact decimal)" })
  grossWeightKg!: string;

  @CategoryField(COMMERCIAL, () => String, { description: "The filer's own reference for this declaration" })
  localReference!: string;
  @CategoryField(COMMERCIAL, Money, { description: "Total declared value (exact decimal)" })
  totalValue!: string;
  @CategoryField(COMMERCIAL, () => String, { description: "ISO 4217 currency of the total value" })
  currency!: string;
  @CategoryField(COMMERCIAL, () => DeclarationCategory, { description: "Nature of the consignment" })
  category!: DeclarationCategory;
  @CategoryField(COMMERCIAL, () => String, { description: "IOSS number (IM + 10 digits)" })
  iossNumber!: string | null;
  @CategoryField(COMMERCIAL, () => String, { description: "The platform's order id" })
  platformOrderId!: string | null;
  @CategoryField(COMMERCIAL, () => String, { description: "Incoterm, e.g. DDP or DAP" })
  incoterm!: string | null;
  @CategoryField(COMMERCIAL, () => Boolean, { description: "Delivered duty paid" })
  ddp!: boolean;
  @CategoryField(COMMERCIAL, () => Party, { description: "E-commerce platform (electronic interface) of the sale" })
  platform?: Party | null;
  @CategoryField(COMMERCIAL, () => [GoodsItem], { description: "Goods items, by line number" })
  goodsItems?: GoodsItem[];

  @CategoryField(PARTIES, () => Party, { description: "The party that filed the declaration" })
  filer?: Party;
  @CategoryField(PARTIES, () => String, { description: "Seller's name" })
  sellerName!: string | null;
  @CategoryField(PARTIES, () => String, { description: "Seller's address" })
  sellerAddress!: string | null;
  @CategoryField(PARTIES, () => String, { description: "Seller's country (ISO 3166-1 alpha-2)" })
  sellerCountry!: string | null;
  @CategoryField(PARTIES, () => String, { description: "Buyer's (consignee's) name" })
  buyerName!: string | null;
  @CategoryField(PARTIES, () => String, { description: "Buyer's address" })
  buyerAddress!: string | null;
  @CategoryField(PARTIES, () => String, { description: "Buyer's country (ISO 3166-1 alpha-2)" })
  buyerCountry!: string | null;
  @CategoryField(PARTIES, () => String, { description: "Buyer's e-mail" })
  buyerEmail!: string | null;

  @CategoryField(RISK, () => [RiskAlert], { description: "Risk alerts raised on this declaration" })
  riskAlerts?: RiskAlert[];

  @CategoryField(REVENUE, () => [DutyAssessment], { description: "Duty and tax assessments" })
  duties?: DutyAssessment[];
}

@ObjectType({ description: "What a carrier needs to move a parcel: its clearance status, nothing more." })
export class ClearanceStatus {
  @StructuralField(() => String, { description: "The tracking number asked for" })
  trackingNumber!: string;
  @StructuralField(() => ID, { description: "The declaration it belongs to" })
  id!: string;
  @CategoryField(STATUS, () => DeclarationStatus, { description: "Clearance status" })
  status!: DeclarationStatus;
  @CategoryField(STATUS, () => Boolean, { description: "Whether an open hold stops the parcel" })
  onHold!: boolean;
  @CategoryField(STATUS, () => [HoldKind], { description: "Kinds of the open holds" })
  openHoldKinds!: HoldKind[];
  @CategoryField(STATUS, () => GraphQLDateTime, { description: "When the status last changed" })
  updatedAt!: Date;
}
