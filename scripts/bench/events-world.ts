// The world of the events and webhooks sections (scripts/bench/events.ts, webhooks.ts): the
// demo world and its seeded declarations, 177 more parties (200 in all: platforms, carriers,
// posts, brokers, two customs of each of the six destinations, customs of six other
// countries), agreements that let some hear and some that must not, and the holdable
// declarations spread over the parties (each keeps its kind of filer).
import { Pool } from "pg";
import type { Hub } from "../../src/hub";
import type { DataCategory, PartyKind } from "../../src/generated/prisma/enums";
import { createPrismaClient } from "../../src/infra/prisma";
import { ensureWorld, mulberry32, pgWriter, seedDeclarations } from "../../src/seed/demo-world";
import type { AgreementRow } from "./events-model";
import { fmtInt, note, nowMs } from "./util";
import type { HoldSpec } from "./hold-writer";

export const DESTINATIONS = ["DE", "FR", "NL", "BE", "US", "GB"];
const DAY = 86_400_000;

export interface WorldParty {
  /** position in the world's party list (by kind, then name) */
  index: number;
  id: string;
  name: string;
  kind: PartyKind;
  country: string;
}

/** A declaration that can take a hold (pre-loading: RFI; after arrival: INSPECTION), not held yet. */
export interface HoldTarget {
  id: string;
  destination: string;
  kind: string;
}

/** What adds agreements: a grantor lets a grantee read categories of what it holds. */
export interface Agreements {
  named(name: string): WorldParty;
  /** the bench's own parties of a kind ("Bench ..."), in order */
  bench(kind: PartyKind): WorldParty[];
  agree(grantor: WorldParty, grantee: WorldParty, categories: DataCategory[], over?: Partial<AgreementRow>): void;
  now: number;
  day: number;
}

export interface WorldSpec {
  declarations: number;
  /** the bench's parties of each trade kind (the customs are the same in both sections) */
  extra: { PLATFORM: number; CARRIER: number; POST: number; BROKER: number };
  /** seed of the spreading of declarations over parties */
  seed: number;
  purpose: string;
  /** agreements that let a party hear, then those that must not */
  hear(a: Agreements): void;
  mustNot(a: Agreements): void;
  /** how the note describes the customs */
  customsNote: string;
}

export interface BuiltWorld {
  parties: WorldParty[];
  targets: HoldTarget[];
  agreementsAdded: { hear: number; not: number };
}

export async function buildEventsWorld(spec: WorldSpec, url: string, hub: Hub): Promise<BuiltWorld> {
  const pool = new Pool({ connectionString: url, max: 3 });
  const seedPrisma = createPrismaClient(url, { embedded: false, poolSize: 2 });
  try {
    const t0 = nowMs();
    const { world } = await ensureWorld(seedPrisma);
    const counts = await seedDeclarations(seedPrisma, world, spec.declarations, { batchSize: 2000, concurrency: 2, writer: pgWriter(pool) });
    note(`seeded the demo world and ${fmtInt(counts.declarations)} declarations in ${((nowMs() - t0) / 1000).toFixed(0)} s`);
    const parties = await addParties(spec, hub);
    const agreementsAdded = await addAgreements(spec, hub, parties);
    const targets = await spreadHoldable(spec.seed, hub, pool, parties);
    const kinds = (k: PartyKind) => parties.filter((p) => p.kind === k).length;
    note(
      `200 parties: ${kinds("CUSTOMS")} customs (${spec.customsNote}), ${kinds("PLATFORM")} platforms, ` +
        `${kinds("CARRIER")} carriers, ${kinds("POST")} posts, ${kinds("BROKER")} brokers; ${agreementsAdded.hear + agreementsAdded.not} agreements added ` +
        `(${agreementsAdded.hear} that let a party hear, ${agreementsAdded.not} that must not); ${fmtInt(targets.length)} holdable declarations spread over them`,
    );
    return { parties, targets, agreementsAdded };
  } finally {
    await pool.end();
    await seedPrisma.$disconnect();
  }
}

/** 177 more parties: 200 in all, listed by kind and name. */
async function addParties(spec: WorldSpec, hub: Hub): Promise<WorldParty[]> {
  const extra: { name: string; kind: PartyKind; country: string }[] = [];
  const add = (n: number, kind: PartyKind, label: string, countries: string[]) => {
    for (let i = 1; i <= n; i++) extra.push({ name: `Bench ${label} ${String(i).padStart(3, "0")}`, kind, country: countries[(i - 1) % countries.length] });
  };
  add(spec.extra.PLATFORM, "PLATFORM", "platform", ["CN", "US", "IE", "TR", "HK", "GB", "DE"]);
  add(spec.extra.CARRIER, "CARRIER", "carrier", ["US", "NL", "CN", "TR", "DE", "GB"]);
  add(spec.extra.POST, "POST", "post", ["CN", "HK", "US", "GB", "TR", "DE", "FR", "NL"]);
  add(spec.extra.BROKER, "BROKER", "broker", ["DE", "FR", "NL", "BE", "US", "GB"]);
  for (const c of DESTINATIONS) extra.push({ name: `Bench customs office ${c}`, kind: "CUSTOMS", country: c });
  for (const c of ["IT", "ES", "PL", "AT", "SE", "IE"]) extra.push({ name: `Bench customs ${c}`, kind: "CUSTOMS", country: c });
  await hub.prisma.party.createMany({ data: extra });
  const rows = await hub.prisma.party.findMany({ where: { kind: { not: "OPERATOR" } }, orderBy: [{ kind: "asc" }, { name: "asc" }] });
  if (rows.length !== 200) throw new Error(`expected 200 parties, found ${rows.length}`);
  return rows.map((r, index) => ({ index, id: r.id, name: r.name, kind: r.kind, country: r.country.trim() }));
}

async function addAgreements(spec: WorldSpec, hub: Hub, parties: WorldParty[]): Promise<{ hear: number; not: number }> {
  const now = Date.now();
  const agreements: (Omit<AgreementRow, "validFrom" | "validTo"> & { validFrom?: Date; validTo?: Date | null })[] = [];
  const a: Agreements = {
    named(name) {
      const p = parties.find((x) => x.name === name);
      if (!p) throw new Error(`no party named ${name}`);
      return p;
    },
    bench: (kind) => parties.filter((p) => p.kind === kind && p.name.startsWith("Bench")),
    agree: (grantor, grantee, categories, over = {}) =>
      agreements.push({ grantorId: grantor.id, granteeId: grantee.id, categories, scopeDestinations: [], scopeOrigins: [], scopeOnlyCarried: false, status: "ACTIVE", ...over }),
    now,
    day: DAY,
  };
  spec.hear(a);
  const hear = agreements.length;
  spec.mustNot(a);
  await hub.prisma.agreement.createMany({
    data: agreements.map((x) => ({
      ...x,
      status: x.status as never,
      proposedById: x.granteeId,
      purpose: spec.purpose,
      legalBasis: "Bench",
      contributions: [],
      validFrom: x.validFrom ?? new Date(now - DAY),
      validTo: x.validTo ?? null,
    })),
  });
  return { hear, not: agreements.length - hear };
}

/**
 * The holdable declarations without open holds, in a fixed order, given to parties of the
 * world at random (`seed`): each keeps its kind of filer (platform, carrier, post, broker),
 * and the live-parcel bindings follow their carrier or post.
 */
async function spreadHoldable(seed: number, hub: Hub, pool: Pool, parties: WorldParty[]): Promise<HoldTarget[]> {
  const rng = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  const ofKind = (k: PartyKind) => parties.filter((p) => p.kind === k);
  const [platforms, carriers, posts, brokers] = [ofKind("PLATFORM"), ofKind("CARRIER"), ofKind("POST"), ofKind("BROKER")];
  const holdable = await hub.prisma.$queryRawUnsafe<
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
  const targets: HoldTarget[] = [];
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
  await pool.query(
    `UPDATE "LiveParcel" l SET "partyId" = CASE WHEN l."partyId" = u.oc THEN u.c WHEN l."partyId" = u.opo THEN u.po ELSE l."partyId" END
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[]) AS u(id, oc, c, opo, po) WHERE l."declarationId" = u.id`,
    [cols.id, old.carrier, cols.carrier, old.post, cols.post],
  );
  await pool.query("VACUUM ANALYZE");
  return targets;
}

/**
 * Agreements both sections add first: bench platforms 0-19 let bench brokers 0-19 read STATUS
 * and COMMERCIAL for one destination each, platforms 20-29 let carriers 0-9 read STATUS and
 * TRANSPORT of parcels from CN.
 */
export function tradeAgreements({ bench, agree }: Agreements): void {
  const [platforms, carriers, brokers] = [bench("PLATFORM"), bench("CARRIER"), bench("BROKER")];
  for (let j = 0; j < 20; j++) agree(platforms[j], brokers[j], ["STATUS", "COMMERCIAL"], { scopeDestinations: [DESTINATIONS[j % 6]] });
  for (let j = 20; j < 30; j++) agree(platforms[j], carriers[j - 20], ["STATUS", "TRANSPORT"], { scopeOrigins: ["CN"] });
}

/**
 * Eight agreements a party must not hear through, to bench brokers `first` to `first + 7`:
 * suspended, expired, without STATUS, out of scope, carried-only to a party that carries
 * nothing, proposed, revoked, not yet valid.
 */
export function blockedAgreements({ named, bench, agree, now, day }: Agreements, first: number): void {
  const [platforms, brokers] = [bench("PLATFORM"), bench("BROKER")];
  agree(platforms[30], brokers[first], ["STATUS", "COMMERCIAL"], { status: "SUSPENDED" });
  agree(platforms[31], brokers[first + 1], ["STATUS"], { validFrom: new Date(now - 100 * day), validTo: new Date(now - day) });
  agree(platforms[32], brokers[first + 2], ["COMMERCIAL", "PARTIES"]);
  agree(platforms[33], brokers[first + 3], ["STATUS"], { scopeDestinations: ["IT"] });
  agree(platforms[34], brokers[first + 4], ["STATUS"], { scopeOnlyCarried: true });
  agree(named("U.S. Customs and Border Protection"), brokers[first + 5], ["STATUS"], { status: "PROPOSED" });
  agree(named("Douane (NL)"), brokers[first + 6], ["STATUS"], { status: "REVOKED" });
  agree(platforms[35], brokers[first + 7], ["STATUS"], { validFrom: new Date(now + 10 * day) });
}

/**
 * The next `n` holds (of declarations to `destination` only, if given), each on a declaration
 * not held before, by the officer keys of its destination in turn. Taken holds leave `w.targets`.
 */
export function takeHolds(w: { targets: HoldTarget[]; writersOf: Map<string, string[]> }, n: number, destination?: string): HoldSpec[] {
  const turn = new Map<string, number>();
  const taken = destination ? w.targets.filter((t) => t.destination === destination).slice(0, n) : w.targets.slice(0, n);
  const gone = new Set(taken);
  w.targets = w.targets.filter((t) => !gone.has(t));
  return taken.map((t) => {
    const keys = w.writersOf.get(t.destination);
    if (!keys) throw new Error(`no customs writer for destination ${t.destination}`);
    const i = turn.get(t.destination) ?? 0;
    turn.set(t.destination, i + 1);
    return { key: keys[i % keys.length], declarationId: t.id, kind: t.kind };
  });
}
