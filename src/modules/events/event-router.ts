import type { Policy } from "../../authz/policy";
import type { Principal } from "../../authz/principal";
import type { Logger } from "../../infra/logger";
import type { EventFeed, FeedEvent } from "./event-feed";

/** One live subscription as the router sees it. */
export interface Route {
  /** outbox event types it delivers */
  types: readonly string[];
  /** only events of this declaration, when set */
  declarationId?: string;
  /** hands it an event its party may hear (O(1), never throws: an EventStream's push) */
  push(e: FeedEvent): void;
}

/** Everyone who hears with the same policy: one party in one role, whatever its sockets. */
interface Audience {
  who: string;
  principal: Principal;
  /** its routes by event type */
  byType: Map<string, Set<Route>>;
  size: number;
  /** events taken, not routed yet */
  pending: FeedEvent[];
  routing: boolean;
}

/** Events routed per pass: one policy per audience and pass. */
const PASS = 500;

/**
 * Routes each outbox event once per (party, role), not once per subscription: for every
 * audience with a subscription to the event's type, the policy decides once (memoized on
 * the event, shared with webhooks) and the event is pushed to that audience's routes only.
 * The policy of each audience is built once per pass from the agreements in force now (the
 * agreement cache, flushed on every change), so a suspended or revoked agreement stops its
 * events from the next pass on. No SQL per event: the feed read the records once.
 */
export class EventRouter {
  private readonly audiences = new Map<string, Audience>();

  constructor(
    private readonly feed: EventFeed,
    private readonly policyOf: (principal: Principal) => Promise<Policy>,
    private readonly decide: (policy: Policy, e: FeedEvent) => boolean,
    private readonly log: Logger,
  ) {}

  /** Adds a route for `principal`; returns its removal (idempotent). */
  add(principal: Principal, route: Route): () => void {
    const who = audienceKey(principal);
    let audience = this.audiences.get(who);
    if (!audience) this.audiences.set(who, (audience = { who, principal, byType: new Map(), size: 0, pending: [], routing: false }));
    for (const type of route.types) {
      let set = audience.byType.get(type);
      if (!set) audience.byType.set(type, (set = new Set()));
      set.add(route);
    }
    audience.size++;
    this.feed.listen(this.take); // a set: once, and again after the feed was stopped and restarted
    let removed = false;
    const a = audience;
    return () => {
      if (removed) return;
      removed = true;
      for (const type of route.types) {
        const set = a.byType.get(type);
        set?.delete(route);
        if (set && !set.size) a.byType.delete(type);
      }
      if (--a.size === 0 && this.audiences.get(a.who) === a) this.audiences.delete(a.who);
    };
  }

  /** Audiences and routes now (for tests and the bench). */
  get counts(): { audiences: number; routes: number } {
    let routes = 0;
    for (const a of this.audiences.values()) routes += a.size;
    return { audiences: this.audiences.size, routes };
  }

  /** Called by the feed, in order: each audience that wants the event queues it, and routes its queue on its own. */
  private readonly take = (e: FeedEvent): void => {
    for (const audience of this.audiences.values()) {
      if (!audience.byType.has(e.type)) continue;
      audience.pending.push(e);
      if (!audience.routing) {
        audience.routing = true;
        void this.drain(audience);
      }
    }
  };

  /**
   * Routes an audience's queue, a pass at a time (order kept). Audiences do not wait for
   * each other: one whose agreements must be read again delays its own events only.
   */
  private async drain(audience: Audience): Promise<void> {
    try {
      while (audience.pending.length) {
        const batch = audience.pending.splice(0, PASS);
        const policy = await this.policyOf(audience.principal).catch((err: unknown) => {
          // its agreements cannot be read now: it hears nothing of this pass (deny by default)
          this.log.warn({ err: err instanceof Error ? err.message : String(err), party: audience.principal.partyId }, "event router: no policy for a party; its events of this pass are withheld");
          return null;
        });
        if (policy) this.route(audience, policy, batch);
      }
    } catch (err) {
      this.log.error({ err }, "event router: a pass failed"); // not reached by design; never fatal
    } finally {
      audience.routing = false;
    }
  }

  /** A decision per event for this audience (memoized on the event), then a push to each route that wants it. */
  private route(audience: Audience, policy: Policy, batch: FeedEvent[]): void {
    for (const e of batch) {
      const routes = audience.byType.get(e.type);
      if (!routes?.size || !decided(e, audience.who, () => this.decide(policy, e))) continue;
      for (const route of [...routes]) if (!route.declarationId || route.declarationId === e.declarationId) route.push(e);
    }
  }
}

/** Whose policy a principal hears with: its party and role (the key does not change it). */
export function audienceKey(p: Principal): string {
  return `${p.partyId}|${p.role}`;
}

/** The decision for (event, audience), made once and kept on the event. */
export function decided(e: FeedEvent, who: string, decide: () => boolean): boolean {
  let ok = e.decisions.get(who);
  if (ok === undefined) {
    ok = decide();
    e.decisions.set(who, ok);
  }
  return ok;
}
