// The events section's runs 0 and 1 (scripts/bench/events.ts): no subscriber, then N
// subscribers with holds at a fixed rate. Run 2 (a socket that stops reading) is in events-slow.ts.
import type { ClientProcess } from "./child";
import { check, type Checked } from "./events-check";
import {
  connect,
  disconnect,
  drain,
  emptyReport,
  memory,
  socketsOf,
  stats,
  subscribers,
  writer,
  type BenchParty,
  type EventsBenchHub,
  type Subscriber,
} from "./events-clients";
import { eventsBetween, type Model, type Query, type RunEvent } from "./events-model";
import { takeHolds, type HoldTarget } from "./events-world";
import type { EventsOptions } from "./events";
import { fmtInt, note, sleep } from "./util";
import type { WriterReport } from "./hold-writer";
import type { SubscribersReport, SubscribersStats } from "./ws-clients";

/**
 * Most holds the open-loop writer has in flight (several customs systems at once): when the
 * hub answers slower than the rate needs, the writer falls behind (reported) rather than
 * piling up requests that each hold one of the pool's 10 connections.
 */
export const WRITER_IN_FLIGHT = 16;

export interface EventsWorld {
  parties: BenchParty[];
  /** customs officer keys per destination country (the writers') */
  writersOf: Map<string, string[]>;
  /** holdable declarations not used yet, with the kind of hold each takes */
  targets: HoldTarget[];
}

/** What every run works with. */
export interface EventsRun {
  o: EventsOptions;
  bh: EventsBenchHub;
  world: EventsWorld;
  /** the agreement cache's refreshes so far */
  refreshes(): number;
  /** when each declaration's write committed */
  commitAt: Map<string, number>;
  /** the hub's Prisma client (its statements are counted) */
  query: Query;
  model(): Promise<Model>;
  latest(): Promise<bigint>;
}

export interface RunRow {
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

/** Counters at the start of a measured window. */
export async function mark(r: EventsRun, client?: ClientProcess) {
  const seq0 = await r.latest();
  const s0 = r.bh.statements();
  const r0 = r.refreshes();
  const c0 = process.cpuUsage();
  const stats0 = client ? await stats(client) : null;
  return { seq0, s0, r0, c0, stats0 };
}

/** After the writer: the run's events, the model, and the deliveries, once they stopped coming. */
export async function collect(r: EventsRun, client: ClientProcess, subs: Subscriber[], seq0: bigint) {
  const seq1 = await r.latest();
  const events: RunEvent[] = await eventsBetween(r.query, seq0, seq1);
  const mdl = await r.model();
  const expectedApprox = check(mdl, subs, events, emptyReport(), r.commitAt).expected;
  const stats1: SubscribersStats = await drain(client, expectedApprox);
  return { events, mdl, stats1 };
}

/** 0. no subscriber: the writes and the feed's reads alone (also warms the write path up). */
export async function runNoSubscriber(r: EventsRun): Promise<RunRow> {
  const { o, bh } = r;
  const seconds = Math.max(5, Math.round(o.holdSeconds / 4));
  const holds = takeHolds(r.world, o.holdRate * seconds);
  const s0 = bh.statements();
  const r0 = r.refreshes();
  const seq0 = await r.latest();
  const c0 = process.cpuUsage();
  const w = writer(bh.server!.url, holds, o.holdRate, WRITER_IN_FLIGHT, seconds);
  const wr = await w.next<WriterReport>(seconds * 1000 + 120_000);
  w.kill();
  await sleep(1500);
  const cpu = process.cpuUsage(c0);
  const seq1 = await r.latest();
  const events = Number(seq1 - seq0);
  if (wr.failed) throw new Error(`holds failed: ${wr.failed} (${wr.firstError})`);
  return {
    label: "no subscriber",
    subscribers: 0,
    holds: wr.placed,
    events,
    seconds: (wr.endedAt - wr.startedAt) / 1000,
    c: null,
    statementsPerEvent: (bh.statements() - s0) / Math.max(1, events),
    refreshesPerEvent: (r.refreshes() - r0) / Math.max(1, events),
    memPerConn: null,
    connectMs: 0,
    hubCpu: (cpu.user + cpu.system) / 1000 / (wr.endedAt - wr.startedAt + 1500),
    clientCpu: 0,
    writer: wr,
  };
}

/** 1. `n` subscribers, one socket each, holds at the fixed rate. */
export async function runSubscribers(r: EventsRun, n: number): Promise<RunRow> {
  const { o, bh } = r;
  const subs = subscribers(r.world.parties, n);
  await sleep(500);
  const m0 = memory();
  const { client, ready, subscribedMs } = await connect(bh, socketsOf(subs));
  try {
    if (ready.acknowledged !== n) throw new Error(`${ready.refused} of ${n} sockets were refused: ${ready.firstRefusal}`);
    await sleep(1000);
    const m1 = memory();
    note(`${fmtInt(n)} subscribers connected and subscribed in ${(subscribedMs / 1000).toFixed(1)} s; placing holds at ${o.holdRate}/s for ${o.holdSeconds} s`);
    const holds = takeHolds(r.world, o.holdRate * o.holdSeconds);
    if (holds.length < o.holdRate * o.holdSeconds) note(`only ${holds.length} holdable declarations left for this run (BENCH_EVENT_DECLARATIONS)`);
    const { seq0, s0, r0, c0, stats0 } = await mark(r, client);
    const w = writer(bh.server!.url, holds, o.holdRate, WRITER_IN_FLIGHT, o.holdSeconds);
    const wr = await w.next<WriterReport>(o.holdSeconds * 1000 + 300_000);
    w.kill();
    if (wr.failed) throw new Error(`holds failed: ${wr.failed} (${wr.firstError})`);
    const { events, mdl, stats1 } = await collect(r, client, subs, seq0);
    const cpu = process.cpuUsage(c0);
    const wall = Math.max(1, stats1.lastReceipt - wr.startedAt);
    const statements = bh.statements() - s0;
    const refreshed = r.refreshes() - r0;
    const report = await client.ask<SubscribersReport>({ cmd: "report" }, 300_000);
    const c = check(mdl, subs, events, report, r.commitAt);
    if (report.errors.length) note(`${fmtInt(n)} subscribers: ${report.errors.length} subscriptions ended by the hub, e.g. ${report.errors[0].code}: ${report.errors[0].message}`);
    if (Object.keys(report.closes).length) note(`${fmtInt(n)} subscribers: sockets closed by the hub: ${JSON.stringify(report.closes)}`);
    return {
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
      clientCpu: (stats1.cpuMs - stats0!.cpuMs) / wall,
      writer: wr,
    };
  } finally {
    await disconnect(bh, client);
  }
}
