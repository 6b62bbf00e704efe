import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "./config";
import { createHub, type Hub } from "./hub";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./infra/embedded-postgres";
import { applyPendingMigrations } from "./infra/migrations";
import { createPrismaClient } from "./infra/prisma";
import { createHubPubSub } from "./infra/pubsub";
import { createLogger, type Logger } from "./infra/logger";
import { buildHubSchema } from "./schema/build";
import { startServer, type RunningServer } from "./server/server";
import { seedDemoWorld, type DemoKeys } from "./seed/demo-world";
import { WebhookWorker } from "./modules/webhooks/webhook.worker";
import { flushTracing } from "./infra/tracing";

export interface RunningHub {
  hub: Hub;
  server: RunningServer;
  databaseUrl: string;
  demoKeys: DemoKeys | null;
  stop(): Promise<void>;
}

function migrationNames(): string[] {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  const migrations = path.join(dir, "prisma", "migrations");
  return fs
    .readdirSync(migrations, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

/**
 * Starts a hub: storage (PostgreSQL at DATABASE_URL, else embedded), migrations, demo
 * seed on an empty store, schema, HTTP + WebSocket. stop() drains in that order backwards.
 */
export async function startHub(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): Promise<RunningHub> {
  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.HUB_DATA_DIR);
    databaseUrl = embedded.url;
    log.info({ dataDir: path.resolve(config.HUB_DATA_DIR) }, "using embedded PostgreSQL (PGlite)");
  }
  const applied = await applyPendingMigrations(databaseUrl);
  if (applied.length) log.info({ applied }, "migrations applied");

  const prisma = createPrismaClient(databaseUrl, { embedded: embedded !== null });
  const events = createHubPubSub(config.REDIS_URL, {
    prefix: config.HUB_REDIS_PREFIX,
    subscriptionBuffer: config.HUB_SUBSCRIPTION_BUFFER,
    timeoutMs: config.HUB_REDIS_TIMEOUT_MS,
    log,
  });
  const hub = createHub(config, prisma, log, events);
  await hub.services.parties.ensureOperatorParty();
  // Retention, hourly in the background: idempotency keys, then events.
  const stopRetention = everyHour(() =>
    hub.services.writes
      .forgetIdempotencyOlderThan(config.HUB_IDEMPOTENCY_TTL_HOURS)
      .catch((err: unknown) => log.warn({ err }, "forgetting old idempotency records failed; will retry")),
  );
  const stopEventRetention = everyHour(() =>
    hub.feed.repo
      .forgetBefore(new Date(Date.now() - config.HUB_EVENT_RETENTION_DAYS * 86_400_000))
      .catch((err: unknown) => log.warn({ err }, "forgetting old events failed; will retry")),
  );

  let demoKeys: DemoKeys | null = null;
  if (config.HUB_SEED === "demo" && (await prisma.party.count()) <= 1) {
    demoKeys = await seedDemoWorld(hub, { declarations: config.HUB_SEED_DECLARATIONS, log });
  }

  const expected = migrationNames();
  const ready = async () => {
    const rows = await prisma.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
    const done = new Set(rows.map((r) => r.migration_name));
    return expected.every((m) => done.has(m));
  };

  const schema = await buildHubSchema(events, { debug: false });
  const server = await startServer(hub, schema, config.PORT, ready);
  // Webhook deliveries, in every instance (claims are shared safely through the database).
  const webhooks = new WebhookWorker(hub, schema);
  if (config.HUB_WEBHOOK_WORKER === "on") webhooks.start();

  let stopping: Promise<void> | undefined;
  return {
    hub,
    server,
    databaseUrl,
    demoKeys,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
        await webhooks.stop();
        stopRetention();
        stopEventRetention();
        hub.feed.stop();
        await hub.accessLog.close();
        await events.close();
        await hub.services.analytics.close();
        await prisma.$disconnect();
        await embedded?.stop();
        await flushTracing(); // the last requests' spans
      })()),
  };
}

/** Runs `task` now and every hour, in the background; returns the stop function. */
function everyHour(task: () => unknown): () => void {
  const timer = setInterval(task, 3_600_000);
  timer.unref();
  void task();
  return () => clearInterval(timer);
}
