import { randomUUID } from "node:crypto";
import Redis, { type RedisOptions } from "ioredis";
import type { Logger } from "./logger";

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
export class RedisLink {
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
    /** the topics listened to from the start */
    topics: readonly string[],
  ) {
    this.channels = new Set(topics.map((t) => this.channel(t)));
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
