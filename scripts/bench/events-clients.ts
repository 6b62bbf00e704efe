// The events section's clients (scripts/bench/ws-clients.ts in child processes) and what it
// measures with: subscribers, the writer, memory, the hub's instrumentation.
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import type { Hub } from "../../src/hub";
import type { Tx } from "../../src/modules/writes/writes.repository";
import type { RunningServer } from "../../src/server/server";
import type { Role } from "../../src/generated/prisma/enums";
import { ClientProcess } from "./child";
import type { RunEvent } from "./events-model";
import type { WorldParty } from "./events-world";
import { nowMs, sleep } from "./util";
import type { HoldSpec } from "./hold-writer";
import type { SocketSpec, SubscribersReady, SubscribersReport, SubscribersStats } from "./ws-clients";

export interface EventsBenchHub {
  hub: Hub;
  server: RunningServer | null;
  /** SQL statements sent by the hub's Prisma client so far */
  statements(): number;
  stop(): Promise<void>;
}

/** A party of the events world with the key its subscribers use (customs: OFFICER, others: AGENT). */
export interface BenchParty extends WorldParty {
  role: Role;
  key: string;
}

export const HOLD_QUERY =
  "subscription Holds { holdPlaced { eventId at declarationId kind declaration { trackingNumber platformOrderId } } }";
export const STATUS_QUERY =
  "subscription Moves { declarationStatusChanged { eventId at declarationId fromStatus toStatus declaration { trackingNumber platformOrderId } } }";

/**
 * The slow socket's subscriptions: 10 holdPlaced, each reading the hold's reason (RISK data,
 * which the destination's customs reads) under 30 aliases (HUB_MAX_ALIASES): with a reason
 * of 2,000 characters, about 60 KB per event, cheap to execute.
 */
export const SLOW_QUERIES = Array.from(
  { length: 10 },
  () => `subscription { holdPlaced { eventId at hold { ${Array.from({ length: 30 }, (_, i) => `r${i}: reason`).join(" ")} } } }`,
);
export const SHORT_REASON = "Bench: documents requested for this parcel";
export const LONG_REASON = `Bench: ${"documents requested for this parcel; ".repeat(60)}`.slice(0, 2000);
/**
 * How long the slow socket does not read, from its connection on: the hub pings every 12 s
 * from the connection on and ends a socket that has not answered by the next ping (24 s).
 */
export const SLOW_PAUSE_MS = 21_000;

export interface Subscriber {
  party: BenchParty;
  type: RunEvent["type"];
}

/** Subscriber i: party i mod 200; holdPlaced and declarationStatusChanged in turn for each party. */
export function subscribers(parties: BenchParty[], n: number): Subscriber[] {
  return Array.from({ length: n }, (_, i) => ({
    party: parties[i % parties.length],
    type: Math.floor(i / parties.length) % 2 === 0 ? "HOLD_PLACED" : "STATUS_CHANGED",
  }));
}

/** One socket per subscriber, its one subscription. */
export const socketsOf = (subs: Subscriber[]): SocketSpec[] =>
  subs.map((s) => ({ key: s.party.key, queries: [s.type === "HOLD_PLACED" ? HOLD_QUERY : STATUS_QUERY] }));

/** Opens the sockets of `specs` in a client process and waits until the hub holds every subscription. */
export async function connect(bh: EventsBenchHub, specs: SocketSpec[]): Promise<{ client: ClientProcess; ready: SubscribersReady; subscribedMs: number }> {
  const url = bh.server!.url.replace("http", "ws");
  // a subscription is live once the hub routes events to it
  const live = () => bh.hub.services.notifications.live;
  const baseline = live();
  const t0 = nowMs();
  const client = new ClientProcess("ws-clients.js", "client", {
    job: { mode: "subscribers", url, sockets: specs, concurrency: 100 },
    execArgv: ["--max-old-space-size=4096"],
  });
  const ready = await client.next<SubscribersReady>(600_000);
  const want = specs.reduce((n, s) => n + s.queries.length, 0) + baseline;
  const deadline = nowMs() + 120_000;
  while (live() < want && nowMs() < deadline) await sleep(50);
  if (live() < want) throw new Error(`only ${live() - baseline} of ${want - baseline} subscriptions are live on the hub`);
  return { client, ready, subscribedMs: nowMs() - t0 };
}

export async function disconnect(bh: EventsBenchHub, client: ClientProcess): Promise<void> {
  await client.ask({ cmd: "close" }, 120_000).catch(() => undefined);
  client.kill();
  const deadline = nowMs() + 60_000;
  while (bh.server!.wsLimits.connections() > 0 && nowMs() < deadline) await sleep(50);
}

/** A writer process placing `holds` through the API: at `rate` per second, or `concurrency` back to back (rate null). */
export function writer(url: string, holds: HoldSpec[], rate: number | null, concurrency: number, seconds: number, reason = SHORT_REASON): ClientProcess {
  return new ClientProcess("ws-clients.js", "client", {
    job: { mode: "writer", url, holds, rate, concurrency, durationSeconds: seconds, reason },
    execArgv: ["--max-old-space-size=4096"],
  });
}

export const stats = (client: ClientProcess) => client.ask<SubscribersStats>({ cmd: "stats" });

/** Waits until the client process has `expected` deliveries, or until nothing more arrives. */
export async function drain(client: ClientProcess, expected: number, quietMs = 5000, maxMs = 600_000): Promise<SubscribersStats> {
  const start = nowMs();
  let last = await stats(client);
  let since = nowMs();
  while (last.received < expected && nowMs() - since < quietMs && nowMs() - start < maxMs) {
    await sleep(200);
    const s = await stats(client);
    if (s.received !== last.received) since = nowMs();
    last = s;
  }
  await sleep(1000); // anything beyond what is expected arrives too, and is counted
  return stats(client);
}

/** A full collection, for memory figures (the bench process is started without --expose-gc). */
const gc: () => void = (() => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

export function memory() {
  gc();
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

/** Open files this process may have (the soft limit), from /proc; null when unknown. */
export function openFileLimit(): number | null {
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

/**
 * Bench instrumentation of two repository methods of the hub in this process: the agreement
 * cache's refreshes, counted apart (one statement per party with subscribers every
 * HUB_AGREEMENT_CACHE_MS, whatever the events), and when each write committed (the hub's
 * WritesRepository.transaction resolved, COMMIT answered), by the declarations of the events
 * it appended. Latency is counted from there.
 */
export function instrument(hub: Hub): { refreshes(): number; commitAt: Map<string, number> } {
  const agreementsRepo = hub.services.agreements.repository;
  const activeFor = agreementsRepo.activeFor.bind(agreementsRepo);
  let refreshes = 0;
  agreementsRepo.activeFor = (partyId: string) => {
    refreshes++;
    return activeFor(partyId);
  };
  const commitAt = new Map<string, number>();
  const writes = hub.services.writes.repo;
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
  return { refreshes: () => refreshes, commitAt };
}

export function emptyReport(): SubscribersReport {
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
