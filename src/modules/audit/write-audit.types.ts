import { ArgsType, Field, ID, Int, ObjectType } from "type-graphql";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Party } from "../parties/parties.types";

@ObjectType({ description: "One field a write changed" })
export class ChangedField {
  @Field(() => String)
  field!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: "Its value before (null: it did not exist)" })
  before!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: "Its value after" })
  after!: unknown;
}

@ObjectType({ description: "One write: who (party and key), when, which operation, which record, what changed" })
export class WriteAuditEntry {
  @Field(() => ID)
  id!: string;
  @Field(() => Party, { description: "The party that wrote" })
  actor!: Party;
  @Field(() => ID, { nullable: true, description: "The key it used (null for the operator token or a rule)" })
  apiKeyId!: string | null;
  @Field(() => String, { description: "The operation, e.g. placeHold, amendDeclaration, declaration:status" })
  operation!: string;
  @Field(() => String, { description: "Type of the record written, e.g. Hold" })
  recordType!: string;
  @Field(() => ID)
  recordId!: string;
  @Field(() => ID, { nullable: true, description: "The declaration the record belongs to, if any" })
  declarationId!: string | null;
  @Field(() => [ChangedField])
  changes!: ChangedField[];
  @Field(() => String, { nullable: true, description: "The client's idempotency key, if it sent one" })
  idempotencyKey!: string | null;
  @Field(() => GraphQLDateTime)
  at!: Date;
}

@ArgsType()
export class WriteAuditArgs {
  @Field(() => ID, { nullable: true, description: "Only writes on this declaration and its records" })
  declarationId?: string;
  @Field(() => ID, { nullable: true, description: "Only writes on this record" })
  recordId?: string;
  @Field(() => GraphQLDateTime, { nullable: true, description: "From this time (inclusive)" })
  since?: Date;
  @Field(() => Int, { defaultValue: 100, description: "At most this many entries, newest first (1 to 1000)" })
  first!: number;
}
