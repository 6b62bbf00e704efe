import { randomUUID } from "node:crypto";
import Redis, { type RedisOptions } from "ioredis";
import { HubError } from "../shared/errors";
import { createLogger, type Logger } from "./logger";

/** Events the hub publishes; payloads carry ids only, subscribers re-read under their policy. */
export interface HubEvents {
  [key: string]: [unknown];
  HOLD_PLACED: [{ holdId: string; declarationId: string }];
  DECLARATION_STATUS_CHANGED: [{ declarationId: string; status: string; previousStatus: string }];
  AGREEMENTS_CHANGED: [{ partyIds: string[] }];
  /** rules or exchange rates of these jurisdictions were published: drop cached rule books */
  RULES_CHANGED: [{ jurisdictions: string[] }];
  /** a write committed outbox events: event feeds read them from the database */
  EVENTS_APPENDED: [Record<string, never>];
}

export const TOPICS = {
  HOLD_PLACED: "HOLD_PLACED",
  DECLARATION_STATUS_CHANGED: "DECLARATION_STATUS_CHANGED",
  AGREEMENTS_CHANGED: "AGREEMENTS_CHANGED",
  RULES_CHANGED: "RULES_CHANGED",
  EVENTS_APPENDED: "EVENTS_APPENDED",
} as const;

type Topic = keyof HubEvents & string;
type Payload<K extends Topic> = HubEvents[K][0];

/** What a subscriber that fell too far behind gets instead of its next event. */
export class SubscriptionOverflowError extends HubError {
  constructor(limit: number) {
    super(
      "RATE_LIMITED",
      `This subscription fell more than ${limit} events behind and was ended; subscribe again with after set to the ` +
        "last eventId you received to get the events you missed, then live ones",
      { reason: "SUBSCRIPTION_FELL_BEHIND", buffer: limit },
    );
  }
}

export interface SubscribeOptions {
  /** events kept for a subscriber that has not asked for them yet (default: the pub/sub's) */
  buffer?: number;
  /**
   * Past the buffer: `error` ends the subscription (the next read rejects with
   * SubscriptionOverflowError); `drop-oldest` (default, for the hub's own listeners such
   * as the agreement cache) forgets the oldest buffered event and logs it.
   */
  overflow?: "error" | "drop-oldest";
}

/** One subscriber's events: an async iterator over a bounded buffer; publishing never waits or throws. */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private buffered: T[] = [];
  private readers: ((r: IteratorResult<T>) => void)[] = [];
  private failure: Error | null = null;
  private ended = false;

  constructor(
    private readonly limit: number,
    private readonly overflow: "error" | "drop-oldest",
    private readonly onEnd: () => void,
    private readonly onDrop: () => void,
  ) {}

  /** Called by the publisher: O(1), never throws. */
  push(value: T): void {
    if (this.ended) return;
    const reader = this.readers.shift();
    if (reader) return reader({ value, done: false });
    if (this.buffered.length >= this.limit) {
      if (this.overflow === "error") {
        this.buffered = [];
        this.failure = new SubscriptionOverflowError(this.limit);
        this.end();
        return;
      }
      this.buffered.shift();
      this.onDrop();
    }
    this.buffered.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.readers.push(resolve));
  }

  /** Whatever is buffered now (at most `max`), without waiting: lets a consumer handle events in batches. */
  takeBuffered(max: number): T[] {
    return this.buffered.splice(0, max);
  }

  return(): Promise<IteratorResult<T>> {
    this.buffered = [];
    this.failure = null;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
    this.onEnd();
  }
}

export interface HubPubSubApi {
  /** Delivers to this instance's subscribers at once and, with Redis, to the other instances. Never throws. */
  publish<K extends Topic>(topic: K, payload: Payload<K>): void;
  subscribe<K extends Topic>(topic: K, opts?: SubscribeOptions): EventStream<Payload<K>>;
}

export type RedisState = "disabled" | "up" | "down";

export interface HubPubSub {
  pubsub: HubPubSubApi;
  /** For /readyz: `disabled` without REDIS_URL; `down` while events reach only this instance. */
  redisState(): RedisState;
  close(): Promise<void>;
}

export interface HubPubSubOptions {
  /** channel prefix, so deployments sharing a Redis do not hear each other (HUB_REDIS_PREFIX) */
  prefix?: string;
  /** default per-subscriber buffer (HUB_SUBSCRIPTION_BUFFER) */
  subscriptionBuffer?: number;
  /** every Redis command's timeout, ms (HUB_REDIS_TIMEOUT_MS) */
  timeoutMs?: number;
  log?: Logger;
}

/**
 * ioredis options for a client that never waits long and never queues: commands fail
 * after `timeoutMs` (commandTimeout) and fail at once while disconnected (no offline
 * queue, no retry per request); a socket that stops answering is dropped (socketTimeout)
 * and reconnected forever with a capped backoff. Callers must attach an `error` listener.
 */
export function redisClientOptions(timeoutMs: number): RedisOptions {
  return {
    commandTimeout: timeoutMs,
    socketTimeout: Math.max(2 * timeoutMs, 1000),
    connectTimeout: Math.max(4 * timeoutMs, 2000),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false, // re-subscribed by us, with a handled promise
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
}

/** Logs an outage once when it starts and once when it ends; never per failed call. */
export class OutageLog {
  private down = false;
  private started = false;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
    private readonly consequence: string,
  ) {}

  get isDown(): boolean {
    return this.down;
  }

  failed(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, `${this.what}: Redis unreachable${this.started ? "" : " at start"}; ${this.consequence}`);
    this.started = true;
  }

  recovered(): void {
    if (this.down) this.log.info(`${this.what}: Redis answers again`);
    this.down = false;
    this.started = true;
  }
}

/** In-process by default; with REDIS_URL, also shared with every instance on the same Redis and prefix. */
export function createHubPubSub(redisUrl: string | undefined, opts: HubPubSubOptions = {}): HubPubSub {
  const log = opts.log ?? createLogger("silent");
  const defaultBuffer = opts.subscriptionBuffer ?? 256;
  const listeners = new Map<string, Set<EventStream<unknown>>>();

  const deliver = (topic: string, payload: unknown) => {
    const set = listeners.get(topic);
    if (!set) return;
    for (const stream of [...set]) {
      try {
        stream.push(payload);
      } catch (err) {
        log.error({ err, topic }, "pub/sub: a subscriber failed to take an event");
      }
    }
  };

  const redis = redisUrl ? new RedisLink(redisUrl, opts.prefix ?? "luxor", opts.timeoutMs ?? 500, log, deliver) : null;

  const pubsub: HubPubSubApi = {
    publish(topic, payload) {
      try {
        deliver(topic, payload);
        redis?.publish(topic, payload);
      } catch (err) {
        log.error({ err, topic }, "pub/sub: publishing failed");
      }
    },
    subscribe<K extends Topic>(topic: K, sub: SubscribeOptions = {}) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      let dropped = 0;
      const stream: EventStream<Payload<K>> = new EventStream(
        Math.max(1, sub.buffer ?? defaultBuffer),
        sub.overflow ?? "drop-oldest",
        () => set.delete(stream as EventStream<unknown>),
        () => {
          if (dropped++ === 0) log.warn({ topic }, "pub/sub: an internal subscriber fell behind; its oldest events are dropped");
        },
      );
      set.add(stream as EventStream<unknown>);
      redis?.want(topic);
      return stream;
    },
  };

  return {
    pubsub,
    redisState: () => (redis ? (redis.isUp() ? "up" : "down") : "disabled"),
    close: async () => {
      for (const set of listeners.values()) for (const stream of [...set]) void stream.return();
      await redis?.close();
    },
  };
}

/**
 * A command that timed out may only mean that this process ran late (a busy event loop
 * fires the timer before it reads the reply): one ping confirms the outage before it is
 * reported. Other failures (connection refused, closed, not connected) count at once.
 */
export function confirmOutage(client: Redis, err: unknown, onDown: (err: unknown) => void): void {
  if (err instanceof Error && err.message === "Command timed out") confirmByPing(client, onDown);
  else onDown(err);
}

/** Pings `client`; `onDown` if that fails too. At most one such ping per client at a time. */
export function confirmByPing(client: Redis, onDown: (err: unknown) => void): void {
  if (confirming.has(client)) return;
  confirming.add(client);
  client.ping().then(
    () => confirming.delete(client),
    (err: unknown) => {
      confirming.delete(client);
      onDown(err);
    },
  );
}
const confirming = new WeakSet<Redis>();

/**
 * The Redis side: one client publishes, one listens on `<prefix>:<topic>` channels. Each
 * message carries the sending instance's id, so an instance skips its own (it delivered
 * them locally already). Failures are logged once per outage; events published while
 * Redis is unreachable reach this instance's subscribers only.
 */
class RedisLink {
  private readonly id = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channels: Set<string>;
  private readonly outage: OutageLog;
  private readonly health: NodeJS.Timeout;
  private pubAnswers = false;
  private subAnswers = false;
  private subscribed = false;
  private subscribing = false;
  private closing = false;

  constructor(
    url: string,
    private readonly prefix: string,
    timeoutMs: number,
    log: Logger,
    private readonly deliver: (topic: string, payload: unknown) => void,
  ) {
    this.channels = new Set(Object.values(TOPICS).map((t) => this.channel(t)));
    this.outage = new OutageLog(log, "pub/sub", "events reach only this instance's subscribers until it answers again");
    const options = redisClientOptions(timeoutMs);
    this.pub = new Redis(url, { ...options, connectionName: `${prefix}-pub` });
    this.sub = new Redis(url, { ...options, connectionName: `${prefix}-sub` });

    this.pub.on("error", (err) => this.down(err));
    this.pub.on("close", () => this.down(new Error("connection closed"), () => (this.pubAnswers = false)));
    this.pub.on("ready", () => {
      this.pubAnswers = true;
      this.check();
    });

    this.sub.on("error", (err) => this.down(err));
    this.sub.on("close", () => this.down(new Error("connection closed"), () => ((this.subAnswers = false), (this.subscribed = false))));
    this.sub.on("ready", () => {
      this.subAnswers = true;
      this.subscribed = false;
      this.subscribeAll();
    });
    this.sub.on("message", (channel: string, message: string) => this.receive(channel, message));

    // A silent partition sends no `close`: both clients are pinged; a ping that times out
    // (twice) marks Redis down, and the socket timeout drops the connection to reconnect.
    this.health = setInterval(() => this.ping(), Math.max(1000, 4 * timeoutMs));
    this.health.unref();
  }

  isUp(): boolean {
    return this.pubAnswers && this.subAnswers && this.subscribed && this.pub.status === "ready" && this.sub.status === "ready";
  }

  publish(topic: string, payload: unknown): void {
    // while disconnected the event reaches this instance only; the outage is logged by the client's listeners
    if (this.pub.status !== "ready") return;
    const message = JSON.stringify({ o: this.id, p: payload });
    this.pub.publish(this.channel(topic), message).then(
      () => this.answered(() => (this.pubAnswers = true)),
      (err: unknown) => this.failed(this.pub, err, () => (this.pubAnswers = false)),
    );
  }

  /** Listens on a topic's channel from now on (the hub's topics from the start). */
  want(topic: string): void {
    const channel = this.channel(topic);
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    if (this.sub.status === "ready") this.subscribeAll();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.health);
    const quit = (c: Redis) => (c.status === "ready" ? c.quit().then(() => undefined) : Promise.resolve(c.disconnect())).catch(() => c.disconnect());
    await Promise.allSettled([quit(this.pub), quit(this.sub)]);
  }

  private channel(topic: string): string {
    return `${this.prefix}:${topic}`;
  }

  /** SUBSCRIBE to every wanted channel (again: harmless); retried by the health check until it succeeds. */
  private subscribeAll(): void {
    this.subscribing = true;
    this.sub.subscribe(...this.channels).then(
      () => {
        this.subscribing = false;
        this.answered(() => (this.subscribed = true));
      },
      (err: unknown) => {
        this.subscribing = false;
        this.subscribed = false;
        this.failed(this.sub, err);
      },
    );
  }

  private receive(channel: string, message: string): void {
    try {
      if (!channel.startsWith(`${this.prefix}:`)) return;
      const envelope = JSON.parse(message) as { o?: unknown; p?: unknown };
      if (envelope.o === this.id) return; // ours: delivered locally when published
      this.deliver(channel.slice(this.prefix.length + 1), envelope.p);
    } catch {
      // not one of ours: ignore
    }
  }

  private ping(): void {
    if (this.sub.status === "ready" && !this.subscribed && !this.subscribing) this.subscribeAll();
    for (const [client, mark] of [
      [this.pub, (ok: boolean) => (this.pubAnswers = ok)],
      [this.sub, (ok: boolean) => (this.subAnswers = ok)],
    ] as const) {
      if (client.status !== "ready") continue;
      client.ping().then(
        () => this.answered(() => mark(true)),
        (err: unknown) => this.failed(client, err, () => mark(false)),
      );
    }
  }

  private answered(mark: () => void): void {
    mark();
    this.check();
  }

  /** A call failed: a connection error counts at once, a timeout once a ping confirms it. */
  private failed(client: Redis, err: unknown, mark?: () => void): void {
    if (this.closing) return;
    confirmOutage(client, err, (confirmed) => this.down(confirmed, mark));
  }

  private down(err: unknown, mark?: () => void): void {
    if (this.closing) return;
    mark?.();
    this.outage.failed(err);
  }

  private check(): void {
    if (!this.closing && this.isUp()) this.outage.recovered();
  }
}
