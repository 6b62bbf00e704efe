import { Field, ID, InputType, Int } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import {
  AlertSeverity,
  AlertStatus,
  CollectionModel,
  DeclarationCategory,
  DeclarationStatus,
  HoldKind,
  HoldStatus,
  TaxType,
} from "../../generated/prisma/enums";
import "../declarations/declarations.types"; // registers the enums used here

/*
 * The analysts' filter language (issue 10). A condition object ANDs the operators it names;
 * AND / OR / NOT nest; relations test "some" or "none" of a declaration's records. Every
 * condition applies only to values the viewer may read: on the declaration, a condition on
 * a category the viewer may not read on it leaves the declaration out (under NOT too); in a
 * relation only records the viewer may read in the condition's categories count.
 */

@InputType({ description: "Text conditions; more than one ANDs them" })
export class StringCondition {
  @Field(() => String, { nullable: true, description: "Equal to (case-insensitive for codes)" })
  eq?: string;
  @Field(() => [String], { nullable: true, description: "Equal to one of (1 to 1000 values)" })
  in?: string[];
  @Field(() => String, { nullable: true, description: "Starts with (case-sensitive; for codes: upper case)" })
  startsWith?: string;
}

@InputType({ description: "Conditions on a code (country ISO 3166-1 alpha-2, currency ISO 4217); upper-cased" })
export class CodeCondition {
  @Field(() => String, { nullable: true, description: "Equal to" })
  eq?: string;
  @Field(() => [String], { nullable: true, description: "One of (1 to 1000 values)" })
  in?: string[];
}

@InputType({ description: "Conditions on a party reference; isNull alone, or eq / in" })
export class IdCondition {
  @Field(() => ID, { nullable: true, description: "This party" })
  eq?: string;
  @Field(() => [ID], { nullable: true, description: "One of these parties" })
  in?: string[];
  @Field(() => Boolean, { nullable: true, description: "true: no party named; false: some party named" })
  isNull?: boolean;
}

@InputType({ description: "Conditions on a point in time (ISO 8601); isNull alone, or ranges" })
export class DateTimeCondition {
  @Field(() => GraphQLDateTime, { nullable: true, description: "After" })
  gt?: Date;
  @Field(() => GraphQLDateTime, { nullable: true, description: "At or after" })
  gte?: Date;
  @Field(() => GraphQLDateTime, { nullable: true, description: "Before" })
  lt?: Date;
  @Field(() => GraphQLDateTime, { nullable: true, description: "At or before" })
  lte?: Date;
  @Field(() => Boolean, { nullable: true, description: "true: not set (e.g. never released)" })
  isNull?: boolean;
}

@InputType({ description: "Conditions on an exact decimal (as a string, e.g. \"1.250\")" })
export class DecimalCondition {
  @Field(() => String, { nullable: true })
  eq?: string;
  @Field(() => String, { nullable: true })
  gt?: string;
  @Field(() => String, { nullable: true })
  gte?: string;
  @Field(() => String, { nullable: true })
  lt?: string;
  @Field(() => String, { nullable: true })
  lte?: string;
}

@InputType({ description: "Conditions on a whole number" })
export class IntCondition {
  @Field(() => Int, { nullable: true })
  eq?: number;
  @Field(() => Int, { nullable: true })
  gt?: number;
  @Field(() => Int, { nullable: true })
  gte?: number;
  @Field(() => Int, { nullable: true })
  lt?: number;
  @Field(() => Int, { nullable: true })
  lte?: number;
}

@InputType({
  description:
    "Conditions on an amount of money (exact decimal strings). With `currency`: only amounts stated in that " +
    "currency, compared as they are. Without: every amount converted to the hub's reference currency " +
    "(HUB_REFERENCE_CURRENCY, EUR by default) at the exchange rate valid on the record's date; an amount " +
    "without such a rate matches nothing.",
})
export class AmountCondition {
  @Field(() => String, { nullable: true })
  eq?: string;
  @Field(() => String, { nullable: true })
  gt?: string;
  @Field(() => String, { nullable: true })
  gte?: string;
  @Field(() => String, { nullable: true })
  lt?: string;
  @Field(() => String, { nullable: true })
  lte?: string;
  @Field(() => String, { nullable: true, description: "ISO 4217: compare only amounts stated in this currency" })
  currency?: string;
}

@InputType({ description: "Full-text search (PostgreSQL, English stemming): every word must occur" })
export class TextCondition {
  @Field(() => String, { description: "Words to find, e.g. \"cotton shirt\" (1 to 200 characters)" })
  search!: string;
}

/** Conditions on an enum column: `eq` or `in`. */
function enumCondition<T extends object>(enumType: T, name: string) {
  @InputType(`${name}Condition`, { description: `Conditions on a ${name}: eq or in` })
  class EnumCondition {
    @Field(() => enumType, { nullable: true })
    eq?: T[keyof T];
    @Field(() => [enumType], { nullable: true })
    in?: T[keyof T][];
  }
  return EnumCondition;
}
export const DeclarationStatusCondition = enumCondition(DeclarationStatus, "DeclarationStatus");
export const DeclarationCategoryCondition = enumCondition(DeclarationCategory, "DeclarationCategory");
export const HoldKindCondition = enumCondition(HoldKind, "HoldKind");
export const HoldStatusCondition = enumCondition(HoldStatus, "HoldStatus");
export const AlertSeverityCondition = enumCondition(AlertSeverity, "AlertSeverity");
export const AlertStatusCondition = enumCondition(AlertStatus, "AlertStatus");
export const TaxTypeCondition = enumCondition(TaxType, "TaxType");
export const CollectionModelCondition = enumCondition(CollectionModel, "CollectionModel");
export type EnumCondition = { eq?: string; in?: string[] };

@InputType({ description: "[COMMERCIAL] Conditions on a goods item (held by the filer)" })
export class GoodsItemWhere {
  @Field(() => StringCondition, { nullable: true, description: "[COMMERCIAL] HS code; startsWith for chapter (2 digits) or heading (4)" })
  hsCode?: StringCondition;
  @Field(() => TextCondition, { nullable: true, description: "[COMMERCIAL] Full-text search in the description" })
  description?: TextCondition;
  @Field(() => AmountCondition, { nullable: true, description: "[COMMERCIAL] Value of the line" })
  value?: AmountCondition;
  @Field(() => IntCondition, { nullable: true, description: "[COMMERCIAL] Number of units" })
  quantity?: IntCondition;
  @Field(() => CodeCondition, { nullable: true, description: "[COMMERCIAL] Country of origin of the goods" })
  originCountry?: CodeCondition;
  @Field(() => DecimalCondition, { nullable: true, description: "[TRANSPORT] Net weight in kg" })
  netWeightKg?: DecimalCondition;
}

@InputType({ description: "[STATUS] Conditions on a hold (held by the customs that placed it)" })
export class HoldWhere {
  @Field(() => HoldKindCondition, { nullable: true, description: "[STATUS]" })
  kind?: EnumCondition;
  @Field(() => HoldStatusCondition, { nullable: true, description: "[STATUS]" })
  status?: EnumCondition;
  @Field(() => DateTimeCondition, { nullable: true, description: "[STATUS]" })
  placedAt?: DateTimeCondition;
  @Field(() => DateTimeCondition, { nullable: true, description: "[STATUS]" })
  releasedAt?: DateTimeCondition;
}

@InputType({ description: "[RISK] Conditions on a risk alert (held by the party that raised it)" })
export class RiskAlertWhere {
  @Field(() => AlertSeverityCondition, { nullable: true, description: "[RISK]" })
  severity?: EnumCondition;
  @Field(() => AlertStatusCondition, { nullable: true, description: "[RISK]" })
  status?: EnumCondition;
  @Field(() => StringCondition, { nullable: true, description: "[RISK]" })
  reasonCode?: StringCondition;
  @Field(() => DateTimeCondition, { nullable: true, description: "[RISK]" })
  createdAt?: DateTimeCondition;
}

@InputType({ description: "[REVENUE] Conditions on a duty or tax line of the current assessment (held by the assessing customs)" })
export class DutyWhere {
  @Field(() => TaxTypeCondition, { nullable: true, description: "[REVENUE]" })
  taxType?: EnumCondition;
  @Field(() => AmountCondition, { nullable: true, description: "[REVENUE] Amount due" })
  amount?: AmountCondition;
  @Field(() => CollectionModelCondition, { nullable: true, description: "[REVENUE]" })
  collectionModel?: EnumCondition;
}

@InputType({ description: "[STATUS] Conditions on a status event (held by the party that recorded it)" })
export class StatusEventWhere {
  @Field(() => StringCondition, { nullable: true, description: "[STATUS] Event code" })
  code?: StringCondition;
  @Field(() => DateTimeCondition, { nullable: true, description: "[STATUS]" })
  occurredAt?: DateTimeCondition;
}

@InputType({ description: "Conditions on a party named on the declaration (the party directory is public)" })
export class PartyWhere {
  @Field(() => ID, { nullable: true, description: "The party's id" })
  id?: string;
  @Field(() => CodeCondition, { nullable: true, description: "The party's country" })
  country?: CodeCondition;
  @Field(() => StringCondition, { nullable: true, description: "The party's name" })
  name?: StringCondition;
}

/** `some` or `none` of a declaration's records of one kind (those the viewer may read). */
function relation<T>(of: new () => T, name: string, what: string) {
  @InputType(`${name}Relation`, { description: `Exactly one of some / none, over the ${what} you may read` })
  class Relation {
    @Field(() => of, { nullable: true, description: `Some ${what} matches` })
    some?: T;
    @Field(() => of, { nullable: true, description: `No ${what} matches (also true when there is none)` })
    none?: T;
  }
  return Relation;
}
export const GoodsItemRelation = relation(GoodsItemWhere, "GoodsItems", "goods item");
export const HoldRelation = relation(HoldWhere, "Holds", "hold");
export const RiskAlertRelation = relation(RiskAlertWhere, "RiskAlerts", "risk alert");
export const DutyRelation = relation(DutyWhere, "Duties", "duty line of the current assessment");
export const StatusEventRelation = relation(StatusEventWhere, "StatusEvents", "status event");
export interface RelationCondition<T> {
  some?: T;
  none?: T;
}

@InputType({
  description:
    "The analysts' filter: fields AND together, with AND / OR / NOT to nest (at most 8 levels). A condition on " +
    "a category you may not read on a declaration leaves that declaration out, wherever it stands (under NOT " +
    "or OR too): a filter never reveals a hidden value. Example: " +
    '{ destinationCountry: { eq: "DE" }, goodsItems: { some: { hsCode: { startsWith: "61" }, value: { gt: "100" } } } }',
})
export class DeclarationWhere {
  @Field(() => [DeclarationWhere], { nullable: true, description: "All of these" })
  AND?: DeclarationWhere[];
  @Field(() => [DeclarationWhere], { nullable: true, description: "At least one of these" })
  OR?: DeclarationWhere[];
  @Field(() => DeclarationWhere, { nullable: true, description: "Not this" })
  NOT?: DeclarationWhere;

  @Field(() => DeclarationStatusCondition, { nullable: true, description: "[STATUS]" })
  status?: EnumCondition;
  @Field(() => DateTimeCondition, { nullable: true, description: "[STATUS]" })
  filedAt?: DateTimeCondition;
  @Field(() => DateTimeCondition, { nullable: true, description: "[STATUS]" })
  updatedAt?: DateTimeCondition;
  @Field(() => DateTimeCondition, { nullable: true, description: "[STATUS]" })
  releasedAt?: DateTimeCondition;
  @Field(() => StringCondition, { nullable: true, description: "[TRANSPORT] Tracking number (upper case); startsWith for a prefix" })
  trackingNumber?: StringCondition;
  @Field(() => CodeCondition, { nullable: true, description: "[TRANSPORT]" })
  originCountry?: CodeCondition;
  @Field(() => CodeCondition, { nullable: true, description: "[TRANSPORT]" })
  destinationCountry?: CodeCondition;
  @Field(() => DecimalCondition, { nullable: true, description: "[TRANSPORT] Gross weight in kg" })
  grossWeightKg?: DecimalCondition;
  @Field(() => IdCondition, { nullable: true, description: "[TRANSPORT]" })
  carrierId?: IdCondition;
  @Field(() => IdCondition, { nullable: true, description: "[TRANSPORT]" })
  postId?: IdCondition;
  @Field(() => IdCondition, { nullable: true, description: "[COMMERCIAL]" })
  platformId?: IdCondition;
  @Field(() => AmountCondition, { nullable: true, description: "[COMMERCIAL] Total declared value" })
  totalValue?: AmountCondition;
  @Field(() => CodeCondition, { nullable: true, description: "[COMMERCIAL] Currency of the total value" })
  currency?: CodeCondition;
  @Field(() => DeclarationCategoryCondition, { nullable: true, description: "[COMMERCIAL]" })
  category?: EnumCondition;
  @Field(() => StringCondition, { nullable: true, description: "[COMMERCIAL]" })
  incoterm?: StringCondition;
  @Field(() => Boolean, { nullable: true, description: "[COMMERCIAL] Delivered duty paid" })
  ddp?: boolean;
  @Field(() => IdCondition, { nullable: true, description: "[PARTIES] The filer" })
  filerId?: IdCondition;
  @Field(() => CodeCondition, { nullable: true, description: "[PARTIES]" })
  sellerCountry?: CodeCondition;
  @Field(() => CodeCondition, { nullable: true, description: "[PARTIES]" })
  buyerCountry?: CodeCondition;

  @Field(() => PartyWhere, { nullable: true, description: "[PARTIES] The filing party" })
  filer?: PartyWhere;
  @Field(() => PartyWhere, { nullable: true, description: "[COMMERCIAL] The platform" })
  platform?: PartyWhere;
  @Field(() => PartyWhere, { nullable: true, description: "[TRANSPORT] The carrier" })
  carrier?: PartyWhere;
  @Field(() => PartyWhere, { nullable: true, description: "[TRANSPORT] The postal operator" })
  post?: PartyWhere;
  @Field(() => GoodsItemRelation, { nullable: true, description: "[COMMERCIAL] Goods items" })
  goodsItems?: RelationCondition<GoodsItemWhere>;
  @Field(() => HoldRelation, { nullable: true, description: "[STATUS] Holds" })
  holds?: RelationCondition<HoldWhere>;
  @Field(() => RiskAlertRelation, { nullable: true, description: "[RISK] Risk alerts" })
  riskAlerts?: RelationCondition<RiskAlertWhere>;
  @Field(() => DutyRelation, { nullable: true, description: "[REVENUE] Duty and tax lines of the current assessment" })
  duties?: RelationCondition<DutyWhere>;
  @Field(() => StatusEventRelation, { nullable: true, description: "[STATUS] Status events" })
  statusEvents?: RelationCondition<StatusEventWhere>;
}
