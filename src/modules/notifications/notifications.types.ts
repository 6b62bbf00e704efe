import { Field, ID, ObjectType } from "type-graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { DeclarationStatus, HoldKind } from "../../generated/prisma/enums";
import { Declaration, Hold } from "../declarations/declarations.types";

/*
 * Subscription events. An event reaches only a party that may read the STATUS it is about
 * (decided once per event); its own fields are that STATUS data. What of the declaration
 * and the hold the subscriber reads is decided field by field by the policy, as in queries
 * (the named platform reads its order id and tracking number; a carrier does not).
 */

@ObjectType({ description: "A customs hold was placed on a parcel" })
export class HoldPlacedEvent {
  @Field(() => ID, { description: "The event's id: pass it as `after` to resume from here" })
  eventId!: string;
  @Field(() => GraphQLDateTime, { description: "When the hold was placed" })
  at!: Date;
  @Field(() => ID, { description: "The declaration held" })
  declarationId!: string;
  @Field(() => HoldKind)
  kind!: HoldKind;
  @Field(() => Hold, { description: "The hold (its reason is RISK data)" })
  hold!: Hold;
  @Field(() => Declaration, { description: "The declaration, through which you read what the policy lets you read" })
  declaration!: Declaration;
}

@ObjectType({ description: "A declaration moved from one status to another" })
export class DeclarationStatusChangedEvent {
  @Field(() => ID, { description: "The event's id: pass it as `after` to resume from here" })
  eventId!: string;
  @Field(() => GraphQLDateTime, { description: "When it moved" })
  at!: Date;
  @Field(() => ID)
  declarationId!: string;
  @Field(() => DeclarationStatus)
  fromStatus!: DeclarationStatus;
  @Field(() => DeclarationStatus)
  toStatus!: DeclarationStatus;
  @Field(() => Declaration, { description: "The declaration as it is now" })
  declaration!: Declaration;
}
