import type { Declaration as DeclarationRow, Hold as HoldRow, PrismaClient } from "../../generated/prisma/client";
import { CATEGORY_BIT } from "../../authz/categories";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { TOPICS, type EventStream, type HubPubSub } from "../../infra/pubsub";
import { HubError, ServiceUnavailableError } from "../../shared/errors";
import { isUuid } from "../../shared/validation";
import { NotificationRepository } from "./notifications.repository";

/** Events handled together when a subscriber has several waiting: three statements per batch, not per event. */
const BATCH = 100;

/**
 * Subscriptions are authorized twice: when subscribing (the caller must see the
 * declaration it names) and again for every event, against the policy as it is at that
 * moment, so a suspended, revoked or expired agreement stops the events it allowed.
 *
 * Each subscription buffers at most HUB_SUBSCRIPTION_BUFFER events it has not handled yet;
 * one that falls further behind (a client that stopped reading, or reads slower than events
 * come) is ended with RATE_LIMITED and the advice to subscribe again. Nobody else waits.
 */
export class NotificationService {
  private readonly repo: NotificationRepository;

  constructor(
    prisma: PrismaClient,
    private readonly events: HubPubSub,
  ) {
    this.repo = new NotificationRepository(prisma);
  }

  /** The declarations among `ids` the viewer may see now (the policy reloaded), by id. */
  private async visibleNow(ctx: HubContext, ids: string[]): Promise<Map<string, DeclarationRow>> {
    ctx.authz.invalidate(); // fresh agreements for each batch of events
    const policy = await ctx.authz.policy();
    const rows = await this.repo.declarations(policy.declarationWhere(), [...new Set(ids.filter(isUuid))]);
    for (const row of rows) policy.rememberScope(row); // as DeclarationService.get: the policy sees every row it lets out
    return new Map(rows.map((r) => [r.id, r]));
  }

  async holdPlaced(ctx: HubContext, declarationId: string | undefined): Promise<AsyncIterable<HoldRow>> {
    requirePrincipal(ctx);
    if (declarationId) await ctx.hub.services.declarations.get(ctx, declarationId); // NOT_FOUND at subscribe time
    const source = this.subscribe(ctx, TOPICS.HOLD_PLACED);
    return inBatches(source, guarded(ctx, async (batch) => {
      const events = batch.filter((e) => !declarationId || e.declarationId === declarationId);
      if (!events.length) return [];
      const declarations = await this.visibleNow(ctx, events.map((e) => e.declarationId));
      const seen = events.filter((e) => declarations.has(e.declarationId) && isUuid(e.holdId));
      if (!seen.length) return [];
      const holds = new Map((await this.repo.holds(seen.map((e) => e.holdId))).map((h) => [h.id, h]));
      // the hold's existence and kind are STATUS data of the customs that placed it
      return seen.flatMap((e) => {
        const hold = holds.get(e.holdId);
        return hold && hold.declarationId === e.declarationId && ctx.authz.readableMask("Hold", hold) & CATEGORY_BIT.STATUS ? [hold] : [];
      });
    }));
  }

  async declarationStatusChanged(ctx: HubContext, declarationId: string | undefined): Promise<AsyncIterable<DeclarationRow>> {
    requirePrincipal(ctx);
    if (declarationId) await ctx.hub.services.declarations.get(ctx, declarationId);
    const source = this.subscribe(ctx, TOPICS.DECLARATION_STATUS_CHANGED);
    return inBatches(source, guarded(ctx, async (batch) => {
      const events = batch.filter((e) => !declarationId || e.declarationId === declarationId);
      if (!events.length) return [];
      const declarations = await this.visibleNow(ctx, events.map((e) => e.declarationId));
      return events.flatMap((e) => {
        const declaration = declarations.get(e.declarationId);
        return declaration && ctx.authz.readableMask("Declaration", declaration) & CATEGORY_BIT.STATUS ? [declaration] : [];
      });
    }));
  }

  /** Events of `topic` for this subscriber; a failure to handle them ends it with SERVICE_UNAVAILABLE (logged), never a driver message. */
  private subscribe<K extends typeof TOPICS.HOLD_PLACED | typeof TOPICS.DECLARATION_STATUS_CHANGED>(ctx: HubContext, topic: K) {
    return this.events.pubsub.subscribe(topic, { buffer: ctx.hub.config.HUB_SUBSCRIPTION_BUFFER, overflow: "error" });
  }
}

/** Errors reach the client as SERVICE_UNAVAILABLE (graphql-ws sends messages unformatted); the cause goes to the log. */
function guarded<E, R>(ctx: HubContext, handle: (batch: E[]) => Promise<R[]>): (batch: E[]) => Promise<R[]> {
  return async (batch) => {
    try {
      return await handle(batch);
    } catch (err) {
      if (err instanceof HubError) throw err;
      ctx.log.error({ err }, "subscription: handling events failed; the subscription is ended");
      throw new ServiceUnavailableError();
    }
  };
}

/**
 * An async iterator over `source` that handles whatever events have queued up together
 * and yields the results in event order. A read of a source that overflowed rejects with
 * its RATE_LIMITED error, which graphql-ws sends to the client as the operation's error.
 * return() ends the source at once, even while waiting for an event.
 */
function inBatches<E, R>(source: EventStream<E>, handle: (batch: E[]) => Promise<R[]>): AsyncIterableIterator<R> {
  let ready: R[] = [];
  let closed = false;
  const done = (): IteratorResult<R> => ({ value: undefined, done: true });
  const close = async () => {
    closed = true;
    ready = [];
    await source.return();
  };
  return {
    async next() {
      while (!ready.length) {
        if (closed) return done();
        const first = await source.next().catch(async (err) => {
          await close();
          throw err;
        });
        if (first.done || closed) return close().then(done);
        const results = await handle([first.value, ...source.takeBuffered(BATCH - 1)]).catch(async (err) => {
          await close();
          throw err;
        });
        if (closed) return done();
        ready = results;
      }
      return { value: ready.shift()!, done: false };
    },
    async return() {
      await close();
      return done();
    },
    async throw(err?: unknown) {
      await close();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
