/**
 * The first start's seed on a pool whose requests may wait for a connection only briefly
 * (HUB_DB_ACQUIRE_TIMEOUT_MS), as on a busy machine where one batch's write outlasts that
 * wait: the seed never has a batch wait for a connection, so it completes. (It used to write
 * two batches at once on the embedded store's single connection: the second waited, and on a
 * loaded CI machine the restart after a crash failed with "timeout exceeded when trying to
 * connect".) Also: a request queued behind a busy connection waits up to acquireMs, not connectMs.
 */
import "reflect-metadata";
import { loadConfig } from "../src/config";
import { createHub } from "../src/hub";
import { createLogger } from "../src/infra/logger";
import { createHubPubSub } from "../src/infra/pubsub";
import { BoundedPool } from "../src/infra/bounded-pool";
import { createPrismaClient } from "../src/infra/prisma";
import { firstStartSetup, type FirstStartKey } from "../src/seed/setup";
import { createTestDatabase, type TestDatabase } from "./testkit/database";

describe("the first start's seed with a short wait for a connection", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  it("completes: no batch waits for the connection another batch holds", async () => {
    // a one-connection pool (the embedded store's; on PostgreSQL HUB_DB_POOL_SIZE=1)
    const config = loadConfig({
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      HUB_SEED: "demo",
      HUB_DB_POOL_SIZE: "1",
      ...(db.embedded ? {} : { DATABASE_URL: db.url }),
    });
    // a busy machine: each batch's write (one INSERT into "Declaration") takes 3 s, longer
    // than a request may wait for the connection (2 s)
    await db.prisma.$executeRawUnsafe(`CREATE FUNCTION test_slow_batch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$`);
    await db.prisma.$executeRawUnsafe(`CREATE TRIGGER test_slow_batch AFTER INSERT ON "Declaration" FOR EACH STATEMENT EXECUTE FUNCTION test_slow_batch()`);
    await db.prisma.$disconnect(); // the embedded store serves one connection: the hub's below
    const limits = { connectMs: 5000, acquireMs: 2000, statementMs: 120_000, queueMax: 1000 };
    const prisma = createPrismaClient(db.url, { embedded: db.embedded, poolSize: 1, limits });
    const hub = createHub(config, prisma, createLogger("silent"), createHubPubSub(undefined));
    let shown: FirstStartKey[] = [];
    try {
      await hub.services.parties.ensureOperatorParty();
      const keys = await firstStartSetup(hub, { seed: "demo", declarations: 1500, log: hub.log, show: (k) => (shown = k) });
      expect(keys).toHaveLength(6);
      expect(shown).toEqual(keys);
      expect(await prisma.declaration.count()).toBe(1500);
      expect(await prisma.hubSetup.findFirst({ select: { finishedAt: true } })).toEqual({ finishedAt: expect.any(Date) });
    } finally {
      await hub.accessLog.close();
      await prisma.$disconnect();
    }
  }, 180_000);

  it("a request queued behind a busy connection waits up to acquireMs, not connectMs", async () => {
    const pool = new BoundedPool({ connectionString: db.url, max: 1 }, { connectMs: 1000, acquireMs: 15_000, statementMs: 20_000, queueMax: 10 }, db.embedded);
    try {
      const holder = await pool.connect();
      const queued = pool.query<{ one: number }>("SELECT 1 AS one");
      await new Promise((r) => setTimeout(r, 3000)); // three times connectMs
      holder.release();
      expect((await queued).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  }, 60_000);
});
