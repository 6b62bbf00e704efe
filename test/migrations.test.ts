import { Client } from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../src/infra/embedded-postgres";
import {
  applyPendingMigrations,
  diffMigrationsAgainstSchema,
  migrationNames,
  pendingMigrations,
} from "../src/infra/migrations";
import { createPrismaClient } from "../src/infra/prisma";
import { DEFAULT_TEST_DATABASE_URL } from "./testkit/database";

// The diff replays the migrations on a shadow database, which PGlite cannot provide:
// this always runs against the local PostgreSQL server, whatever TEST_DB says.
const serverUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;

describe("migrations folder", () => {
  test("has migrations and produces exactly what schema.prisma describes", async () => {
    expect(migrationNames().length).toBeGreaterThan(0);
    const diff = await diffMigrationsAgainstSchema(serverUrl);
    // Non-empty: schema.prisma changed without a migration (npm run db:migration:new -- <name>).
    expect(diff).toBe("");
  });

  test("leaves no shadow database behind", async () => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'`);
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});

describe("applying on an embedded database", () => {
  let db: EmbeddedPostgres;
  beforeAll(async () => {
    db = await startEmbeddedPostgres("memory");
  });
  afterAll(async () => {
    await db?.stop();
  });

  test("applies every migration once, records them, and a second apply applies nothing", async () => {
    const all = migrationNames();
    expect(await pendingMigrations(db.url)).toEqual(all);

    expect(await applyPendingMigrations(db.url)).toEqual(all);
    expect(await pendingMigrations(db.url)).toEqual([]);
    expect(await applyPendingMigrations(db.url)).toEqual([]);

    // The client works on the migrated database, and pendingMigrations accepts it too.
    const prisma = createPrismaClient(db.url, { embedded: true });
    try {
      const party = await prisma.party.create({ data: { name: "Customs FR", kind: "CUSTOMS", country: "FR" } });
      expect(await prisma.party.findUnique({ where: { id: party.id } })).toMatchObject({ country: "FR" });
      expect(await pendingMigrations(prisma)).toEqual([]);
    } finally {
      await prisma.$disconnect();
    }
  });

  test("a connection finds the session clean: nothing prepared by the previous one", async () => {
    const run = async (sql: string) => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await run("PREPARE hub_probe AS SELECT 1 AS n");
    // Without the reset this fails with 'prepared statement "hub_probe" already exists'.
    await run("PREPARE hub_probe AS SELECT 2 AS n");
    const { rows } = await run("SELECT count(*)::int AS n FROM pg_prepared_statements");
    expect(rows).toEqual([{ n: 0 }]);
  });
});
