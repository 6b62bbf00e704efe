import type { Declaration as DeclarationRow, Hold as HoldRow, PrismaClient } from "../../generated/prisma/client";
import { CATEGORY_BIT } from "../../authz/categories";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { TOPICS, type HubPubSub } from "../../infra/pubsub";

/**
 * Subscriptions are authorized twice: when subscribing (the caller must see the
 * declaration it names) and again for every event, against the policy as it is at that
 * moment, so a suspended, revoked or expired agreement stops the events it allowed.
 */
export class NotificationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: HubPubSub,
  ) {}

  /** Resolves with the declaration if visible now, else null (the event is dropped). */
  private async visibleNow(ctx: HubContext, declarationId: string): Promise<DeclarationRow | null> {
    ctx.authz.invalidate(); // fresh agreements for each event
    return ctx.hub.services.declarations.get(ctx, declarationId).catch(() => null);
  }

  async holdPlaced(ctx: HubContext, declarationId: string | undefined): Promise<AsyncIterable<HoldRow>> {
    requirePrincipal(ctx);
    if (declarationId) await ctx.hub.services.declarations.get(ctx, declarationId); // NOT_FOUND at subscribe time
    const source = this.events.pubsub.subscribe(TOPICS.HOLD_PLACED);
    const self = this;
    return (async function* () {
      for await (const event of source) {
        if (declarationId && event.declarationId !== declarationId) continue;
        if (!(await self.visibleNow(ctx, event.declarationId))) continue;
        const hold = await self.prisma.hold.findUnique({ where: { id: event.holdId } });
        // the hold's existence and kind are STATUS data of the customs that placed it
        if (hold && ctx.authz.readableMask("Hold", hold) & CATEGORY_BIT.STATUS) yield hold;
      }
    })();
  }

  async declarationStatusChanged(ctx: HubContext, declarationId: string | undefined): Promise<AsyncIterable<DeclarationRow>> {
    requirePrincipal(ctx);
    if (declarationId) await ctx.hub.services.declarations.get(ctx, declarationId);
    const source = this.events.pubsub.subscribe(TOPICS.DECLARATION_STATUS_CHANGED);
    const self = this;
    return (async function* () {
      for await (const event of source) {
        if (declarationId && event.declarationId !== declarationId) continue;
        const declaration = await self.visibleNow(ctx, event.declarationId);
        if (declaration && ctx.authz.readableMask("Declaration", declaration) & CATEGORY_BIT.STATUS) yield declaration;
      }
    })();
  }
}
