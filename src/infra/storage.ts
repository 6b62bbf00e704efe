import path from "node:path";
import type { Config } from "../config";
import type { Logger } from "./logger";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";
import { applyPendingMigrations, pendingMigrations } from "./migrations";
import { checkDatabase, redactUrl } from "./postgres-admin";

export interface Storage {
  url: string;
  /** the embedded database (locked for this process), or null on PostgreSQL */
  embedded: EmbeddedPostgres | null;
}

/**
 * PostgreSQL at DATABASE_URL (checked first: an error says what to fix), else the embedded
 * database in HUB_DATA_DIR (locked: a second process gets an error naming the holder).
 */
export async function openStorage(config: Config, log: Logger): Promise<Storage> {
  if (config.DATABASE_URL) {
    await checkDatabase(config.DATABASE_URL, config.HUB_DB_CONNECT_TIMEOUT_MS);
    log.info({ database: redactUrl(config.DATABASE_URL) }, "using PostgreSQL");
    return { url: config.DATABASE_URL, embedded: null };
  }
  const dataDir = path.resolve(config.HUB_DATA_DIR);
  log.info({ dataDir }, "starting embedded PostgreSQL (PGlite)");
  const started = Date.now();
  const embedded = await startEmbeddedPostgres(config.HUB_DATA_DIR, {
    openTimeoutMs: config.HUB_EMBEDDED_OPEN_TIMEOUT_MS,
    onSlowOpen: (ms) => log.warn({ dataDir, ms, limitMs: config.HUB_EMBEDDED_OPEN_TIMEOUT_MS }, "embedded PostgreSQL (PGlite) is still opening"),
  });
  log.info({ ms: Date.now() - started }, "embedded PostgreSQL (PGlite) open");
  return { url: embedded.url, embedded };
}

/** Applies pending migrations, logging before and after (the first start's longest silent step otherwise). */
export async function migrate(url: string, log: Logger): Promise<void> {
  const pending = await pendingMigrations(url).catch((err: unknown) => {
    throw new Error(`The database did not answer the check of its migrations: ${(err as Error).message}`);
  });
  if (!pending.length) return;
  const started = Date.now();
  log.info({ pending: pending.length, first: pending[0], last: pending[pending.length - 1] }, "applying migrations");
  const applied = await applyPendingMigrations(url).catch((err: unknown) => {
    throw new Error(`Migrations failed (PostgreSQL rolled the failing one back): ${(err as Error).message}`);
  });
  log.info({ applied: applied.length, ms: Date.now() - started }, "migrations applied");
}
