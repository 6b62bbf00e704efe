import "reflect-metadata";
import { STATUS_EVENT_CODES } from "../src/authz/authority";
import { Decimal } from "@prisma/client/runtime/client";
import { Pool } from "pg";
import { hashSecret } from "../src/authn/api-keys";
import { loadConfig } from "../src/config";
import { createHub, type Hub } from "../src/hub";
import { createLogger } from "../src/infra/logger";
import { createHubPubSub } from "../src/infra/pubsub";
import {
  ensureWorld,
  generateDeclarations,
  pgWriter,
  s10,
  seedDemoWorld,
  seedDeclarations,
  seedRules,
  type DemoKeys,
} from "../src/seed/demo-world";
import { createTestDatabase, type TestDatabase } from "./testkit/database";

const N = 200;
const SEED = 7;

/** Independent S10 check, straight from the UPU rule. */
function validS10(tracking: string): boolean {
  const m = /^[A-Z]{2}(\d{8})(\d)[A-Z]{2}$/.exec(tracking);
  if (!m) return false;
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const sum = [...m[1]].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  let check = 11 - (sum % 11);
  if (check === 10) check = 0;
  if (check === 11) check = 5;
  return check === Number(m[2]);
}

describe("demo world seed", () => {
  let db: TestDatabase;
  let hub: Hub;
  let keys: DemoKeys;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", HUB_SEED: "none" });
    hub = createHub(config, db.prisma, createLogger("silent"), createHubPubSub(undefined));
    await hub.services.parties.ensureOperatorParty();
    keys = await seedDemoWorld(hub, { declarations: N, log: hub.log, seed: SEED });
  });

  afterAll(async () => {
    await hub?.accessLog.close();
    await db?.close();
  });

  it("creates the parties, agreements and declarations with their children", async () => {
    const p = db.prisma;
    expect(await p.declaration.count()).toBe(N);
    const kinds = await p.party.groupBy({ by: ["kind"], _count: true });
    const byKind = Object.fromEntries(kinds.map((k) => [k.kind, k._count]));
    expect(byKind).toMatchObject({ OPERATOR: 1, BROKER: 1 });
    expect(byKind.CUSTOMS).toBeGreaterThanOrEqual(5);
    expect(byKind.POST).toBeGreaterThanOrEqual(6);
    expect(byKind.CARRIER).toBeGreaterThanOrEqual(2);
    expect(byKind.PLATFORM).toBeGreaterThanOrEqual(2);
    for (const platform of await p.party.findMany({ where: { kind: "PLATFORM" } })) {
      expect(platform.iossNumber).toMatch(/^IM\d{10}$/);
    }
    for (const post of await p.party.findMany({ where: { kind: "POST" } })) expect(post.upuCode).toBeTruthy();

    // Every declaration has goods items numbered from 1 and at least one status event.
    const items = await p.goodsItem.findMany({ orderBy: [{ declarationId: "asc" }, { lineNumber: "asc" }] });
    const lines = new Map<string, number[]>();
    for (const g of items) lines.set(g.declarationId, [...(lines.get(g.declarationId) ?? []), g.lineNumber]);
    expect(lines.size).toBe(N);
    for (const ns of lines.values()) expect(ns).toEqual(ns.map((_, i) => i + 1));
    const withEvents = await p.statusEvent.groupBy({ by: ["declarationId"], _count: true });
    expect(withEvents).toHaveLength(N);
    expect(await p.dutyAssessment.count()).toBeGreaterThan(0);
    expect(await p.riskAlert.count()).toBeGreaterThan(0);
    expect(await p.hold.count()).toBeGreaterThan(0);

    // Statuses spread along the lifecycle.
    const statuses = await p.declaration.groupBy({ by: ["status"], _count: true });
    expect(statuses.length).toBeGreaterThanOrEqual(6);
    for (const s of ["CLEARED_TO_LOAD", "ARRIVED", "RELEASED", "DELIVERED"]) expect(statuses.map((x) => x.status)).toContain(s);
  });

  it("gives the agreements a consistent history", async () => {
    const agreements = await db.prisma.agreement.findMany({ include: { history: { orderBy: { at: "asc" } } } });
    expect(agreements.filter((a) => a.status === "ACTIVE").length).toBeGreaterThanOrEqual(2);
    for (const a of agreements) {
      expect(a.history[0]).toMatchObject({ action: "PROPOSE", fromStatus: null, toStatus: "PROPOSED", actorPartyId: a.proposedById });
      a.history.slice(1).forEach((e, i) => expect(e.fromStatus).toBe(a.history[i].toStatus));
      expect(a.history[a.history.length - 1].toStatus).toBe(a.status);
      expect(a.version).toBe(a.history.length);
      for (const e of a.history) expect([a.grantorId, a.granteeId]).toContain(e.actorPartyId);
    }
  });

  it("uses valid identifiers and codes", async () => {
    const ds = await db.prisma.declaration.findMany({ include: { goodsItems: true } });
    let posted = 0;
    const mrns = new Set<string>();
    for (const d of ds) {
      expect(d.originCountry).not.toBe(d.destinationCountry);
      if (d.postId) {
        posted++;
        expect(validS10(d.trackingNumber)).toBe(true);
        expect(d.trackingNumber.slice(-2)).toBe(d.originCountry);
      } else {
        expect(d.carrierId).toBeTruthy();
        expect(d.trackingNumber).toMatch(/^[A-Z0-9-]{6,40}$/);
        expect(d.trackingNumber).not.toMatch(/^[A-Z]{2}\d{9}[A-Z]{2}$/);
      }
      for (const g of d.goodsItems) expect(g.hsCode).toMatch(/^\d{6}$/);
      if (d.iossNumber) {
        expect(d.iossNumber).toMatch(/^IM\d{10}$/);
        expect(d.category).toBe("SALE_OF_GOODS");
        expect(["DE", "FR", "NL", "BE"]).toContain(d.destinationCountry);
      }
      if (d.incoterm) expect(d.ddp).toBe(d.incoterm === "DDP");
      expect(d.movementReference === null).toBe(d.status === "FILED");
      if (d.movementReference) {
        expect(d.movementReference).toMatch(/^\d{2}[A-Z]{2}[0-9A-Z]{14}$/);
        mrns.add(d.movementReference);
      }
      expect(d.payloadHash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(posted).toBeGreaterThan(0);
    expect(posted).toBeLessThan(N);
    expect(mrns.size).toBe(ds.filter((d) => d.movementReference).length);
    // A couple of fixed points of the S10 rule.
    expect(s10("RR", 12345678, "CN")).toBe("RR123456785CN");
    expect(s10("EE", 0, "US")).toBe("EE000000005US");
  });

  it("keeps decimals exact: totals, weights and tax amounts", async () => {
    const ds = await db.prisma.declaration.findMany({ include: { goodsItems: true, duties: true } });
    for (const d of ds) {
      const sum = d.goodsItems.reduce((s, g) => s.plus(g.value), new Decimal(0));
      expect(d.goodsItems.every((g) => g.currency === d.currency)).toBe(true);
      expect(sum.equals(d.totalValue)).toBe(true);
      const net = d.goodsItems.reduce((s, g) => s.plus(g.netWeightKg), new Decimal(0));
      expect(new Decimal(d.grossWeightKg).greaterThanOrEqualTo(net)).toBe(true);
      for (const t of d.duties) {
        // lines are computed exactly and rounded once (seed-rules.test.ts recomputes each one)
        expect(new Decimal(t.amount).isNegative()).toBe(false);
        expect(new Decimal(t.amount).decimalPlaces()).toBeLessThanOrEqual(2);
        if (t.collectionModel === "IOSS") expect(d.iossNumber).not.toBeNull();
      }
    }
  });

  it("has customs of the destination raise alerts and place holds, in time order", async () => {
    const customs = new Map((await db.prisma.party.findMany({ where: { kind: "CUSTOMS" } })).map((c) => [c.country, c.id]));
    const ds = await db.prisma.declaration.findMany({
      include: { holds: true, riskAlerts: true, statusEvents: { orderBy: { occurredAt: "asc" } } },
    });
    for (const d of ds) {
      const c = customs.get(d.destinationCountry);
      for (const h of d.holds) expect(h.placedById).toBe(c);
      for (const a of d.riskAlerts) expect(a.raisedById).toBe(c);
      if (["RFI", "SCREENING", "DO_NOT_LOAD", "HELD"].includes(d.status)) {
        expect(d.holds.some((h) => h.status === "OPEN")).toBe(true);
      }
      const last = d.statusEvents[d.statusEvents.length - 1];
      // The last step sets updatedAt; steps that are customs decisions (registration, referrals,
      // duties) record no parcel event, as the API records none: the last event is no later.
      expect(last.occurredAt.getTime()).toBeLessThanOrEqual(d.updatedAt.getTime());
      // every event is one the API takes (StatusEventCode, mapped to UPU EMSEVT)
      for (const e of d.statusEvents) expect(STATUS_EVENT_CODES).toContain(e.code);
      // holds are addressed to the filer, as placeHold addresses them
      for (const h of d.holds) expect(h.addresseeId).toBe(d.filerId);
      expect(d.statusEvents[0].code).toBe("ACCEPTED");
      expect(d.statusEvents[0].occurredAt.getTime()).toBeLessThanOrEqual(d.filedAt.getTime());
      expect(d.updatedAt.getTime()).toBeLessThanOrEqual(Date.now());
      if (d.releasedAt) expect(d.releasedAt.getTime()).toBeGreaterThan(d.filedAt.getTime());
    }
  });

  it("returns keys for OFFICER, ANALYST and AGENT whose secrets authenticate", async () => {
    expect(keys.map((k) => k.role).sort()).toEqual(["AGENT", "AGENT", "AGENT", "ANALYST", "OFFICER"]);
    for (const k of keys) {
      const stored = await db.prisma.apiKey.findUnique({ where: { secretHash: hashSecret(k.secret) }, include: { party: true } });
      expect(stored).not.toBeNull();
      expect(stored!.role).toBe(k.role);
      expect(stored!.party.name).toBe(k.party);
      expect(stored!.revokedAt).toBeNull();
    }
    const officer = keys.find((k) => k.role === "OFFICER")!;
    expect(officer.party).toBe("Generalzolldirektion (DE)");
  });

  it("is reproducible and reuses the world when seeding again", async () => {
    const { world, createdParties, createdAgreements } = await ensureWorld(db.prisma);
    expect(createdParties).toBe(0);
    expect(createdAgreements).toBe(0);

    // Same seed, numbers and clock: same content (only the random row ids differ).
    const now = new Date();
    const rules = await seedRules(db.prisma, world, { now, stored: true });
    const content = (first: number) => {
      const cols = generateDeclarations(world, rules, first, 50, { seed: SEED, now }).declarations.columns();
      return cols.filter((c) => c.name !== "id").map((c) => [c.name, c.values]);
    };
    expect(content(0)).toEqual(content(0));
    expect(content(0)).not.toEqual(content(50));

    // Adding to a seeded store: numbering continues, so nothing collides.
    const counts = await seedDeclarations(db.prisma, world, 30, { seed: SEED, offset: await db.prisma.declaration.count() });
    expect(counts.declarations).toBe(30);
    expect(await db.prisma.declaration.count()).toBe(N + 30);
    expect(await db.prisma.party.count()).toBe(24);
  });

  it("stores what the filing rules accept: re-filing a seeded declaration replays it", async () => {
    const d = await db.prisma.declaration.findFirstOrThrow({
      where: { filer: { kind: "PLATFORM" }, iossNumber: { not: null } },
      include: { goodsItems: { orderBy: { lineNumber: "asc" } }, filer: true },
    });
    const principal = { partyId: d.filerId, partyKind: d.filer.kind, country: d.filer.country, role: "AGENT" as const, apiKeyId: null };
    const { declaration, created } = await hub.services.declarations.filing.fileOne(principal, {
      localReference: d.localReference,
      trackingNumber: d.trackingNumber,
      platformId: d.platformId,
      carrierId: d.carrierId,
      postId: d.postId,
      originCountry: d.originCountry,
      destinationCountry: d.destinationCountry,
      totalValue: d.totalValue.toFixed(2),
      currency: d.currency,
      grossWeightKg: d.grossWeightKg.toFixed(3),
      category: d.category,
      iossNumber: d.iossNumber,
      platformOrderId: d.platformOrderId,
      incoterm: d.incoterm,
      ddp: d.ddp,
      sellerName: d.sellerName,
      sellerAddress: d.sellerAddress,
      sellerCountry: d.sellerCountry,
      buyerName: d.buyerName,
      buyerAddress: d.buyerAddress,
      buyerCountry: d.buyerCountry,
      buyerEmail: d.buyerEmail,
      goodsItems: d.goodsItems.map((g) => ({
        description: g.description,
        quantity: g.quantity,
        netWeightKg: g.netWeightKg.toFixed(3),
        value: g.value.toFixed(2),
        currency: g.currency,
        hsCode: g.hsCode,
        originCountry: g.originCountry,
      })),
    });
    expect(created).toBe(false);
    expect(declaration.id).toBe(d.id);
  });

  // Last: on the embedded database this releases the Prisma client's only connection.
  it("writes through pg as the bulk seed script does", async () => {
    const { world } = await ensureWorld(db.prisma);
    const before = await db.prisma.declaration.count();
    const prepared = await seedRules(db.prisma, world, { now: new Date(), stored: true });
    await db.prisma.$disconnect();
    const pool = new Pool({ connectionString: db.url, max: 1 });
    try {
      const counts = await seedDeclarations(db.prisma, world, 25, { seed: SEED, offset: before, writer: pgWriter(pool), prepared, batchSize: 10, concurrency: 2 });
      expect(counts.declarations).toBe(25);
      const { rows } = await pool.query<{ n: string; items: string; bad: string }>(
        `SELECT count(*) AS n,
                (SELECT count(*) FROM "GoodsItem") AS items,
                count(*) FILTER (WHERE "filedAt" > now() OR "updatedAt" < "filedAt") AS bad
           FROM "Declaration"`,
      );
      expect(Number(rows[0].n)).toBe(before + 25);
      expect(Number(rows[0].bad)).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
