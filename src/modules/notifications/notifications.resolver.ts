import { Arg, ID, Resolver, Root, Subscription } from "type-graphql";
import type { HubContext } from "../../context/context";
import { Declaration, Hold } from "../declarations/declarations.types";

const ctxOf = (context: unknown) => context as HubContext;

/** Thin: the service authorizes at subscribe time and for every event. */
@Resolver()
export class NotificationResolver {
  @Subscription(() => Hold, {
    description: "Holds placed on parcels whose status you may see (optionally one declaration)",
    subscribe: ({ args, context }) => ctxOf(context).hub.services.notifications.holdPlaced(ctxOf(context), args.declarationId ?? undefined),
  })
  holdPlaced(@Root() hold: Hold, @Arg("declarationId", () => ID, { nullable: true }) _declarationId?: string): Hold {
    return hold;
  }

  @Subscription(() => Declaration, {
    description: "Status changes of declarations whose status you may see (optionally one declaration)",
    subscribe: ({ args, context }) =>
      ctxOf(context).hub.services.notifications.declarationStatusChanged(ctxOf(context), args.declarationId ?? undefined),
  })
  declarationStatusChanged(
    @Root() declaration: Declaration,
    @Arg("declarationId", () => ID, { nullable: true }) _declarationId?: string,
  ): Declaration {
    return declaration;
  }
}
