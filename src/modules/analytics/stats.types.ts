import { ArgsType, Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { AlertSeverity, DeclarationStatus, HoldKind } from "../../generated/prisma/enums";
import { DeclarationWhere } from "./analytics.inputs";

export enum StatsGroupKey {
  DESTINATION = "DESTINATION",
  ORIGIN = "ORIGIN",
  HS_CHAPTER = "HS_CHAPTER",
  HS_HEADING = "HS_HEADING",
  PLATFORM = "PLATFORM",
  CARRIER = "CARRIER",
  POST = "POST",
  STATUS = "STATUS",
  HOLD_KIND = "HOLD_KIND",
  ALERT_SEVERITY = "ALERT_SEVERITY",
  DAY = "DAY",
  WEEK = "WEEK",
  MONTH = "MONTH",
}
registerEnumType(StatsGroupKey, {
  name: "StatsGroupKey",
  description:
    "What declarationStats groups by. A declaration counts in a group only when you may read the value it is " +
    "grouped by (destination, origin, carrier, post: TRANSPORT; HS code, platform: COMMERCIAL; status and the " +
    "filing date (DAY, WEEK, MONTH, UTC; a week starts on Monday): STATUS; hold kind: the hold's STATUS; alert " +
    "severity: the alert's RISK). HS_CHAPTER (2 digits) and HS_HEADING (4) count a declaration once in each " +
    "chapter or heading of its goods items, with the value of those items; HOLD_KIND and ALERT_SEVERITY count " +
    "it once in each kind or severity it has, and under null when it has none you may read. At most one of " +
    "HS_CHAPTER and HS_HEADING, and one of DAY, WEEK and MONTH.",
});

@ArgsType()
export class DeclarationStatsArgs {
  @Field(() => DeclarationWhere, { nullable: true, description: "Which declarations to measure (the filter of declarations)" })
  where?: DeclarationWhere;
  @Field(() => [StatsGroupKey], { defaultValue: [], description: "Group keys, 0 to 4 (none: one group of everything)" })
  groupBy!: StatsGroupKey[];
  @Field(() => Int, {
    nullable: true,
    description: "Smallest group shown; smaller groups are suppressed. Never below the hub's minimum (HUB_STATS_MIN_GROUP_SIZE)",
  })
  minGroupSize?: number;
  @Field(() => Int, { defaultValue: 1000, description: "At most this many groups (1 to 10,000), largest first" })
  limit!: number;
}

@ObjectType({ description: "The values a group is keyed by; the keys not grouped by are null" })
export class StatsGroupKeys {
  @Field(() => String, { nullable: true, description: "Destination country (ISO 3166-1 alpha-2)" })
  destination!: string | null;
  @Field(() => String, { nullable: true, description: "Origin country (ISO 3166-1 alpha-2)" })
  origin!: string | null;
  @Field(() => String, { nullable: true, description: "HS chapter (2 digits) or heading (4 digits)" })
  hsCode!: string | null;
  @Field(() => ID, { nullable: true, description: "Platform party id" })
  platformId!: string | null;
  @Field(() => ID, { nullable: true, description: "Carrier party id" })
  carrierId!: string | null;
  @Field(() => ID, { nullable: true, description: "Postal operator party id" })
  postId!: string | null;
  @Field(() => DeclarationStatus, { nullable: true, description: "Clearance status" })
  status!: DeclarationStatus | null;
  @Field(() => HoldKind, { nullable: true, description: "Hold kind (null in a HOLD_KIND grouping: no hold)" })
  holdKind!: HoldKind | null;
  @Field(() => AlertSeverity, { nullable: true, description: "Alert severity (null in an ALERT_SEVERITY grouping: no alert)" })
  alertSeverity!: AlertSeverity | null;
  @Field(() => GraphQLDateTime, { nullable: true, description: "Start of the day, week or month (UTC)" })
  period!: Date | null;
}

@ObjectType({ description: "Share of a group's declarations with an alert of one severity" })
export class AlertRate {
  @Field(() => AlertSeverity)
  severity!: AlertSeverity;
  @Field(() => Float, { description: "0 to 1" })
  rate!: number;
}

@ObjectType({ description: "Measures of one group. Every measure counts only values you may read." })
export class DeclarationStatsGroup {
  @Field(() => StatsGroupKeys, { description: "What the group is" })
  key!: StatsGroupKeys;
  @Field(() => Int, { description: "Declarations in the group (at least the minimum group size)" })
  count!: number;
  @Field(() => Int, { description: "Declarations whose declared value you may read and that have a rate to the reference currency" })
  valueCount!: number;
  @Field(() => String, { nullable: true, description: "Total declared value in the reference currency (exact decimal, 2 places)" })
  totalValue!: string | null;
  @Field(() => String, { nullable: true, description: "Average declared value in the reference currency, over valueCount" })
  averageValue!: string | null;
  @Field(() => Float, { description: "Share of the group's declarations with a hold you may read (0 to 1)" })
  holdRate!: number;
  @Field(() => [AlertRate], { description: "Share with a risk alert you may read, per severity" })
  alertRates!: AlertRate[];
  @Field(() => String, { nullable: true, description: "Duties and taxes of the current assessments you may read, in the reference currency" })
  dutiesAssessed!: string | null;
  @Field(() => Int, { description: "Declarations released, whose filing and release you may read" })
  releasedCount!: number;
  @Field(() => Float, { nullable: true, description: "Median time from filing to release, in hours" })
  clearanceHoursMedian!: number | null;
  @Field(() => Float, { nullable: true, description: "90th percentile of the time from filing to release, in hours" })
  clearanceHoursP90!: number | null;
}

@ObjectType({ description: "Measures of declarations, grouped, under your own rights (computed in PostgreSQL)" })
export class DeclarationStats {
  @Field(() => String, { description: "ISO 4217 currency of every amount (HUB_REFERENCE_CURRENCY)" })
  referenceCurrency!: string;
  @Field(() => Int, { description: "Groups smaller than this were suppressed" })
  minGroupSize!: number;
  @Field(() => Int, { description: "How many groups were suppressed for being smaller" })
  suppressedGroups!: number;
  @Field(() => [DeclarationStatsGroup], { description: "The groups shown, largest first" })
  groups!: DeclarationStatsGroup[];
}
