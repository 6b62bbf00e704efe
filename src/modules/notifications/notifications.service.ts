import { CATEGORY_BIT } from "../../authz/categories";
import type { Policy } from "../../authz/policy";
import type { HubContext } from "../../context/context";
import { createContext, requirePrincipal } from "../../context/context";
import { EventStream } from "../../infra/pubsub";
import { BadUserInputError, HubError, ServiceUnavailableError } from "../../shared/errors";
import type { EventFeed, FeedEvent } from "../events/event-feed";
import { audienceKey, decided, EventRouter } from "../events/event-router";

/** Events handled together when a subscriber has several waiting: three statements per batch, not per event. */
const BATCH = 100;

/** The outbox events each subscription delivers. */
export const SUBSCRIBED_TYPES = { holdPlaced: ["HOLD_PLACED"], declarationStatusChanged: ["STATUS_CHANGED"] } as const;

/**
 * Subscriptions over the outbox (src/modules/events): each takes an optional `after` (the
 * last event id it saw) and first receives what it missed from the stored events, then
 * live ones, without gaps or duplicates; an `after` older than the events kept is a clear
 * error, never a silent gap.
 *
 * Authorized when subscribing (the caller must see the declaration it names) and for every
 * event: live events are routed once per event and (party, role) by the EventRouter, from
 * the same policy engine as queries with the party's agreements in force now, whatever the
 * number of its sockets (stored ones, when resuming, by the same decision here); a
 * suspended, revoked or expired agreement stops the events it allowed. Each event's
 * selection is then executed once per (party, role, document) (src/server/ws-multiplex.ts). A hold is seen by who may read its STATUS (its holder is the customs that
 * placed it); a status change by who may read the declaration's STATUS.
 *
 * Each subscription buffers at most HUB_SUBSCRIPTION_BUFFER events it has not handled yet;
 * one that falls further behind is ended with RATE_LIMITED and resumes with `after`.
 */
export class NotificationService {
  private router: EventRouter | null = null;

  constructor(private readonly feed: EventFeed) {}

  /** Live subscriptions on this instance (routed by the feed), for the bench and tests. */
  get live(): number {
    return this.router?.counts.routes ?? 0;
  }

  async subscribe(ctx: HubContext, types: readonly string[], declarationId: string | undefined, after: string | undefined): Promise<AsyncIterable<FeedEvent>> {
    const principal = requirePrincipal(ctx);
    if (declarationId) await ctx.hub.services.declarations.get(ctx, declarationId); // NOT_FOUND at subscribe time
    const from = await this.checkedAfter(ctx, after);
    await this.feed.start();
    const router = this.routerFor(ctx);
    // live events come decided: the router pushes only those this party may hear
    const live = new EventStream<FeedEvent>(ctx.hub.config.HUB_SUBSCRIPTION_BUFFER, "error", () => stop(), () => {});
    const stop = router.add(principal, { types, declarationId, push: (e) => live.push(e) });
    const until = this.feed.seen; // stored events up to here, live ones after
    const wanted = (e: FeedEvent) => types.includes(e.type) && (!declarationId || e.declarationId === declarationId);
    const backlog = from === null ? emptyBacklog() : this.backlog(ctx, from, until, declarationId, wanted);
    let last = from ?? until;
    const fresh = (e: FeedEvent) => {
      if (e.seq <= last) return false;
      last = e.seq;
      return true;
    };
    return inBatches(concat(backlog, live), guarded(ctx, async (batch) => batch.filter(fresh)));
  }

  /** The router of live events (one per service: one decision per event and (party, role) for all sockets). */
  private routerFor(ctx: HubContext): EventRouter {
    const hub = ctx.hub;
    return (this.router ??= new EventRouter(this.feed, (p) => createContext(hub, p).authz.policy(), mayHear, hub.log));
  }

  /** What of stored `events` the subscriber's party may see now (the router's decision for live ones). */
  private async visible(ctx: HubContext, events: FeedEvent[]): Promise<FeedEvent[]> {
    if (!events.length) return [];
    ctx.authz.invalidate(); // the agreements in force now (cached per party, flushed on every change)
    const policy = await ctx.authz.policy();
    const who = audienceKey(policy.principal);
    return events.filter((e) => decided(e, who, () => mayHear(policy, e)));
  }

  /** The stored events after `from` up to `until` that the subscriber may see, page by page. */
  private async *backlog(
    ctx: HubContext,
    from: bigint,
    until: bigint,
    declarationId: string | undefined,
    wanted: (e: FeedEvent) => boolean,
  ): AsyncGenerator<FeedEvent> {
    let cursor = from;
    while (cursor < until) {
      const page = await this.feed.page(cursor, until, declarationId);
      if (!page.length) return;
      for (const e of await this.visible(ctx, page.filter(wanted))) yield e;
      cursor = page[page.length - 1].seq;
    }
  }

  /** `after` as a sequence number; BAD_USER_INPUT when malformed, in the future, or no longer kept. */
  private async checkedAfter(ctx: HubContext, after: string | undefined): Promise<bigint | null> {
    if (after == null) return null;
    if (!/^\d{1,19}$/.test(after)) throw BadUserInputError.at("after", "must be an event id (eventId of an event you received)");
    const seq = BigInt(after);
    const [latest, oldest] = await Promise.all([this.feed.repo.latestSeq(), this.feed.repo.oldestSeq()]);
    if (seq > latest) throw BadUserInputError.at("after", `no event ${seq} exists yet (the latest is ${latest})`);
    const firstKept = oldest ?? latest + 1n;
    if (seq < firstKept - 1n) {
      throw BadUserInputError.at(
        "after",
        `events after ${seq} are no longer kept (retention ${ctx.hub.config.HUB_EVENT_RETENTION_DAYS} days; the oldest kept is ${firstKept}): ` +
          "subscribe without after and reload the current state",
      );
    }
    return seq;
  }
}

/** The policy's answer for one event: may the party read its STATUS? */
export function mayHear(policy: Policy, e: FeedEvent): boolean {
  const d = e.declaration;
  if (!d) return false;
  const holder = e.type.startsWith("HOLD_") ? e.hold?.placedById : d.filerId;
  if (!holder) return false;
  return (policy.decide(holder, d).mask & CATEGORY_BIT.STATUS) !== 0;
}

async function* emptyBacklog(): AsyncGenerator<FeedEvent> {}

/**
 * The backlog, then the live stream, as one EventStream-like source for inBatches: while
 * the backlog lasts, live events wait in their bounded buffer.
 */
function concat(backlog: AsyncGenerator<FeedEvent>, live: EventStream<FeedEvent>): BatchSource<FeedEvent> {
  let backlogDone = false;
  return {
    async next() {
      if (!backlogDone) {
        const r = await backlog.next();
        if (!r.done) return r;
        backlogDone = true;
      }
      return live.next();
    },
    takeBuffered(max: number) {
      return backlogDone ? live.takeBuffered(max) : [];
    },
    async return() {
      await backlog.return(undefined);
      return live.return();
    },
  };
}

interface BatchSource<E> {
  next(): Promise<IteratorResult<E>>;
  takeBuffered(max: number): E[];
  return(): Promise<IteratorResult<E>>;
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
function inBatches<E, R>(source: BatchSource<E>, handle: (batch: E[]) => Promise<R[]>): AsyncIterableIterator<R> {
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
