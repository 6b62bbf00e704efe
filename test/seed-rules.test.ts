/**
 * The demo world is one the API would produce: every seeded declaration is a filing the
 * filing path accepts as it is (re-filed in bulk, it replays); for every one, the risk
 * engine run again at its filing time gives exactly its alerts, its rule holds and its
 * registration; computeAssessment run again at its arrival gives exactly its duty lines;
 * replaying its holds, assessments and status events through the workflow's transition
 * functions ends in its stored status; and referral answers are as answerReferral keeps them.
 */
import "reflect-metadata";
import type Decimal from "decimal.js";
import { loadConfig } from "../src/config";
import type { DeclarationStatus, HoldKind } from "../src/generated/prisma/enums";
import { createHub, type Hub } from "../src/hub";
import { createLogger } from "../src/infra/logger";
import { createHubPubSub } from "../src/infra/pubsub";
import { createRiskAssessor } from "../src/modules/risk";
import { assessmentOf, dayOf, type DestinationRisk } from "../src/modules/risk/risk.assessor";
import { evaluate, splitKey, valueAgainstCeiling, type Subject } from "../src/modules/risk/risk.engine";
import { RiskRepository } from "../src/modules/risk/risk.repository";
import { computeAssessment } from "../src/modules/workflow/revenue.compute";
import { applyOverrides } from "../src/modules/workflow/workflow.duties";
import {
  assertEventMove,
  assertMove,
  EVENT_EFFECT,
  statusAfterAssessing,
  statusAfterPlacing,
  statusAfterReleasing,
  statusWithOpenHolds,
} from "../src/modules/workflow/workflow.lifecycle";
import { seedDemoWorld } from "../src/seed/demo-world";
import { createTestDatabase, type TestDatabase } from "./testkit/database";

const N = 800;
const SEED = 11;

describe("demo world generated through the rules", () => {
  let db: TestDatabase;
  let hub: Hub;

  const load = () =>
    db.prisma.declaration.findMany({
      orderBy: [{ filedAt: "asc" }, { localReference: "asc" }],
      include: {
        goodsItems: { orderBy: { lineNumber: "asc" } },
        riskAlerts: true,
        holds: true,
        duties: true,
        statusEvents: { orderBy: { occurredAt: "asc" } },
      },
    });
  type Loaded = Awaited<ReturnType<typeof load>>[number];
  let ds: Loaded[] = [];
  let customs = new Map<string, string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", HUB_SEED: "none" });
    hub = createHub(config, db.prisma, createLogger("silent"), createHubPubSub(undefined));
    await hub.services.parties.ensureOperatorParty();
    await seedDemoWorld(hub, { declarations: N, log: hub.log, seed: SEED });
    ds = await load();
    customs = new Map((await db.prisma.party.findMany({ where: { kind: "CUSTOMS" } })).map((c) => [c.country, c.id]));
  });

  afterAll(async () => {
    await hub?.accessLog.close();
    await db?.close();
  });

  /** The declaration as its filer sent it (DeclarationInput). */
  const inputOf = (d: Loaded) => ({
    localReference: d.localReference, trackingNumber: d.trackingNumber, platformId: d.platformId, carrierId: d.carrierId, postId: d.postId,
    originCountry: d.originCountry, destinationCountry: d.destinationCountry, totalValue: d.totalValue.toFixed(2), currency: d.currency,
    grossWeightKg: d.grossWeightKg.toFixed(3), category: d.category, iossNumber: d.iossNumber, platformOrderId: d.platformOrderId,
    incoterm: d.incoterm, ddp: d.ddp, sellerName: d.sellerName, sellerAddress: d.sellerAddress, sellerCountry: d.sellerCountry,
    buyerName: d.buyerName, buyerAddress: d.buyerAddress, buyerCountry: d.buyerCountry, buyerEmail: d.buyerEmail,
    goodsItems: d.goodsItems.map((g) => ({
      description: g.description, quantity: g.quantity, netWeightKg: g.netWeightKg.toFixed(3), value: g.value.toFixed(2),
      currency: g.currency, hsCode: g.hsCode, originCountry: g.originCountry,
    })),
  });

  const subjectOf = (d: Loaded): Subject => ({
    ...d,
    destinationCountry: d.destinationCountry.trim(),
    currency: d.currency.trim(),
    totalValue: d.totalValue.toString(),
    goodsItems: d.goodsItems.map((g) => ({ ...g, value: g.value.toString(), currency: g.currency.trim() })),
  });

  it("holds only filings the filing path accepts as they are: re-filing every one in bulk replays it", async () => {
    const byFiler = new Map<string, Loaded[]>();
    for (const d of ds) byFiler.set(d.filerId, [...(byFiler.get(d.filerId) ?? []), d]);
    const kinds = new Map((await db.prisma.party.findMany()).map((p) => [p.id, p]));
    for (const [filerId, list] of byFiler) {
      const filer = kinds.get(filerId)!;
      const principal = { partyId: filerId, partyKind: filer.kind, country: filer.country, role: "AGENT" as const, apiKeyId: null };
      for (let i = 0; i < list.length; i += 1000) {
        const chunk = list.slice(i, i + 1000);
        const outcomes = await hub.services.declarations.filing.fileMany(principal, chunk.map(inputOf) as never);
        expect(outcomes.map((o) => [o.error?.message ?? null, o.created, o.declaration?.id])).toEqual(chunk.map((d) => [null, false, d.id]));
      }
    }
  });

  it("has the risk engine's alerts, holds and registration for every filing, at its filing time", async () => {
    const assessor = createRiskAssessor(db.prisma, hub.services.rules);
    const platformIoss = await new RiskRepository(db.prisma).platformIossNumbers([...new Set(ds.map((d) => d.platformId!).filter(Boolean))]);
    const days = new Map<number, Map<string, DestinationRisk>>();
    const byKey = new Map<string, Loaded[]>();
    for (const d of ds) {
      const key = splitKey(subjectOf(d));
      if (key) byKey.set(key, [...(byKey.get(key) ?? []), d]);
    }
    const reasonCodes = new Map<string, number>();
    for (const d of ds) {
      const day = dayOf(d.filedAt)[0];
      if (!days.has(day.getTime())) days.set(day.getTime(), await assessor.inForce(["DE", "FR", "NL", "BE", "GB", "US"], day));
      const dest = days.get(day.getTime())!.get(d.destinationCountry.trim())!;
      const s = subjectOf(d);
      // what a filing at that moment saw: the buyer's parcels of the day filed up to it
      const key = splitKey(s);
      const sameDay = new Map<string, Decimal[]>();
      if (key) {
        const group = byKey.get(key)!.filter((p) => p.filedAt >= day && p.filedAt <= d.filedAt);
        sameDay.set(key, group.map((p) => valueAgainstCeiling(p === d ? s : subjectOf(p), dest.facts)?.value).filter((v): v is Decimal => !!v));
      }
      const a = assessmentOf(evaluate(dest.rules, s, { facts: dest.facts, platformIoss, sameDay }), dest, d.filerId, d.filedAt);

      const alertOf = (x: { raisedById: string; raisedByRule: string | null; ruleId: string | null; ruleVersion: number | null; severity: string; reasonCode: string; reason: string }) =>
        [x.raisedById, x.raisedByRule, x.ruleId, x.ruleVersion, x.severity, x.reasonCode, x.reason].join("|");
      expect(d.riskAlerts.map(alertOf).sort()).toEqual(a.alerts.map(alertOf).sort());
      for (const x of d.riskAlerts) expect(x.createdAt).toEqual(d.filedAt);
      const holdOf = (h: { kind: string; reason: string; placedById: string; addresseeId: string | null; question: string | null; dueAt: Date | null; ruleId: string | null; ruleVersion: number | null }) =>
        [h.kind, h.reason, h.placedById, h.addresseeId, h.question, h.dueAt?.toISOString(), h.ruleId, h.ruleVersion].join("|");
      const ruleHolds = d.holds.filter((h) => h.ruleId !== null);
      expect(ruleHolds.map(holdOf).sort()).toEqual(a.holds.map(holdOf).sort());
      for (const h of ruleHolds) expect(h.placedAt).toEqual(d.filedAt);
      // registration: a movement reference in the form registration gives
      expect(d.movementReference).toMatch(/^\d{2}[A-Z]{2}[0-9A-Z]{14}$/);
      for (const x of d.riskAlerts) reasonCodes.set(x.reasonCode, (reasonCodes.get(x.reasonCode) ?? 0) + 1);
    }
    // a realistic share of the world meets each kind of rule
    for (const code of ["UNDERVALUATION", "PROHIBITED_GOODS", "SECURITY", "IOSS", "SPLIT_SHIPMENT"]) expect(reasonCodes.get(code) ?? 0).toBeGreaterThan(0);
    const held = ds.filter((d) => d.holds.some((h) => h.ruleId)).length;
    expect(held / ds.length).toBeGreaterThan(0.01);
    expect(held / ds.length).toBeLessThan(0.2);
  });

  it("has computeAssessment's lines from the rules in force at arrival for every assessment", async () => {
    let assessed = 0;
    for (const d of ds) {
      expect(d.dutiesVersion > 0).toBe(d.duties.length > 0);
      if (!d.duties.length) continue;
      assessed++;
      const arrivedAt = d.statusEvents.find((e) => e.code === "ARRIVED" || e.code === "PRESENTED_TO_CUSTOMS")!.occurredAt;
      const book = await hub.services.rules.book(d.destinationCountry.trim());
      const computed = computeAssessment(book, { ...subjectOf(d), ddp: d.ddp, goodsItems: d.goodsItems.map((g) => ({ ...g, value: g.value.toString(), currency: g.currency.trim() })) }, arrivedAt);
      const expected = applyOverrides(computed, []).map((l) => ({ ...l, base: Number(l.base), rate: Number(l.rate), amount: Number(l.amount) }));
      const stored = d.duties
        .sort((x, y) => expected.findIndex((e) => e.lineKey === x.lineKey) - expected.findIndex((e) => e.lineKey === y.lineKey))
        .map((l) => ({
          taxType: l.taxType, base: l.base.toNumber(), rate: l.rate.toNumber(), amount: l.amount.toNumber(), currency: l.currency.trim(), collectionModel: l.collectionModel,
          lineKey: l.lineKey, method: l.method, explanation: l.explanation, basis: l.basis, computedAmount: l.computedAmount, overrideReason: l.overrideReason,
        }));
      expect(stored).toEqual(expected);
      for (const l of d.duties) expect(l.version).toBe(1);
    }
    expect(assessed).toBeGreaterThan(ds.length / 4);
  });

  it("reaches every stored status through the workflow's transitions, with referrals answered as answerReferral keeps them", () => {
    const statuses = new Set<DeclarationStatus>();
    for (const d of ds) {
      type Step = { at: number; order: number; apply: () => void };
      const steps: Step[] = [];
      let status: DeclarationStatus = "FILED";
      const open = new Set<string>();
      const kinds = () => d.holds.filter((h) => open.has(h.id)).map((h) => h.kind as HoldKind);
      let assessed = false;
      const ruleHolds = d.holds.filter((h) => h.ruleId);
      steps.push({ at: d.filedAt.getTime(), order: 0, apply: () => {
        const to = statusWithOpenHolds(ruleHolds.map((h) => h.kind)) ?? "CLEARED_TO_LOAD";
        for (const [from, next] of [["FILED", "REGISTERED"], ["REGISTERED", "RISK_ASSESSED"], ["RISK_ASSESSED", to]] as const) assertMove(d.id, from, next);
        status = to;
        for (const h of ruleHolds) open.add(h.id);
      } });
      for (const h of d.holds.filter((x) => !x.ruleId)) {
        steps.push({ at: h.placedAt.getTime(), order: 1, apply: () => {
          status = statusAfterPlacing(d.id, status, kinds(), h.kind) ?? status;
          open.add(h.id);
        } });
      }
      for (const h of d.holds.filter((x) => x.releasedAt)) {
        steps.push({ at: h.releasedAt!.getTime(), order: 2, apply: () => {
          open.delete(h.id);
          status = statusAfterReleasing(d.id, status, kinds(), assessed) ?? status;
        } });
      }
      if (d.duties.length) {
        steps.push({ at: d.duties[0].createdAt.getTime(), order: 1, apply: () => {
          status = statusAfterAssessing(d.id, status) ?? status;
          assessed = true;
        } });
      }
      for (const e of d.statusEvents) {
        const moves = EVENT_EFFECT[e.code as keyof typeof EVENT_EFFECT].moves;
        if (moves) steps.push({ at: e.occurredAt.getTime(), order: 1, apply: () => {
          assertEventMove(d.id, status, moves);
          status = moves;
        } });
        // recorded by a party of the declaration: its carrier or post, or customs of the destination
        expect([d.carrierId, d.postId, d.filerId, customs.get(d.destinationCountry.trim())]).toContain(e.recordedById);
      }
      steps.sort((a, b) => a.at - b.at || a.order - b.order);
      for (const s of steps) s.apply();
      expect(status).toBe(d.status);
      statuses.add(status);
      for (const h of d.holds) {
        if (h.kind === "DO_NOT_LOAD") expect(h.answeredAt).toBeNull();
        if (!h.answeredAt) continue;
        expect(h.answeredById).toBe(h.addresseeId);
        if (h.kind === "HIGH_RISK_SCREENING") expect(h.screeningOutcome).not.toBeNull();
        else expect(!!h.answerText || h.answerDocuments.length > 0).toBe(true);
        expect(h.answeredAt.getTime()).toBeGreaterThanOrEqual(h.placedAt.getTime());
        if (h.releasedAt) expect(h.releasedAt.getTime()).toBeGreaterThanOrEqual(h.answeredAt.getTime());
      }
      const released = d.statusEvents.find((e) => e.code === "RELEASED_FROM_CUSTOMS");
      expect(d.releasedAt).toEqual(released?.occurredAt ?? null);
    }
    expect(statuses.size).toBeGreaterThanOrEqual(7);
  });
});
