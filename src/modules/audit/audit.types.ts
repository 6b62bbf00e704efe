import { ArgsType, Field, ID, Int, ObjectType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { DataCategory } from "../../authz/categories";
import { Party } from "../parties/parties.types";

@ObjectType({ description: "One read of your data by another party" })
export class AccessLogEntry {
  @Field(() => ID)
  id!: string;
  @Field(() => Party, { description: "The party that read it" })
  viewer!: Party;
  @Field(() => ID, { nullable: true, description: "The key it used (null for the operator token)" })
  apiKeyId!: string | null;
  @Field(() => String, { nullable: true, description: "GraphQL operation name it sent" })
  operationName!: string | null;
  @Field(() => String, { description: "Type of the records read, e.g. Declaration" })
  recordType!: string;
  @Field(() => [ID], { description: "Ids of the records read" })
  recordIds!: string[];
  @Field(() => [DataCategory], { description: "Categories read" })
  categories!: DataCategory[];
  @Field(() => String, { description: "What allowed it: a baseline rule or 'agreement'" })
  basis!: string;
  @Field(() => ID, { nullable: true, description: "The agreement that allowed it, if any" })
  agreementId!: string | null;
  @Field(() => GraphQLDateTime)
  at!: Date;
  @Field(() => String, {
    nullable: true,
    description:
      "Set when your data was not read as fields but used by the viewer's query: 'filter' or 'sort' (records " +
      "returned because their values met the conditions or ranked them), 'count' (records counted), 'aggregate' " +
      "(records measured by declarationStats); recordIds are then empty (filter and sort: the declarations returned; " +
      "records a filter reached through a relation, such as holds or alerts, are counted only)",
  })
  inference!: string | null;
  @Field(() => Int, { nullable: true, description: "How many of your records the query used (inference only)" })
  recordCount!: number | null;
}

@ArgsType()
export class AccessLogArgs {
  @Field(() => GraphQLDateTime, { nullable: true, description: "From this time (inclusive)" })
  since?: Date;
  @Field(() => ID, { nullable: true, description: "Only reads by this party" })
  viewerPartyId?: string;
  @Field(() => Int, { defaultValue: 100, description: "At most this many entries, newest first (1 to 1000)" })
  first!: number;
}

@ObjectType({ description: "A field of partner data and its category" })
export class FieldCategory {
  @Field(() => String, { description: "GraphQL type" })
  type!: string;
  @Field(() => String, { description: "Field of that type" })
  field!: string;
  @Field(() => DataCategory)
  category!: DataCategory;
}
