import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../../src/infra/embedded-postgres";
import { applyPendingMigrations, migrationNames, migrationsDir } from "../../src/infra/migrations";
import { createPrismaClient, type PrismaClient } from "../../src/infra/prisma";
import { adminQuery, withDatabase } from "../../src/infra/postgres-admin";

export interface TestDatabase {
  url: string;
  prisma: PrismaClient;
  /** true: in-memory PGlite (one connection at a time); false: a database on a PostgreSQL server. */
  embedded: boolean;
  close(): Promise<void>;
}

export const DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/**
 * A fresh, migrated database and a Prisma client on it; one per test file.
 * TEST_DB=postgres: a uniquely named database on the server of TEST_DATABASE_URL (default
 * DEFAULT_TEST_DATABASE_URL), dropped on close. Otherwise an in-memory embedded PGlite.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  return process.env.TEST_DB === "postgres" ? createServerDatabase() : createEmbeddedDatabase();
}

async function createServerDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const name = `hub_test_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  await adminQuery(base, `CREATE DATABASE "${name}"`);
  const drop = () => adminQuery(base, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  const url = withDatabase(base, name);
  try {
    await applyPendingMigrations(url);
  } catch (err) {
    await drop();
    throw err;
  }
  const prisma = createPrismaClient(url, { embedded: false, poolSize: 5, queryEvents: true });
  return {
    url,
    prisma,
    embedded: false,
    async close() {
      await prisma.$disconnect();
      await drop();
    },
  };
}

async function createEmbeddedDatabase(): Promise<TestDatabase> {
  const template = await embeddedTemplate();
  const db = await startEmbeddedPostgres("memory", { loadFrom: template }).catch((err) => {
    fs.rmSync(template, { force: true }); // unreadable template: the next test file rebuilds it
    throw err;
  });
  const prisma = createPrismaClient(db.url, { embedded: true, queryEvents: true });
  return {
    url: db.url,
    prisma,
    embedded: true,
    async close() {
      await prisma.$disconnect();
      await db.stop();
    },
  };
}

/**
 * initdb of a new PGlite takes ~2.5 s, loading a data-directory tarball ~0.7 s. So the first
 * test file migrates one PGlite and dumps it to the OS temp folder; every later one (in any
 * jest worker or run) starts from that dump. The file name hashes the PGlite version and the
 * migrations folder, so any change to either makes (and migrates) a new one.
 */
async function embeddedTemplate(): Promise<string> {
  const pglitePackage = path.join(path.dirname(require.resolve("@electric-sql/pglite")), "..", "package.json");
  const hash = createHash("sha256").update(fs.readFileSync(pglitePackage));
  for (const name of migrationNames()) {
    hash.update(name).update(fs.readFileSync(path.join(migrationsDir(), name, "migration.sql")));
  }
  const file = path.join(os.tmpdir(), `luxor-hub-pglite-${hash.digest("hex").slice(0, 16)}.tar`);
  if (!fs.existsSync(file)) {
    const db = await startEmbeddedPostgres("memory");
    try {
      await applyPendingMigrations(db.url);
      await db.dump(file); // written to a temporary name, then renamed: safe across workers
    } finally {
      await db.stop();
    }
  }
  return file;
}


