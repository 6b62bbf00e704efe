import { ApolloArmor } from "@escape.tech/graphql-armor";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import Redis from "ioredis";
import type { Config } from "../config";
import { createLogger, type Logger } from "../infra/logger";
import { confirmByPing, OutageLog, redisClientOptions } from "../infra/pubsub";
import type { ApolloServerPlugin } from "@apollo/server";
import type { HubContext } from "../context/context";
import type { Principal } from "../authz/principal";
import type { Quota } from "../modules/ratelimits";
import { RateLimitedError } from "../shared/errors";

/** Depth, aliases, cost, tokens and directives: the same limits over HTTP and WebSocket. */
export function createArmor(config: Config) {
  return new ApolloArmor({
    maxDepth: { n: config.HUB_MAX_DEPTH, propagateOnRejection: true },
    maxAliases: { n: config.HUB_MAX_ALIASES },
    costLimit: { maxCost: config.HUB_MAX_COST, objectCost: 2, scalarCost: 1, depthCostFactor: 1.5 },
    maxTokens: { n: config.HUB_MAX_TOKENS },
    maxDirectives: { n: 50 },
    blockFieldSuggestion: { enabled: config.isProduction },
  });
}

/** A quota with what is left of its current window, for the RateLimit headers. */
export interface QuotaState extends Quota {
  remaining: number;
  /** seconds until the window starts again */
  resetSeconds: number;
  exceeded: boolean;
}

/** RATE_LIMITED, with the windows' state for the RateLimit and Retry-After headers. */
export class QuotaExceededError extends RateLimitedError {
  constructor(readonly states: QuotaState[]) {
    super(Math.max(1, ...states.filter((s) => s.exceeded).map((s) => s.resetSeconds)));
  }
}

/**
 * The RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers
 * (`"minute";q=600000;w=60` and `"minute";r=599990;t=42`), one item per window counted.
 */
export function rateLimitHeaders(states: QuotaState[]): [string, string][] {
  return [
    ["ratelimit-policy", states.map((s) => `"${s.name}";q=${s.limit};w=${s.windowSeconds}`).join(", ")],
    ["ratelimit", states.map((s) => `"${s.name}";r=${s.remaining};t=${s.resetSeconds}`).join(", ")],
  ];
}

/** The response headers an error raised before execution carries (429: Retry-After and RateLimit). */
export function errorHeaders(err: unknown): Map<string, string> | undefined {
  if (!(err instanceof QuotaExceededError)) return undefined;
  return new Map([["retry-after", String(err.extensions.retryAfterSeconds)], ...rateLimitHeaders(err.states)]);
}

/** Counters never refuse by themselves: the party's quota is compared with the count here. */
const UNLIMITED = 1e15;

/**
 * Requests per party, counted per window (a minute, and 24 hours where the party has a
 * quota), against the party's policy (src/modules/ratelimits); callers without a key per
 * address, against HUB_RATE_LIMIT_PER_MINUTE. Shared through Redis if set. Redis never holds
 * a request up: every call times out after HUB_REDIS_TIMEOUT_MS, and while Redis is
 * unreachable (or not yet connected) this instance counts in memory.
 */
export class RateLimit {
  private readonly limiters = new Map<number, RateLimiterAbstract>();
  private readonly redis: Redis | undefined;
  private readonly outage: OutageLog | undefined;
  private readonly keyPrefix: string;
  private readonly anonymous: Quota[];
  private readonly states = new WeakMap<object, QuotaState[]>();
  private closing = false;

  constructor(
    config: Config,
    log: Logger = createLogger("silent"),
    /** a party's quotas (RateLimitService.quotasFor) */
    private readonly quotasOf: (principal: Principal) => Promise<Quota[]> = async () => [],
  ) {
    this.keyPrefix = `${config.HUB_REDIS_PREFIX}:rl`;
    this.anonymous = [{ name: "minute", limit: config.HUB_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 }];
    if (config.REDIS_URL) {
      const outage = (this.outage = new OutageLog(log, "rate limit", "limits are counted in memory on each instance until it answers again"));
      const redis = (this.redis = new Redis(config.REDIS_URL, { ...redisClientOptions(config.HUB_REDIS_TIMEOUT_MS), connectionName: this.keyPrefix }));
      redis.on("error", (err) => this.closing || outage.failed(err));
      redis.on("close", () => this.closing || outage.failed(new Error("connection closed")));
      redis.on("ready", () => outage.recovered());
    }
  }

  /** Counts a request of `principal` (without one: of `address`); RATE_LIMITED when a window is full. */
  async check(principal: Principal | null, address?: string): Promise<QuotaState[]> {
    const key = principal ? `party:${principal.partyId}` : `ip:${address ?? "unknown"}`;
    const quotas = principal ? await this.quotasOf(principal) : this.anonymous;
    const states = await Promise.all(quotas.map((q) => this.count(key, q)));
    if (states.some((s) => s.exceeded)) throw new QuotaExceededError(states);
    return states;
  }

  /** The state a request's context was admitted with, for its response headers (plugin). */
  remember(context: HubContext, states: QuotaState[]): void {
    // keyed by the request's own authz: Apollo hands plugins a shallow copy of the context
    this.states.set(context.authz, states);
  }

  /** Sets RateLimit-Policy and RateLimit on every response of an admitted request. */
  plugin(): ApolloServerPlugin<HubContext> {
    const states = this.states;
    return {
      async requestDidStart({ contextValue }) {
        const admitted = states.get(contextValue.authz);
        if (!admitted?.length) return;
        return {
          async willSendResponse({ response }) {
            for (const [name, value] of rateLimitHeaders(admitted)) response.http.headers.set(name, value);
          },
        };
      },
    };
  }

  private async count(key: string, quota: Quota): Promise<QuotaState> {
    const res = await this.limiter(quota.windowSeconds).consume(key);
    const used = res.consumedPoints;
    return {
      ...quota,
      remaining: Math.max(0, quota.limit - used),
      resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
      exceeded: used > quota.limit,
    };
  }

  private limiter(windowSeconds: number): RateLimiterAbstract {
    let limiter = this.limiters.get(windowSeconds);
    if (limiter) return limiter;
    const opts = { points: UNLIMITED, duration: windowSeconds, keyPrefix: `${this.keyPrefix}${windowSeconds}` };
    const redis = this.redis;
    const outage = this.outage;
    if (redis && outage) {
      // Used whenever the Redis call fails or times out, or the client is not ready (not
      // connected yet, or reconnecting: the client's listeners above log that).
      // A failure while connected is confirmed by a ping first (see confirmOutage).
      const insurance = new MemoryInsurance({ ...opts, keyPrefix: `${opts.keyPrefix}-local` }, () => {
        if (!this.closing && !outage.isDown && redis.status === "ready") confirmByPing(redis, (err) => this.closing || outage.failed(err));
      });
      limiter = new RateLimiterRedis({ ...opts, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: insurance });
    } else {
      limiter = new RateLimiterMemory(opts);
    }
    this.limiters.set(windowSeconds, limiter);
    return limiter;
  }

  async close(): Promise<void> {
    this.closing = true;
    const redis = this.redis;
    if (!redis) return;
    await (redis.status === "ready" ? redis.quit().then(() => undefined) : Promise.resolve(redis.disconnect())).catch(() => redis.disconnect());
  }
}

/** The in-memory limiter Redis falls back to; tells the outage log each time it stands in. */
class MemoryInsurance extends RateLimiterMemory {
  constructor(
    opts: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly standingIn: () => void,
  ) {
    super(opts);
  }

  override consume(...args: Parameters<RateLimiterMemory["consume"]>): ReturnType<RateLimiterMemory["consume"]> {
    this.standingIn();
    return super.consume(...args);
  }
}
