/**
 * Analytics bounds: the statement timeout (QUERY_TOO_COMPLEX) and DATABASE_READ_URL, with a
 * second database standing in for the read replica. PostgreSQL server only (TEST_DB=postgres).
 */
import { Prisma } from "../../src/generated/prisma/client";
import { AnalyticsDb } from "../../src/modules/analytics/analytics.db";
import { createReadPool } from "../../src/infra/prisma";
import { createTestDatabase, type TestDatabase } from "../testkit/database";
import { declarationInput, makeParty, startTestHub, type TestHub } from "../testkit/hub";

const onServer = process.env.TEST_DB === "postgres" ? describe : describe.skip;

onServer("analytics bounds (PostgreSQL)", () => {
  let t: TestHub;
  let replica: TestDatabase;

  beforeAll(async () => {
    replica = await createTestDatabase();
    t = await startTestHub({ http: false, env: { DATABASE_READ_URL: replica.url, HUB_STATS_MIN_GROUP_SIZE: "1" } });
  });
  afterAll(async () => {
    await t?.stop();
    await replica?.close();
  });

  it("a statement past the analytics time limit is QUERY_TOO_COMPLEX naming the limit", async () => {
    const pool = createReadPool(replica.url, 1);
    try {
      const db = new AnalyticsDb(pool, 50, "replica");
      await expect(db.query(Prisma.sql`SELECT pg_sleep(${2}::float8)`)).rejects.toMatchObject({
        extensions: { code: "QUERY_TOO_COMPLEX", timeoutMs: 50 },
        message: expect.stringContaining("HUB_ANALYTICS_TIMEOUT_MS"),
      });
      // the connection is usable again afterwards
      expect(await db.query<{ one: number }>(Prisma.sql`SELECT ${1}::int AS one`)).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it("declarationStats reads the replica; filing writes the primary", async () => {
    const customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    const platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never);
    const STATS = `{ declarationStats(groupBy: [DESTINATION], minGroupSize: 1) { groups { key { destination } count } } }`;
    const before = await t.exec(customs.principal, STATS);
    expect(before.errors).toBeUndefined();
    expect(before.data!.declarationStats.groups).toEqual([]); // the replica has none yet
    // the "replica" catches up: the same rows appear there
    const rows = await t.db.prisma.declaration.findMany();
    await replica.prisma.party.createMany({ data: await t.db.prisma.party.findMany() });
    await replica.prisma.declaration.createMany({ data: rows });
    const after = await t.exec(customs.principal, STATS);
    expect(after.data!.declarationStats.groups).toEqual([{ key: { destination: "DE" }, count: 1 }]);
    expect(t.hub.services.analytics.db.target).toBe("replica");
  });
});
