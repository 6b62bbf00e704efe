import "reflect-metadata";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Config } from "./config";
import { createHub, type Hub } from "./hub";
import type { EmbeddedPostgres } from "./infra/embedded-postgres";
import { createPrismaClient, type PrismaClient } from "./infra/prisma";
import type { DatabaseLimits } from "./infra/bounded-pool";
import { migrate, openStorage } from "./infra/storage";
import { createHubPubSub } from "./infra/pubsub";
import { createLogger, type Logger } from "./infra/logger";
import { buildHubSchema } from "./schema/build";
import { listen, startServer, type RunningServer } from "./server/server";
import { firstStartSetup, type FirstStartKey } from "./seed/setup";
import { WebhookWorker } from "./modules/webhooks/webhook.worker";
import { flushTracing } from "./infra/tracing";

export interface RunningHub {
  hub: Hub;
  server: RunningServer;
  databaseUrl: string;
  /** keys issued by this start's first-start setup (operator, demo), else null */
  firstStartKeys: FirstStartKey[] | null;
  stop(): Promise<void>;
}

export interface StartHubOptions {
  /** Shows the first start's keys (main prints them); they are stored hashed, so this is their only showing. */
  showKeys?: (keys: FirstStartKey[], resumed: boolean) => void;
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

/** The port must be free before anything is written: a start that cannot listen changes nothing. */
async function assertPortFree(port: number, host: string | undefined): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await listen(probe, port, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * Starts a hub: checks (port, database), storage (PostgreSQL at DATABASE_URL, else embedded),
 * migrations, the first start's keys and demo world (resumed after a crash), schema, HTTP +
 * WebSocket. stop() drains in that order backwards. A failure stops what was started.
 */
export async function startHub(config: Config, log: Logger = createLogger(config.LOG_LEVEL), opts: StartHubOptions = {}): Promise<RunningHub> {
  await assertPortFree(config.PORT, config.HOST);
  const { url: databaseUrl, embedded } = await openStorage(config, log);
  let prisma: PrismaClient | undefined;
  try {
    await migrate(databaseUrl, log);
    prisma = createPrismaClient(databaseUrl, { embedded: embedded !== null, poolSize: config.HUB_DB_POOL_SIZE, limits: databaseLimits(config) });
    return await startServing(config, log, prisma, databaseUrl, embedded, opts);
  } catch (err) {
    await prisma?.$disconnect().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

export function databaseLimits(config: Config): DatabaseLimits {
  return {
    connectMs: config.HUB_DB_CONNECT_TIMEOUT_MS,
    acquireMs: config.HUB_DB_ACQUIRE_TIMEOUT_MS,
    statementMs: config.HUB_DB_STATEMENT_TIMEOUT_MS,
    queueMax: config.HUB_DB_QUEUE_MAX,
  };
}

async function startServing(
  config: Config,
  log: Logger,
  prisma: PrismaClient,
  databaseUrl: string,
  embedded: EmbeddedPostgres | null,
  opts: StartHubOptions,
): Promise<RunningHub> {
  const events = createHubPubSub(config.REDIS_URL, {
    prefix: config.HUB_REDIS_PREFIX,
    subscriptionBuffer: config.HUB_SUBSCRIPTION_BUFFER,
    timeoutMs: config.HUB_REDIS_TIMEOUT_MS,
    log,
  });
  const hub = createHub(config, prisma, log, events);
  await hub.services.parties.ensureOperatorParty();
  const firstStartKeys = await firstStartSetup(hub, {
    seed: config.HUB_SEED,
    declarations: config.HUB_SEED_DECLARATIONS,
    log,
    show: opts.showKeys ?? (() => undefined),
  });
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

  const expected = migrationNames();
  const ready = async () => {
    const rows = await prisma.$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
    const done = new Set(rows.map((r) => r.migration_name));
    return expected.every((m) => done.has(m));
  };

  const schema = await buildHubSchema(events, { debug: false });
  // What runs beside the server; stopped on shutdown and when the server cannot start.
  const stopBackground = async (): Promise<void> => {
    stopRetention();
    stopEventRetention();
    hub.feed.stop();
    hub.dbHealth.stop();
    await hub.accessLog.close();
    await events.close();
    await hub.services.analytics.close();
  };
  let server: RunningServer;
  try {
    server = await startServer(hub, schema, config.PORT, ready, { host: config.HOST });
  } catch (err) {
    await stopBackground();
    throw err;
  }
  // Webhook deliveries, in every instance (claims are shared safely through the database).
  const webhooks = new WebhookWorker(hub, schema);
  if (config.HUB_WEBHOOK_WORKER === "on") webhooks.start();

  let stopping: Promise<void> | undefined;
  return {
    hub,
    server,
    databaseUrl,
    firstStartKeys,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
        await webhooks.stop();
        await stopBackground();
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
