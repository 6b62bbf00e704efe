import type { Config } from "../config";
import { HubError } from "../shared/errors";

/**
 * WebSocket close code for a connection refused because its party has too many open: 1013
 * "Try Again Later" (a graphql-ws client retries it with its backoff, as it should: a
 * connection frees up when another of the party's sockets closes).
 */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 1013;

/** What a subscription refused by a limit gets, as the operation's error. */
export class SubscriptionLimitError extends HubError {
  constructor(scope: "connection" | "party", open: number, limit: number, variable: string) {
    super(
      "RATE_LIMITED",
      scope === "connection"
        ? `This connection has ${open} subscriptions open, the most allowed (${variable}=${limit}): complete one before subscribing again, or open another connection`
        : `Your party has ${open} subscriptions open on this hub instance, the most allowed (${variable}=${limit}): complete one before subscribing again`,
      { reason: "TOO_MANY_SUBSCRIPTIONS", limit, variable },
    );
  }
}

/** The limits of one hub instance, from the configuration. */
export interface WsLimitSettings {
  subscriptionsPerConnection: number;
  subscriptionsPerParty: number;
  connectionsPerParty: number;
}

export function wsLimitSettings(config: Config): WsLimitSettings {
  return {
    subscriptionsPerConnection: config.HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    subscriptionsPerParty: config.HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY,
    connectionsPerParty: config.HUB_WS_MAX_CONNECTIONS_PER_PARTY,
  };
}

/**
 * Open WebSocket connections and subscriptions per party on this instance, and
 * subscriptions per connection. A subscription holds its slot from the moment it is
 * accepted until it completes (the client completes it, it ends on its own or with an
 * error, e.g. RATE_LIMITED when it falls behind) or its socket closes, whichever comes
 * first; releasing twice is harmless.
 */
export class WsLimits {
  private readonly connectionsOf = new Map<string, number>();
  private readonly subscriptionsOf = new Map<string, number>();

  constructor(readonly settings: WsLimitSettings) {}

  /**
   * A new authenticated connection of `partyId`: its slot, or null when the party already
   * has HUB_WS_MAX_CONNECTIONS_PER_PARTY open here.
   */
  connect(partyId: string): WsConnection | null {
    const open = this.connectionsOf.get(partyId) ?? 0;
    if (open >= this.settings.connectionsPerParty) return null;
    this.connectionsOf.set(partyId, open + 1);
    return new WsConnection(this, partyId);
  }

  /** The reason a refused connection is closed with (at most 123 bytes, as WebSocket allows). */
  tooManyConnectionsReason(): string {
    return `RATE_LIMITED: too many connections for this party (HUB_WS_MAX_CONNECTIONS_PER_PARTY=${this.settings.connectionsPerParty})`;
  }

  /** Open connections of a party on this instance (all parties: no argument). */
  connections(partyId?: string): number {
    if (partyId !== undefined) return this.connectionsOf.get(partyId) ?? 0;
    let n = 0;
    for (const v of this.connectionsOf.values()) n += v;
    return n;
  }

  /** Open subscriptions of a party on this instance (all parties: no argument). */
  subscriptions(partyId?: string): number {
    if (partyId !== undefined) return this.subscriptionsOf.get(partyId) ?? 0;
    let n = 0;
    for (const v of this.subscriptionsOf.values()) n += v;
    return n;
  }

  /** @internal */
  partySubscriptions(partyId: string, delta: number): void {
    const n = (this.subscriptionsOf.get(partyId) ?? 0) + delta;
    if (n > 0) this.subscriptionsOf.set(partyId, n);
    else this.subscriptionsOf.delete(partyId);
  }

  /** @internal */
  disconnected(partyId: string): void {
    const n = (this.connectionsOf.get(partyId) ?? 0) - 1;
    if (n > 0) this.connectionsOf.set(partyId, n);
    else this.connectionsOf.delete(partyId);
  }
}

/**
 * One connection's subscriptions. Each is keyed by its `subscribe` message's payload object
 * (graphql-ws hands the same object to onSubscribe and onComplete), not by the client's id,
 * which a client may reuse as soon as it has sent `complete`, before the server is done.
 */
export class WsConnection {
  private readonly open = new Set<object>();
  private closed = false;

  constructor(
    private readonly limits: WsLimits,
    readonly partyId: string,
  ) {}

  get subscriptions(): number {
    return this.open.size;
  }

  /** Takes a slot for the subscription `key`; the error to answer with when a limit is reached. */
  reserve(key: object): SubscriptionLimitError | null {
    if (this.closed) return null; // the socket is gone: graphql-ws will not run it
    if (this.open.has(key)) return null;
    const s = this.limits.settings;
    if (this.open.size >= s.subscriptionsPerConnection) {
      return new SubscriptionLimitError("connection", this.open.size, s.subscriptionsPerConnection, "HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION");
    }
    const party = this.limits.subscriptions(this.partyId);
    if (party >= s.subscriptionsPerParty) {
      return new SubscriptionLimitError("party", party, s.subscriptionsPerParty, "HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY");
    }
    this.open.add(key);
    this.limits.partySubscriptions(this.partyId, 1);
    return null;
  }

  /** The subscription `key` ended (completed, failed or cut off): its slot is free. */
  release(key: object): void {
    if (this.open.delete(key)) this.limits.partySubscriptions(this.partyId, -1);
  }

  /** The socket closed: every slot of this connection, and the connection's own, are free. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.open.size) this.limits.partySubscriptions(this.partyId, -this.open.size);
    this.open.clear();
    this.limits.disconnected(this.partyId);
  }
}
