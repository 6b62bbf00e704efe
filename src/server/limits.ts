import { ApolloArmor } from "@escape.tech/graphql-armor";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import Redis from "ioredis";
import type { Config } from "../config";
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

/** Requests per minute per key (or per address when anonymous); shared through Redis if set. */
export class RateLimit {
  private readonly limiter: RateLimiterAbstract;
  private readonly redis: Redis | undefined;

  constructor(config: Config) {
    const opts = { points: config.HUB_RATE_LIMIT_PER_MINUTE, duration: 60, keyPrefix: "luxor-rl" };
    if (config.REDIS_URL) {
      this.redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      this.limiter = new RateLimiterRedis({ ...opts, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(opts) });
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
    await this.redis?.quit().catch(() => undefined);
  }
}
