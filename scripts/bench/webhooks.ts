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
// destination filter. Their receivers run in a child process (this file, forked; their CPU
// is not the hub's): one HTTP server per endpoint on 127.0.0.1, each verifying every
// Luxor-Signature with its endpoint's secret as the README states it, without the hub's code
// (400 when it does not verify), and recording the event id, receipt time and which masked
// fields came back. A writer child process places
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
import "reflect-metadata";
import { fork, type ChildProcess } from "node:child_process";
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import type { GraphQLSchema } from "graphql";
import { Pool } from "pg";
import { loadConfig, type Config } from "../../src/config";
import { createHub, type Hub } from "../../src/hub";
import { createLogger } from "../../src/infra/logger";
import { applyPendingMigrations } from "../../src/infra/migrations";
import { createPrismaClient } from "../../src/infra/prisma";
import { createHubPubSub } from "../../src/infra/pubsub";
import { buildHubSchema } from "../../src/schema/build";
import { startServer, type RunningServer } from "../../src/server/server";
import type { DataCategory, PartyKind, Role } from "../../src/generated/prisma/enums";
import { WebhookWorker } from "../../src/modules/webhooks/webhook.worker";
import { ensureWorld, mulberry32, pgWriter, seedDeclarations } from "../../src/seed/demo-world";
import { countingPool, fmtInt, fmtMs, heading, note, nowMs, table, type ScratchDatabases } from "./util";

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

export interface Verdict {
  measure: string;
  figure: string;
  target: string;
  result: "PASS" | "MISS" | "info";
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

/** A hub as scripts/bench.ts starts one (and src/app.ts its webhook worker), with WEBHOOK_ENV. */
async function startWebhookHub(url: string, o: WebhooksOptions): Promise<WebhookBenchHub> {
  const config = loadConfig({
    NODE_ENV: "production",
    LOG_LEVEL: "silent",
    HUB_RATE_LIMIT_PER_MINUTE: "100000000",
    PORT: "0",
    HUB_SEED: "none",
    DATABASE_URL: url,
    ...WEBHOOK_ENV,
    ...(o.concurrency ? { HUB_WEBHOOK_CONCURRENCY: String(o.concurrency) } : {}),
  });
  const { pool, statements } = countingPool(url, 10);
  const prisma = createPrismaClient(url, { embedded: false, pool });
  const events = createHubPubSub(undefined);
  const hub = createHub(config, prisma, createLogger("silent"), events);
  await hub.services.parties.ensureOperatorParty();
  const schema = await buildHubSchema(events, { debug: false });
  const server = await startServer(hub, schema, 0, async () => true, { host: "127.0.0.1" });
  const worker = new WebhookWorker(hub, schema);
  return {
    hub,
    schema,
    server,
    config,
    worker,
    statements,
    async stop() {
      await server.stop();
      await worker.stop();
      hub.feed.stop();
      await hub.accessLog.close();
      await events.close();
      await prisma.$disconnect(); // closes the counting pool too
    },
  };
}

// ---- the world ------------------------------------------------------------------------

interface BenchParty {
  index: number;
  id: string;
  name: string;
  kind: PartyKind;
  country: string;
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

type EndpointType = "HOLD_PLACED" | "DECLARATION_STATUS_CHANGED";

interface Endpoint {
  index: number;
  party: BenchParty;
  role: Role;
  /** the key that registers it (and whose role it hears with) */
  key: string;
  eventTypes: EndpointType[];
  destinations: string[];
  down: boolean;
  id?: string;
  secret?: string;
}

interface HoldSpec {
  key: string;
  declarationId: string;
  kind: string;
}

interface World {
  parties: BenchParty[];
  endpoints: Endpoint[];
  writersOf: Map<string, string[]>;
  targets: { id: string; destination: string; kind: string }[];
  agreementsAdded: { hear: number; not: number };
}

const DESTINATIONS = ["DE", "FR", "NL", "BE", "US", "GB"];
const DAY = 86_400_000;

/** The receivers that refuse connections for a while: named parties, so the group is the same each run. */
const DOWN_GROUP = [
  "Generalzolldirektion (DE)",
  "Shopverse Marketplace",
  "DragonMall Global",
  "SwiftAir Express",
  "Jade Dragon Express",
  "China Post",
  "Bench broker 001",
  "Bench platform 041",
  "Bench carrier 011",
  "Bench post 001",
];

async function buildWorld(o: WebhooksOptions, url: string, bh: WebhookBenchHub): Promise<World> {
  const prisma = bh.hub.prisma;
  const pool = new Pool({ connectionString: url, max: 3 });
  const seedPrisma = createPrismaClient(url, { embedded: false, poolSize: 2 });
  const rng = mulberry32(8_0808);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  try {
    const t0 = nowMs();
    const { world: demo } = await ensureWorld(seedPrisma);
    const counts = await seedDeclarations(seedPrisma, demo, o.declarations, { batchSize: 2000, concurrency: 2, writer: pgWriter(pool) });
    note(`seeded the demo world and ${fmtInt(counts.declarations)} declarations in ${((nowMs() - t0) / 1000).toFixed(0)} s`);

    // 177 more parties: 200 in all
    const extra: { name: string; kind: PartyKind; country: string }[] = [];
    const add = (n: number, kind: PartyKind, label: string, countries: string[]) => {
      for (let i = 1; i <= n; i++) extra.push({ name: `Bench ${label} ${String(i).padStart(3, "0")}`, kind, country: countries[(i - 1) % countries.length] });
    };
    add(70, "PLATFORM", "platform", ["CN", "US", "IE", "TR", "HK", "GB", "DE"]);
    add(45, "CARRIER", "carrier", ["US", "NL", "CN", "TR", "DE", "GB"]);
    add(20, "POST", "post", ["CN", "HK", "US", "GB", "TR", "DE", "FR", "NL"]);
    add(30, "BROKER", "broker", ["DE", "FR", "NL", "BE", "US", "GB"]);
    for (const c of DESTINATIONS) extra.push({ name: `Bench customs office ${c}`, kind: "CUSTOMS", country: c });
    for (const c of ["IT", "ES", "PL", "AT", "SE", "IE"]) extra.push({ name: `Bench customs ${c}`, kind: "CUSTOMS", country: c });
    await prisma.party.createMany({ data: extra });
    const rows = await prisma.party.findMany({ where: { kind: { not: "OPERATOR" } }, orderBy: [{ kind: "asc" }, { name: "asc" }] });
    if (rows.length !== 200) throw new Error(`expected 200 parties, found ${rows.length}`);
    const parties: BenchParty[] = rows.map((r, index) => ({ index, id: r.id, name: r.name, kind: r.kind, country: r.country.trim() }));
    const named = (name: string) => {
      const p = parties.find((x) => x.name === name);
      if (!p) throw new Error(`no party named ${name}`);
      return p;
    };
    const ofKind = (k: PartyKind) => parties.filter((p) => p.kind === k);
    const bench = (k: PartyKind) => ofKind(k).filter((p) => p.name.startsWith("Bench"));
    const [platforms, carriers, posts, brokers] = [ofKind("PLATFORM"), ofKind("CARRIER"), ofKind("POST"), ofKind("BROKER")];
    const [bPlatforms, bCarriers, bBrokers] = [bench("PLATFORM"), bench("CARRIER"), bench("BROKER")];

    // Agreements: some that let a party hear, some that must not.
    const now = Date.now();
    const agreements: (Omit<AgreementRow, "validFrom" | "validTo"> & { validFrom?: Date; validTo?: Date | null })[] = [];
    const agree = (grantor: BenchParty, grantee: BenchParty, categories: DataCategory[], over: Partial<AgreementRow> = {}) =>
      agreements.push({ grantorId: grantor.id, granteeId: grantee.id, categories, scopeDestinations: [], scopeOrigins: [], scopeOnlyCarried: false, status: "ACTIVE", ...over });
    for (let j = 0; j < 20; j++) agree(bPlatforms[j], bBrokers[j], ["STATUS", "COMMERCIAL"], { scopeDestinations: [DESTINATIONS[j % 6]] });
    for (let j = 20; j < 30; j++) agree(bPlatforms[j], bCarriers[j - 20], ["STATUS", "TRANSPORT"], { scopeOrigins: ["CN"] });
    agree(named("Generalzolldirektion (DE)"), bBrokers[20], ["STATUS"]);
    agree(named("Bench customs office FR"), named("Bench customs IT"), ["STATUS"]);
    agree(named("Bench customs office DE"), bBrokers[0], ["STATUS", "RISK"]);
    const hear = agreements.length;
    // must not hear through these
    agree(bPlatforms[30], bBrokers[22], ["STATUS", "COMMERCIAL"], { status: "SUSPENDED" });
    agree(bPlatforms[31], bBrokers[23], ["STATUS"], { validFrom: new Date(now - 100 * DAY), validTo: new Date(now - DAY) });
    agree(bPlatforms[32], bBrokers[24], ["COMMERCIAL", "PARTIES"]);
    agree(bPlatforms[33], bBrokers[25], ["STATUS"], { scopeDestinations: ["IT"] });
    agree(bPlatforms[34], bBrokers[26], ["STATUS"], { scopeOnlyCarried: true });
    agree(named("U.S. Customs and Border Protection"), bBrokers[27], ["STATUS"], { status: "PROPOSED" });
    agree(named("Douane (NL)"), bBrokers[28], ["STATUS"], { status: "REVOKED" });
    agree(bPlatforms[35], bBrokers[29], ["STATUS"], { validFrom: new Date(now + 10 * DAY) });
    agree(named("Bench customs office GB"), named("Bench customs ES"), ["TRANSPORT", "RISK"]);
    await prisma.agreement.createMany({
      data: agreements.map((a) => ({
        ...a,
        status: a.status as never,
        proposedById: a.granteeId,
        purpose: "Bench: hearing of events by webhook",
        legalBasis: "Bench",
        contributions: [],
        validFrom: a.validFrom ?? new Date(now - DAY),
        validTo: a.validTo ?? null,
      })),
    });

    // Holdable declarations (pre-loading: RFI; after arrival: INSPECTION) without open holds,
    // spread over the parties; each keeps its kind of filer.
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
    const targets: World["targets"] = [];
    for (const d of holdable) {
      const platform = d.platformId ? pick(platforms).id : null;
      const carrier = d.carrierId ? pick(carriers).id : null;
      const post = d.postId ? pick(posts).id : null;
      const filer = d.filerId === d.platformId ? platform! : d.filerId === d.carrierId ? carrier! : d.filerId === d.postId ? post! : pick(brokers).id;
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

    // One endpoint per party, with the party's key; types and filters differ.
    const endpoints: Endpoint[] = [];
    let customsSeen = 0;
    for (const p of parties) {
      const i = p.index;
      const role: Role = p.kind === "CUSTOMS" ? (customsSeen++ % 2 === 0 ? "OFFICER" : "ANALYST") : "AGENT";
      const both: EndpointType[] = ["HOLD_PLACED", "DECLARATION_STATUS_CHANGED"];
      let eventTypes = both;
      if (p.kind === "PLATFORM" && i % 4 === 1) eventTypes = ["HOLD_PLACED"];
      if ((p.kind === "CARRIER" || p.kind === "POST") && i % 3 === 2) eventTypes = ["DECLARATION_STATUS_CHANGED"];
      const destinations = p.kind !== "CUSTOMS" && i % 7 === 3 ? ["DE", "FR"] : [];
      const key = await bh.hub.services.parties.issueKey(p.id, role, "bench webhooks: endpoint");
      endpoints.push({ index: endpoints.length, party: p, role, key, eventTypes, destinations, down: DOWN_GROUP.includes(p.name) });
    }
    const missing = DOWN_GROUP.filter((n) => !endpoints.some((e) => e.down && e.party.name === n));
    if (missing.length) throw new Error(`the down group names parties that do not exist: ${missing.join(", ")}`);

    // The writers: an officer key of each of the two customs of each destination.
    const writersOf = new Map<string, string[]>();
    for (const c of DESTINATIONS) {
      const offices = parties.filter((p) => p.kind === "CUSTOMS" && p.country === c);
      if (offices.length !== 2) throw new Error(`expected two customs of ${c}, found ${offices.length}`);
      writersOf.set(c, await Promise.all(offices.map((p) => bh.hub.services.parties.issueKey(p.id, "OFFICER", "bench webhooks: writer"))));
    }
    const kinds = (k: PartyKind) => parties.filter((p) => p.kind === k).length;
    note(
      `200 parties: ${kinds("CUSTOMS")} customs (two of each of the six destinations, six of other countries), ${kinds("PLATFORM")} platforms, ` +
        `${kinds("CARRIER")} carriers, ${kinds("POST")} posts, ${kinds("BROKER")} brokers; ${agreements.length} agreements added ` +
        `(${hear} that let a party hear, ${agreements.length - hear} that must not); ${fmtInt(targets.length)} holdable declarations spread over them`,
    );
    return { parties, endpoints, writersOf, targets, agreementsAdded: { hear, not: agreements.length - hear } };
  } finally {
    await pool.end();
    await seedPrisma.$disconnect();
  }
}

/** The next `n` holds, each on a declaration not held before, by the two officers of its destination in turn. */
function takeHolds(w: World, n: number): HoldSpec[] {
  const taken = w.targets.slice(0, n);
  w.targets = w.targets.slice(n);
  const turn = new Map<string, number>();
  return taken.map((t) => {
    const keys = w.writersOf.get(t.destination);
    if (!keys) throw new Error(`no customs writer for destination ${t.destination}`);
    const i = turn.get(t.destination) ?? 0;
    turn.set(t.destination, i + 1);
    return { key: keys[i % keys.length], declarationId: t.id, kind: t.kind };
  });
}

// ---- who may hear what: the model ------------------------------------------------------

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

interface RunEvent {
  seq: number;
  type: EndpointType;
  /** epoch ms, stamped in the write's transaction just before it commits */
  at: number;
  declaration: DeclarationRow;
  /** whose STATUS the event is: a hold's, the customs that placed it; a status change's, the filer */
  holder: string;
}

/**
 * An independent statement of the contract (README "Who sees what"), not the policy engine:
 * a party hears an event when it may read the STATUS of the record the event is about, and
 * reads the declaration's trackingNumber (TRANSPORT) and platformOrderId (COMMERCIAL), held
 * by the filer, by the same rules. An endpoint's destination filter applies only where its
 * party may read the destination (TRANSPORT): elsewhere it hears nothing.
 */
class Model {
  private readonly grants = new Map<string, AgreementRow[]>();

  constructor(agreements: AgreementRow[], private readonly now: Date) {
    for (const a of agreements) {
      const k = `${a.grantorId}>${a.granteeId}`;
      this.grants.set(k, [...(this.grants.get(k) ?? []), a]);
    }
  }

  may(viewer: BenchParty, role: Role, holder: string, d: DeclarationRow, category: DataCategory): boolean {
    if (viewer.id === holder) return true;
    if (viewer.kind === "CUSTOMS" && (role === "OFFICER" || role === "ANALYST") && viewer.country === d.destinationCountry) return true;
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

  /** Does this endpoint hear this event? */
  hears(ep: Endpoint, e: RunEvent): boolean {
    if (!ep.eventTypes.includes(e.type)) return false;
    if (!this.may(ep.party, ep.role, e.holder, e.declaration, "STATUS")) return false;
    if (ep.destinations.length) {
      return this.may(ep.party, ep.role, e.declaration.filerId, e.declaration, "TRANSPORT") && ep.destinations.includes(e.declaration.destinationCountry);
    }
    return true;
  }
}

async function eventsBetween(pool: Pool, after: number, until: number): Promise<RunEvent[]> {
  const { rows } = await pool.query<
    DeclarationRow & { seq: string; type: string; at: Date; placedById: string | null }
  >(
    `SELECT e."seq", e."type", e."at", d."id", d."filerId", d."platformId", d."carrierId", d."postId", d."destinationCountry", d."originCountry",
            d."platformOrderId" IS NOT NULL AS "hasOrderId", h."placedById"
     FROM "HubEvent" e
     JOIN "Declaration" d ON d."id" = e."declarationId"
     LEFT JOIN "Hold" h ON h."id"::text = e."payload"->>'holdId'
     WHERE e."seq" > $1 AND e."seq" <= $2 AND e."type" IN ('HOLD_PLACED', 'STATUS_CHANGED')
     ORDER BY e."seq"`,
    [after, until],
  );
  return rows.map((r) => {
    if (r.type === "HOLD_PLACED" && !r.placedById) throw new Error(`event ${r.seq}: its hold is not found`);
    return {
      seq: Number(r.seq),
      type: r.type === "HOLD_PLACED" ? "HOLD_PLACED" : "DECLARATION_STATUS_CHANGED",
      at: r.at.getTime(),
      holder: r.type === "HOLD_PLACED" ? r.placedById! : r.filerId,
      declaration: r,
    };
  });
}

async function loadAgreements(pool: Pool): Promise<AgreementRow[]> {
  const { rows } = await pool.query<AgreementRow>(
    `SELECT "grantorId", "granteeId", "categories"::text[] AS "categories", "scopeDestinations", "scopeOrigins", "scopeOnlyCarried",
            "status"::text AS "status", "validFrom", "validTo" FROM "Agreement"`,
  );
  return rows;
}

// ---- child processes: receivers and writer ---------------------------------------------

type ReceiversCommand =
  | { cmd: "start"; count: number }
  | { cmd: "secrets"; secrets: string[] }
  | { cmd: "down"; indexes: number[] }
  | { cmd: "up"; indexes: number[] }
  | { cmd: "stats" }
  | { cmd: "report" };

interface ReceiverStats {
  type: "stats";
  /** requests answered 2xx */
  received: number;
  /** distinct (endpoint, event) pairs among them */
  distinct: number;
  badSignatures: number;
  lastReceipt: number;
  cpuMs: number;
}

interface ReceiverReport {
  type: "report";
  count: number;
  /** per request answered 2xx: endpoint index, event id, receipt (epoch ms), flags, Luxor-Delivery-Attempt */
  endpoint: Int32Array;
  seq: Float64Array;
  receipt: Float64Array;
  /** 1 trackingNumber present, 2 platformOrderId present, 4 an error other than FORBIDDEN, 8 body and headers disagree */
  flags: Uint8Array;
  attempt: Int32Array;
  badSignatures: number;
  badSample: string | null;
  cpuMs: number;
}

interface WriterJob {
  cmd: "write";
  url: string;
  holds: HoldSpec[];
  rate: number;
  concurrency: number;
  seconds: number;
}

interface WriterReport {
  type: "written";
  placed: number;
  failed: number;
  firstError: string | null;
  startedAt: number;
  endedAt: number;
  roundTrip: Float64Array;
  late: number;
  cpuMs: number;
}

/** One child process running this file in a mode: one message per command, in order. */
class Child {
  private readonly child: ChildProcess;
  private readonly answers: unknown[] = [];
  private waiter: ((m: unknown) => void) | null = null;
  private failure: Error | null = null;

  constructor(mode: "receivers" | "writer") {
    this.child = fork(__filename, [mode], { execArgv: [], serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m: { type?: string; error?: string }) => {
      if (m?.type === "failed") this.fail(new Error(`${mode} process failed: ${m.error}`));
      else if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(m);
      } else this.answers.push(m);
    });
    this.child.on("exit", (code, signal) => this.fail(new Error(`${mode} process exited (${code ?? signal})`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = null;
    w?.(undefined);
  }

  ask<T>(msg: ReceiversCommand | WriterJob, timeoutMs = 60_000): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    this.child.send(msg);
    if (this.answers.length) return Promise.resolve(this.answers.shift() as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`child process did not answer ${JSON.stringify(msg).slice(0, 60)} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        if (m === undefined && this.failure) reject(this.failure);
        else resolve(m as T);
      };
    });
  }

  kill(): void {
    this.child.removeAllListeners("exit");
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

/**
 * The README's signature, checked as a partner would, without the hub's code:
 * `Luxor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, compared in
 * constant time, `t` within 5 minutes of this clock.
 */
function checkSignature(secret: string, header: string | undefined, raw: Buffer): string | null {
  if (!header) return "no Luxor-Signature header";
  const parts = new Map<string, string[]>();
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim(), [...(parts.get(part.slice(0, at).trim()) ?? []), part.slice(at + 1).trim()]);
  }
  const t = parts.get("t")?.[0];
  if (!t || !/^\d+$/.test(t)) return `no timestamp in ${header.slice(0, 80)}`;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return `timestamp ${t} is more than 5 minutes from now`;
  const expected = createHmac("sha256", secret).update(`${t}.`).update(raw).digest();
  const ok = (parts.get("v1") ?? []).some((v) => /^[0-9a-f]{64}$/.test(v) && timingSafeEqual(Buffer.from(v, "hex"), expected));
  return ok ? null : "no v1 signature matches";
}

const epochMs = () => performance.timeOrigin + performance.now();
const cpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** The receivers: one HTTP server per endpoint on 127.0.0.1, verifying every signature. */
function receiversProcess(send: (m: unknown) => void): (m: ReceiversCommand) => void {
  const servers: (http.Server | null)[] = [];
  const ports: number[] = [];
  let secrets: string[] = [];
  const endpoint: number[] = [];
  const seq: number[] = [];
  const receipt: number[] = [];
  const flags: number[] = [];
  const attempt: number[] = [];
  const pairs = new Set<number>();
  let badSignatures = 0;
  let badSample: string | null = null;
  let lastReceipt = 0;

  const handler = (i: number) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const t = epochMs();
      const raw = Buffer.concat(chunks); // the bytes received, verified before parsing
      const secret = secrets[i];
      const refused = secret ? checkSignature(secret, req.headers["luxor-signature"] as string | undefined, raw) : "no secret for this endpoint yet";
      if (refused) {
        badSignatures++;
        badSample ??= `endpoint ${i}: ${refused}`;
        res.writeHead(400, { "content-type": "text/plain" }).end(refused);
        return;
      }
      const eventId = Number(req.headers["luxor-event-id"]);
      let f = 0;
      try {
        const body = JSON.parse(raw.toString("utf8")) as { eventId?: string; data?: Record<string, { declaration?: Record<string, unknown> | null } | null>; errors?: { extensions?: { code?: string } }[] };
        const event = body.data?.holdPlaced ?? body.data?.declarationStatusChanged;
        const d = event?.declaration;
        if (d?.trackingNumber != null) f |= 1;
        if (d?.platformOrderId != null) f |= 2;
        if (body.errors?.some((e) => e.extensions?.code !== "FORBIDDEN")) f |= 4;
        if (String(body.eventId) !== String(eventId) || !event) f |= 8;
      } catch {
        f |= 8;
      }
      endpoint.push(i);
      seq.push(eventId);
      receipt.push(t);
      flags.push(f);
      attempt.push(Number(req.headers["luxor-delivery-attempt"]) || 0);
      pairs.add(i * 1e9 + eventId);
      lastReceipt = t;
      res.writeHead(204).end();
    });
  };

  const listen = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const server = http.createServer(handler(i));
      server.once("error", reject);
      server.listen(ports[i] ?? 0, "127.0.0.1", () => {
        ports[i] = (server.address() as AddressInfo).port;
        servers[i] = server;
        resolve();
      });
    });

  return (m) => {
    void (async () => {
      switch (m.cmd) {
        case "start":
          for (let i = 0; i < m.count; i++) await listen(i);
          send({ type: "started", ports });
          break;
        case "secrets":
          secrets = m.secrets;
          send({ type: "ok" });
          break;
        case "down": {
          // refuse connections: the listening sockets close, and so do the connections open now
          for (const i of m.indexes) {
            const s = servers[i];
            servers[i] = null;
            s?.close();
            s?.closeAllConnections();
          }
          send({ type: "down", at: epochMs() });
          break;
        }
        case "up":
          for (const i of m.indexes) await listen(i);
          send({ type: "up", at: epochMs() });
          break;
        case "stats":
          send({ type: "stats", received: endpoint.length, distinct: pairs.size, badSignatures, lastReceipt, cpuMs: cpuNow() } satisfies ReceiverStats);
          break;
        case "report":
          send({
            type: "report",
            count: endpoint.length,
            endpoint: Int32Array.from(endpoint),
            seq: Float64Array.from(seq),
            receipt: Float64Array.from(receipt),
            flags: Uint8Array.from(flags),
            attempt: Int32Array.from(attempt),
            badSignatures,
            badSample,
            cpuMs: cpuNow(),
          } satisfies ReceiverReport);
          break;
      }
    })().catch((err: unknown) => send({ type: "failed", error: err instanceof Error ? err.message : String(err) }));
  };
}

/**
 * The writer's most requests in flight (several customs systems at once), as in the events
 * section: when the hub answers slower than the rate needs, the writer falls behind
 * (reported as late holds) rather than queueing hundreds of requests for the hub's 10
 * database connections, which the webhook worker shares and would then wait behind.
 */
const WRITER_IN_FLIGHT = 16;

const PLACE_HOLD = "mutation Hold($id: ID!, $input: PlaceHoldInput!) { placeHold(declarationId: $id, input: $input) { id } }";

/** The writer: holds through the API at a fixed rate (open loop), at most `concurrency` in flight. */
async function writeHolds(job: WriterJob): Promise<WriterReport> {
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const post = (h: HoldSpec) =>
    new Promise<string | null>((resolve) => {
      const body = JSON.stringify({ query: PLACE_HOLD, variables: { id: h.declarationId, input: { kind: h.kind, reason: "Bench: documents requested for this parcel" } } });
      const req = http.request(
        { host: "127.0.0.1", port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${h.key}`, "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            try {
              const json = JSON.parse(text) as { data?: { placeHold?: { id: string } }; errors?: { message: string }[] };
              resolve(json.data?.placeHold?.id ? null : `HTTP ${res.statusCode}: ${json.errors?.[0]?.message ?? text.slice(0, 200)}`);
            } catch {
              resolve(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
            }
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error("no answer within 30 s")));
      req.on("error", (err) => resolve(err.message));
      req.end(body);
    });
  const c0 = cpuNow();
  const total = Math.min(job.holds.length, Math.round(job.rate * job.seconds));
  const roundTrip: number[] = [];
  let placed = 0;
  let failed = 0;
  let late = 0;
  let firstError: string | null = null;
  let inFlight = 0;
  const startedAt = epochMs();
  const all: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = startedAt + (k * 1000) / job.rate;
    let wait = due - epochMs();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight >= job.concurrency) await new Promise((r) => setTimeout(r, 1));
    wait = epochMs() - due;
    if (wait > 100) late++;
    inFlight++;
    const t = epochMs();
    all.push(
      post(job.holds[k]).then((error) => {
        inFlight--;
        roundTrip.push(epochMs() - t);
        if (error) {
          failed++;
          firstError ??= error;
        } else placed++;
      }),
    );
  }
  await Promise.all(all);
  agent.destroy();
  return { type: "written", placed, failed, firstError, startedAt, endedAt: epochMs(), roundTrip: Float64Array.from(roundTrip).sort(), late, cpuMs: cpuNow() - c0 };
}

function childMain(mode: string): void {
  const send = (m: unknown) => process.send?.(m);
  process.on("disconnect", () => process.exit(0)); // the bench is gone: so is this
  if (mode === "receivers") {
    const on = receiversProcess(send);
    process.on("message", (m: ReceiversCommand) => on(m));
  } else if (mode === "writer") {
    process.on("message", (m: WriterJob) => {
      writeHolds(m).then(send, (err: unknown) => send({ type: "failed", error: err instanceof Error ? err.message : String(err) }));
    });
  } else {
    console.error(`unknown mode ${mode}`);
    process.exit(2);
  }
}

// ---- measuring ------------------------------------------------------------------------

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const sorted = (xs: number[]) => Float64Array.from(xs).sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmtS = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "-");
const pq = (xs: Float64Array) => (xs.length ? `${fmtMs(percentile(xs, 50))} / ${fmtMs(percentile(xs, 99))} / ${fmtMs(xs[xs.length - 1])}` : "-");

interface DeliveryState {
  byStatus: Record<string, { n: number; attempts: number }>;
  retried: number;
  maxAttempts: number;
  /** the furthest-behind cursor of the enabled endpoints */
  minCursor: number;
  disabled: number;
}

async function deliveryState(pool: Pool): Promise<DeliveryState> {
  const [s, c] = await Promise.all([
    pool.query<{ status: string; n: string; attempts: string; retried: string; max: number }>(
      `SELECT "status"::text AS "status", count(*) AS n, coalesce(sum("attempts"), 0) AS attempts,
              count(*) FILTER (WHERE "attempts" > 1) AS retried, coalesce(max("attempts"), 0) AS max
       FROM "WebhookDelivery" GROUP BY "status"`,
    ),
    pool.query<{ min: string | null; disabled: string }>(
      `SELECT min("cursorSeq") FILTER (WHERE "enabled" AND "deletedAt" IS NULL) AS min, count(*) FILTER (WHERE NOT "enabled") AS disabled FROM "WebhookEndpoint"`,
    ),
  ]);
  const byStatus: DeliveryState["byStatus"] = {};
  let retried = 0;
  let maxAttempts = 0;
  for (const r of s.rows) {
    byStatus[r.status] = { n: Number(r.n), attempts: Number(r.attempts) };
    retried += Number(r.retried);
    maxAttempts = Math.max(maxAttempts, Number(r.max));
  }
  return { byStatus, retried, maxAttempts, minCursor: Number(c.rows[0].min ?? 0), disabled: Number(c.rows[0].disabled) };
}

interface LogRow {
  endpointId: string;
  seq: number;
  attempts: number;
  status: string;
  /** epoch ms: the event's `at`, the delivery row's creation (fan-out), its delivery */
  at: number;
  created: number;
  delivered: number | null;
}

/** The hub's own delivery log for the run's events. */
async function deliveryLog(pool: Pool, after: number, until: number): Promise<LogRow[]> {
  const { rows } = await pool.query<{ endpointId: string; seq: string; attempts: number; status: string; at: Date; created: Date; delivered: Date | null }>(
    `SELECT d."endpointId", d."eventSeq" AS seq, d."attempts", d."status"::text AS status, e."at", d."createdAt" AS created, d."deliveredAt" AS delivered
     FROM "WebhookDelivery" d JOIN "HubEvent" e ON e."seq" = d."eventSeq"
     WHERE d."eventSeq" > $1 AND d."eventSeq" <= $2`,
    [after, until],
  );
  return rows.map((r) => ({
    endpointId: r.endpointId,
    seq: Number(r.seq),
    attempts: r.attempts,
    status: r.status,
    at: r.at.getTime(),
    created: r.created.getTime(),
    delivered: r.delivered?.getTime() ?? null,
  }));
}

const latestSeq = async (pool: Pool) => Number((await pool.query<{ last: string }>(`SELECT "last" FROM "HubEventCounter" WHERE "id" = 1`)).rows[0]?.last ?? 0);

/** Waits until the hub has fanned out up to `seq` and has nothing pending, or `maxMs`. */
async function drain(pool: Pool, rx: Child, seq: number, maxMs: number): Promise<{ done: boolean; ms: number; state: DeliveryState }> {
  const t0 = nowMs();
  for (;;) {
    const state = await deliveryState(pool);
    const done = state.minCursor >= seq && !state.byStatus.PENDING?.n;
    if (done || nowMs() - t0 > maxMs) {
      // stragglers (a reply in flight) and anything beyond what is due still arrive, and are counted
      let last = await rx.ask<ReceiverStats>({ cmd: "stats" });
      for (let quiet = 0; quiet < 3; ) {
        await sleep(500);
        const s = await rx.ask<ReceiverStats>({ cmd: "stats" });
        quiet = s.received === last.received ? quiet + 1 : 0;
        last = s;
      }
      return { done, ms: nowMs() - t0, state: await deliveryState(pool) };
    }
    await sleep(250);
  }
}

// ---- the section ----------------------------------------------------------------------

export async function benchWebhooks(o: WebhooksOptions, deps: WebhooksDeps): Promise<void> {
  heading("6. Webhooks: 200 endpoints, holds through the API, a group of receivers down, every receipt checked");
  // the receivers' check refuses what it must (a checker that accepts anything would count no bad signature)
  {
    const t = Math.floor(Date.now() / 1000);
    const body = Buffer.from('{"eventId":"1"}');
    const sig = createHmac("sha256", "s".repeat(40)).update(`${t}.`).update(body).digest("hex");
    const good = checkSignature("s".repeat(40), `t=${t},v1=${sig}`, body);
    const refused = [
      checkSignature("s".repeat(40), `t=${t},v1=${sig}`, Buffer.from('{"eventId":"2"}')),
      checkSignature("x".repeat(40), `t=${t},v1=${sig}`, body),
      checkSignature("s".repeat(40), `t=${t - 600},v1=${sig}`, body),
      checkSignature("s".repeat(40), undefined, body),
    ];
    if (good !== null || refused.some((r) => r === null)) throw new Error("the receivers' signature check does not work");
  }
  const url = await deps.dbs.create("webhooks");
  await applyPendingMigrations(url);
  const bh = await startWebhookHub(url, o);
  const pool = new Pool({ connectionString: url, max: 2 }); // the bench's own reads: not counted as the hub's
  let rx: Child | null = null;
  let writer: Child | null = null;
  try {
    const world = await buildWorld(o, url, bh);
    const holdsNeeded = o.holdRate * (o.holdSeconds + o.warmupSeconds);
    if (world.targets.length < holdsNeeded) throw new Error(`only ${world.targets.length} holdable declarations for ${holdsNeeded} holds`);

    // receivers first (registration checks the URL, it sends nothing), then the endpoints through the API
    rx = new Child("receivers");
    const { ports } = await rx.ask<{ ports: number[] }>({ cmd: "start", count: world.endpoints.length });
    const REGISTER = `mutation Register($input: RegisterWebhookInput!) { registerWebhook(input: $input) { secret endpoint { id url eventTypes filter { destinationCountries } } } }`;
    const apiUrl = bh.server.url;
    const r0 = nowMs();
    for (const ep of world.endpoints) {
      const input = {
        url: `http://127.0.0.1:${ports[ep.index]}/luxor/${ep.index}`,
        eventTypes: ep.eventTypes,
        description: `${ep.party.name} (${ep.role})`,
        ...(ep.destinations.length ? { filter: { destinationCountries: ep.destinations } } : {}),
      };
      const res = await fetch(apiUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ep.key}` },
        body: JSON.stringify({ query: REGISTER, variables: { input } }),
      });
      const body = (await res.json()) as { data?: { registerWebhook?: { secret: string; endpoint: { id: string } } }; errors?: { message: string }[] };
      const reg = body.data?.registerWebhook;
      if (!reg) throw new Error(`registering ${ep.party.name}'s endpoint failed: ${body.errors?.[0]?.message ?? res.status}`);
      ep.id = reg.endpoint.id;
      ep.secret = reg.secret;
    }
    const registerMs = nowMs() - r0;
    await rx.ask({ cmd: "secrets", secrets: world.endpoints.map((e) => e.secret!) });
    const address = bh.server.httpServer.address() as AddressInfo;
    const down = world.endpoints.filter((e) => e.down);
    note(
      `${world.endpoints.length} endpoints registered through the API in ${(registerMs / 1000).toFixed(1)} s (one per party: ` +
        `${world.endpoints.filter((e) => e.eventTypes.length === 2).length} hear both types, ${world.endpoints.filter((e) => e.eventTypes.length === 1 && e.eventTypes[0] === "HOLD_PLACED").length} only HOLD_PLACED, ` +
        `${world.endpoints.filter((e) => e.eventTypes.length === 1 && e.eventTypes[0] === "DECLARATION_STATUS_CHANGED").length} only DECLARATION_STATUS_CHANGED; ` +
        `${world.endpoints.filter((e) => e.destinations.length).length} with a destination filter DE, FR); receivers on 127.0.0.1 in a child process; hub on ${address.address}:${address.port}`,
    );
    note(
      `webhook settings: ${Object.entries(WEBHOOK_ENV).map(([k, v]) => `${k}=${v}`).join(", ")}; ` +
        `HUB_WEBHOOK_CONCURRENCY=${bh.config.HUB_WEBHOOK_CONCURRENCY}, HUB_WEBHOOK_POLL_MS=${bh.config.HUB_WEBHOOK_POLL_MS}, ` +
        `HUB_WEBHOOK_CONNECT_TIMEOUT_MS=${bh.config.HUB_WEBHOOK_CONNECT_TIMEOUT_MS}, HUB_WEBHOOK_TIMEOUT_MS=${bh.config.HUB_WEBHOOK_TIMEOUT_MS} (defaults)`,
    );
    note(`down group (${down.length} receivers): ${down.map((e) => e.party.name).join(", ")}`);
    bh.worker.start();

    // warm-up: a few seconds of holds, delivered, outside the measured window
    writer = new Child("writer");
    const warm = await writer.ask<WriterReport>({ cmd: "write", url: apiUrl, holds: takeHolds(world, o.holdRate * o.warmupSeconds), rate: o.holdRate, concurrency: WRITER_IN_FLIGHT, seconds: o.warmupSeconds }, o.warmupSeconds * 1000 + 120_000);
    if (warm.failed) throw new Error(`warm-up holds failed: ${warm.failed} (${warm.firstError})`);
    const warmDrain = await drain(pool, rx, await latestSeq(pool), 120_000);
    if (!warmDrain.done) throw new Error("the warm-up's deliveries did not finish within 120 s");

    // the run
    const seq0 = await latestSeq(pool);
    const state0 = await deliveryState(pool);
    const s0 = bh.statements();
    const c0 = process.cpuUsage();
    const rxStats0 = await rx.ask<ReceiverStats>({ cmd: "stats" });
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const holds = takeHolds(world, o.holdRate * o.holdSeconds);
    note(`placing ${fmtInt(holds.length)} holds at ${o.holdRate}/s for ${o.holdSeconds} s; the down group refuses connections from ${((o.holdSeconds - o.downSeconds) / 2).toFixed(0)} s to ${((o.holdSeconds + o.downSeconds) / 2).toFixed(0)} s`);
    const written = writer.ask<WriterReport>({ cmd: "write", url: apiUrl, holds, rate: o.holdRate, concurrency: WRITER_IN_FLIGHT, seconds: o.holdSeconds }, o.holdSeconds * 1000 + 300_000);
    const rxNow = rx;
    const downIdx = down.map((e) => e.index);
    const outage = (async () => {
      await sleep(((o.holdSeconds - o.downSeconds) / 2) * 1000);
      const d = await rxNow.ask<{ at: number }>({ cmd: "down", indexes: downIdx });
      await sleep(o.downSeconds * 1000);
      const u = await rxNow.ask<{ at: number }>({ cmd: "up", indexes: downIdx });
      return { downAt: d.at, upAt: u.at };
    })();
    const [wr, { downAt, upAt }] = await Promise.all([written, outage]);
    if (wr.failed) note(`holds failed: ${wr.failed} (first: ${wr.firstError})`);
    const seq1 = await latestSeq(pool);
    const afterWriter = nowMs();
    const drained = await drain(pool, rx, seq1, o.drainSeconds * 1000);
    const cpu = process.cpuUsage(c0);
    loopDelay.disable();
    const statements = bh.statements() - s0;
    const report = await rx.ask<ReceiverReport>({ cmd: "report" }, 120_000);
    const stateEnd = drained.state;

    // ---- check every receipt against the model
    const events = await eventsBetween(pool, seq0, seq1);
    const model = new Model(await loadAgreements(pool), new Date());
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    const KEY = 1e9;
    const expected = new Set<number>();
    for (const e of events) for (const ep of world.endpoints) if (model.hears(ep, e)) expected.add(ep.index * KEY + e.seq);
    const first = new Map<number, number>(); // pair -> first receipt
    let duplicates = 0;
    let notEntitled = 0;
    let outside = 0;
    let leaked = 0;
    let withheld = 0;
    let otherErrors = 0;
    let mismatched = 0;
    let leakSample: string | null = null;
    let warmupLate = 0;
    for (let k = 0; k < report.count; k++) {
      const i = report.endpoint[k];
      const seq = report.seq[k];
      if (seq <= seq0) {
        if (k >= rxStats0.received) warmupLate++; // a warm-up event's, received during the run
        continue;
      }
      const pair = i * KEY + seq;
      if (first.has(pair)) {
        duplicates++;
        continue;
      }
      first.set(pair, report.receipt[k]);
      const e = bySeq.get(seq);
      if (!e) {
        outside++;
        continue;
      }
      const ep = world.endpoints[i];
      if (!expected.has(pair)) {
        notEntitled++;
        leakSample ??= `event ${seq} (${e.type}) reached ${ep.party.name} (${ep.role})`;
        continue;
      }
      const f = report.flags[k];
      const d = e.declaration;
      const tn = model.may(ep.party, ep.role, d.filerId, d, "TRANSPORT");
      const order = model.may(ep.party, ep.role, d.filerId, d, "COMMERCIAL") && d.hasOrderId;
      if ((f & 1 && !tn) || (f & 2 && !order)) {
        leaked++;
        leakSample ??= `event ${seq}: ${ep.party.name} read a field the model masks`;
      }
      if ((!(f & 1) && tn) || (!(f & 2) && order)) withheld++;
      if (f & 4) otherErrors++;
      if (f & 8) mismatched++;
    }
    let lost = 0;
    let lostSample: string | null = null;
    const healthy: number[] = [];
    const healthyDuring: number[] = [];
    const groupBefore: number[] = [];
    const groupMissed: number[] = []; // receipt - return
    const groupAfter: number[] = [];
    let groupExpected = 0;
    for (const pair of expected) {
      const i = Math.floor(pair / KEY);
      const e = bySeq.get(pair % KEY)!;
      const ep = world.endpoints[i];
      const t = first.get(pair);
      if (ep.down) groupExpected++;
      if (t === undefined) {
        lost++;
        lostSample ??= `event ${e.seq} (${e.type}) to ${ep.party.name}${ep.down ? " (down group)" : ""}`;
        continue;
      }
      const latency = t - e.at;
      if (!ep.down) {
        healthy.push(latency);
        if (e.at >= downAt && e.at < upAt) healthyDuring.push(latency);
      } else if (e.at >= upAt) groupAfter.push(latency);
      else if (t >= upAt) groupMissed.push(t - upAt);
      else groupBefore.push(latency);
    }
    // the hub's own log: where the time goes (fan-out: commit -> delivery row; then row -> delivered),
    // retries, and the same (endpoint, event) pairs as the model?
    const log = await deliveryLog(pool, seq0, seq1);
    const epIndex = new Map(world.endpoints.map((e) => [e.id!, e.index]));
    const fanLag: number[] = [];
    const sendLag: number[] = [];
    let refusedHealthy = 0;
    let refusedGroup = 0;
    let logNotModel = 0;
    const logPairs = new Set<number>();
    for (const r of log) {
      const i = epIndex.get(r.endpointId);
      if (i === undefined) continue;
      const pair = i * KEY + r.seq;
      logPairs.add(pair);
      if (!expected.has(pair)) logNotModel++;
      fanLag.push(r.created - r.at);
      const failures = r.attempts - (r.status === "DELIVERED" ? 1 : 0);
      if (world.endpoints[i].down) refusedGroup += failures;
      else refusedHealthy += failures;
      if (r.delivered !== null && r.attempts === 1 && !world.endpoints[i].down) sendLag.push(r.delivered - r.created);
    }
    let modelNotLog = 0;
    for (const pair of expected) if (!logPairs.has(pair)) modelNotLog++;
    const FL = sorted(fanLag);
    const SL = sorted(sendLag);
    const H = sorted(healthy);
    const HD = sorted(healthyDuring);
    const GM = sorted(groupMissed);
    const GA = sorted(groupAfter);
    const GB = sorted(groupBefore);
    const catchUp = GM.length ? GM[GM.length - 1] : NaN;
    const bad = report.badSignatures;
    const wall = Math.max(1, nowMs() - afterWriter + (wr.endedAt - wr.startedAt));
    const attemptsMade = Object.values(stateEnd.byStatus).reduce((s, x) => s + x.attempts, 0) - Object.values(state0.byStatus).reduce((s, x) => s + x.attempts, 0);
    const rt = wr.roundTrip;
    const st = (s: string) => (stateEnd.byStatus[s]?.n ?? 0) - (state0.byStatus[s]?.n ?? 0);
    const logged = st("DELIVERED") + st("PENDING") + st("FAILED") + st("CANCELLED");

    console.log(
      table(
        [
          ["measure", "figure"],
          [
            "holds placed (API, customs officer keys)",
            `${fmtInt(wr.placed)} in ${((wr.endedAt - wr.startedAt) / 1000).toFixed(1)} s = ${(wr.placed / ((wr.endedAt - wr.startedAt) / 1000)).toFixed(1)}/s, ${wr.failed} failed, ` +
              `${wr.late} started > 100 ms late; round trip p50 ${fmtMs(percentile(rt, 50))} ms, p99 ${fmtMs(percentile(rt, 99))} ms`,
          ],
          ["outbox events (HOLD_PLACED + STATUS_CHANGED)", `${fmtInt(events.length)} (ids ${seq0 + 1} to ${seq1})`],
          ["deliveries expected (model) / received (distinct)", `${fmtInt(expected.size)} / ${fmtInt(first.size - outside)} (${(expected.size / Math.max(1, events.length)).toFixed(2)} endpoints per event)`],
          ["lost (expected, never received)", `${fmtInt(lost)}${lostSample ? ` (first: ${lostSample})` : ""}`],
          ["duplicates (at least once)", `${fmtInt(duplicates)}`],
          ["to endpoints not entitled", `${fmtInt(notEntitled)}${leakSample && notEntitled ? ` (first: ${leakSample})` : ""}`],
          ["bad signatures (answered 400)", `${fmtInt(bad)}${report.badSample ? ` (first: ${report.badSample})` : ""}`],
          ["masked fields: read where the model denies / withheld where it allows", `${leaked} / ${withheld}; errors other than FORBIDDEN ${otherErrors}; body and headers disagree ${mismatched}`],
          ["healthy receivers: commit -> receipt p50 / p99 / max ms", `${pq(H)} (${fmtInt(H.length)} deliveries)`],
          ["  of them, events committed while the group was down", `${pq(HD)} (${fmtInt(HD.length)})`],
          ["down group: before it went down, p50 / p99 / max ms", `${pq(GB)} (${fmtInt(GB.length)})`],
          [
            `down group: missed while down (${((upAt - downAt) / 1000).toFixed(1)} s)`,
            `${fmtInt(GM.length)} deliveries; from its return to the last of them ${fmtS(catchUp)}; return -> receipt p50 ${fmtS(percentile(GM, 50))}, p99 ${fmtS(percentile(GM, 99))}`,
          ],
          ["down group: events after its return, commit -> receipt p50 / p99 / max ms", `${pq(GA)} (${fmtInt(GA.length)})`],
          [
            "hub's delivery log (this run)",
            `${fmtInt(logged)} deliveries: ${fmtInt(st("DELIVERED"))} DELIVERED, ${st("PENDING")} PENDING, ${st("FAILED")} FAILED, ${st("CANCELLED")} CANCELLED; ` +
              `${fmtInt(attemptsMade)} attempts (${fmtInt(stateEnd.retried - state0.retried)} deliveries retried, at most ${stateEnd.maxAttempts} attempts); ${stateEnd.disabled} endpoints disabled`,
          ],
          ["hub's log against the model: pairs only in the log / only in the model", `${logNotModel} / ${modelNotLog}`],
          ["hub's log: commit -> delivery row (fan-out) p50 / p99 / max ms", pq(FL)],
          ["hub's log: delivery row -> delivered, healthy, first attempt, p50 / p99 / max ms", pq(SL)],
          [
            "failed attempts (refused, reset, errors)",
            `down group ${fmtInt(refusedGroup)}, healthy receivers ${fmtInt(refusedHealthy)}` +
              (refusedGroup === 0 ? " (the hub attempted none of the group's deliveries while it was down: the outage went unseen)" : ""),
          ],
          [
            "after the writer: all delivered",
            drained.done ? `in ${fmtS(drained.ms)} (bound ${o.drainSeconds} s)` : `NOT within ${o.drainSeconds} s (what was still pending counts as lost)`,
          ],
          [
            "CPU (100% = one core)",
            `hub ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)}% over the run and drain; receivers ${(((report.cpuMs - rxStats0.cpuMs) / wall) * 100).toFixed(0)}%; writer ${((wr.cpuMs / (wr.endedAt - wr.startedAt)) * 100).toFixed(0)}%`,
          ],
          [
            "hub event loop delay p50 / p99 / max ms (beyond the 10 ms sampling interval)",
            [loopDelay.percentile(50), loopDelay.percentile(99), loopDelay.max].map((ns) => fmtMs(Math.max(0, ns / 1e6 - 10))).join(" / "),
          ],
          ["hub SQL statements", `${fmtInt(statements)}: ${(statements / Math.max(1, events.length)).toFixed(1)} per event, ${(statements / Math.max(1, attemptsMade)).toFixed(1)} per delivery attempt (the writes' included)`],
        ],
        { leftColumns: 2 },
      ),
    );
    note("latency: receipt in the receivers' process minus the event's `at` (stamped in the write's transaction just before it commits); same machine, same clock");
    note(
      "expected: an independent model of the contract (holder, destination customs OFFICER/ANALYST, named carrier/post, named platform, filer, ACTIVE agreements in scope covering STATUS), " +
        "the endpoint's event types, and its destination filter where its party may read TRANSPORT; masks: trackingNumber (TRANSPORT) and platformOrderId (COMMERCIAL) of the default documents",
    );
    note(
      "down group: 'missed' are its deliveries of events committed before its return that reached it after; 'after its return' are events committed after it listened again; " +
        `'healthy' are the other ${world.endpoints.length - down.length} endpoints`,
    );
    if (warmupLate) note(`${warmupLate} deliveries of warm-up events arrived during the run (not counted)`);
    if (outside) note(`${outside} receipts of events outside the run's window (not HOLD_PLACED/STATUS_CHANGED of the run)`);

    deps.verdict({
      measure: `Webhooks, 200 endpoints, ${o.holdRate} holds/s, ${down.length} receivers down ${o.downSeconds} s: lost`,
      figure: `${fmtInt(lost)} of ${fmtInt(expected.size)} (dup ${duplicates})`,
      target: "0",
      result: lost === 0 && drained.done ? "PASS" : "MISS",
    });
    deps.verdict({
      measure: "Webhooks: the outage reached the hub (attempts refused while down)",
      figure: `${fmtInt(refusedGroup)} failed attempts to the down group`,
      target: "> 0",
      result: refusedGroup > 0 ? "PASS" : "MISS",
    });
    deps.verdict({
      measure: "Webhooks: to endpoints not entitled / bad signatures / masks wrong",
      figure: `${notEntitled} / ${bad} / ${leaked + withheld}`,
      target: "0 / 0 / 0",
      result: notEntitled === 0 && bad === 0 && leaked === 0 && withheld === 0 ? "PASS" : "MISS",
    });
    deps.verdict({
      measure: "Webhooks: healthy receivers, commit-to-receipt p50 / p99",
      figure: `${fmtMs(percentile(H, 50))} / ${fmtMs(percentile(H, 99))} ms`,
      target: "-",
      result: "info",
    });
    deps.verdict({
      measure: "Webhooks: down group back: last missed delivery / p99 after return",
      figure: `${fmtS(catchUp)} after return; missed p99 ${fmtS(percentile(GM, 99))} after return; new events p99 ${fmtMs(percentile(GA, 99))} ms`,
      target: "-",
      result: "info",
    });
    if (groupExpected === 0) note("the down group expected no deliveries: the outage measured nothing");
  } finally {
    writer?.kill();
    rx?.kill();
    await pool.end();
    await bh.stop();
    await deps.dbs.drop(url);
  }
}

if (require.main === module) childMain(process.argv[2] ?? "");
