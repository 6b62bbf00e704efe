// Section "events" of `npm run bench` (scripts/bench.ts): subscriptions at scale (issue 8).
//
// A world of 200 parties on the local PostgreSQL (the demo world's 23 plus 177 more:
// platforms, carriers, posts, brokers, customs of the six destinations and of six other
// countries; agreements that let some hear, and some that must not: suspended, expired,
// revoked, proposed, out of scope, without STATUS, carried-only to a party that carries
// nothing). Its holdable declarations are spread over those parties.
//
// The hub runs in this process (as the other sections: Prisma on a counting pg pool of 10,
// production configuration, 127.0.0.1); the clients run in child processes
// (scripts/bench/ws-clients.ts): one for the WebSocket subscribers, one placing holds
// through the API with customs officer keys. Runs:
//   0. no subscriber (the feed reading the outbox): the SQL statements of the writes alone;
//   1. N subscribers for each N of --subscribers (default 1,000 and 10,000), each on its own
//      socket, round-robin over the 200 parties, half holdPlaced and half
//      declarationStatusChanged, selecting the declaration's trackingNumber (TRANSPORT) and
//      platformOrderId (COMMERCIAL), while holds are placed at --hold-rate per second for
//      --hold-seconds;
//   2. a socket that stops reading (10 subscriptions of a destination's customs, large
//      selections) next to 1,000 ordinary subscribers, while 8 writers place holds back to
//      back (the highest rate this machine sustains).
// Every delivery is checked against an independent model of who may hear what (below):
// events lost, events to a party not entitled, duplicates, masked fields leaked or withheld.
// Latency is commit-to-receipt: receipt time in the client minus the event's `at` (stamped
// in the write's transaction just before it commits; same machine, same clock).
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { Pool } from "pg";
import { performance } from "node:perf_hooks";
import type { Hub } from "../../src/hub";
import type { Tx } from "../../src/modules/writes/writes.repository";
import type { RunningServer } from "../../src/server/server";
import type { PrismaClient } from "../../src/generated/prisma/client";
import type { DataCategory, PartyKind, Role } from "../../src/generated/prisma/enums";
import { applyPendingMigrations } from "../../src/infra/migrations";
import { createPrismaClient } from "../../src/infra/prisma";
import { ensureWorld, mulberry32, pgWriter, seedDeclarations } from "../../src/seed/demo-world";
import { fmtInt, fmtMs, heading, note, nowMs, table, type ScratchDatabases } from "./util";
import type {
  HoldSpec,
  SocketSpec,
  SubscribersJob,
  SubscribersReady,
  SubscribersReport,
  SubscribersStats,
  WriterJob,
  WriterReport,
} from "./ws-clients";

// ---- what the section needs from scripts/bench.ts -------------------------------------

export interface EventsOptions {
  quick: boolean;
  /** subscriber counts, one run each */
  subscribers: number[];
  /** holds per second in runs 1 */
  holdRate: number;
  holdSeconds: number;
  /** the slow-subscriber run: its length, its closed-loop writers, its ordinary subscribers */
  slowSeconds: number;
  slowWriters: number;
  slowOthers: number;
  /** declarations seeded (about 40% can take a hold) */
  declarations: number;
}

export interface EventsBenchHub {
  hub: Hub;
  server: RunningServer | null;
  /** SQL statements sent by the hub's Prisma client so far */
  statements(): number;
  stop(): Promise<void>;
}

export interface Verdict {
  measure: string;
  figure: string;
  target: string;
  result: "PASS" | "MISS" | "info";
}

export interface EventsDeps {
  dbs: ScratchDatabases;
  /** a hub as scripts/bench.ts starts it: HTTP on 127.0.0.1, statements counted */
  startHub(url: string): Promise<EventsBenchHub>;
  verdict(v: Verdict): void;
}

export function eventsDefaults(quick: boolean): EventsOptions {
  return {
    quick,
    subscribers: [1000, 10_000],
    holdRate: 50,
    holdSeconds: quick ? 15 : 60,
    slowSeconds: quick ? 25 : 30,
    slowWriters: 8,
    slowOthers: 1000,
    declarations: quick ? 25_000 : 60_000,
  };
}

const P99_TARGET_MS = 250;
/**
 * Most holds the open-loop writer has in flight (several customs systems at once): when the
 * hub answers slower than the rate needs, the writer falls behind (reported) rather than
 * piling up requests that each hold one of the pool's 10 connections.
 */
const WRITER_IN_FLIGHT = 16;

// ---- the world ------------------------------------------------------------------------

interface BenchParty {
  id: string;
  name: string;
  kind: PartyKind;
  country: string;
  role: Role;
  key: string;
}

interface AgreementRow {
  grantorId: string;
  granteeId: string;
  categories: DataCategory[];
  scopeDestinations: string[];
  scopeOrigins: string[];
  scopeOnlyCarried: boolean;
  status: string;
  validFrom: Date;
  validTo: Date | null;
}

interface DeclarationRow {
  id: string;
  filerId: string;
  platformId: string | null;
  carrierId: string | null;
  postId: string | null;
  destinationCountry: string;
  originCountry: string;
  hasOrderId: boolean;
}

interface EventsWorld {
  url: string;
  parties: BenchParty[];
  /** customs officer keys per destination country (the writers') */
  writersOf: Map<string, BenchParty[]>;
  /** holdable declarations not used yet, with the kind of hold each takes */
  targets: { id: string; destination: string; kind: string }[];
}

const DESTINATIONS = ["DE", "FR", "NL", "BE", "US", "GB"];
const DAY = 86_400_000;

async function buildWorld(o: EventsOptions, url: string, hub: Hub): Promise<EventsWorld> {
  const prisma = hub.prisma;
  const pool = new Pool({ connectionString: url, max: 3 });
  const seedPrisma = createPrismaClient(url, { embedded: false, poolSize: 2 });
  const rng = mulberry32(8_2026);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  try {
    const t0 = nowMs();
    const { world } = await ensureWorld(seedPrisma);
    const counts = await seedDeclarations(seedPrisma, world, o.declarations, { batchSize: 2000, concurrency: 2, writer: pgWriter(pool) });
    note(`seeded the demo world and ${fmtInt(counts.declarations)} declarations in ${((nowMs() - t0) / 1000).toFixed(0)} s`);

    // 177 more parties: 200 in all
    const extra: { name: string; kind: PartyKind; country: string }[] = [];
    const add = (n: number, kind: PartyKind, label: string, countries: string[]) => {
      for (let i = 1; i <= n; i++) extra.push({ name: `Bench ${label} ${String(i).padStart(3, "0")}`, kind, country: countries[(i - 1) % countries.length] });
    };
    add(60, "PLATFORM", "platform", ["CN", "US", "IE", "TR", "HK", "GB", "DE"]);
    add(40, "CARRIER", "carrier", ["US", "NL", "CN", "TR", "DE", "GB"]);
    add(30, "POST", "post", ["CN", "HK", "US", "GB", "TR", "DE", "FR", "NL"]);
    add(35, "BROKER", "broker", ["DE", "FR", "NL", "BE", "US", "GB"]);
    for (const c of DESTINATIONS) extra.push({ name: `Bench customs office ${c}`, kind: "CUSTOMS", country: c });
    for (const c of ["IT", "ES", "PL", "AT", "SE", "IE"]) extra.push({ name: `Bench customs ${c}`, kind: "CUSTOMS", country: c });
    await prisma.party.createMany({ data: extra });
    const rows = await prisma.party.findMany({ where: { kind: { not: "OPERATOR" } }, orderBy: [{ kind: "asc" }, { name: "asc" }] });
    if (rows.length !== 200) throw new Error(`expected 200 parties, found ${rows.length}`);
    const parties: BenchParty[] = [];
    for (const r of rows) {
      const role: Role = r.kind === "CUSTOMS" ? "OFFICER" : "AGENT";
      parties.push({ id: r.id, name: r.name, kind: r.kind, country: r.country, role, key: await hub.services.parties.issueKey(r.id, role, "bench events") });
    }
    const ofKind = (k: PartyKind) => parties.filter((p) => p.kind === k);
    const platforms = ofKind("PLATFORM");
    const carriers = ofKind("CARRIER");
    const posts = ofKind("POST");
    const brokers = ofKind("BROKER");
    const named = (name: string) => parties.find((p) => p.name === name)!;
    const benchPlatforms = platforms.filter((p) => p.name.startsWith("Bench"));
    const benchCarriers = carriers.filter((p) => p.name.startsWith("Bench"));
    const benchBrokers = brokers.filter((p) => p.name.startsWith("Bench"));

    // Agreements: some that let a party hear, some that must not.
    const now = Date.now();
    const agreements: (Omit<AgreementRow, "validFrom" | "validTo"> & { validFrom?: Date; validTo?: Date | null })[] = [];
    const agree = (grantor: BenchParty, grantee: BenchParty, categories: DataCategory[], over: Partial<AgreementRow> = {}) =>
      agreements.push({ grantorId: grantor.id, granteeId: grantee.id, categories, scopeDestinations: [], scopeOrigins: [], scopeOnlyCarried: false, status: "ACTIVE", ...over });
    for (let j = 0; j < 20; j++) agree(benchPlatforms[j], benchBrokers[j], ["STATUS", "COMMERCIAL"], { scopeDestinations: [DESTINATIONS[j % 6]] });
    for (let j = 20; j < 30; j++) agree(benchPlatforms[j], benchCarriers[j - 20], ["STATUS", "TRANSPORT"], { scopeOrigins: ["CN"] });
    agree(named("Generalzolldirektion (DE)"), benchBrokers[20], ["STATUS"]);
    agree(named("DGDDI (FR)"), benchBrokers[21], ["STATUS"]);
    agree(named("HM Revenue & Customs (GB)"), benchBrokers[22], ["STATUS"]);
    // must not hear through these
    agree(benchPlatforms[30], benchBrokers[23], ["STATUS", "COMMERCIAL"], { status: "SUSPENDED" });
    agree(benchPlatforms[31], benchBrokers[24], ["STATUS"], { validFrom: new Date(now - 100 * DAY), validTo: new Date(now - DAY) });
    agree(benchPlatforms[32], benchBrokers[25], ["COMMERCIAL", "PARTIES"]);
    agree(benchPlatforms[33], benchBrokers[26], ["STATUS"], { scopeDestinations: ["IT"] });
    agree(benchPlatforms[34], benchBrokers[27], ["STATUS"], { scopeOnlyCarried: true });
    agree(named("U.S. Customs and Border Protection"), benchBrokers[28], ["STATUS"], { status: "PROPOSED" });
    agree(named("Douane (NL)"), benchBrokers[29], ["STATUS"], { status: "REVOKED" });
    agree(benchPlatforms[35], benchBrokers[30], ["STATUS"], { validFrom: new Date(now + 10 * DAY) });
    await prisma.agreement.createMany({
      data: agreements.map((a) => ({
        ...a,
        status: a.status as never,
        proposedById: a.granteeId,
        purpose: "Bench: hearing of events",
        legalBasis: "Bench",
        contributions: [],
        validFrom: a.validFrom ?? new Date(now - DAY),
        validTo: a.validTo ?? null,
      })),
    });

    // Holdable declarations (pre-loading: RFI; after arrival: INSPECTION), without open holds,
    // spread over the parties: each keeps its kind of filer (platform, carrier, post, broker).
    const holdable = await prisma.$queryRawUnsafe<
      { id: string; status: string; filerId: string; platformId: string | null; carrierId: string | null; postId: string | null; destinationCountry: string }[]
    >(
      `SELECT d."id", d."status"::text AS "status", d."filerId", d."platformId", d."carrierId", d."postId", d."destinationCountry"
       FROM "Declaration" d
       WHERE d."status" IN ('FILED', 'REGISTERED', 'RISK_ASSESSED', 'CLEARED_TO_LOAD', 'ARRIVED', 'DUTIES_ASSESSED')
         AND NOT EXISTS (SELECT 1 FROM "Hold" h WHERE h."declarationId" = d."id" AND h."status" = 'OPEN')
       ORDER BY md5(d."id"::text)`,
    );
    const cols = { id: [] as string[], filer: [] as string[], platform: [] as (string | null)[], carrier: [] as (string | null)[], post: [] as (string | null)[] };
    const old = { carrier: [] as (string | null)[], post: [] as (string | null)[] };
    const targets: EventsWorld["targets"] = [];
    for (const d of holdable) {
      const platform = d.platformId ? pick(platforms).id : null;
      const carrier = d.carrierId ? pick(carriers).id : null;
      const post = d.postId ? pick(posts).id : null;
      const filer =
        d.filerId === d.platformId ? platform! : d.filerId === d.carrierId ? carrier! : d.filerId === d.postId ? post! : pick(brokers).id;
      cols.id.push(d.id);
      cols.filer.push(filer);
      cols.platform.push(platform);
      cols.carrier.push(carrier);
      cols.post.push(post);
      old.carrier.push(d.carrierId);
      old.post.push(d.postId);
      targets.push({ id: d.id, destination: d.destinationCountry, kind: d.status === "ARRIVED" || d.status === "DUTIES_ASSESSED" ? "INSPECTION" : "RFI" });
    }
    await pool.query(
      `UPDATE "Declaration" d SET "filerId" = u.f, "platformId" = u.p, "carrierId" = u.c, "postId" = u.po
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[]) AS u(id, f, p, c, po) WHERE d."id" = u.id`,
      [cols.id, cols.filer, cols.platform, cols.carrier, cols.post],
    );
    // the live-parcel bindings follow their carrier or post
    await pool.query(
      `UPDATE "LiveParcel" l SET "partyId" = CASE WHEN l."partyId" = u.oc THEN u.c WHEN l."partyId" = u.opo THEN u.po ELSE l."partyId" END
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[]) AS u(id, oc, c, opo, po) WHERE l."declarationId" = u.id`,
      [cols.id, old.carrier, cols.carrier, old.post, cols.post],
    );
    await pool.query("VACUUM ANALYZE");

    const writersOf = new Map<string, BenchParty[]>();
    for (const c of DESTINATIONS) writersOf.set(c, parties.filter((p) => p.kind === "CUSTOMS" && p.country === c));
    const kinds = (k: PartyKind) => parties.filter((p) => p.kind === k).length;
    note(
      `200 parties: ${kinds("CUSTOMS")} customs (OFFICER keys; ${DESTINATIONS.length * 2} of the six destinations, 6 of other countries), ${kinds("PLATFORM")} platforms, ` +
        `${kinds("CARRIER")} carriers, ${kinds("POST")} posts, ${kinds("BROKER")} brokers; ${agreements.length} agreements added ` +
        `(${agreements.length - 8} that let a party hear, 8 that must not); ${fmtInt(targets.length)} holdable declarations spread over them`,
    );
    return { url, parties, writersOf, targets };
  } finally {
    await pool.end();
    await seedPrisma.$disconnect();
  }
}

/**
 * The next `n` holds (of declarations to `destination` only, if given), each on a declaration
 * not held before, by an officer of its destination (the two of each destination in turn).
 */
function takeHolds(w: EventsWorld, n: number, destination?: string): HoldSpec[] {
  const turn = new Map<string, number>();
  const taken = destination ? w.targets.filter((t) => t.destination === destination).slice(0, n) : w.targets.slice(0, n);
  const gone = new Set(taken);
  w.targets = w.targets.filter((t) => !gone.has(t));
  return taken.map((t) => {
    const writers = w.writersOf.get(t.destination)!;
    const i = turn.get(t.destination) ?? 0;
    turn.set(t.destination, i + 1);
    return { key: writers[i % writers.length].key, declarationId: t.id, kind: t.kind };
  });
}

// ---- who may hear what: the model ------------------------------------------------------

/**
 * An independent statement of the contract (README "Who sees what"), not the policy engine:
 * a party hears an event when it may read the STATUS of the record the event is about (a
 * hold: held by the customs that placed it; a status change: by the filer), and reads the
 * declaration's trackingNumber (TRANSPORT) and platformOrderId (COMMERCIAL), held by the filer,
 * by the same rules.
 */
class Model {
  private readonly grants = new Map<string, AgreementRow[]>();

  constructor(
    agreements: AgreementRow[],
    private readonly now: Date,
  ) {
    for (const a of agreements) {
      const k = `${a.grantorId}>${a.granteeId}`;
      this.grants.set(k, [...(this.grants.get(k) ?? []), a]);
    }
  }

  /** May `viewer` read `category` of data held by `holder` on `d`? */
  may(viewer: BenchParty, holder: string, d: DeclarationRow, category: DataCategory): boolean {
    if (viewer.id === holder) return true;
    if (viewer.kind === "CUSTOMS" && (viewer.role === "OFFICER" || viewer.role === "ANALYST") && viewer.country === d.destinationCountry) return true;
    const carries = viewer.id === d.carrierId || viewer.id === d.postId;
    if (carries && (category === "STATUS" || category === "TRANSPORT")) return true;
    if (viewer.id === d.filerId && category === "STATUS") return true;
    if (viewer.id === d.platformId && (category === "STATUS" || category === "TRANSPORT" || category === "COMMERCIAL")) return true;
    for (const a of this.grants.get(`${holder}>${viewer.id}`) ?? []) {
      if (a.status !== "ACTIVE" || a.validFrom > this.now || (a.validTo && a.validTo <= this.now)) continue;
      if (!a.categories.includes(category)) continue;
      if (a.scopeDestinations.length && !a.scopeDestinations.includes(d.destinationCountry)) continue;
      if (a.scopeOrigins.length && !a.scopeOrigins.includes(d.originCountry)) continue;
      if (a.scopeOnlyCarried && !carries) continue;
      return true;
    }
    return false;
  }
}

interface RunEvent {
  seq: number;
  /** the event's `at`, epoch ms */
  at: number;
  type: "HOLD_PLACED" | "STATUS_CHANGED";
  declaration: DeclarationRow;
  /** whose STATUS the event is */
  holder: string;
}

async function eventsBetween(prisma: PrismaClient, after: bigint, until: bigint): Promise<RunEvent[]> {
  const rows = await prisma.$queryRawUnsafe<
    (Omit<DeclarationRow, "hasOrderId"> & { seq: bigint; type: string; at: Date; hasOrderId: boolean; placedById: string | null })[]
  >(
    `SELECT e."seq", e."type", e."at", d."id", d."filerId", d."platformId", d."carrierId", d."postId", d."destinationCountry", d."originCountry",
            d."platformOrderId" IS NOT NULL AS "hasOrderId", h."placedById"
     FROM "HubEvent" e
     JOIN "Declaration" d ON d."id" = e."declarationId"
     LEFT JOIN "Hold" h ON h."id"::text = e."payload"->>'holdId'
     WHERE e."seq" > $1 AND e."seq" <= $2 AND e."type" IN ('HOLD_PLACED', 'STATUS_CHANGED')
     ORDER BY e."seq"`,
    after,
    until,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at.getTime(),
    type: r.type as RunEvent["type"],
    holder: r.type === "HOLD_PLACED" ? r.placedById! : r.filerId,
    declaration: r,
  }));
}

async function loadAgreements(prisma: PrismaClient): Promise<AgreementRow[]> {
  return prisma.agreement.findMany({
    select: {
      grantorId: true,
      granteeId: true,
      categories: true,
      scopeDestinations: true,
      scopeOrigins: true,
      scopeOnlyCarried: true,
      status: true,
      validFrom: true,
      validTo: true,
    },
  });
}

// ---- subscribers --------------------------------------------------------------------

const HOLD_QUERY =
  "subscription Holds { holdPlaced { eventId at declarationId kind declaration { trackingNumber platformOrderId } } }";
const STATUS_QUERY =
  "subscription Moves { declarationStatusChanged { eventId at declarationId fromStatus toStatus declaration { trackingNumber platformOrderId } } }";

/**
 * The slow socket's subscriptions: 10 holdPlaced, each reading the hold's reason (RISK data,
 * which the destination's customs reads) under 30 aliases (HUB_MAX_ALIASES): with a reason
 * of 2,000 characters, about 60 KB per event, cheap to execute.
 */
const SLOW_QUERIES = Array.from(
  { length: 10 },
  () => `subscription { holdPlaced { eventId at hold { ${Array.from({ length: 30 }, (_, i) => `r${i}: reason`).join(" ")} } } }`,
);
const SHORT_REASON = "Bench: documents requested for this parcel";
const LONG_REASON = `Bench: ${"documents requested for this parcel; ".repeat(60)}`.slice(0, 2000);
/**
 * How long the slow socket does not read, from its connection on: the hub pings every 12 s
 * from the connection on and ends a socket that has not answered by the next ping (24 s).
 */
const SLOW_PAUSE_MS = 21_000;

interface Subscriber {
  party: BenchParty;
  type: RunEvent["type"];
}

/** Subscriber i: party i mod 200; holdPlaced and declarationStatusChanged in turn for each party. */
function subscribers(w: EventsWorld, n: number): Subscriber[] {
  return Array.from({ length: n }, (_, i) => ({
    party: w.parties[i % w.parties.length],
    type: Math.floor(i / w.parties.length) % 2 === 0 ? "HOLD_PLACED" : "STATUS_CHANGED",
  }));
}

// ---- child processes ------------------------------------------------------------------

/** A client process (scripts/bench/ws-clients.js): one job, then one answer per command. */
class ClientProcess {
  private readonly child: ChildProcess;
  private readonly answers: unknown[] = [];
  private waiter: ((m: unknown) => void) | null = null;
  private failure: Error | null = null;

  constructor(job: SubscribersJob | WriterJob) {
    this.child = fork(path.join(__dirname, "ws-clients.js"), [], {
      execArgv: ["--max-old-space-size=4096"],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: { type?: string; error?: string }) => {
      if (m?.type === "failed") this.fail(new Error(`client process failed: ${m.error}`));
      else if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(m);
      } else this.answers.push(m);
    });
    this.child.on("exit", (code, signal) => this.fail(new Error(`client process exited (${code ?? signal})`)));
    this.child.send(job);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = null;
    w?.(undefined);
  }

  /** The next answer (or the failure). */
  next<T>(timeoutMs: number): Promise<T> {
    if (this.answers.length) return Promise.resolve(this.answers.shift() as T);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`client process did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        if (m === undefined && this.failure) reject(this.failure);
        else resolve(m as T);
      };
    });
  }

  ask<T>(cmd: string, timeoutMs = 60_000): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    this.child.send({ cmd });
    return this.next<T>(timeoutMs);
  }

  kill(): void {
    this.child.removeAllListeners("exit");
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

// ---- measuring ------------------------------------------------------------------------

/** A full collection, for memory figures (the bench process is started without --expose-gc). */
const gc: () => void = (() => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

function memory() {
  gc();
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Open files this process may have (the soft limit), from /proc; null when unknown. */
function openFileLimit(): number | null {
  try {
    const line = fs
      .readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;
const fmtMB = (b: number) => `${(b / MB).toFixed(0)} MB`;

interface Checked {
  expected: number;
  delivered: number;
  lost: number;
  notEntitled: number;
  duplicates: number;
  outside: number;
  leaked: number;
  withheld: number;
  otherErrors: number;
  /** receipt minus commit, sorted */
  latencies: Float64Array;
  /** receipt minus the event's `at`, sorted */
  fromAt: Float64Array;
  lostSample: string | null;
  leakSample: string | null;
}

/**
 * Deliveries against the model: every (subscriber, event) the model expects, and nothing else.
 * `commitAt`: when each declaration's write committed (one hold per declaration in a run).
 */
function check(model: Model, subs: Subscriber[], events: RunEvent[], report: SubscribersReport, commitAt: Map<string, number>, firstSub = 0): Checked {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const KEY = 1e9; // seq < 1e9
  // who hears each event: per (party, type), the subscribers
  const subsOf = new Map<string, number[]>();
  subs.forEach((s, i) => {
    const k = `${s.party.id}|${s.type}`;
    subsOf.set(k, [...(subsOf.get(k) ?? []), i + firstSub]);
  });
  const parties = [...new Set(subs.map((s) => s.party))];
  const expected = new Set<number>();
  for (const e of events) {
    for (const p of parties) {
      const list = subsOf.get(`${p.id}|${e.type}`);
      if (list && model.may(p, e.holder, e.declaration, "STATUS")) for (const i of list) expected.add(i * KEY + e.seq);
    }
  }
  const seen = new Set<number>();
  let duplicates = 0;
  let notEntitled = 0;
  let outside = 0;
  let leaked = 0;
  let withheld = 0;
  let otherErrors = 0;
  let leakSample: string | null = null;
  const latencies: number[] = [];
  const fromAt: number[] = [];
  for (let k = 0; k < report.count; k++) {
    const sub = report.sub[k];
    const seq = report.seq[k];
    const key = sub * KEY + seq;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const e = bySeq.get(seq);
    if (!e) {
      outside++;
      continue;
    }
    if (!expected.has(key)) {
      notEntitled++;
      leakSample ??= `event ${seq} (${e.type}) reached ${subs[sub - firstSub]?.party.name}`;
      continue;
    }
    const committed = commitAt.get(e.declaration.id);
    if (committed !== undefined) latencies.push(report.receivedAt[k] - committed);
    fromAt.push(report.receivedAt[k] - e.at);
    const viewer = subs[sub - firstSub].party;
    const d = e.declaration;
    const flags = report.flags[k];
    const tn = model.may(viewer, d.filerId, d, "TRANSPORT");
    const order = model.may(viewer, d.filerId, d, "COMMERCIAL") && d.hasOrderId;
    if ((flags & 1 && !tn) || (flags & 2 && !order)) {
      leaked++;
      leakSample ??= `event ${seq}: ${viewer.name} read a masked field`;
    }
    if ((!(flags & 1) && tn) || (!(flags & 2) && order)) withheld++;
    if (flags & 4) otherErrors++;
  }
  let lost = 0;
  let lostSample: string | null = null;
  for (const key of expected) {
    if (seen.has(key)) continue;
    lost++;
    lostSample ??= `event ${key % KEY} to ${subs[Math.floor(key / KEY) - firstSub].party.name}`;
  }
  const sorted = Float64Array.from(latencies).sort();
  if (sorted.length !== expected.size - lost) throw new Error(`${expected.size - lost - sorted.length} deliveries without a commit time`);
  return {
    expected: expected.size,
    delivered: report.count,
    lost,
    notEntitled,
    duplicates,
    outside,
    leaked,
    withheld,
    otherErrors,
    latencies: sorted,
    fromAt: Float64Array.from(fromAt).sort(),
    lostSample,
    leakSample,
  };
}

/** Opens the sockets of `specs` in a client process and waits until the hub holds every subscription. */
async function connect(bh: EventsBenchHub, specs: SocketSpec[]): Promise<{ client: ClientProcess; ready: SubscribersReady; subscribedMs: number }> {
  const url = bh.server!.url.replace("http", "ws");
  // a subscription is live once the hub routes events to it
  const live = () => bh.hub.services.notifications.live;
  const baseline = live();
  const t0 = nowMs();
  const client = new ClientProcess({ mode: "subscribers", url, sockets: specs, concurrency: 100 });
  const ready = await client.next<SubscribersReady>(600_000);
  const want = specs.reduce((n, s) => n + s.queries.length, 0) + baseline;
  const deadline = nowMs() + 120_000;
  while (live() < want && nowMs() < deadline) await sleep(50);
  if (live() < want) throw new Error(`only ${live() - baseline} of ${want - baseline} subscriptions are live on the hub`);
  return { client, ready, subscribedMs: nowMs() - t0 };
}

async function disconnect(bh: EventsBenchHub, client: ClientProcess): Promise<void> {
  await client.ask("close", 120_000).catch(() => undefined);
  client.kill();
  const deadline = nowMs() + 60_000;
  while (bh.server!.wsLimits.connections() > 0 && nowMs() < deadline) await sleep(50);
}

function writer(bh: EventsBenchHub, holds: HoldSpec[], rate: number | null, concurrency: number, seconds: number, reason = SHORT_REASON): ClientProcess {
  return new ClientProcess({ mode: "writer", url: bh.server!.url, holds, rate, concurrency, durationSeconds: seconds, reason });
}

/** Waits until the client process has `expected` deliveries, or until nothing more arrives. */
async function drain(client: ClientProcess, expected: number, quietMs = 5000, maxMs = 600_000): Promise<SubscribersStats> {
  const start = nowMs();
  let last = await client.ask<SubscribersStats>("stats");
  let since = nowMs();
  while (last.received < expected && nowMs() - since < quietMs && nowMs() - start < maxMs) {
    await sleep(200);
    const s = await client.ask<SubscribersStats>("stats");
    if (s.received !== last.received) since = nowMs();
    last = s;
  }
  await sleep(1000); // anything beyond what is expected arrives too, and is counted
  return client.ask<SubscribersStats>("stats");
}

// ---- the section ----------------------------------------------------------------------

interface RunRow {
  label: string;
  subscribers: number;
  holds: number;
  events: number;
  seconds: number;
  c: Checked | null;
  statementsPerEvent: number;
  /** of which the agreement cache's refreshes (one statement per party every HUB_AGREEMENT_CACHE_MS: per second, not per event) */
  refreshesPerEvent: number;
  memPerConn: { rss: number; heap: number } | null;
  connectMs: number;
  hubCpu: number;
  clientCpu: number;
  writer: WriterReport;
}

export async function benchEvents(o: EventsOptions, deps: EventsDeps): Promise<void> {
  heading("5. Events: WebSocket subscribers at scale, holds through the API, every delivery checked");
  const fdLimit = openFileLimit();
  const need = Math.max(...o.subscribers, o.slowOthers) + 1;
  note(
    `open files allowed (ulimit -n, soft; each process has its own): ${fdLimit ?? "unknown"}; the largest run needs about ${fmtInt(need + 200)} in the hub ` +
      `and ${fmtInt(need + 50)} in the client process (one socket per subscriber, plus the pool and files)`,
  );
  const counts = o.subscribers.map((n) => {
    if (fdLimit !== null && n + 300 > fdLimit) {
      const fit = Math.max(100, fdLimit - 300);
      note(`${fmtInt(n)} subscribers do not fit in ${fdLimit} open files: measuring ${fmtInt(fit)} instead (raise ulimit -n to run ${fmtInt(n)})`);
      return fit;
    }
    return n;
  });

  const url = await deps.dbs.create("events");
  await applyPendingMigrations(url);
  const bh = await deps.startHub(url);
  // The agreement cache's refreshes are counted apart (bench instrumentation of one repository method):
  // one statement per party with subscribers every HUB_AGREEMENT_CACHE_MS, whatever the events.
  const agreementsRepo = bh.hub.services.agreements.repository;
  const activeFor = agreementsRepo.activeFor.bind(agreementsRepo);
  let refreshes = 0;
  agreementsRepo.activeFor = (partyId: string) => {
    refreshes++;
    return activeFor(partyId);
  };
  // When each write committed: the hub's WritesRepository.transaction resolved (COMMIT answered), by the
  // declarations of the events it appended (bench instrumentation, as above). Latency is counted from here.
  const commitAt = new Map<string, number>();
  {
    const writes = bh.hub.services.writes.repo;
    const transaction = writes.transaction.bind(writes);
    const appendEvents = writes.appendEvents.bind(writes);
    const appended = new WeakMap<object, (string | null)[]>();
    writes.appendEvents = (tx, events) => {
      appended.set(tx, events.map((e) => e.declarationId));
      return appendEvents(tx, events);
    };
    writes.transaction = (<T>(work: (tx: Tx) => Promise<T>, seal: (tx: Tx, result: T) => Promise<void>) => {
      let used: Tx | undefined;
      return transaction(work, (tx, result) => {
        used = tx;
        return seal(tx, result);
      }).then((result) => {
        const now = performance.timeOrigin + performance.now();
        for (const id of (used && appended.get(used)) ?? []) if (id) commitAt.set(id, now);
        return result;
      });
    }) as typeof writes.transaction;
  }
  const rows: RunRow[] = [];
  let slowSummary: (() => void) | null = null;
  try {
    const world = await buildWorld(o, url, bh.hub);
    const model = () => loadAgreements(bh.hub.prisma).then((a) => new Model(a, new Date()));
    const latest = () => bh.hub.feed.repo.latestSeq();

    // The feed reads the outbox from now on (as once a first subscriber came).
    await bh.hub.feed.start();

    // 0. no subscriber: the writes and the feed's reads alone (also warms the write path up)
    {
      const seconds = Math.max(5, Math.round(o.holdSeconds / 4));
      const holds = takeHolds(world, o.holdRate * seconds);
      const s0 = bh.statements();
      const r0 = refreshes;
      const seq0 = await latest();
      const c0 = process.cpuUsage();
      const w = writer(bh, holds, o.holdRate, WRITER_IN_FLIGHT, seconds);
      const wr = await w.next<WriterReport>(seconds * 1000 + 120_000);
      w.kill();
      await sleep(1500);
      const cpu = process.cpuUsage(c0);
      const seq1 = await latest();
      const events = Number(seq1 - seq0);
      if (wr.failed) throw new Error(`holds failed: ${wr.failed} (${wr.firstError})`);
      rows.push({
        label: "no subscriber",
        subscribers: 0,
        holds: wr.placed,
        events,
        seconds: (wr.endedAt - wr.startedAt) / 1000,
        c: null,
        statementsPerEvent: (bh.statements() - s0) / Math.max(1, events),
        refreshesPerEvent: (refreshes - r0) / Math.max(1, events),
        memPerConn: null,
        connectMs: 0,
        hubCpu: (cpu.user + cpu.system) / 1000 / (wr.endedAt - wr.startedAt + 1500),
        clientCpu: 0,
        writer: wr,
      });
    }

    // 1. N subscribers, one socket each, holds at the fixed rate
    for (const n of counts) {
      const subs = subscribers(world, n);
      const specs: SocketSpec[] = subs.map((s) => ({ key: s.party.key, queries: [s.type === "HOLD_PLACED" ? HOLD_QUERY : STATUS_QUERY] }));
      await sleep(500);
      const m0 = memory();
      const { client, ready, subscribedMs } = await connect(bh, specs);
      try {
        if (ready.acknowledged !== n) throw new Error(`${ready.refused} of ${n} sockets were refused: ${ready.firstRefusal}`);
        await sleep(1000);
        const m1 = memory();
        note(`${fmtInt(n)} subscribers connected and subscribed in ${(subscribedMs / 1000).toFixed(1)} s; placing holds at ${o.holdRate}/s for ${o.holdSeconds} s`);
        const holds = takeHolds(world, o.holdRate * o.holdSeconds);
        if (holds.length < o.holdRate * o.holdSeconds) note(`only ${holds.length} holdable declarations left for this run (BENCH_EVENT_DECLARATIONS)`);
        const seq0 = await latest();
        const s0 = bh.statements();
        const r0 = refreshes;
        const c0 = process.cpuUsage();
        const stats0 = await client.ask<SubscribersStats>("stats");
        const w = writer(bh, holds, o.holdRate, WRITER_IN_FLIGHT, o.holdSeconds);
        const wr = await w.next<WriterReport>(o.holdSeconds * 1000 + 300_000);
        w.kill();
        if (wr.failed) throw new Error(`holds failed: ${wr.failed} (${wr.firstError})`);
        const seq1 = await latest();
        const events = await eventsBetween(bh.hub.prisma, seq0, seq1);
        const mdl = await model();
        const expectedApprox = check(mdl, subs, events, emptyReport(), commitAt).expected;
        const stats1 = await drain(client, expectedApprox);
        const cpu = process.cpuUsage(c0);
        const wall = Math.max(1, stats1.lastReceipt - wr.startedAt);
        const statements = bh.statements() - s0;
        const refreshed = refreshes - r0;
        const report = await client.ask<SubscribersReport>("report", 300_000);
        const c = check(mdl, subs, events, report, commitAt);
        rows.push({
          label: `${fmtInt(n)} subscribers`,
          subscribers: n,
          holds: wr.placed,
          events: events.length,
          seconds: (wr.endedAt - wr.startedAt) / 1000,
          c,
          statementsPerEvent: statements / Math.max(1, events.length),
          refreshesPerEvent: refreshed / Math.max(1, events.length),
          memPerConn: { rss: (m1.rss - m0.rss) / n, heap: (m1.heap - m0.heap) / n },
          connectMs: subscribedMs,
          hubCpu: (cpu.user + cpu.system) / 1000 / wall,
          clientCpu: (stats1.cpuMs - stats0.cpuMs) / wall,
          writer: wr,
        });
        if (report.errors.length) note(`${fmtInt(n)} subscribers: ${report.errors.length} subscriptions ended by the hub, e.g. ${report.errors[0].code}: ${report.errors[0].message}`);
        if (Object.keys(report.closes).length) note(`${fmtInt(n)} subscribers: sockets closed by the hub: ${JSON.stringify(report.closes)}`);
      } finally {
        await disconnect(bh, client);
      }
    }

    // 2. one socket that stops reading, ordinary subscribers, holds as fast as the machine goes
    {
      const subs = subscribers(world, o.slowOthers);
      const deCustoms = world.parties.find((p) => p.name === "Generalzolldirektion (DE)")!;
      const specs: SocketSpec[] = [
        ...subs.map((s) => ({ key: s.party.key, queries: [s.type === "HOLD_PLACED" ? HOLD_QUERY : STATUS_QUERY] })),
        { key: deCustoms.key, queries: SLOW_QUERIES, pauseMs: SLOW_PAUSE_MS },
      ];
      const before = memory();
      const { client, ready } = await connect(bh, specs);
      try {
        if (ready.acknowledged !== specs.length) throw new Error(`${ready.refused} sockets were refused: ${ready.firstRefusal}`);
        await sleep(1000);
        const start = memory();
        note(
          `${fmtInt(o.slowOthers)} subscribers and a socket that stops reading connected; ${o.slowWriters} writers placing holds on DE parcels ` +
            `back to back for ${o.slowSeconds} s`,
        );
        const holds = takeHolds(world, world.targets.length, "DE");
        const seq0 = await latest();
        const s0 = bh.statements();
        const r0 = refreshes;
        const c0 = process.cpuUsage();
        const stats0 = await client.ask<SubscribersStats>("stats");
        // the hub's RSS, sampled while the slow socket is not read
        let rssMax = start.rss;
        const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 100);
        const w = writer(bh, holds, null, o.slowWriters, o.slowSeconds, LONG_REASON);
        const wr = await w.next<WriterReport>(o.slowSeconds * 1000 + 300_000);
        w.kill();
        const seq1 = await latest();
        const events = await eventsBetween(bh.hub.prisma, seq0, seq1);
        const mdl = await model();
        const expectedApprox = check(mdl, subs, events, emptyReport(), commitAt).expected;
        const stats1 = await drain(client, expectedApprox);
        clearInterval(sampler);
        const cpu = process.cpuUsage(c0);
        const wall = Math.max(1, stats1.lastReceipt - wr.startedAt);
        const statements = bh.statements() - s0;
        const report = await client.ask<SubscribersReport>("report", 300_000);
        const c = check(mdl, subs, events, report, commitAt);
        const after = memory();
        const healthz = await fetch(bh.server!.url.replace("/graphql", "/healthz")).then((r) => r.status, () => 0);
        rows.push({
          label: `${fmtInt(o.slowOthers)} + 1 slow socket`,
          subscribers: o.slowOthers,
          holds: wr.placed,
          events: events.length,
          seconds: (wr.endedAt - wr.startedAt) / 1000,
          c,
          statementsPerEvent: statements / Math.max(1, events.length),
          refreshesPerEvent: (refreshes - r0) / Math.max(1, events.length),
          memPerConn: null,
          connectMs: 0,
          hubCpu: (cpu.user + cpu.system) / 1000 / wall,
          clientCpu: (stats1.cpuMs - stats0.cpuMs) / wall,
          writer: wr,
        });
        const slowErrors = report.errors.filter((e) => e.slow);
        const fellBehind = slowErrors.filter((e) => e.code === "RATE_LIMITED" && e.reason === "SUBSCRIPTION_FELL_BEHIND");
        const othersEnded = report.errors.filter((e) => !e.slow);
        const seconds = (wr.endedAt - wr.startedAt) / 1000;
        const rate = wr.placed / seconds;
        const holdEvents = events.filter((e) => e.type === "HOLD_PLACED").length;
        const rt = Float64Array.from(wr.roundTrip).sort();
        const pausedFor = ((report.slowResumedAt || Date.now()) - report.slowPausedAt) / 1000;
        const closedBy = Object.entries(report.closes).map(([code, n]) => `${n} x ${code}`).join(", ") || "none";
        // what the slow socket did not get, at the size of what it got: held nowhere if memory is bounded
        const messageBytes = report.slowNext ? report.slowBytes / report.slowNext : 0;
        const missedBytes = (holdEvents * 10 - report.slowNext) * messageBytes;
        const bounded = healthz === 200 && after.rss - start.rss < 64 * MB && rssMax - start.rss < Math.max(64 * MB, missedBytes);
        slowSummary = () => {
          heading("5b. A subscriber that stops reading, holds at the highest rate this machine sustains");
          console.log(
            table(
              [
                ["measure", "figure"],
                [
                  "holds placed (closed loop, DE parcels)",
                  `${fmtInt(wr.placed)} in ${seconds.toFixed(1)} s = ${fmtInt(rate)}/s by ${o.slowWriters} writers (round trip p50 ${fmtMs(percentile(rt, 50))} ms, ` +
                    `p99 ${fmtMs(percentile(rt, 99))} ms), ${wr.failed} failed`,
                ],
                ["events", `${fmtInt(events.length)}; ${fmtInt(holdEvents)} holds, each heard by the slow socket's 10 subscriptions`],
                [
                  "slow socket",
                  `customs DE (OFFICER), 10 holdPlaced subscriptions, ${(messageBytes / 1024).toFixed(0)} KB per event; not read for ${pausedFor.toFixed(1)} s ` +
                    `(from before the writers started), then read again`,
                ],
                [
                  "its subscriptions ended by the hub",
                  `${slowErrors.length} of 10, with RATE_LIMITED (SUBSCRIPTION_FELL_BEHIND): ${fellBehind.length}; ` +
                    `${fmtInt(report.slowNext)} of ${fmtInt(holdEvents * 10)} events reached it; sockets closed by the hub: ${closedBy}`,
                ],
                ...(slowErrors.length < 10
                  ? [
                      [
                        "",
                        `(a subscription is ended once ${bh.hub.config.HUB_SUBSCRIPTION_BUFFER} events (HUB_SUBSCRIPTION_BUFFER) wait behind what its socket took: ` +
                          "at this rate not all got there while unread)",
                      ],
                    ]
                  : []),
                [
                  "hub RSS",
                  `${fmtMB(before.rss)} before the sockets, ${fmtMB(start.rss)} with them, max ${fmtMB(rssMax)} during the run, ${fmtMB(after.rss)} after ` +
                    `(heap ${fmtMB(start.heap)} -> ${fmtMB(after.heap)})`,
                ],
                ["what the slow socket missed", `${fmtInt(holdEvents * 10 - report.slowNext)} events, about ${fmtMB(missedBytes)}: held nowhere, not buffered for it`],
                ["hub /healthz afterwards", String(healthz)],
                [
                  "other subscribers",
                  `${fmtInt(o.slowOthers)}: p50 ${fmtMs(percentile(c.latencies, 50))} ms, p99 ${fmtMs(percentile(c.latencies, 99))} ms; ` +
                    `lost ${c.lost}, not entitled ${c.notEntitled}, ended by the hub ${othersEnded.length}`,
                ],
              ],
              { leftColumns: 2 },
            ),
          );
          if (slowErrors[0]) note(`the slow subscriptions' error: ${slowErrors[0].code} ${slowErrors[0].reason ?? ""}: ${slowErrors[0].message}`);
          deps.verdict({
            measure: "Slow subscriber: hub up, memory bounded",
            figure: `/healthz ${healthz}; RSS ${fmtMB(start.rss)} -> max ${fmtMB(rssMax)} -> ${fmtMB(after.rss)}; missed ${fmtMB(missedBytes)}`,
            target: "up; peak < missed; after < +64 MB",
            result: bounded ? "PASS" : "MISS",
          });
          deps.verdict({
            measure: "Slow subscriber ended with RATE_LIMITED",
            figure: `${fellBehind.length} of 10 subscriptions`,
            target: "10 of 10",
            result: fellBehind.length === 10 ? "PASS" : "MISS",
          });
          deps.verdict({
            measure: `Slow subscriber: others' p99 (${fmtInt(o.slowOthers)} subs, ${fmtInt(rate)} holds/s)`,
            figure: `${fmtMs(percentile(c.latencies, 99))} ms; lost ${c.lost}, not entitled ${c.notEntitled}`,
            target: `< ${P99_TARGET_MS} ms; 0; 0`,
            result: percentile(c.latencies, 99) < P99_TARGET_MS && c.lost === 0 && c.notEntitled === 0 && othersEnded.length === 0 ? "PASS" : "MISS",
          });
        };
      } finally {
        await disconnect(bh, client);
      }
    }
  } finally {
    bh.hub.feed.stop();
    await bh.stop();
    await deps.dbs.drop(url);
  }

  // ---- printing
  const lat = (r: RunRow, p: number) => (r.c ? fmtMs(percentile(r.c.latencies, p)) : "-");
  console.log(
    table([
      [
        "run",
        "holds",
        "holds/s",
        "events",
        "deliveries",
        "expected",
        "lost",
        "not entitled",
        "dup",
        "masks wrong",
        "p50 ms",
        "p99 ms",
        "max ms",
        "from at: p50/p99",
        "SQL/event",
        "hub CPU",
        "clients CPU",
      ],
      ...rows.map((r) => [
        r.label,
        fmtInt(r.holds),
        (r.holds / r.seconds).toFixed(1),
        fmtInt(r.events),
        r.c ? fmtInt(r.c.delivered) : "-",
        r.c ? fmtInt(r.c.expected) : "-",
        r.c ? fmtInt(r.c.lost) : "-",
        r.c ? fmtInt(r.c.notEntitled) : "-",
        r.c ? fmtInt(r.c.duplicates + r.c.outside) : "-",
        r.c ? `${r.c.leaked}/${r.c.withheld}` : "-",
        lat(r, 50),
        lat(r, 99),
        r.c ? fmtMs(r.c.latencies[r.c.latencies.length - 1] ?? NaN) : "-",
        r.c ? `${fmtMs(percentile(r.c.fromAt, 50))} / ${fmtMs(percentile(r.c.fromAt, 99))}` : "-",
        `${r.statementsPerEvent.toFixed(2)} (${(r.statementsPerEvent - r.refreshesPerEvent).toFixed(2)})`,
        `${(r.hubCpu * 100).toFixed(0)}%`,
        r.clientCpu ? `${(r.clientCpu * 100).toFixed(0)}%` : "-",
      ]),
    ]),
  );
  const mem = rows.filter((r) => r.memPerConn);
  console.log(
    table([
      ["subscribers (1 socket each)", "connect + subscribe", "hub RSS per connection", "hub heap per connection", "mutation p50 / p99 ms"],
      ...mem.map((r) => [
        fmtInt(r.subscribers),
        `${(r.connectMs / 1000).toFixed(1)} s`,
        `${(r.memPerConn!.rss / 1024).toFixed(1)} KB`,
        `${(r.memPerConn!.heap / 1024).toFixed(1)} KB`,
        `${fmtMs(percentile(Float64Array.from(r.writer.roundTrip).sort(), 50))} / ${fmtMs(percentile(Float64Array.from(r.writer.roundTrip).sort(), 99))}`,
      ]),
    ]),
  );
  note(
    "latency (p50/p99/max): receipt in the subscribers' process minus the write's commit, taken in the hub when its transaction resolved " +
      "(COMMIT answered; bench instrumentation of WritesRepository.transaction); same machine, same clock. " +
      "'from at': minus the event's `at` instead, stamped in the transaction before it queues for the outbox counter's lock and commits",
  );
  note("expected deliveries: an independent model of the contract (destination customs, named carrier/post, named platform, filer, the holder itself, ACTIVE agreements in scope covering STATUS); " +
    "masks wrong: trackingNumber (TRANSPORT) or platformOrderId (COMMERCIAL) read where the model denies it / withheld where it allows it");
  note(
    "SQL/event: every statement on the hub's pool during the run (the writes' transactions included) divided by the outbox events (HOLD_PLACED + STATUS_CHANGED); " +
      "in brackets without the agreement cache's refreshes, which come per party and per HUB_AGREEMENT_CACHE_MS, not per event; 'no subscriber' is the writes and the feed's reads alone",
  );
  note(
    `hub CPU: this process (the hub, all its threads) from the first hold to the last delivery, 100% = one core; clients CPU: the subscribers' process; ` +
      `the writer is a third process; PostgreSQL is not counted; ${os.cpus().length} cores shared by all`,
  );
  for (const r of rows) {
    if (r.c?.lostSample) note(`${r.label}: first lost: ${r.c.lostSample}`);
    if (r.c?.leakSample) note(`${r.label}: first not entitled: ${r.c.leakSample}`);
    if (r.writer.late) note(`${r.label}: the writer started ${r.writer.late} holds more than 100 ms late (it could not keep the rate)`);
    if (r.c?.otherErrors) note(`${r.label}: ${r.c.otherErrors} deliveries carried an error other than FORBIDDEN`);
  }

  const base = rows[0].statementsPerEvent;
  for (const r of rows.slice(1)) {
    if (!r.c || r.label.includes("slow")) continue;
    const p99 = percentile(r.c.latencies, 99);
    deps.verdict({
      measure: `Events, ${r.label}: commit-to-receipt p50 / p99`,
      figure: `${fmtMs(percentile(r.c.latencies, 50))} / ${fmtMs(p99)} ms (${(r.holds / r.seconds).toFixed(0)} holds/s)`,
      target: `p99 < ${P99_TARGET_MS} ms`,
      result: p99 < P99_TARGET_MS ? "PASS" : "MISS",
    });
    deps.verdict({
      measure: `Events, ${r.label}: lost / not entitled`,
      figure: `${r.c.lost} / ${r.c.notEntitled} of ${fmtInt(r.c.expected)} (dup ${r.c.duplicates}, masks ${r.c.leaked}/${r.c.withheld})`,
      target: "0 / 0",
      result:
        r.c.lost === 0 && r.c.notEntitled === 0 && r.c.duplicates === 0 && r.c.outside === 0 && r.c.leaked === 0 && r.c.withheld === 0 && r.c.otherErrors === 0
          ? "PASS"
          : "MISS",
    });
    deps.verdict({
      measure: `Events, ${r.label}: memory per connection`,
      figure: `RSS ${(r.memPerConn!.rss / 1024).toFixed(1)} KB, heap ${(r.memPerConn!.heap / 1024).toFixed(1)} KB`,
      target: "-",
      result: "info",
    });
  }
  // constant: the same with 1,000 or 10,000 subscribers (within a quarter), whatever the fan-out
  const perEvent = rows.filter((r) => !r.label.includes("slow")).map((r) => r.statementsPerEvent - r.refreshesPerEvent);
  const withSubs = perEvent.slice(1);
  deps.verdict({
    measure: `SQL statements per event (0 / ${counts.map(fmtInt).join(" / ")} subscribers)`,
    figure: `${perEvent.map((x) => x.toFixed(2)).join(" / ")} (+ agreement refreshes: ${rows
      .filter((r) => !r.label.includes("slow"))
      .map((r) => r.refreshesPerEvent.toFixed(2))
      .join(" / ")})`,
    target: "constant in subscribers",
    result: withSubs.every((x) => x <= Math.min(...withSubs) * 1.25 + 0.25) && withSubs.every((x) => x < base + 5) ? "PASS" : "MISS",
  });
  slowSummary?.();
}

function emptyReport(): SubscribersReport {
  return {
    type: "report",
    count: 0,
    sub: new Int32Array(0),
    seq: new Float64Array(0),
    receivedAt: new Float64Array(0),
    flags: new Uint8Array(0),
    slowNext: 0,
    slowBytes: 0,
    slowPausedAt: 0,
    slowResumedAt: 0,
    errors: [],
    closes: {},
    cpuMs: 0,
    rssBytes: 0,
  };
}
