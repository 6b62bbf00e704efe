// Section "webhooks" of `npm run bench` (scripts/bench.ts), the webhook target of issue 8:
// "200 endpoints, the same event rate [holds placed at 50 per second for a minute], a
// receiver down for 30 seconds: 0 lost, delivery p99 once it is back."
//
// A hub in this process (Prisma on a counting pg pool of 10, production configuration, HTTP
// on 127.0.0.1, the webhook worker started as src/app.ts starts it) on a scratch PostgreSQL
// database, with this bench's webhook settings (WEBHOOK_ENV below: HUB_WEBHOOK_ALLOW_HOSTS=
// 127.0.0.1 for the bench only, and the production backoff written out). Its world: the
// demo parties plus 177 more, 200 in all (customs of the six destinations, two offices
// each, customs of six other countries, platforms, carriers, posts, brokers), agreements that
// let some hear and some that must not (suspended, expired, proposed, revoked, not yet
// valid, without STATUS, out of scope, carried-only to a party that carries nothing), the
// holdable declarations spread over them.
//
// 200 endpoints, one per party, registered through the API with each party's key (customs
// OFFICER or ANALYST, trade parties AGENT), with different event types and some with a
// destination filter. Their receivers run in a child process (webhook-receivers.ts; their CPU
// is not the hub's): one HTTP server per endpoint on 127.0.0.1, each verifying every
// Luxor-Signature with its endpoint's secret as the README states it, without the hub's code
// (400 when it does not verify), and recording the event id, receipt time and which masked
// fields came back. A writer child process (hold-writer.ts in ws-clients.ts, as in the events section) places
// holds through the API with customs officer keys at 50/s for 60 s (--quick: 20 s), after a
// short warm-up. A group of 10 receivers (DOWN_GROUP: the destination customs DE, two
// platforms, two carriers, a post, a broker hearing through an agreement, and a bench
// platform, carrier and post) refuses connections (its listening sockets closed) for 30 s
// (--quick: 10 s) in the middle of the run, then listens again on the same ports. After the
// writer, the bench waits (bounded) until the hub has fanned every event out and has no
// delivery pending, then checks every receipt against an independent model of who may hear
// what (the README's "Who sees what", not the policy engine) and the endpoints' filters.
//
// Environment: BENCH_WEBHOOK_HOLD_RATE (50), BENCH_WEBHOOK_HOLD_SECONDS (60; --quick 20),
// BENCH_WEBHOOK_DOWN_SECONDS (30; --quick 10), BENCH_WEBHOOK_DRAIN_SECONDS (bound on the wait
// for retries after the writer, 480; --quick 180), BENCH_WEBHOOK_CONCURRENCY (the hub's
// HUB_WEBHOOK_CONCURRENCY; unset: its default).
//
// Files: webhooks-world.ts (endpoints on the world of events-world.ts), webhook-receivers.ts,
// webhooks-log.ts (the hub's delivery log), webhooks-check.ts, webhooks-report.ts.
import "reflect-metadata";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Pool } from "pg";
import type { GraphQLSchema } from "graphql";
import type { Config } from "../../src/config";
import type { Hub } from "../../src/hub";
import { applyPendingMigrations } from "../../src/infra/migrations";
import { WebhookWorker } from "../../src/modules/webhooks/webhook.worker";
import type { RunningServer } from "../../src/server/server";
import { ClientProcess } from "./child";
import { SHORT_REASON } from "./events-clients";
import { eventsBetween, loadAgreements, Model, type Query } from "./events-model";
import { takeHolds } from "./events-world";
import { startBenchHub } from "./hub";
import { fmtInt, heading, note, nowMs, sleep, sorted, type ScratchDatabases, type Verdict } from "./util";
import { selfTestSignatureCheck, type ReceiversCommand, type ReceiverStats, type ReceiverReport } from "./webhook-receivers";
import { checkLog, checkReceipts, latencies } from "./webhooks-check";
import { deliveryLog, deliveryState, drain, latestSeq } from "./webhooks-log";
import { printWebhooks, webhookVerdicts } from "./webhooks-report";
import { registerEndpoints, webhooksWorld, type WebhooksWorld } from "./webhooks-world";
import type { HoldSpec, WriterJob, WriterReport } from "./hold-writer";

export type { Verdict };

// ---- options and what the section needs from scripts/bench.ts -------------------------

export interface WebhooksOptions {
  quick: boolean;
  /** holds per second, placed through the API */
  holdRate: number;
  holdSeconds: number;
  /** how long the down group refuses connections, in the middle of the run */
  downSeconds: number;
  /** the most the bench waits after the writer for the hub to deliver everything */
  drainSeconds: number;
  /** HUB_WEBHOOK_CONCURRENCY for the bench's hub (null: the default) */
  concurrency: number | null;
  /** declarations seeded (about 40% can take a hold) */
  declarations: number;
  warmupSeconds: number;
}

export interface WebhooksDeps {
  dbs: ScratchDatabases;
  verdict(v: Verdict): void;
}

export function webhooksDefaults(quick: boolean, env: NodeJS.ProcessEnv = process.env): WebhooksOptions {
  const num = (name: string, fallback: number, min: number): number => {
    const v = env[name];
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs a whole number >= ${min} (got ${v})`);
    return n;
  };
  const holdSeconds = num("BENCH_WEBHOOK_HOLD_SECONDS", quick ? 20 : 60, 5);
  const downSeconds = num("BENCH_WEBHOOK_DOWN_SECONDS", quick ? 10 : 30, 1);
  if (downSeconds >= holdSeconds) throw new Error(`BENCH_WEBHOOK_DOWN_SECONDS (${downSeconds}) must be shorter than the run (${holdSeconds} s)`);
  const holdRate = num("BENCH_WEBHOOK_HOLD_RATE", 50, 1);
  const warmupSeconds = quick ? 2 : 5;
  return {
    quick,
    holdRate,
    holdSeconds,
    downSeconds,
    drainSeconds: num("BENCH_WEBHOOK_DRAIN_SECONDS", quick ? 180 : 480, 10),
    concurrency: env.BENCH_WEBHOOK_CONCURRENCY ? num("BENCH_WEBHOOK_CONCURRENCY", 8, 1) : null,
    // holdable declarations: about 40% of those seeded; the run needs rate x (seconds + warm-up)
    declarations: Math.max(5000, Math.ceil((holdRate * (holdSeconds + warmupSeconds) * 1.3) / 0.4 / 1000) * 1000),
    warmupSeconds,
  };
}

/**
 * The bench's webhook settings. Backoff: the production defaults, written out: the first
 * retry after 1 to 2 s, then doubling (2-4, 4-8, 8-16, 16-32 s: a receiver down for 30 s
 * sees about five attempts of its oldest missed delivery), capped at 15 min; given up after
 * 25 attempts or a day. A success after failures makes the endpoint's other waiting
 * deliveries due at once, so the catch-up after a return is not a backoff away.
 */
const WEBHOOK_ENV = {
  HUB_WEBHOOK_ALLOW_HOSTS: "127.0.0.1", // the receivers: this bench only, never a production default
  HUB_WEBHOOK_BACKOFF_BASE_MS: "2000",
  HUB_WEBHOOK_BACKOFF_MAX_MS: "900000",
  HUB_WEBHOOK_MAX_ATTEMPTS: "25",
  HUB_WEBHOOK_MAX_AGE_SECONDS: "86400",
};

// ---- the hub --------------------------------------------------------------------------

interface WebhookBenchHub {
  hub: Hub;
  schema: GraphQLSchema;
  server: RunningServer;
  config: Config;
  worker: WebhookWorker;
  statements(): number;
  stop(): Promise<void>;
}

/** A hub as scripts/bench.ts starts one (statements counted), with WEBHOOK_ENV, and its webhook worker as src/app.ts starts it. */
async function startWebhookHub(url: string, o: WebhooksOptions): Promise<WebhookBenchHub> {
  const env = { ...WEBHOOK_ENV, ...(o.concurrency ? { HUB_WEBHOOK_CONCURRENCY: String(o.concurrency) } : {}) };
  const bh = await startBenchHub(url, { http: true, countStatements: true, env });
  const worker = new WebhookWorker(bh.hub, bh.schema);
  return {
    hub: bh.hub,
    schema: bh.schema,
    server: bh.server!,
    config: bh.hub.config,
    worker,
    statements: bh.statements,
    async stop() {
      await worker.stop();
      bh.hub.feed.stop();
      await bh.stop();
    },
  };
}

// ---- the section ----------------------------------------------------------------------

/**
 * The writer's most requests in flight (several customs systems at once), as in the events
 * section: when the hub answers slower than the rate needs, the writer falls behind
 * (reported as late holds) rather than queueing hundreds of requests for the hub's 10
 * database connections, which the webhook worker shares and would then wait behind.
 */
const WRITER_IN_FLIGHT = 16;

/** Holds through the API at `rate` per second for `seconds`, every one started however late (the run's events are fixed in number). */
async function writeHolds(url: string, holds: HoldSpec[], rate: number, seconds: number, waitMs: number): Promise<WriterReport> {
  const job: WriterJob = { mode: "writer", url, holds, rate, concurrency: WRITER_IN_FLIGHT, durationSeconds: seconds, reason: SHORT_REASON, startAll: true, timeoutMs: 30_000 };
  const writer = new ClientProcess("ws-clients.js", "writer", { job });
  try {
    const wr = await writer.next<WriterReport>(waitMs);
    return { ...wr, roundTrip: sorted(wr.roundTrip) };
  } finally {
    writer.kill();
  }
}

/** The receivers, the endpoints registered through the API, and what the run works with, noted. */
async function setUp(o: WebhooksOptions, url: string, bh: WebhookBenchHub, rx: ClientProcess): Promise<WebhooksWorld> {
  const world = await webhooksWorld(o.declarations, url, bh.hub);
  const holdsNeeded = o.holdRate * (o.holdSeconds + o.warmupSeconds);
  if (world.targets.length < holdsNeeded) throw new Error(`only ${world.targets.length} holdable declarations for ${holdsNeeded} holds`);
  // receivers first (registration checks the URL, it sends nothing), then the endpoints through the API
  const { ports } = await rx.ask<{ ports: number[] }>({ cmd: "start", count: world.endpoints.length } satisfies ReceiversCommand);
  const registerMs = await registerEndpoints(world.endpoints, ports, bh.server.url, rx);
  const address = bh.server.httpServer.address() as AddressInfo;
  const eps = world.endpoints;
  const only = (t: string) => eps.filter((e) => e.eventTypes.length === 1 && e.eventTypes[0] === t).length;
  note(
    `${eps.length} endpoints registered through the API in ${(registerMs / 1000).toFixed(1)} s (one per party: ` +
      `${eps.filter((e) => e.eventTypes.length === 2).length} hear both types, ${only("HOLD_PLACED")} only HOLD_PLACED, ` +
      `${only("DECLARATION_STATUS_CHANGED")} only DECLARATION_STATUS_CHANGED; ` +
      `${eps.filter((e) => e.destinations.length).length} with a destination filter DE, FR); receivers on 127.0.0.1 in a child process; hub on ${address.address}:${address.port}`,
  );
  note(
    `webhook settings: ${Object.entries(WEBHOOK_ENV).map(([k, v]) => `${k}=${v}`).join(", ")}; ` +
      `HUB_WEBHOOK_CONCURRENCY=${bh.config.HUB_WEBHOOK_CONCURRENCY}, HUB_WEBHOOK_POLL_MS=${bh.config.HUB_WEBHOOK_POLL_MS}, ` +
      `HUB_WEBHOOK_CONNECT_TIMEOUT_MS=${bh.config.HUB_WEBHOOK_CONNECT_TIMEOUT_MS}, HUB_WEBHOOK_TIMEOUT_MS=${bh.config.HUB_WEBHOOK_TIMEOUT_MS} (defaults)`,
  );
  const down = eps.filter((e) => e.down);
  note(`down group (${down.length} receivers): ${down.map((e) => e.party.name).join(", ")}`);
  return world;
}

/** The writer at the rate, and the down group refusing connections in the middle of it. */
async function holdsWithOutage(o: WebhooksOptions, world: WebhooksWorld, apiUrl: string, rx: ClientProcess) {
  const holds = takeHolds(world, o.holdRate * o.holdSeconds);
  note(`placing ${fmtInt(holds.length)} holds at ${o.holdRate}/s for ${o.holdSeconds} s; the down group refuses connections from ${((o.holdSeconds - o.downSeconds) / 2).toFixed(0)} s to ${((o.holdSeconds + o.downSeconds) / 2).toFixed(0)} s`);
  const written = writeHolds(apiUrl, holds, o.holdRate, o.holdSeconds, o.holdSeconds * 1000 + 300_000);
  const downIdx = world.endpoints.filter((e) => e.down).map((e) => e.index);
  const outage = (async () => {
    await sleep(((o.holdSeconds - o.downSeconds) / 2) * 1000);
    const d = await rx.ask<{ at: number }>({ cmd: "down", indexes: downIdx } satisfies ReceiversCommand);
    await sleep(o.downSeconds * 1000);
    const u = await rx.ask<{ at: number }>({ cmd: "up", indexes: downIdx } satisfies ReceiversCommand);
    return { downAt: d.at, upAt: u.at };
  })();
  const [wr, { downAt, upAt }] = await Promise.all([written, outage]);
  if (wr.failed) note(`holds failed: ${wr.failed} (first: ${wr.firstError})`);
  return { wr, downAt, upAt };
}

export async function benchWebhooks(o: WebhooksOptions, deps: WebhooksDeps): Promise<void> {
  heading("6. Webhooks: 200 endpoints, holds through the API, a group of receivers down, every receipt checked");
  selfTestSignatureCheck();
  const url = await deps.dbs.create("webhooks");
  await applyPendingMigrations(url);
  const bh = await startWebhookHub(url, o);
  const pool = new Pool({ connectionString: url, max: 2 }); // the bench's own reads: not counted as the hub's
  const query: Query = (sql, params) => pool.query(sql, params).then((r) => r.rows);
  let rx: ClientProcess | null = null;
  try {
    rx = new ClientProcess("webhook-receivers.js", "receivers");
    const world = await setUp(o, url, bh, rx);
    bh.worker.start();

    // warm-up: a few seconds of holds, delivered, outside the measured window
    const warm = await writeHolds(bh.server.url, takeHolds(world, o.holdRate * o.warmupSeconds), o.holdRate, o.warmupSeconds, o.warmupSeconds * 1000 + 120_000);
    if (warm.failed) throw new Error(`warm-up holds failed: ${warm.failed} (${warm.firstError})`);
    const warmDrain = await drain(pool, rx, await latestSeq(pool), 120_000);
    if (!warmDrain.done) throw new Error("the warm-up's deliveries did not finish within 120 s");

    // the run
    const seq0 = await latestSeq(pool);
    const state0 = await deliveryState(pool);
    const s0 = bh.statements();
    const c0 = process.cpuUsage();
    const rxStats0 = await rx.ask<ReceiverStats>({ cmd: "stats" } satisfies ReceiversCommand);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const { wr, downAt, upAt } = await holdsWithOutage(o, world, bh.server.url, rx);
    const seq1 = await latestSeq(pool);
    const afterWriter = nowMs();
    const drained = await drain(pool, rx, seq1, o.drainSeconds * 1000);
    const cpu = process.cpuUsage(c0);
    loopDelay.disable();
    const statements = bh.statements() - s0;
    const report = await rx.ask<ReceiverReport>({ cmd: "report" } satisfies ReceiversCommand, 120_000);

    // ---- check every receipt against the model, and the hub's own log
    const events = await eventsBetween(query, seq0, seq1);
    const model = new Model(await loadAgreements(query), new Date());
    const rc = checkReceipts(model, world.endpoints, events, report, seq0, rxStats0.received);
    const lat = latencies(rc, world.endpoints, downAt, upAt);
    const lg = checkLog(await deliveryLog(pool, seq0, seq1), world.endpoints, rc.expected);
    const wall = Math.max(1, nowMs() - afterWriter + (wr.endedAt - wr.startedAt));
    const figures = { o, endpoints: world.endpoints, wr, events: events.length, seq0, seq1, downAt, upAt, rc, lat, lg, report, rxCpu0: rxStats0.cpuMs, state0, stateEnd: drained.state, drained, cpu, wall, loopDelay, statements };
    printWebhooks(figures);
    webhookVerdicts(figures, deps.verdict);
  } finally {
    rx?.kill();
    await pool.end();
    await bh.stop();
    await deps.dbs.drop(url);
  }
}
