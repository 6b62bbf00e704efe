import { Arg, ID, Resolver, Root, Subscription } from "type-graphql";
import type { HubContext } from "../../context/context";
import type { FeedEvent } from "../events/event-feed";
import { SUBSCRIBED_TYPES } from "./notifications.service";
import { DeclarationStatusChangedEvent, HoldPlacedEvent } from "./notifications.types";

const ctxOf = (context: unknown) => context as HubContext;

const AFTER =
  "The eventId of the last event you received: you first get every event you missed (kept " +
  "HUB_EVENT_RETENTION_DAYS), then live ones, without gaps or duplicates";

/** Thin: the service authorizes at subscribe time and for every event. */
@Resolver()
export class NotificationResolver {
  @Subscription(() => HoldPlacedEvent, {
    description: "Holds placed on parcels whose status you may see (optionally one declaration)",
    subscribe: ({ args, context }) =>
      ctxOf(context).hub.services.notifications.subscribe(ctxOf(context), SUBSCRIBED_TYPES.holdPlaced, args.declarationId ?? undefined, args.after ?? undefined),
  })
  holdPlaced(
    @Root() e: FeedEvent,
    @Arg("declarationId", () => ID, { nullable: true }) _declarationId?: string,
    @Arg("after", () => ID, { nullable: true, description: AFTER }) _after?: string,
  ): HoldPlacedEvent {
    // rows, not class instances: the field guards judge them as in queries
    const kind = (e.payload as { kind: HoldPlacedEvent["kind"] }).kind;
    return { eventId: String(e.seq), at: e.at, declarationId: e.declarationId!, kind, hold: e.hold as never, declaration: e.declaration as never };
  }

  @Subscription(() => DeclarationStatusChangedEvent, {
    description: "Status changes of declarations whose status you may see (optionally one declaration), each with its from and to",
    subscribe: ({ args, context }) =>
      ctxOf(context).hub.services.notifications.subscribe(
        ctxOf(context),
        SUBSCRIBED_TYPES.declarationStatusChanged,
        args.declarationId ?? undefined,
        args.after ?? undefined,
      ),
  })
  declarationStatusChanged(
    @Root() e: FeedEvent,
    @Arg("declarationId", () => ID, { nullable: true }) _declarationId?: string,
    @Arg("after", () => ID, { nullable: true, description: AFTER }) _after?: string,
  ): DeclarationStatusChangedEvent {
    const p = e.payload as { from: DeclarationStatusChangedEvent["fromStatus"]; to: DeclarationStatusChangedEvent["toStatus"] };
    return { eventId: String(e.seq), at: e.at, declarationId: e.declarationId!, fromStatus: p.from, toStatus: p.to, declaration: e.declaration as never };
  }
}
