import { createLogger, type Logger } from "./logger";
import { EventStream, type SubscribeOptions } from "./event-stream";
import { RedisLink } from "./redis-link";

export { EventStream, SubscriptionOverflowError, type SubscribeOptions } from "./event-stream";
export { confirmByPing, confirmOutage, OutageLog, redisClientOptions } from "./redis-link";

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

  const redis = redisUrl ? new RedisLink(redisUrl, opts.prefix ?? "luxor", opts.timeoutMs ?? 500, log, deliver, Object.values(TOPICS)) : null;

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
