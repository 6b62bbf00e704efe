import { z } from "zod";
import { ConfigError, int, num, oneOf, sizeLimit, postgresUrl, describeIssue } from "./vars";

export { ConfigError } from "./vars";

// Environment parsed and validated once; everything else reads this typed object. Every
// rule's message says what is allowed, so an error names the variable and its choices.
const schema = z.object({
  NODE_ENV: oneOf(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535, 4000),
  /** the interface to listen on (unset: every interface) */
  HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:\-[\]%]+$/, "a host name or IP address to listen on, e.g. 127.0.0.1, 0.0.0.0 or ::")
    .optional(),
  DATABASE_URL: postgresUrl().optional(),
  /** optional read replica for analytics (declarations with `where`, declarationStats) */
  DATABASE_READ_URL: postgresUrl().optional(),
  HUB_DATA_DIR: z.string().default("./.hub-data"),
  // opening the embedded database (initdb on a first start, recovery after a crash): then the start fails, saying so
  HUB_EMBEDDED_OPEN_TIMEOUT_MS: int(1000, 3_600_000, 300_000),
  // unset: "demo" on the embedded store, "none" on a PostgreSQL server (resolved below)
  HUB_SEED: oneOf(["demo", "none"]).optional(),
  HUB_SEED_DECLARATIONS: int(0, 10_000_000, 3000),
  // PostgreSQL: bounded waits (a silent partition must not hold requests forever)
  HUB_DB_POOL_SIZE: int(1, 1000, 10),
  HUB_DB_CONNECT_TIMEOUT_MS: int(100, 600_000, 5000),
  HUB_DB_ACQUIRE_TIMEOUT_MS: int(100, 600_000, 10_000),
  HUB_DB_STATEMENT_TIMEOUT_MS: int(100, 3_600_000, 30_000),
  HUB_DB_QUEUE_MAX: int(1, 1_000_000, 1000),
  HUB_RETRY_AFTER_SECONDS: int(1, 3600, 5),
  REDIS_URL: z
    .string()
    .url("a redis:// or rediss:// URL with a host")
    .refine((u) => /^rediss?:\/\/[^/?#]/.test(u), "a redis:// or rediss:// URL with a host")
    .optional(),
  HUB_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "1 to 64 of A-Z, a-z, 0-9, '_', '.', '-'")
    .default("luxor"),
  HUB_REDIS_TIMEOUT_MS: int(50, 60000, 500),
  HUB_SUBSCRIPTION_BUFFER: int(1, 100000, 256),
  // WebSocket limits (src/server/ws-limits.ts), per hub instance
  HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1, 10000, 20),
  HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY: int(1, 10000000, 5000),
  HUB_WS_MAX_CONNECTIONS_PER_PARTY: int(1, 10000000, 1000),
  HUB_WS_INIT_TIMEOUT_MS: int(100, 600000, 3000),
  HUB_ADMIN_TOKEN: z.string().min(16, "at least 16 characters").optional(),
  LOG_LEVEL: oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HUB_MAX_DEPTH: int(1, 1000, 10),
  HUB_MAX_ALIASES: int(1, 100000, 30),
  HUB_MAX_COST: int(1, 1_000_000_000, 50000),
  HUB_MAX_TOKENS: int(1, 10_000_000, 5000),
  HUB_BODY_LIMIT: sizeLimit().default("2mb"),
  // requests per minute per address for callers without a key; parties: RateLimitPolicy rows
  HUB_RATE_LIMIT_PER_MINUTE: int(1, 1_000_000_000, 6000),
  HUB_RATE_LIMIT_CACHE_MS: int(0, 600000, 5000),
  // Observability (README "Observability"): Prometheus /metrics, one log line per request
  HUB_METRICS: oneOf(["on", "off"]).default("on"),
  HUB_METRICS_TOKEN: z.string().min(16, "at least 16 characters").optional(),
  HUB_REQUEST_LOG: oneOf(["on", "off"]).default("on"),
  HUB_AGREEMENT_CACHE_MS: int(0, 86_400_000, 2000),
  HUB_EVENT_RETENTION_DAYS: int(1, 3650, 7),
  HUB_EVENT_POLL_MS: int(50, 60000, 1000),
  HUB_IDEMPOTENCY_TTL_HOURS: int(1, 24 * 365, 24),
  HUB_ACCESS_LOG_FLUSH_MS: int(1, 3_600_000, 500),
  // Analytics (src/modules/analytics): reference currency, small-group suppression, limits
  HUB_REFERENCE_CURRENCY: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 currency code such as EUR").default("EUR"),
  HUB_STATS_MIN_GROUP_SIZE: int(1, 1000000, 5),
  HUB_ANALYTICS_TIMEOUT_MS: int(10, 600000, 10000),
  HUB_ANALYTICS_MAX_COST: int(1, 1000000, 2000),
  HUB_ANALYTICS_PARALLEL_WORKERS: int(0, 64, 0),
  HUB_ANALYTICS_RANDOM_PAGE_COST: num(1, 100, 1.1),
  // totalCount of declarations pages: exact up to this many, past it this many and totalCountIsExact false
  HUB_COUNT_LIMIT: int(1, 100_000_000, 10000),
  // the GraphQL IDE at /graphql for browsers, introspection and the measurement page at
  // /dashboard (src/server/web.ts); unset: on, except with NODE_ENV=production
  HUB_IDE: oneOf(["on", "off"]).optional(),
  HUB_DASHBOARD: oneOf(["on", "off"]).optional(),
  HUB_INTROSPECTION: oneOf(["on", "off"]).optional(),
  // Webhooks (src/modules/webhooks): SSRF allow-list, timeouts, retries, the worker.
  HUB_WEBHOOK_ALLOW_HOSTS: z.string().default(""),
  HUB_WEBHOOK_CONNECT_TIMEOUT_MS: int(100, 60000, 5000),
  HUB_WEBHOOK_TIMEOUT_MS: int(200, 120000, 15000),
  HUB_WEBHOOK_MAX_ATTEMPTS: int(1, 1000, 25),
  HUB_WEBHOOK_MAX_AGE_SECONDS: int(1, 30 * 86400, 86400),
  HUB_WEBHOOK_BACKOFF_BASE_MS: int(10, 3600000, 2000),
  HUB_WEBHOOK_BACKOFF_MAX_MS: int(10, 86400000, 900000),
  HUB_WEBHOOK_POLL_MS: int(20, 60000, 1000),
  HUB_WEBHOOK_CONCURRENCY: int(1, 256, 8),
  HUB_WEBHOOK_WORKER: oneOf(["on", "off"]).default("on"),
  HUB_WEBHOOK_SECRET_KEY: z.string().min(32, "at least 32 characters").optional(),
});

type Parsed = z.infer<typeof schema>;
export type Config = Omit<Parsed, "HUB_SEED"> & { HUB_SEED: "demo" | "none"; isProduction: boolean; isDevelopment: boolean };

/** Throws a ConfigError naming every wrong variable, its value (secrets masked) and what is allowed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`DATABASE_URL=`) means "not set", as in most shells' habits.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(set);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => describeIssue(i, set)));
  return {
    ...parsed.data,
    // the demo world goes only into the embedded store unless asked for (HUB_SEED=demo)
    HUB_SEED: parsed.data.HUB_SEED ?? (parsed.data.DATABASE_URL ? "none" : "demo"),
    isProduction: parsed.data.NODE_ENV === "production",
    isDevelopment: parsed.data.NODE_ENV === "development",
  };
}
