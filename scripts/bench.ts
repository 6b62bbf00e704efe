// Luxor Hub benchmarks: `npm run bench` (builds, then runs `node dist/scripts/bench.js`).
//
//   node dist/scripts/bench.js [--quick] [--declarations N] [--duration S] [--only filing,clearance,observability,authz,startup,...]
//
// Needs only PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres,
// a user that may create databases). Creates its own databases and drops them at the end.
// Everything is on loopback and bounded in count and time. Measures:
//   1. bulk filing: fileDeclarations over HTTP, batches of 1,000 declarations x 3 goods items;
//   2. clearanceStatus on an N-declaration database (default 1,000,000; --quick 100,000):
//      the hub over HTTP vs a plain node:http + pg endpoint (and, for reference, the same
//      endpoint with a prepared statement, as the hub's lookup uses), autocannon, 50 connections;
//   2b. observability (scripts/bench/observability.ts): the same clearanceStatus load on a hub
//      with metrics and request log on (HUB_METRICS=on, HUB_REQUEST_LOG=on, LOG_LEVEL=info,
//      lines to a file) and one with them off, in the same run;
//   3. authorization cost: a 1,000-declaration page with goods items in-process, policy on vs
//      off, as the destination customs (every category) and as a carrier (mixed rights), and the
//      SQL statements per request for page sizes 10, 100, 1000;
//   4. startup: `node dist/src/main.js` on a fresh embedded data dir to /readyz, then SIGTERM;
//      and a fresh clone of HEAD: `npm ci`, then `npm start` to /readyz;
//   5. events (scripts/bench/events.ts): 1,000 and 10,000 WebSocket subscribers across 200
//      parties while holds are placed at 50/s through the API (clients in child processes):
//      commit-to-receipt p50/p99, events lost or delivered to a party not entitled (against
//      an independent model), SQL statements per event, memory per connection; then a
//      subscriber that stops reading while holds are placed as fast as the machine goes.
//      --subscribers N,N (default 1000,10000), --hold-rate (50), --hold-seconds (60; --quick 15).
//   7. analytics (scripts/bench/analytics.ts): typical analyst filters (page of 50) p50/p99 and
//      declarationStats by HS chapter x destination x month vs the hand-written SQL, as the
//      destination customs and as a carrier with mixed rights, on the N-declaration database.
//   8. revenue: assessDuties computed for 1,000 declarations (--quick 200) of five routes,
//      one at a time by the destination's officer: per-declaration p50 and p99, and the pure
//      computation's (scripts/bench/revenue.ts).
//
// Environment (flags win): BENCH_DECLARATIONS, BENCH_DURATION (s per load run, default 10),
// BENCH_CONNECTIONS (50), BENCH_FILING_BATCHES (10), BENCH_RUNS (15), BENCH_SEED_CONCURRENCY (4),
// BENCH_TIMEOUT_MINUTES (90), BENCH_DATABASE_URL; BENCH_ANALYTICS_DATABASE_URL (analytics on a database seeded before); events: BENCH_SUBSCRIBERS, BENCH_HOLD_RATE, BENCH_HOLD_SECONDS,
// BENCH_EVENT_DECLARATIONS (declarations seeded for it, default 60,000; --quick 25,000).
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { execute, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { Pool } from "pg";
import { loadConfig } from "../src/config";
import { createHub, type Hub } from "../src/hub";
import { createLogger, type Logger } from "../src/infra/logger";
import { applyPendingMigrations } from "../src/infra/migrations";
import { createPrismaClient } from "../src/infra/prisma";
import { createHubPubSub } from "../src/infra/pubsub";
import { buildHubSchema } from "../src/schema/build";
import { startServer, type RunningServer } from "../src/server/server";
import { createContext, type HubContext } from "../src/context/context";
import type { Principal } from "../src/authz/principal";
import type { Role } from "../src/generated/prisma/enums";
import { ensureWorld, pgWriter, seedDeclarations, type SeedWorld } from "../src/seed/demo-world";
import { declarationInput } from "./bench/inputs";
import { loadShippedRiskRules } from "../src/modules/risk/risk.loader";
import type { LoadReport } from "./bench/load";
import { RAW_SQL, startRawServer } from "./bench/raw-server";
import { benchEvents, eventsDefaults, type EventsOptions } from "./bench/events";
import { benchWebhooks, webhooksDefaults } from "./bench/webhooks";
import { benchObservability } from "./bench/observability";
import { benchAnalytics } from "./bench/analytics";
import { loadShippedRuleSets } from "../src/modules/rules/rules.loader";
import { benchRevenue } from "./bench/revenue";
import { benchStartup } from "./bench/startup";
import {
  ScratchDatabases,
  countingPool,
  ensurePostgres,
  fmtInt,
  fmtMs,
  freePort,
  heading,
  median,
  note,
  nowMs,
  runLoad,
  table,
} from "./bench/util";

// ---- options -------------------------------------------------------------------------

const SECTIONS = ["filing", "clearance", "observability", "authz", "startup", "events", "webhooks", "analytics", "revenue"] as const;
type Section = (typeof SECTIONS)[number];

interface Options {
  quick: boolean;
  declarations: number;
  durationSeconds: number;
  connections: number;
  filingBatches: number;
  runs: number;
  seedConcurrency: number;
  timeoutMinutes: number;
  adminUrl: string;
  only: Set<Section>;
  events: EventsOptions;
}

const USAGE = `usage: node dist/scripts/bench.js [--quick] [--declarations N] [--duration S] [--connections N]
       [--filing-batches N] [--runs N] [--subscribers N,N] [--hold-rate N] [--hold-seconds S] [--only ${SECTIONS.join(",")}]`;

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(String(v).replace(/_/g, ""));
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs a whole number >= ${min} (got ${v})\n${USAGE}`);
    return n;
  };
  const quick = argv.includes("--quick") || env.BENCH_QUICK === "1";
  const o: Options = {
    quick,
    declarations: env.BENCH_DECLARATIONS ? num("BENCH_DECLARATIONS", env.BENCH_DECLARATIONS, 1000) : quick ? 100_000 : 1_000_000,
    durationSeconds: env.BENCH_DURATION ? num("BENCH_DURATION", env.BENCH_DURATION, 1) : quick ? 5 : 10,
    connections: env.BENCH_CONNECTIONS ? num("BENCH_CONNECTIONS", env.BENCH_CONNECTIONS, 1) : 50,
    filingBatches: env.BENCH_FILING_BATCHES ? num("BENCH_FILING_BATCHES", env.BENCH_FILING_BATCHES, 1) : quick ? 5 : 10,
    runs: env.BENCH_RUNS ? num("BENCH_RUNS", env.BENCH_RUNS, 1) : 15,
    seedConcurrency: env.BENCH_SEED_CONCURRENCY ? num("BENCH_SEED_CONCURRENCY", env.BENCH_SEED_CONCURRENCY, 1) : 4,
    timeoutMinutes: env.BENCH_TIMEOUT_MINUTES ? num("BENCH_TIMEOUT_MINUTES", env.BENCH_TIMEOUT_MINUTES, 1) : 90,
    adminUrl: env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    only: new Set(SECTIONS),
    events: eventsDefaults(quick),
  };
  if (env.BENCH_SUBSCRIBERS) o.events.subscribers = env.BENCH_SUBSCRIBERS.split(",").map((v) => num("BENCH_SUBSCRIBERS", v, 1));
  if (env.BENCH_HOLD_RATE) o.events.holdRate = num("BENCH_HOLD_RATE", env.BENCH_HOLD_RATE, 1);
  if (env.BENCH_HOLD_SECONDS) o.events.holdSeconds = num("BENCH_HOLD_SECONDS", env.BENCH_HOLD_SECONDS, 1);
  if (env.BENCH_EVENT_DECLARATIONS) o.events.declarations = num("BENCH_EVENT_DECLARATIONS", env.BENCH_EVENT_DECLARATIONS, 1000);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--quick":
        break;
      case "--declarations":
        o.declarations = num(flag, value(), 1000);
        break;
      case "--duration":
        o.durationSeconds = num(flag, value(), 1);
        break;
      case "--connections":
        o.connections = num(flag, value(), 1);
        break;
      case "--filing-batches":
        o.filingBatches = num(flag, value(), 1);
        break;
      case "--runs":
        o.runs = num(flag, value(), 1);
        break;
      case "--subscribers":
        o.events.subscribers = value()
          .split(",")
          .map((v) => num(flag, v, 1));
        break;
      case "--hold-rate":
        o.events.holdRate = num(flag, value(), 1);
        break;
      case "--hold-seconds":
        o.events.holdSeconds = num(flag, value(), 1);
        break;
      case "--only": {
        const names = value().split(",").map((s) => s.trim()) as Section[];
        for (const n of names) if (!SECTIONS.includes(n)) throw new Error(`unknown section ${n}\n${USAGE}`);
        o.only = new Set(names);
        break;
      }
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
      // falls through (never reached)
      default:
        throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  return o;
}

// ---- summary -------------------------------------------------------------------------

interface Verdict {
  measure: string;
  figure: string;
  target: string;
  result: "PASS" | "MISS" | "info";
}
const verdicts: Verdict[] = [];

// ---- a hub in this process -----------------------------------------------------------

interface BenchHub {
  hub: Hub;
  schema: GraphQLSchema;
  server: RunningServer | null;
  /** SQL statements sent to PostgreSQL by this hub's Prisma client so far */
  statements(): number;
  stop(): Promise<void>;
}

/** The production configuration, with a rate limit that cannot interfere. */
function benchConfig(databaseUrl: string, env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: "production",
    LOG_LEVEL: "silent",
    HUB_RATE_LIMIT_PER_MINUTE: "100000000",
    PORT: "0",
    HUB_SEED: "none",
    DATABASE_URL: databaseUrl,
    ...env,
  });
}

/**
 * A hub as src/app.ts assembles it (Prisma over pg with a pool of 10, in-process pub/sub,
 * schema with full policy, Apollo on node:http, Express for the rest, on port 0), without embedded storage or seeding.
 * With `countStatements`, Prisma gets an external pg Pool whose clients count every query.
 */
async function startBenchHub(
  databaseUrl: string,
  opts: { http: boolean; countStatements?: boolean; /** production settings on top of benchConfig */ env?: Record<string, string>; log?: Logger },
): Promise<BenchHub> {
  const config = benchConfig(databaseUrl, opts.env);
  const counting = opts.countStatements ? countingPool(databaseUrl, 10) : undefined;
  const pool = counting?.pool;
  const prisma = createPrismaClient(databaseUrl, { embedded: false, pool });
  const events = createHubPubSub(undefined);
  const hub = createHub(config, prisma, opts.log ?? createLogger("silent"), events);
  await hub.services.parties.ensureOperatorParty();
  const schema = await buildHubSchema(events, { debug: false });
  const server = opts.http ? await startServer(hub, schema, 0, async () => true, { host: "127.0.0.1" }) : null;
  return {
    hub,
    schema,
    server,
    statements: () => counting?.statements() ?? 0,
    async stop() {
      await server?.stop();
      await hub.accessLog.close();
      await events.close();
      await prisma.$disconnect(); // closes the counting pool too
    },
  };
}

/** As the operator: a limit no bench run reaches, through setRateLimit's service. */
async function raiseLimit(hub: Hub, partyId: string): Promise<void> {
  const operator: Principal = { partyId: hub.services.parties.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null };
  await hub.services.rateLimits.set(createContext(hub, operator), { partyId, perMinute: 100_000_000, reason: "bench" });
}

async function issueKey(hub: Hub, world: SeedWorld, partyKey: string, role: Role): Promise<{ secret: string; principal: Principal }> {
  const party = world.parties[partyKey];
  const secret = await hub.services.parties.issueKey(party.id, role, `bench ${role.toLowerCase()}`);
  const principal = await hub.authenticator.authenticate(`Bearer ${secret}`);
  if (!principal) throw new Error("a key just issued does not authenticate");
  return { secret, principal };
}

async function postGraphql(url: string, key: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body, bytes: text.length };
}

// ---- 1. bulk filing ------------------------------------------------------------------

const FILE_MUTATION = `mutation File($declarations: [DeclarationInput!]!) {
  fileDeclarations(declarations: $declarations) { createdCount replayedCount failedCount results { index created error { code path message } } }
}`;

/** One filing run's figures: one call at a time, then 2 in flight. */
interface FilingRun {
  sequential: { calls: number; inFlight: number; times: number[]; rate: number; cpuPerCall: number };
  parallel: { calls: number; inFlight: number; times: number[]; rate: number; cpuPerCall: number };
  stored: number;
  items: number;
  alerts: number;
  holds: number;
  statuses: string;
  bodyBytes: number;
}

/**
 * Risk assessment is a setting of each destination's customs (RISK_SETTINGS ASSESSMENT, a
 * versioned rule): the shipped risk rules are loaded in both runs, and customs of the EU
 * (an officer of DE), GB and US publish `enabled` true or false through the API, as they
 * would. No bench-only path: the same filing code reads the same setting.
 */
async function setRiskAssessment(hub: Hub, world: SeedWorld, enabled: boolean): Promise<void> {
  await loadShippedRuleSets(hub.services.rules);
  await loadShippedRiskRules(hub.services.rules);
  for (const [jurisdiction, customs] of [["EU", "customs.DE"], ["GB", "customs.GB"], ["US", "customs.US"]]) {
    const { principal } = await issueKey(hub, world, customs, "OFFICER");
    await hub.services.rules.publish(createContext(hub, principal), {
      jurisdiction,
      rules: [{ kind: "RISK_SETTINGS", key: "ASSESSMENT", validFrom: "2020-01-01", legalReference: "bench: the customs' own setting", payload: { enabled, holdAbove: "MEDIUM" } }],
    });
  }
}

async function filingRun(o: Options, dbs: ScratchDatabases, assess: boolean): Promise<FilingRun> {
  const url = await dbs.create(assess ? "filing_risk_on" : "filing_risk_off");
  await applyPendingMigrations(url);
  const bh = await startBenchHub(url, { http: true });
  try {
    const { world } = await ensureWorld(bh.hub.prisma);
    await setRiskAssessment(bh.hub, world, assess);
    const { secret } = await issueKey(bh.hub, world, "platform.SV", "AGENT");
    const parties = { platformId: world.parties["platform.SV"].id, carrierId: world.parties["carrier.SWX"].id };
    const runId = randomBytes(3).toString("hex");
    const PER_CALL = 1000;
    let n = 0;
    const batch = () => Array.from({ length: PER_CALL }, () => declarationInput(runId, n++, parties));

    /** Request bodies are built and serialized before the clock starts: only the hub is timed. */
    const makeBody = () => JSON.stringify({ query: FILE_MUTATION, variables: { declarations: batch() } });
    const fileBatch = async (label: string, body: string) => {
      const t0 = nowMs();
      const res = await fetch(bh.server!.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body,
      });
      const text = await res.text();
      const ms = nowMs() - t0;
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`${label}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
      }
      const r = json?.data?.fileDeclarations;
      if (res.status !== 200 || !r || r.createdCount !== PER_CALL || r.failedCount !== 0) {
        const firstError = r?.results?.find((x: any) => x.error)?.error ?? json?.errors?.[0];
        throw new Error(`${label}: HTTP ${res.status}, created ${r?.createdCount}, failed ${r?.failedCount}: ${JSON.stringify(firstError)}`);
      }
      return { ms, bodyBytes: Buffer.byteLength(body) };
    };

    // Warm-up (JIT, pool connections, plan caches, rule books): not counted.
    await fileBatch("warm-up", makeBody());
    let bodyBytes = 0;
    /** `calls` calls, `inFlight` at a time; declarations per second over the wall time. */
    const measure = async (calls: number, inFlight: number) => {
      const bodies = Array.from({ length: calls }, makeBody);
      const times: number[] = [];
      let next = 0;
      const c0 = process.cpuUsage();
      const t0 = nowMs();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < calls) {
            const i = next++;
            const r = await fileBatch(`call ${i + 1}`, bodies[i]);
            times.push(r.ms);
            bodyBytes = r.bodyBytes;
          }
        }),
      );
      const wall = nowMs() - t0;
      const c = process.cpuUsage(c0);
      return { calls, inFlight, times, rate: (calls * PER_CALL) / (wall / 1000), cpuPerCall: (c.user + c.system) / 1000 / calls };
    };
    const sequential = await measure(o.filingBatches, 1);
    const parallel = await measure(o.filingBatches, 2);
    const p = bh.hub.prisma;
    const byStatus = await p.declaration.groupBy({ by: ["status"], _count: true });
    return {
      sequential,
      parallel,
      bodyBytes,
      stored: await p.declaration.count(),
      items: await p.goodsItem.count(),
      alerts: await p.riskAlert.count(),
      holds: await p.hold.count(),
      statuses: byStatus.map((s) => `${s.status} ${fmtInt(s._count)}`).join(", "),
    };
  } finally {
    await bh.stop();
    await dbs.drop(url);
  }
}

async function benchFiling(o: Options, dbs: ScratchDatabases): Promise<void> {
  heading("1. Bulk filing: fileDeclarations over HTTP on PostgreSQL, risk assessment off and on");
  const off = await filingRun(o, dbs, false);
  const on = await filingRun(o, dbs, true);
  const PER_CALL = 1000;
  const row = (label: string, m: FilingRun["sequential"]) => [
    label,
    m.inFlight === 1 ? "one call at a time" : `${m.inFlight} calls in flight`,
    String(m.calls),
    fmtInt(m.calls * PER_CALL),
    `${fmtMs(median(m.times))} ms`,
    `${fmtMs(Math.max(...m.times))} ms`,
    `${fmtMs(m.cpuPerCall)} ms`,
    fmtInt(m.rate),
  ];
  console.log(
    table([
      ["risk assessment", "client", "calls", "declarations", "median call", "slowest call", "Node CPU/call", "declarations/s"],
      row("off", off.sequential),
      row("off", off.parallel),
      row("on", on.sequential),
      row("on", on.parallel),
    ]),
  );
  note(
    `request body ${(off.bodyBytes / 1024).toFixed(0)} KiB per call; 1 warm-up call not counted; ` +
      `off: ${fmtInt(off.stored)} declarations, ${fmtInt(off.items)} goods items (${off.statuses}); ` +
      `on: ${fmtInt(on.stored)} declarations, ${fmtInt(on.alerts)} risk alerts, ${fmtInt(on.holds)} holds (${on.statuses})`,
  );
  verdicts.push({
    measure: "Bulk filing (HTTP, 1,000 x 3 items per call)",
    figure: `${fmtInt(off.sequential.rate)} declarations/s (2 in flight: ${fmtInt(off.parallel.rate)})`,
    target: ">= 2,000/s",
    result: off.sequential.rate >= 2000 ? "PASS" : "MISS",
  });
  const ratio = on.sequential.rate / off.sequential.rate;
  verdicts.push({
    measure: "Bulk filing with risk assessment on (registration, every rule, alerts and holds in the same statement)",
    figure: `${fmtInt(on.sequential.rate)} declarations/s = ${(ratio * 100).toFixed(0)}% of off (2 in flight: ${((on.parallel.rate / off.parallel.rate) * 100).toFixed(0)}%)`,
    target: ">= 80% of off",
    result: ratio >= 0.8 ? "PASS" : "MISS",
  });
}

// ---- 2. clearanceStatus --------------------------------------------------------------

const CLEARANCE_QUERY =
  "query Clearance($tn: String!) { clearanceStatus(trackingNumber: $tn) { trackingNumber id status onHold openHoldKinds updatedAt } }";

interface ClearanceWorld {
  url: string;
  world: SeedWorld;
}

async function seedClearanceDatabase(o: Options, dbs: ScratchDatabases): Promise<ClearanceWorld> {
  heading(`Seeding ${fmtInt(o.declarations)} declarations (seed module: seedDeclarations + pgWriter, INSERT ... SELECT FROM unnest)`);
  const url = await dbs.create("clearance");
  await applyPendingMigrations(url);
  const prisma = createPrismaClient(url, { embedded: false, poolSize: 2 });
  const pool = new Pool({ connectionString: url, max: o.seedConcurrency });
  try {
    const started = nowMs();
    const { world } = await ensureWorld(prisma);
    let nextReport = 0;
    const counts = await seedDeclarations(prisma, world, o.declarations, {
      batchSize: 2000,
      concurrency: o.seedConcurrency,
      writer: pgWriter(pool), // the seed script's fast path: each batch's INSERT ... unnest statements through pg
      onProgress: (done, total) => {
        if (done < nextReport && done !== total) return;
        nextReport = done + Math.max(100_000, Math.ceil(total / 10));
        const s = (nowMs() - started) / 1000;
        note(`${fmtInt(done)} / ${fmtInt(total)} declarations, ${fmtInt(done / s)}/s`);
      },
    });
    const seedSeconds = (nowMs() - started) / 1000;
    const t0 = nowMs();
    await prisma.$executeRawUnsafe("VACUUM ANALYZE");
    note(
      `seeded in ${seedSeconds.toFixed(0)} s (${fmtInt(counts.declarations / seedSeconds)} declarations/s), VACUUM ANALYZE ${((nowMs() - t0) / 1000).toFixed(0)} s: ` +
        Object.entries(counts)
          .map(([k, v]) => `${k} ${fmtInt(v)}`)
          .join(", "),
    );
    return { url, world };
  } finally {
    await pool.end();
    await prisma.$disconnect();
  }
}

/** The clearanceStatus load of one run: the carrier's key over `trackingNumbers` at random. */
function clearanceJob(o: Options, secret: string, trackingNumbers: string[]) {
  return (title: string, url: string) => ({
    title,
    url,
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    bodyTemplate: JSON.stringify({ query: CLEARANCE_QUERY, variables: { tn: "__TN__" }, operationName: "Clearance" }),
    trackingNumbers,
    connections: o.connections,
    durationSeconds: o.durationSeconds,
  });
}

/** Section 2b: the same load on two hubs, metrics and request log on and off (scripts/bench/observability.ts). */
async function benchObservabilityCost(o: Options, cw: ClearanceWorld): Promise<void> {
  const setup = await startBenchHub(cw.url, { http: false });
  let job: ReturnType<typeof clearanceJob>;
  try {
    const carrier = cw.world.parties["carrier.SWX"];
    const { secret } = await issueKey(setup.hub, cw.world, "carrier.SWX", "AGENT");
    await raiseLimit(setup.hub, carrier.id);
    const sample = await setup.hub.prisma.$queryRawUnsafe<{ trackingNumber: string }[]>(
      `SELECT "trackingNumber" FROM "Declaration" WHERE "carrierId" = $1::uuid ORDER BY random() LIMIT 20000`,
      carrier.id,
    );
    job = clearanceJob(o, secret, sample.map((r) => r.trackingNumber));
  } finally {
    await setup.stop();
  }
  await benchObservability({
    start: (env, log) => startBenchHub(cw.url, { http: true, env, log }).then((h) => ({ url: h.server!.url, stop: () => h.stop() })),
    job,
    warmSeconds: Math.min(5, o.durationSeconds),
    verdict: (v) => verdicts.push(v),
  });
}

function sameClearance(a: any, b: any): boolean {
  if (!a || !b) return false;
  const norm = (x: any) => ({ ...x, openHoldKinds: [...x.openHoldKinds].sort() });
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

async function benchClearance(o: Options, cw: ClearanceWorld): Promise<void> {
  heading(`2. clearanceStatus on ${fmtInt(o.declarations)} declarations: hub vs plain node:http + pg`);
  const bh = await startBenchHub(cw.url, { http: true });
  const carrier = cw.world.parties["carrier.SWX"];
  const raw = await startRawServer(cw.url, carrier.id, 10);
  const rawPrepared = await startRawServer(cw.url, carrier.id, 10, true);
  try {
    const { secret } = await issueKey(bh.hub, cw.world, "carrier.SWX", "AGENT");
    // The carrier's own limit, as its operator would set it for a load test (the default,
    // 600,000 a minute, could be reached here on a fast machine).
    await raiseLimit(bh.hub, carrier.id);
    const sample = await bh.hub.prisma.$queryRawUnsafe<{ trackingNumber: string }[]>(
      `SELECT "trackingNumber" FROM "Declaration" WHERE "carrierId" = $1::uuid ORDER BY random() LIMIT 20000`,
      carrier.id,
    );
    const tns = sample.map((r) => r.trackingNumber);
    const carried = await bh.hub.prisma.declaration.count({ where: { carrierId: carrier.id } });
    note(`${carrier.name} carries ${fmtInt(carried)} parcels; rotating through ${fmtInt(tns.length)} of them at random`);

    // Both endpoints must give the same answers before their speed means anything.
    let onHold = 0;
    for (const tn of tns.slice(0, 300)) {
      const h = await postGraphql(bh.server!.url, secret, CLEARANCE_QUERY, { tn });
      const r = await postGraphql(raw.url, secret, CLEARANCE_QUERY, { tn });
      if (!sameClearance(h.body?.data?.clearanceStatus, r.body?.data?.clearanceStatus)) {
        throw new Error(`hub and raw endpoint disagree on ${tn}: ${JSON.stringify(h.body)} vs ${JSON.stringify(r.body)}`);
      }
      if (h.body.data.clearanceStatus.onHold) onHold++;
    }
    note(`hub and raw endpoint agree on 300 sampled parcels (${onHold} of them on hold)`);

    const job = clearanceJob(o, secret, tns);
    // Warm-up of both (JIT, pools, caches), then the measured runs.
    const warm = Math.min(5, o.durationSeconds);
    await runLoad({ ...job("hub warm-up", bh.server!.url), durationSeconds: warm });
    await runLoad({ ...job("raw warm-up", raw.url), durationSeconds: warm });
    await runLoad({ ...job("raw prepared warm-up", rawPrepared.url), durationSeconds: warm });
    // ABBA order: hub, raw, raw, hub, so that drifting background load hits both alike
    // (the prepared-statement variant of raw runs in the middle, twice as well).
    // This process serves both endpoints (one at a time); its CPU time per request tells what
    // each costs on the server side, a figure other load on the machine distorts far less.
    const cpu = new Map<LoadReport, number>();
    const measured = async (j: ReturnType<typeof job>) => {
      const c0 = process.cpuUsage();
      const r = await runLoad(j);
      const c = process.cpuUsage(c0);
      cpu.set(r, (c.user + c.system) / 1000 / Math.max(1, r.completed));
      return r;
    };
    const hub1 = await measured(job("hub run 1", bh.server!.url));
    const raw1 = await measured(job("raw run 1", raw.url));
    const prep1 = await measured(job("raw prepared run 1", rawPrepared.url));
    const prep2 = await measured(job("raw prepared run 2", rawPrepared.url));
    const raw2 = await measured(job("raw run 2", raw.url));
    const hub2 = await measured(job("hub run 2", bh.server!.url));
    const mean = (a: LoadReport, b: LoadReport, title: string): LoadReport => ({
      ...a,
      title,
      requestsPerSecond: (a.requestsPerSecond + b.requestsPerSecond) / 2,
      latencyP50: (a.latencyP50 + b.latencyP50) / 2,
      latencyP99: (a.latencyP99 + b.latencyP99) / 2,
      latencyMean: (a.latencyMean + b.latencyMean) / 2,
      completed: a.completed + b.completed,
      bad: a.bad + b.bad,
      errors: a.errors + b.errors,
      timeouts: a.timeouts + b.timeouts,
      firstBadBody: a.firstBadBody ?? b.firstBadBody,
    });
    const hub = mean(hub1, hub2, "hub");
    const base = mean(raw1, raw2, "raw");
    const prepared = mean(prep1, prep2, "raw prepared");
    cpu.set(hub, (cpu.get(hub1)! + cpu.get(hub2)!) / 2);
    cpu.set(base, (cpu.get(raw1)! + cpu.get(raw2)!) / 2);
    cpu.set(prepared, (cpu.get(prep1)! + cpu.get(prep2)!) / 2);

    const row = (name: string, r: LoadReport) => [
      name,
      fmtInt(r.requestsPerSecond),
      fmtMs(r.latencyP50),
      fmtMs(r.latencyP99),
      fmtMs(r.latencyMean),
      fmtInt(r.completed),
      fmtInt(r.bad + r.errors + r.timeouts),
      fmtMs(cpu.get(r)!),
    ];
    console.log(
      table([
        ["endpoint", "req/s", "p50 ms", "p99 ms", "mean ms", "requests", "errors", "server CPU ms/req"],
        row("hub: GraphQL clearanceStatus (carrier key)", hub),
        row("raw: node:http + pg (Pool 10)", base),
        row("raw, prepared statement (as the hub's)", prepared),
        row("  hub run 1", hub1),
        row("  raw run 1", raw1),
        row("  raw prepared run 1", prep1),
        row("  raw prepared run 2", prep2),
        row("  raw run 2", raw2),
        row("  hub run 2", hub2),
      ]),
    );
    for (const r of [hub, base, prepared]) if (r.firstBadBody) note(`${r.title}: first bad response: ${r.firstBadBody}`);
    const ratio = hub.requestsPerSecond / base.requestsPerSecond;
    note(
      `autocannon in a child process, ${o.connections} connections, ${o.durationSeconds} s per run, runs in the order hub, raw, raw prepared, raw prepared, raw, hub ` +
        `after ${warm} s warm-up each; first three rows: mean of the two runs`,
    );
    note(`hub/raw throughput: ${(ratio * 100).toFixed(0)}%  (hub: NODE_ENV=production, LOG_LEVEL=silent, no Redis, Prisma pool 10)`);
    note(
      `server CPU per request (Node process only, PostgreSQL not included): hub ${fmtMs(cpu.get(hub)!)} ms, raw ${fmtMs(cpu.get(base)!)} ms ` +
        `= ${(cpu.get(hub)! / cpu.get(base)!).toFixed(1)}x`,
    );
    const preparedRatio = hub.requestsPerSecond / prepared.requestsPerSecond;
    note(`hub / raw with a prepared statement: ${(preparedRatio * 100).toFixed(0)}%  (the target compares with the plain raw endpoint)`);
    const clean = [hub, base, prepared].every((r) => r.bad + r.errors + r.timeouts === 0);
    verdicts.push({
      measure: `clearanceStatus hub/raw (${fmtInt(o.declarations)} decl.)`,
      figure: `${(ratio * 100).toFixed(0)}% (${fmtInt(hub.requestsPerSecond)} vs ${fmtInt(base.requestsPerSecond)} req/s)`,
      target: ">= 60%",
      result: ratio >= 0.6 && clean ? "PASS" : "MISS",
    });
    verdicts.push({
      measure: "clearanceStatus p50 / p99, hub vs raw",
      figure: `${fmtMs(hub.latencyP50)} / ${fmtMs(hub.latencyP99)} vs ${fmtMs(base.latencyP50)} / ${fmtMs(base.latencyP99)} ms`,
      target: "-",
      result: "info",
    });
    verdicts.push({
      measure: "  hub / raw with a prepared statement",
      figure: `${(preparedRatio * 100).toFixed(0)}% (${fmtInt(hub.requestsPerSecond)} vs ${fmtInt(prepared.requestsPerSecond)} req/s)`,
      target: "-",
      result: "info",
    });

    // Diagnosis: the same hub with its data access replaced by a constant answer (no SQL,
    // no access log). What remains is node:http, Apollo, armor, authentication, rate limit,
    // shield, field guards and type-graphql: the cost of the framework alone.
    const services = bh.hub.services;
    const saved = { inForceFor: services.agreements.inForceFor, clearanceStatus: services.declarations.clearanceStatus, enqueue: bh.hub.accessLog.enqueue };
    const now = new Date();
    services.agreements.inForceFor = async () => [];
    services.declarations.clearanceStatus = (async (ctx: HubContext, tn: string) => {
      const scope = {
        id: "00000000-0000-4000-8000-000000000000",
        filerId: carrier.id,
        carrierId: carrier.id,
        postId: null,
        platformId: null,
        originCountry: "CN",
        destinationCountry: "DE",
        status: "FILED",
        updatedAt: now,
      };
      (await ctx.authz.policy()).rememberScope(scope);
      return { id: scope.id, trackingNumber: tn.trim().toUpperCase(), scope, status: "FILED", onHold: false, openHoldKinds: [], updatedAt: now };
    }) as unknown as typeof saved.clearanceStatus;
    bh.hub.accessLog.enqueue = () => undefined;
    let framework: LoadReport;
    try {
      await runLoad({ ...job("framework warm-up", bh.server!.url), durationSeconds: warm });
      framework = await measured(job("hub, data access stubbed", bh.server!.url));
    } finally {
      services.agreements.inForceFor = saved.inForceFor;
      services.declarations.clearanceStatus = saved.clearanceStatus;
      bh.hub.accessLog.enqueue = saved.enqueue;
    }
    console.log(
      table([
        ["diagnosis: same hub, data access stubbed", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "of raw"],
        [
          "HTTP + Apollo + auth + policy guards, no SQL",
          fmtInt(framework.requestsPerSecond),
          fmtMs(framework.latencyP50),
          fmtMs(framework.latencyP99),
          fmtMs(cpu.get(framework)!),
          `${((framework.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(0)}%`,
        ],
      ]),
    );
    note(
      `=> of the hub's ${fmtMs(cpu.get(hub)!)} ms CPU per request, ~${fmtMs(cpu.get(framework)!)} ms is the framework and ` +
        `~${fmtMs(cpu.get(hub)! - cpu.get(framework)!)} ms the data access (Prisma, policy) and the access log`,
    );
    verdicts.push({
      measure: "  diagnosis: hub with data access stubbed",
      figure: `${((framework.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(0)}% of raw (${fmtMs(cpu.get(framework)!)} ms CPU/req)`,
      target: "-",
      result: "info",
    });
    await anatomyOfClearance(bh, cw, secret, tns, raw.url);
  } finally {
    await raw.close();
    await rawPrepared.close();
    await bh.stop();
  }
}

/**
 * Where a clearanceStatus request spends its time, one request at a time (no concurrency):
 * the SQL alone, Prisma, the policy's agreements query, GraphQL execution in-process, HTTP.
 */
async function anatomyOfClearance(bh: BenchHub, cw: ClearanceWorld, secret: string, tns: string[], rawUrl: string): Promise<void> {
  const N = 2000;
  const carrierId = cw.world.parties["carrier.SWX"].id;
  const principal = (await bh.hub.authenticator.authenticate(`Bearer ${secret}`))!;
  const pool = new Pool({ connectionString: cw.url, max: 1 });
  const document = parse(CLEARANCE_QUERY);
  const executeOnce = async (tn: string, writeAccessLog: boolean) => {
    const contextValue = createContext(bh.hub, principal, "Clearance");
    const r = await execute({ schema: bh.schema, document, variableValues: { tn }, contextValue });
    const records = contextValue.authz.recorder.drain(principal, "Clearance");
    if (writeAccessLog) bh.hub.accessLog.enqueue(records);
    return r;
  };
  const steps: [string, (tn: string) => Promise<unknown>][] = [
    ["pg: the raw endpoint's SQL (1 statement)", (tn) => pool.query(RAW_SQL, [tn, carrierId])],
    ["pg: the same SQL, prepared (planned once per connection)", (tn) => pool.query({ name: "anatomy_raw", text: RAW_SQL, values: [tn, carrierId] })],
    ["Prisma $queryRawUnsafe: the same SQL (1 statement)", (tn) => bh.hub.prisma.$queryRawUnsafe(RAW_SQL, tn, carrierId)],
    ["policy: agreements in force (as the service calls it)", () => bh.hub.services.agreements.inForceFor(principal.partyId, new Date())],
    ["service: clearanceStatus (policy + lookup)", (tn) => bh.hub.services.declarations.clearanceStatus(createContext(bh.hub, principal), tn)],
    ["GraphQL execute in-process, access records discarded", (tn) => executeOnce(tn, false)],
    ["GraphQL execute in-process, access records written", (tn) => executeOnce(tn, true)],
    ["HTTP round trip to the raw endpoint", (tn) => postGraphql(rawUrl, secret, CLEARANCE_QUERY, { tn })],
    ["HTTP round trip to the hub (HTTP, Apollo, auth, all above)", (tn) => postGraphql(bh.server!.url, secret, CLEARANCE_QUERY, { tn })],
  ];
  const rows: string[][] = [["step, one request at a time", "wall ms", "Node CPU ms"]];
  try {
    for (const [name, fn] of steps) {
      for (let i = 0; i < 200; i++) await fn(tns[i % tns.length]);
      const c0 = process.cpuUsage();
      const t0 = nowMs();
      for (let i = 0; i < N; i++) await fn(tns[(i * 7) % tns.length]);
      await bh.hub.accessLog.flush(); // the batch inserts belong to the step that queued them
      const ms = (nowMs() - t0) / N;
      const c = process.cpuUsage(c0);
      rows.push([name, fmtMs(ms), fmtMs((c.user + c.system) / 1000 / N)]);
    }
    await bh.hub.accessLog.flush();
  } finally {
    await pool.end();
  }
  console.log(`\n  Anatomy of one clearanceStatus request (one at a time, ${fmtInt(N)} each after 200 warm-up;`);
  console.log("  Node CPU is this process's: the HTTP rows include the fetch client, the access-log row its batch inserts):");
  console.log(table(rows));
}

// ---- 3. authorization cost -----------------------------------------------------------

const PAGE_QUERY = `query Page($first: Int!) {
  declarations(first: $first) {
    edges {
      node {
        id status filedAt updatedAt trackingNumber originCountry destinationCountry grossWeightKg
        localReference totalValue currency category
        goodsItems { id lineNumber description quantity value hsCode }
      }
    }
  }
}`;

/** Leaf values in a result: the fields the guards had to decide on. */
function countLeaves(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + countLeaves(x), 0);
  if (v && typeof v === "object") return Object.values(v).reduce((n: number, x) => n + countLeaves(x), 0);
  return 1;
}

/** `data` with the value at each path set to null: what a viewer denied those fields should get. */
function nullAt(data: unknown, paths: readonly (readonly (string | number)[])[]): unknown {
  const copy = JSON.parse(JSON.stringify(data));
  for (const path of paths) {
    let node = copy;
    for (const key of path.slice(0, -1)) node = node?.[key];
    if (node && typeof node === "object") node[path[path.length - 1]] = null;
  }
  return copy;
}

interface AuthzViewer {
  label: string;
  principal: Principal;
  on: number[];
  off: number[];
  /** policy on, each denial thrown as an error (an executor that does not collect them; before 2026-12) */
  thrown: number[];
}

async function benchAuthz(o: Options, cw: ClearanceWorld): Promise<void> {
  heading("3. Authorization cost: a 1,000-declaration page with goods items in-process, policy on vs off, per viewer");
  const bh = await startBenchHub(cw.url, { http: false, countStatements: true });
  try {
    const open = await buildHubSchema(bh.hub.events, { enforce: false });
    const document: DocumentNode = parse(PAGE_QUERY);
    for (const s of [bh.schema, open]) {
      const errors = validate(s, document);
      if (errors.length) throw new Error(`page query invalid: ${errors[0].message}`);
    }
    const viewers: AuthzViewer[] = [
      { label: "destination customs OFFICER (customs.DE)", principal: (await issueKey(bh.hub, cw.world, "customs.DE", "OFFICER")).principal, on: [], off: [], thrown: [] },
      // mixed rights: STATUS and TRANSPORT on every parcel it carries, COMMERCIAL and PARTIES
      // through the platform's agreement on some of them, the rest denied
      { label: "carrier AGENT, mixed rights (carrier.SWX)", principal: (await issueKey(bh.hub, cw.world, "carrier.SWX", "AGENT")).principal, on: [], off: [], thrown: [] },
    ];
    const principal = viewers[0].principal;
    // The same request either way; only the schema differs. The response step is what the
    // server does when it sends the response.
    const run = async (schema: GraphQLSchema, viewer: Principal, first: number, collect = true): Promise<{ ms: number; result: ExecutionResult }> => {
      const t0 = nowMs();
      const contextValue = createContext(bh.hub, viewer, "Page");
      if (collect) contextValue.authz.collectDenials(); // as the servers do
      const executed = (await execute({ schema, document, variableValues: { first }, contextValue })) as ExecutionResult;
      // What the server does when the response is sent: add the denied reads' errors, hand the
      // access records to the writer.
      const result = contextValue.authz.reportDenials(executed);
      bh.hub.accessLog.enqueue(contextValue.authz.recorder.drain(viewer, "Page"));
      const ms = nowMs() - t0;
      // The writer's batch insert happens off the request path: settle it outside the timing.
      await bh.hub.accessLog.flush();
      return { ms, result };
    };

    const summaries: string[] = [];
    for (const v of viewers) {
      const on = await run(bh.schema, v.principal, 1000);
      const off = await run(open, v.principal, 1000);
      if (off.result.errors?.length) throw new Error(`page query failed with the policy off: ${off.result.errors[0].message}`);
      const errors = on.result.errors ?? [];
      const notForbidden = errors.find((e) => e.extensions?.code !== "FORBIDDEN");
      if (notForbidden) throw new Error(`page query failed for ${v.label}: ${notForbidden.message}`);
      // Like for like: the policy may only null the fields it reports, one error each.
      const paths = errors.map((e) => e.path ?? []);
      if (new Set(paths.map((p) => p.join("."))).size !== paths.length) throw new Error(`${v.label}: two errors at one path`);
      if (JSON.stringify(on.result.data) !== JSON.stringify(nullAt(off.result.data, paths))) {
        throw new Error(`policy on and off differ for ${v.label} beyond the denied fields: the comparison would be meaningless`);
      }
      const edges = (on.result.data as any).declarations.edges as { node: { goodsItems: unknown[] | null } }[];
      if (edges.length !== 1000) throw new Error(`${v.label} sees ${edges.length} declarations, not a page of 1,000`);
      const goods = edges.reduce((s, e) => s + (e.node.goodsItems?.length ?? 0), 0);
      summaries.push(`${v.label}: ${fmtInt(edges.length)} declarations, ${fmtInt(goods)} goods items, ${fmtInt(countLeaves(on.result.data))} field values, ${fmtInt(errors.length)} FORBIDDEN`);
    }

    for (let i = 0; i < 3; i++) {
      for (const v of viewers) {
        await run(bh.schema, v.principal, 1000);
        await run(open, v.principal, 1000);
      }
    }
    for (let i = 0; i < o.runs; i++) {
      for (const v of viewers) {
        // Alternate the order so drift (caches, GC, other load) hits both alike.
        if (i % 2 === 0) {
          v.on.push((await run(bh.schema, v.principal, 1000)).ms);
          v.off.push((await run(open, v.principal, 1000)).ms);
          v.thrown.push((await run(bh.schema, v.principal, 1000, false)).ms);
        } else {
          v.thrown.push((await run(bh.schema, v.principal, 1000, false)).ms);
          v.off.push((await run(open, v.principal, 1000)).ms);
          v.on.push((await run(bh.schema, v.principal, 1000)).ms);
        }
      }
    }
    const rows: string[][] = [
      ["viewer", "policy on ms (median, min-max)", "policy off ms (median, min-max)", "on / off", "target", "denials thrown / off"],
    ];
    for (const v of viewers) {
      const mOn = median(v.on);
      const mOff = median(v.off);
      const ratio = mOn / mOff;
      const span = (xs: number[]) => `${fmtMs(median(xs))} (${fmtMs(Math.min(...xs))}-${fmtMs(Math.max(...xs))})`;
      rows.push([v.label, span(v.on), span(v.off), `${ratio.toFixed(2)}x`, "<= 1.5x", `${(median(v.thrown) / mOff).toFixed(2)}x`]);
      verdicts.push({
        measure: `Authorization cost, 1,000-declaration page, ${v.label.replace(/ \(.*\)$/, "")}`,
        figure: `${ratio.toFixed(2)}x (${fmtMs(mOn)} vs ${fmtMs(mOff)} ms)`,
        target: "<= 1.5x",
        result: ratio <= 1.5 ? "PASS" : "MISS",
      });
    }
    console.log(table(rows, { leftColumns: 1 }));
    for (const s of summaries) note(s);
    note(`policy on: buildHubSchema(events); policy off: buildHubSchema(events, { enforce: false }); ${o.runs} runs each, interleaved; same query, same data apart from the denied fields`);
    note("policy on, as the servers run it: denied fields recorded and reported as errors with the response (RequestAuthz.collectDenials); " +
      "\"denials thrown\": the same schema for an executor that does not collect them, each denial a thrown GraphQLError (how every denial was reported before)");
    note("a denied list (e.g. goodsItems, COMMERCIAL, for the carrier) is not loaded at all, so policy on can cost less than off");

    // SQL statements per request, policy on.
    const counts: [string, number][] = [];
    for (const first of [10, 100, 1000]) {
      // steady state: the viewer's agreements are cached (HUB_AGREEMENT_CACHE_MS), as they are between requests
      await execute({ schema: bh.schema, document, variableValues: { first }, contextValue: createContext(bh.hub, principal, "Page") });
      await bh.hub.accessLog.flush();
      const before = bh.statements();
      const contextValue = createContext(bh.hub, principal, "Page");
      const r = await execute({ schema: bh.schema, document, variableValues: { first }, contextValue });
      const n = bh.statements() - before;
      if (r.errors?.length) throw new Error(r.errors[0].message);
      bh.hub.accessLog.enqueue(contextValue.authz.recorder.drain(principal, "Page"));
      await bh.hub.accessLog.flush();
      counts.push([`declarations(first: ${first}) + goodsItems (OFFICER)`, n]);
    }
    // For comparison: one clearanceStatus as the carrier (the raw endpoint sends 1 statement).
    {
      const { principal: carrier } = await issueKey(bh.hub, cw.world, "carrier.SWX", "AGENT");
      const tn = (await bh.hub.prisma.declaration.findFirstOrThrow({ where: { carrierId: carrier.partyId }, select: { trackingNumber: true } }))
        .trackingNumber;
      await bh.hub.accessLog.flush();
      const before = bh.statements();
      const contextValue = createContext(bh.hub, carrier, "Clearance");
      const r = await execute({ schema: bh.schema, document: parse(CLEARANCE_QUERY), variableValues: { tn }, contextValue });
      const n = bh.statements() - before;
      if (r.errors?.length) throw new Error(r.errors[0].message);
      bh.hub.accessLog.enqueue(contextValue.authz.recorder.drain(carrier, "Clearance"));
      await bh.hub.accessLog.flush();
      counts.push(["clearanceStatus (carrier), for comparison", n]);
    }
    console.log(table([["request (policy on)", "SQL statements"], ...counts.map(([q, n]) => [q, String(n)])]));
    note("counted on the pg connections of the hub's Prisma client; the access log's batch insert runs off the request path and is not counted");
    const pages = counts.slice(0, 3);
    const constant = pages.every(([, n]) => n === pages[0][1]);
    verdicts.push({
      measure: "SQL statements per page (10 / 100 / 1000)",
      figure: pages.map(([, n]) => n).join(" / "),
      target: "constant",
      result: constant ? "PASS" : "MISS",
    });
  } finally {
    await bh.stop();
  }
}


// ---- main ----------------------------------------------------------------------------

// ---- 7. analytics (scripts/bench/analytics.ts) ------------------------------------------

async function runAnalyticsBench(o: Options, cw: ClearanceWorld): Promise<void> {
  // a time limit far above the figures, so slow queries are measured rather than cut short
  const bh = await startBenchHub(cw.url, { http: false, env: { HUB_ANALYTICS_TIMEOUT_MS: "300000" } });
  try {
    // amounts are compared and summed in EUR at the shipped (illustrative) exchange rates
    await loadShippedRuleSets(bh.hub.services.rules);
    await benchAnalytics({
      url: cw.url,
      hub: bh.hub,
      schema: bh.schema,
      customs: (await issueKey(bh.hub, cw.world, "customs.DE", "ANALYST")).principal,
      mixed: (await issueKey(bh.hub, cw.world, "carrier.SWX", "AGENT")).principal,
      ids: Object.fromEntries(Object.entries(cw.world.parties).map(([k, p]) => [k, p.id])),
      runs: o.runs,
      verdict: (v) => verdicts.push(v),
    });
  } finally {
    await bh.stop();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2), process.env);
  // Express and friends read NODE_ENV when they are set up: the hub runs in production mode.
  process.env.NODE_ENV = "production";
  const started = nowMs();
  const prefix = `luxor_bench_${process.pid}_${randomBytes(2).toString("hex")}`;
  const dbs = new ScratchDatabases(o.adminUrl, prefix);

  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= dbs.dropAll().then((dropped) => {
      if (dropped.length) note(`dropped databases: ${dropped.join(", ")}`);
    }));
  const abort = (why: string, code: number) => {
    console.error(`\n${why}; cleaning up`);
    const force = setTimeout(() => process.exit(code), 20_000);
    force.unref();
    void cleanup().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => abort("interrupted", 130));
  process.once("SIGTERM", () => abort("terminated", 143));
  const watchdog = setTimeout(() => abort(`the benchmark ran past BENCH_TIMEOUT_MINUTES=${o.timeoutMinutes}`, 2), o.timeoutMinutes * 60_000);
  watchdog.unref();

  console.log(
    `Luxor Hub benchmarks${o.quick ? " (--quick)" : ""}: ${SECTIONS.filter((s) => o.only.has(s)).join(", ")}; ` +
      `node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ""}`.trimEnd(),
  );
  try {
    await ensurePostgres(o.adminUrl);
    if (o.only.has("filing")) await benchFiling(o, dbs);
    // BENCH_ANALYTICS_DATABASE_URL: the analytics section on a database seeded before (npm run seed), not a scratch one
    const analyticsUrl = process.env.BENCH_ANALYTICS_DATABASE_URL;
    if (o.only.has("analytics") && analyticsUrl) {
      await applyPendingMigrations(analyticsUrl);
      const prisma = createPrismaClient(analyticsUrl, { embedded: false, poolSize: 1 });
      const { world } = await ensureWorld(prisma);
      await prisma.$disconnect();
      await runAnalyticsBench(o, { url: analyticsUrl, world });
    }
    const seededAnalytics = o.only.has("analytics") && !analyticsUrl;
    if (o.only.has("clearance") || o.only.has("observability") || o.only.has("authz") || seededAnalytics) {
      const cw = await seedClearanceDatabase(o, dbs);
      if (o.only.has("clearance")) await benchClearance(o, cw);
      if (o.only.has("observability")) await benchObservabilityCost(o, cw);
      if (o.only.has("authz")) await benchAuthz(o, cw);
      if (seededAnalytics) await runAnalyticsBench(o, cw);
      await dbs.drop(cw.url);
    }
    if (o.only.has("startup")) await benchStartup((v) => verdicts.push(v));
    if (o.only.has("events")) {
      await benchEvents(o.events, {
        dbs,
        startHub: (url) => startBenchHub(url, { http: true, countStatements: true }),
        verdict: (v) => verdicts.push(v),
      });
    }
    if (o.only.has("webhooks")) await benchWebhooks(webhooksDefaults(o.quick), { dbs, verdict: (v) => verdicts.push(v) });
    if (o.only.has("revenue")) {
      await benchRevenue(o.quick ? 200 : 1000, { dbs, startHub: (url) => startBenchHub(url, { http: false }), verdict: (v) => verdicts.push(v) });
    }
  } finally {
    await cleanup();
  }

  heading("Summary");
  console.log(
    table(
      [["measure", "figure", "target", "result"], ...verdicts.map((v) => [v.measure, v.figure, v.target, v.result])],
      { leftColumns: 4 },
    ),
  );
  note(`total ${((nowMs() - started) / 60_000).toFixed(1)} min; a MISS is reported as measured, not adjusted`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`\nbenchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
