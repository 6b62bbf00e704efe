// A believable, reproducible world for demos, tests and load: customs of several countries,
// designated postal operators, express carriers, e-commerce platforms and a broker, a few
// agreements between them, and declarations spread along the whole lifecycle.
//
// Generated through the hub's own rules: the shipped rule sets are loaded first; each
// filing is registered and risk-assessed by the risk engine as of its filing time (alerts,
// holds, movement reference, registration path: filing-risk.ts); what follows goes through
// the workflow's transition functions, referrals are answered and released as the API
// records them, and duties are computed by computeAssessment (history.ts, duties.ts). Only
// the writing is the seed's own: in bulk (writer.ts), so a million declarations stay fast.
//
// Content is deterministic: declaration n depends only on (seed, n, now) and the rules in
// force. Row ids come from crypto.randomUUID and timestamps are relative to `now`.
import type { PrismaClient } from "../generated/prisma/client";
import type { Hub } from "../hub";
import type { Logger } from "../infra/logger";
import { createRiskAssessor } from "../modules/risk";
import { loadShippedRiskRules } from "../modules/risk/risk.loader";
import { RiskRepository } from "../modules/risk/risk.repository";
import { loadShippedRuleSets } from "../modules/rules/rules.loader";
import type { RuleBook } from "../modules/rules/rules.model";
import { RulesService } from "../modules/rules/rules.service";
import { WriteService } from "../modules/writes";
import { ensureAgreements } from "./agreements";
import { DESTINATIONS } from "./catalogue";
import { DeclarationFactory } from "./declarations";
import { FilingRisk } from "./filing-risk";
import { Journey } from "./history";
import { ensureParties, issueDemoKeys, PARTY_SPECS, type DemoKeys, type SeedWorld } from "./parties";
import { SeedRepository } from "./seed.repository";
import { batchStatements, emptyBatch, prismaWriter, type SeedBatch, type SeedWriter } from "./writer";

export { mulberry32 } from "./rng";
export { s10, s10CheckDigit } from "./identifiers";
export { DEMO_KEY_LABELS, issueDemoKeys, type DemoKeys, type SeedWorld, type WorldParty } from "./parties";
export { Columnar, pgWriter, prismaWriter, type SeedBatch, type SeedRow, type SeedWriter } from "./writer";

export const DEFAULT_SEED = 20171208; // WCO Luxor Resolution, December 2017
export const DEFAULT_DECLARATIONS = 3000;

/**
 * Finds the world's parties (by kind and name) and creates the missing ones, then the
 * agreements between them that do not exist yet. Safe to call on a store seeded before.
 */
export async function ensureWorld(prisma: PrismaClient, now = new Date()): Promise<{ world: SeedWorld; createdParties: number; createdAgreements: number }> {
  const { world, createdParties } = await ensureParties(prisma, now);
  const createdAgreements = await ensureAgreements(prisma, world, now);
  return { world, createdParties, createdAgreements };
}

/** The rules a seed generates with: loaded (the shipped sets, once per store) and read once. */
export interface SeedRules {
  /** the seed's clock: nothing happens after it */
  now: Date;
  risk: FilingRisk;
  books: Map<string, RuleBook>;
}

/**
 * Loads the shipped rule sets where missing and reads what the engine needs to seed the
 * world up to `now` (`stored`: the store holds seeded declarations already).
 */
export async function seedRules(prisma: PrismaClient, world: SeedWorld, opts: { now: Date; stored: boolean; rules?: RulesService }): Promise<SeedRules> {
  const rules = opts.rules ?? new RulesService(prisma, new WriteService(prisma));
  await loadShippedRuleSets(rules);
  await loadShippedRiskRules(rules);
  const destinations = [...new Set(DESTINATIONS.map(([d]) => d))];
  const books = new Map(await Promise.all(destinations.map(async (d) => [d, await rules.book(d)] as const)));
  const platforms = PARTY_SPECS.filter((p) => p.kind === "PLATFORM").map((p) => world.parties[p.key].id);
  const platformIoss = await new RiskRepository(prisma).platformIossNumbers(platforms);
  const risk = await FilingRisk.prepare(createRiskAssessor(prisma, rules), new SeedRepository(prisma), platformIoss, destinations, opts.now.getTime(), opts.stored);
  return { now: opts.now, risk, books };
}

/**
 * Declarations number `first` to `first + count - 1` with all their child rows, in memory
 * (nothing is written): filed, assessed by the rules, and taken as far as `now` allows.
 */
export function generateDeclarations(world: SeedWorld, rules: SeedRules, first: number, count: number, opts: { seed?: number; now?: Date } = {}): SeedBatch {
  const now = (opts.now ?? new Date()).getTime();
  const factory = new DeclarationFactory(world, opts.seed ?? DEFAULT_SEED, now);
  const filings = Array.from({ length: count }, (_, i) => factory.build(first + i));
  const assessments = rules.risk.assess(filings);
  const batch = emptyBatch();
  filings.forEach((f, i) => new Journey(f, batch, now, rules.books.get(f.filing.declaration.destinationCountry)).run(assessments[i]));
  return batch;
}

export interface SeedCounts {
  declarations: number;
  goodsItems: number;
  statusEvents: number;
  riskAlerts: number;
  holds: number;
  duties: number;
}

export interface SeedDeclarationsOptions {
  /** PRNG seed (default DEFAULT_SEED) */
  seed?: number;
  /** number of the first declaration; pass the store's seeded count to add more (default 0) */
  offset?: number;
  /** declarations per transaction (default 1000) */
  batchSize?: number;
  /** batches written at once (default 1; the next batch is generated meanwhile); 1 on the embedded database, whose pool has one connection */
  concurrency?: number;
  /** timestamps end before this instant (default now) */
  now?: Date;
  /** called after each batch is committed */
  onProgress?: (done: number, total: number, counts: SeedCounts) => void;
  /** how batches are written (default: prismaWriter of the given client) */
  writer?: SeedWriter;
  /** the hub's rules service (default: one of its own over `prisma`) */
  rules?: RulesService;
  /** the rules read already (seedRules), where `prisma` must not be used while writing (a bulk writer on the embedded database) */
  prepared?: SeedRules;
}

function addCounts(counts: SeedCounts, b: SeedBatch): void {
  counts.declarations += b.declarations.length;
  counts.goodsItems += b.goodsItems.length;
  counts.statusEvents += b.statusEvents.length;
  counts.riskAlerts += b.riskAlerts.length;
  counts.holds += b.holds.length;
  counts.duties += b.duties.length;
}

/**
 * Generates and writes `count` declarations with their children, batch by batch, so
 * memory stays flat whatever the count. Declaration n (from `offset`) depends only on
 * (seed, n); local references and tracking numbers are unique per n.
 */
export async function seedDeclarations(prisma: PrismaClient, world: SeedWorld, count: number, opts: SeedDeclarationsOptions = {}): Promise<SeedCounts> {
  const now = opts.prepared?.now ?? opts.now ?? new Date();
  const write = opts.writer ?? prismaWriter(prisma);
  const offset = opts.offset ?? 0;
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const counts: SeedCounts = { declarations: 0, goodsItems: 0, statusEvents: 0, riskAlerts: 0, holds: 0, duties: 0 };
  if (count <= 0) return counts;
  const rules = opts.prepared ?? (await seedRules(prisma, world, { now, stored: offset > 0, rules: opts.rules }));
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  for (let start = 0; start < count && failure === undefined; start += batchSize) {
    // generated while the batches in flight are written; written once one of them is done,
    // so no batch waits for a connection (the embedded store's pool has one)
    const batch = generateDeclarations(world, rules, offset + start, Math.min(batchSize, count - start), { seed: opts.seed, now });
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure !== undefined) break;
    const p: Promise<void> = write(batchStatements(batch)).then(
      () => {
        inFlight.delete(p);
        addCounts(counts, batch);
        opts.onProgress?.(counts.declarations, count, counts);
      },
      (err) => {
        inFlight.delete(p);
        failure ??= err;
      },
    );
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return counts;
}

/**
 * Seeds the demo world: the shipped rule sets, parties, agreements, `declarations`
 * declarations (default 3000), and one API key per demo role. Returns the keys with their
 * secrets (shown once).
 */
export async function seedDemoWorld(hub: Hub, opts: { declarations: number; log: Logger; seed?: number }): Promise<DemoKeys> {
  const { log } = opts;
  const started = Date.now();
  const count = opts.declarations ?? DEFAULT_DECLARATIONS;
  const { world, createdParties, createdAgreements } = await ensureWorld(hub.prisma);
  log.info({ createdParties, createdAgreements }, "demo world: parties and agreements ready");
  const keys = await issueDemoKeys(hub, world);
  const offset = count > 0 ? await hub.prisma.declaration.count() : 0;
  let lastLogged = 0;
  const counts = await seedDeclarations(hub.prisma, world, count, {
    seed: opts.seed,
    offset,
    rules: hub.services.rules,
    // A real server takes a few batches at once (no more than the pool has connections). The
    // embedded one serves one connection: a second batch would only wait for it in the pool,
    // and fail after HUB_DB_ACQUIRE_TIMEOUT_MS on a busy machine; generating the next batch
    // overlaps the write (PGlite's own thread) anyway.
    concurrency: hub.config.DATABASE_URL ? Math.min(3, hub.config.HUB_DB_POOL_SIZE) : 1,
    onProgress: (done, total) => {
      if (done - lastLogged >= 10_000 || done === total) {
        lastLogged = done;
        log.info({ done, total }, "demo world: declarations seeded");
      }
    },
  });
  log.info({ ...counts, ms: Date.now() - started }, "demo world seeded");
  return keys;
}
