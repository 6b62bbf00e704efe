/**
 * Analytics bounds: the statement timeout (QUERY_TOO_COMPLEX) and DATABASE_READ_URL, with a
 * second database standing in for the read replica. PostgreSQL server only (TEST_DB=postgres).
 */
import { randomUUID } from "node:crypto";
import { Prisma } from "../../src/generated/prisma/client";
import { AnalyticsDb, analyticsTuning } from "../../src/modules/analytics/analytics.db";
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
      const db = new AnalyticsDb(pool, "replica", { ...analyticsTuning(t.hub.config), timeoutMs: 50 });
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

  it("analytics SQL runs with the configured planner settings, for its transaction alone", async () => {
    const pool = createReadPool(replica.url, 1);
    const settings = Prisma.sql`SELECT current_setting('max_parallel_workers_per_gather') AS workers, current_setting('random_page_cost') AS cost, current_setting('jit') AS jit`;
    try {
      // the defaults: no parallel workers, a random page read costed as on SSDs
      expect(await t.hub.services.analytics.db.query(settings)).toEqual([{ workers: "0", cost: "1.1", jit: "off" }]);
      // the session keeps the server's own settings once the transaction ends (one connection in the pool)
      const own = async () => (await pool.query("SELECT current_setting('random_page_cost') AS cost")).rows;
      const before = await own();
      expect(before).not.toEqual([{ cost: "2.5" }]);
      const db = new AnalyticsDb(pool, "replica", { timeoutMs: 1000, parallelWorkers: 3, randomPageCost: 2.5 });
      expect(await db.query(settings)).toEqual([{ workers: "3", cost: "2.5", jit: "off" }]);
      expect(await own()).toEqual(before);
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

  it("the analysts' page reads its ids, rows and their records from the replica; the access log is written on the primary", async () => {
    const customs = await makeParty(t, "CUSTOMS", "DE", "Zoll 2");
    const platform = await makeParty(t, "PLATFORM", "IE", "Platform 2");
    const filed = (await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
    // the replica catches up, then holds what the primary does not (yet): a changed tracking
    // number, a hold, and a whole declaration with its goods item
    await replica.prisma.party.createMany({ data: await t.db.prisma.party.findMany(), skipDuplicates: true });
    const row = (await t.db.prisma.declaration.findUniqueOrThrow({ where: { id: filed.id } }))!;
    await replica.prisma.declaration.create({ data: { ...row, trackingNumber: "REPLICA00000001" } });
    const items = await t.db.prisma.goodsItem.findMany({ where: { declarationId: filed.id } });
    await replica.prisma.goodsItem.createMany({ data: items });
    await replica.prisma.hold.create({ data: { declarationId: filed.id, placedById: customs.id, kind: "INSPECTION", reason: "replica only" } });
    const onlyThere = { ...row, id: randomUUID(), trackingNumber: "REPLICA00000002", localReference: `${row.localReference}-R` };
    await replica.prisma.declaration.create({ data: onlyThere });
    await replica.prisma.goodsItem.create({ data: { ...items[0], id: randomUUID(), declarationId: onlyThere.id, hsCode: "950300" } });

    const res = await t.exec(
      customs.principal,
      `query Page($where: DeclarationWhere) { declarations(where: $where, sortBy: [{field: TRACKING_NUMBER, direction: ASC}], first: 10) {
        totalCount edges { node { id trackingNumber holds { kind reason } goodsItems { hsCode } } } } }`,
      { where: { filer: { id: platform.id } } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.declarations.totalCount).toBe(2);
    const nodes = res.data!.declarations.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => [n.id, n.trackingNumber])).toEqual([
      [filed.id, "REPLICA00000001"],
      [onlyThere.id, "REPLICA00000002"],
    ]);
    expect(nodes[0].holds).toEqual([{ kind: "INSPECTION", reason: "replica only" }]);
    expect(nodes[1].goodsItems).toEqual([{ hsCode: "950300" }]);
    // the primary is as it was: writes never went to the replica, nor reads to the primary
    expect(await t.db.prisma.declaration.count({ where: { id: onlyThere.id } })).toBe(0);
    expect(await t.db.prisma.hold.count({ where: { declarationId: filed.id } })).toBe(0);
    // the access log (field reads and the filter's inference) is written on the primary only
    await t.hub.accessLog.flush();
    const logged = await t.db.prisma.accessLogEntry.findMany({ where: { viewerPartyId: customs.id, holderId: platform.id } });
    expect(logged.map((e) => e.inference)).toEqual(expect.arrayContaining([null, "filter"]));
    expect(logged.find((e) => e.inference === null)!.recordIds).toEqual(expect.arrayContaining([filed.id, onlyThere.id]));
    expect(await replica.prisma.accessLogEntry.count()).toBe(0);
  });
});
