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
//      lines to a file) and one with them off, in the same run, each hub in its own process,
//      the hub under test and its PostgreSQL backends pinned to one core (taskset), the load
//      to the other; short rounds on, off, off, on; verdict on the median paired on/off ratio;
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
//   6. webhooks (scripts/bench/webhooks.ts): 200 endpoints registered through the API, holds at
//      50/s, a group of receivers down for a while: lost, not entitled, latency after return
//      (its BENCH_WEBHOOK_* variables are listed there).
//   7. analytics (scripts/bench/analytics.ts): typical analyst filters (page of 50) p50/p99 and
//      declarationStats by HS chapter x destination x month vs the hand-written SQL, as the
//      destination customs and as a carrier with mixed rights, on the N-declaration database.
//   8. revenue: assessDuties computed for 1,000 declarations (--quick 200) of five routes,
//      one at a time by the destination's officer: per-declaration p50 and p99, and the pure
//      computation's (scripts/bench/revenue.ts).
//
// Environment (flags win): BENCH_DECLARATIONS, BENCH_DURATION (s per load run, default 10),
// BENCH_CONNECTIONS (50), BENCH_FILING_BATCHES (10), BENCH_RUNS (15), BENCH_SEED_CONCURRENCY (4),
// BENCH_TIMEOUT_MINUTES (90), BENCH_DATABASE_URL; BENCH_SEEDED_DATABASE_URL (sections 2, 2b, 3 and 7 on a database seeded
// before, kept), BENCH_ANALYTICS_DATABASE_URL (section 7 only); events: BENCH_SUBSCRIBERS, BENCH_HOLD_RATE, BENCH_HOLD_SECONDS,
// BENCH_EVENT_DECLARATIONS (declarations seeded for it, default 60,000; --quick 25,000).
//
// This file runs the sections in order and prints the summary; the options are in
// scripts/bench/options.ts, the hub the sections start in scripts/bench/hub.ts, each section
// in scripts/bench/ (filing.ts, clearance*.ts, observability.ts, authz.ts, startup.ts,
// events*.ts, webhook*.ts, analytics.ts, revenue.ts).
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { benchAuthz } from "./bench/authz";
import { benchClearance } from "./bench/clearance";
import { benchObservabilityCost, runAnalyticsBench, seedClearanceDatabase, seededClearanceWorld } from "./bench/clearance-world";
import { benchEvents } from "./bench/events";
import { benchFiling } from "./bench/filing";
import { startBenchHub } from "./bench/hub";
import { parseOptions, SECTIONS, type Options } from "./bench/options";
import { benchRevenue } from "./bench/revenue";
import { benchStartup } from "./bench/startup";
import { ScratchDatabases, ensurePostgres, heading, note, nowMs, table, type Verdict } from "./bench/util";
import { benchWebhooks, webhooksDefaults } from "./bench/webhooks";

/** The sections of `o.only`, in their order; the clearance database is seeded once for those that use it. */
async function runSections(o: Options, dbs: ScratchDatabases, verdict: (v: Verdict) => void): Promise<void> {
  if (o.only.has("filing")) await benchFiling(o, dbs, verdict);
  const seededUrl = process.env.BENCH_SEEDED_DATABASE_URL;
  const analyticsUrl = seededUrl ? undefined : process.env.BENCH_ANALYTICS_DATABASE_URL;
  if (o.only.has("analytics") && analyticsUrl) await runAnalyticsBench(o, await seededClearanceWorld(analyticsUrl), verdict);
  const seededAnalytics = o.only.has("analytics") && !analyticsUrl;
  if (o.only.has("clearance") || o.only.has("observability") || o.only.has("authz") || seededAnalytics) {
    const cw = seededUrl ? await seededClearanceWorld(seededUrl) : await seedClearanceDatabase(o, dbs);
    if (o.only.has("clearance")) await benchClearance(o, cw, verdict);
    if (o.only.has("observability")) await benchObservabilityCost(o, cw, verdict);
    if (o.only.has("authz")) await benchAuthz(o, cw, verdict);
    if (seededAnalytics) await runAnalyticsBench(o, cw, verdict);
    if (!seededUrl) await dbs.drop(cw.url);
  }
  if (o.only.has("startup")) await benchStartup(verdict);
  if (o.only.has("events")) {
    await benchEvents(o.events, { dbs, startHub: (url) => startBenchHub(url, { http: true, countStatements: true }), verdict });
  }
  if (o.only.has("webhooks")) await benchWebhooks(webhooksDefaults(o.quick), { dbs, verdict });
  if (o.only.has("revenue")) {
    await benchRevenue(o.quick ? 200 : 1000, { dbs, startHub: (url) => startBenchHub(url, { http: false }), verdict });
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2), process.env);
  const verdicts: Verdict[] = [];
  const verdict = (v: Verdict) => verdicts.push(v);
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
    await runSections(o, dbs, verdict);
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
