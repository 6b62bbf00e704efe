import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { DeclarationCategory, DeclarationStatus } from "../../generated/prisma/enums";
import { StructuralField } from "../../authz/categories";
import { Declaration } from "./declarations.types";
import { DeclarationWhere } from "../analytics/analytics.inputs";

export enum DeclarationOrderField {
  FILED_AT = "filedAt",
  UPDATED_AT = "updatedAt",
  TOTAL_VALUE = "totalValue",
  GROSS_WEIGHT = "grossWeightKg",
  RELEASED_AT = "releasedAt",
  STATUS = "status",
  DESTINATION = "destinationCountry",
  ORIGIN = "originCountry",
  TRACKING_NUMBER = "trackingNumber",
}
registerEnumType(DeclarationOrderField, {
  name: "DeclarationOrderField",
  description:
    "Sorting by a field keeps only declarations whose value of it you may read (FILED_AT, UPDATED_AT, RELEASED_AT, " +
    "STATUS: STATUS; GROSS_WEIGHT, DESTINATION, ORIGIN, TRACKING_NUMBER: TRANSPORT; TOTAL_VALUE: COMMERCIAL). " +
    "TOTAL_VALUE ranks amounts in the reference currency at the rate of the filing date, leaving out amounts " +
    "without a rate; RELEASED_AT leaves out declarations not released.",
});

export enum OrderDirection {
  ASC = "asc",
  DESC = "desc",
}
registerEnumType(OrderDirection, { name: "OrderDirection" });

@InputType()
export class DeclarationOrder {
  @Field(() => DeclarationOrderField)
  field!: DeclarationOrderField;
  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC })
  direction!: OrderDirection;
}

@InputType({
  description:
    "Every condition applies only to declarations whose value of that field you may read: a filter never reveals a hidden value.",
})
export class DeclarationFilter {
  @Field(() => [DeclarationStatus], { nullable: true, description: "[STATUS]" })
  status?: DeclarationStatus[];
  @Field(() => GraphQLDateTime, { nullable: true, description: "[STATUS] filed at or after" })
  filedFrom?: Date;
  @Field(() => GraphQLDateTime, { nullable: true, description: "[STATUS] filed before" })
  filedTo?: Date;
  @Field(() => String, { nullable: true, description: "[TRANSPORT]" })
  trackingNumber?: string;
  @Field(() => [String], { nullable: true, description: "[TRANSPORT] ISO 3166-1 alpha-2" })
  destinationCountry?: string[];
  @Field(() => [String], { nullable: true, description: "[TRANSPORT] ISO 3166-1 alpha-2" })
  originCountry?: string[];
  @Field(() => ID, { nullable: true, description: "[TRANSPORT]" })
  carrierId?: string;
  @Field(() => ID, { nullable: true, description: "[TRANSPORT]" })
  postId?: string;
  @Field(() => ID, { nullable: true, description: "[COMMERCIAL]" })
  platformId?: string;
  @Field(() => [DeclarationCategory], { nullable: true, description: "[COMMERCIAL]" })
  category?: DeclarationCategory[];
  @Field(() => String, { nullable: true, description: "[COMMERCIAL] ISO 4217" })
  currency?: string;
  @Field(() => String, { nullable: true, description: "[COMMERCIAL] total value at least (exact decimal)" })
  minTotalValue?: string;
  @Field(() => String, { nullable: true, description: "[COMMERCIAL] total value at most (exact decimal)" })
  maxTotalValue?: string;
  @Field(() => String, { nullable: true, description: "[COMMERCIAL] some goods item's HS code starts with this" })
  hsCodePrefix?: string;
  @Field(() => ID, { nullable: true, description: "[PARTIES]" })
  filerId?: string;
}

@ArgsType()
export class DeclarationsArgs {
  @Field(() => DeclarationFilter, { nullable: true, description: "The fixed filter (ANDed conditions); not with `where`" })
  filter?: DeclarationFilter;
  @Field(() => DeclarationWhere, {
    nullable: true,
    description: "The analysts' filter language (AND / OR / NOT, operators, relations); not with `filter`",
  })
  where?: DeclarationWhere;
  @Field(() => DeclarationOrder, { nullable: true, description: "One sort key (default: filedAt descending); not with sortBy" })
  orderBy?: DeclarationOrder;
  @Field(() => [DeclarationOrder], {
    nullable: true,
    description:
      "Several sort keys, 1 to 5, in order; ties broken by id; not with orderBy. Pages follow with `after` " +
      "(keyset): a page starts after the previous page's last row whatever is filed meanwhile",
  })
  sortBy?: DeclarationOrder[];
  @Field(() => Int, { defaultValue: 50, description: "Page size, 1 to 1000" })
  first!: number;
  @Field(() => String, { nullable: true, description: "Cursor of the last edge of the previous page" })
  after?: string;
}

@ObjectType()
export class PageInfo {
  @StructuralField(() => Boolean, { description: "Whether another page follows" })
  hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: "Cursor of the last edge" })
  endCursor!: string | null;
}

@ObjectType()
export class DeclarationEdge {
  @StructuralField(() => String, { description: "Opaque cursor of this edge" })
  cursor!: string;
  @StructuralField(() => Declaration, { description: "The declaration" })
  node!: Declaration;
}

@ObjectType({ description: "A page of declarations you may see" })
export class DeclarationConnection {
  @StructuralField(() => [DeclarationEdge], { description: "Edges of this page" })
  edges!: DeclarationEdge[];
  @StructuralField(() => PageInfo, { description: "Paging state" })
  pageInfo!: PageInfo;
  @StructuralField(() => Int, {
    description:
      "How many declarations match, counted the same way (only what you may see). Exact up to the hub's count limit " +
      "(HUB_COUNT_LIMIT, default 10,000); past it, the limit itself, and totalCountIsExact is false: at least that many match",
  })
  totalCount!: number;
  @StructuralField(() => Boolean, { description: "false when totalCount stopped at the count limit (more declarations match)" })
  totalCountIsExact!: boolean;
}
