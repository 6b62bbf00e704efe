import { ApolloArmor } from "@escape.tech/graphql-armor";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import Redis from "ioredis";
import type { Config } from "../config";
import { createLogger, type Logger } from "../infra/logger";
import { confirmByPing, OutageLog, redisClientOptions } from "../infra/pubsub";
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

/**
 * Requests per minute per key (or per address when anonymous); shared through Redis if set.
 * Redis never holds a request up: every call times out after HUB_REDIS_TIMEOUT_MS, and
 * while Redis is unreachable (or not yet connected) this instance counts in memory.
 */
export class RateLimit {
  private readonly limiter: RateLimiterAbstract;
  private readonly redis: Redis | undefined;
  private closing = false;

  constructor(config: Config, log: Logger = createLogger("silent")) {
    const keyPrefix = `${config.HUB_REDIS_PREFIX}:rl`;
    const opts = { points: config.HUB_RATE_LIMIT_PER_MINUTE, duration: 60, keyPrefix };
    if (config.REDIS_URL) {
      const outage = new OutageLog(log, "rate limit", "limits are counted in memory on each instance until it answers again");
      const redis = (this.redis = new Redis(config.REDIS_URL, { ...redisClientOptions(config.HUB_REDIS_TIMEOUT_MS), connectionName: keyPrefix }));
      redis.on("error", (err) => this.closing || outage.failed(err));
      redis.on("close", () => this.closing || outage.failed(new Error("connection closed")));
      redis.on("ready", () => outage.recovered());
      // Used whenever the Redis call fails or times out, or the client is not ready (not
      // connected yet, or reconnecting: the client's listeners above log that).
      // A failure while connected is confirmed by a ping first (see confirmOutage).
      const insurance = new MemoryInsurance({ ...opts, keyPrefix: `${keyPrefix}-local` }, () => {
        if (!this.closing && !outage.isDown && redis.status === "ready") confirmByPing(redis, (err) => this.closing || outage.failed(err));
      });
      this.limiter = new RateLimiterRedis({ ...opts, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: insurance });
    } else {
      this.limiter = new RateLimiterMemory(opts);
    }
  }

  async consume(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (res) {
      if (res instanceof Error) throw res;
      const ms = (res as { msBeforeNext?: number }).msBeforeNext ?? 1000;
      throw new RateLimitedError(Math.ceil(ms / 1000));
    }
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
