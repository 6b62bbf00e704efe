import { z } from "zod";

// Environment parsed and validated once; everything else reads this typed object.
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z.string().url().optional(),
  /** optional read replica for analytics (declarations with `where`, declarationStats) */
  DATABASE_READ_URL: z.string().url().optional(),
  HUB_DATA_DIR: z.string().default("./.hub-data"),
  HUB_SEED: z.enum(["demo", "none"]).default("demo"),
  HUB_SEED_DECLARATIONS: z.coerce.number().int().min(0).default(3000),
  REDIS_URL: z
    .string()
    .url()
    .refine((u) => /^rediss?:\/\/[^/?#]/.test(u), "REDIS_URL must be a redis:// or rediss:// URL with a host")
    .optional(),
  HUB_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "HUB_REDIS_PREFIX must be 1 to 64 of A-Z, a-z, 0-9, '_', '.', '-'")
    .default("luxor"),
  HUB_REDIS_TIMEOUT_MS: z.coerce.number().int().min(50).max(60000).default(500),
  HUB_SUBSCRIPTION_BUFFER: z.coerce.number().int().min(1).max(100000).default(256),
  // WebSocket limits (src/server/ws-limits.ts), per hub instance
  HUB_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(10000).default(20),
  HUB_WS_MAX_SUBSCRIPTIONS_PER_PARTY: z.coerce.number().int().min(1).max(10000000).default(5000),
  HUB_WS_MAX_CONNECTIONS_PER_PARTY: z.coerce.number().int().min(1).max(10000000).default(1000),
  HUB_WS_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600000).default(3000),
  HUB_ADMIN_TOKEN: z.string().min(16, "HUB_ADMIN_TOKEN must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HUB_MAX_DEPTH: z.coerce.number().int().positive().default(10),
  HUB_MAX_ALIASES: z.coerce.number().int().positive().default(30),
  HUB_MAX_COST: z.coerce.number().int().positive().default(50000),
  HUB_MAX_TOKENS: z.coerce.number().int().positive().default(5000),
  HUB_BODY_LIMIT: z.string().default("2mb"),
  // requests per minute per address for callers without a key; parties: RateLimitPolicy rows
  HUB_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(6000),
  HUB_RATE_LIMIT_CACHE_MS: z.coerce.number().int().min(0).max(600000).default(5000),
  // Observability (README "Observability"): Prometheus /metrics, one log line per request
  HUB_METRICS: z.enum(["on", "off"]).default("on"),
  HUB_METRICS_TOKEN: z.string().min(16, "HUB_METRICS_TOKEN must be at least 16 characters").optional(),
  HUB_REQUEST_LOG: z.enum(["on", "off"]).default("on"),
  HUB_AGREEMENT_CACHE_MS: z.coerce.number().int().min(0).default(2000),
  HUB_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  HUB_EVENT_POLL_MS: z.coerce.number().int().min(50).max(60000).default(1000),
  HUB_IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(24),
  HUB_ACCESS_LOG_FLUSH_MS: z.coerce.number().int().positive().default(500),
  // Analytics (src/modules/analytics): reference currency, small-group suppression, limits
  HUB_REFERENCE_CURRENCY: z.string().regex(/^[A-Z]{3}$/, "HUB_REFERENCE_CURRENCY must be an ISO 4217 code").default("EUR"),
  HUB_STATS_MIN_GROUP_SIZE: z.coerce.number().int().min(1).max(1000000).default(5),
  HUB_ANALYTICS_TIMEOUT_MS: z.coerce.number().int().min(10).max(600000).default(10000),
  HUB_ANALYTICS_MAX_COST: z.coerce.number().int().min(1).max(1000000).default(2000),
  // the GraphQL IDE at /graphql for browsers, and introspection (src/server/web.ts);
  // unset: on, except with NODE_ENV=production
  HUB_IDE: z.enum(["on", "off"]).optional(),
  HUB_INTROSPECTION: z.enum(["on", "off"]).optional(),
  // Webhooks (src/modules/webhooks): SSRF allow-list, timeouts, retries, the worker.
  HUB_WEBHOOK_ALLOW_HOSTS: z.string().default(""),
  HUB_WEBHOOK_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  HUB_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(200).max(120000).default(15000),
  HUB_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(25),
  HUB_WEBHOOK_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(30 * 86400).default(86400),
  HUB_WEBHOOK_BACKOFF_BASE_MS: z.coerce.number().int().min(10).max(3600000).default(2000),
  HUB_WEBHOOK_BACKOFF_MAX_MS: z.coerce.number().int().min(10).max(86400000).default(900000),
  HUB_WEBHOOK_POLL_MS: z.coerce.number().int().min(20).max(60000).default(1000),
  HUB_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  HUB_WEBHOOK_WORKER: z.enum(["on", "off"]).default("on"),
  HUB_WEBHOOK_SECRET_KEY: z.string().min(32, "HUB_WEBHOOK_SECRET_KEY must be at least 32 characters").optional(),
});

export type Config = z.infer<typeof schema> & { isProduction: boolean; isDevelopment: boolean };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`DATABASE_URL=`) means "not set", as in most shells' habits.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return {
    ...parsed.data,
    isProduction: parsed.data.NODE_ENV === "production",
    isDevelopment: parsed.data.NODE_ENV === "development",
  };
}
