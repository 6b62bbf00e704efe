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
//
// Files: events-world.ts (the world, shared with the webhooks section), events-model.ts (who
// may hear what), events-clients.ts (client processes, instrumentation), events-runs.ts and
// events-slow.ts (the runs), events-check.ts (deliveries against the model), events-report.ts.
import type { Hub } from "../../src/hub";
import type { Role } from "../../src/generated/prisma/enums";
import { applyPendingMigrations } from "../../src/infra/migrations";
import { instrument, openFileLimit, type BenchParty, type EventsBenchHub } from "./events-clients";
import { loadAgreements, Model, type Query } from "./events-model";
import { printRuns, runVerdicts } from "./events-report";
import { runNoSubscriber, runSubscribers, type EventsRun, type EventsWorld, type RunRow } from "./events-runs";
import { printSlow, runSlow } from "./events-slow";
import { blockedAgreements, buildEventsWorld, DESTINATIONS, tradeAgreements } from "./events-world";
import { fmtInt, heading, note, type ScratchDatabases, type Verdict } from "./util";

export type { EventsBenchHub, Verdict };

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

// ---- the world ------------------------------------------------------------------------

/**
 * The shared world (events-world.ts) with this section's agreements, a key for every party
 * (customs OFFICER, the others AGENT) and the customs' keys as the writers'.
 */
async function eventsWorld(o: EventsOptions, url: string, hub: Hub): Promise<EventsWorld> {
  const built = await buildEventsWorld(
    {
      declarations: o.declarations,
      extra: { PLATFORM: 60, CARRIER: 40, POST: 30, BROKER: 35 },
      seed: 8_2026,
      purpose: "Bench: hearing of events",
      customsNote: `OFFICER keys; ${DESTINATIONS.length * 2} of the six destinations, 6 of other countries`,
      hear: (a) => {
        tradeAgreements(a);
        const { named, bench, agree } = a;
        const brokers = bench("BROKER");
        agree(named("Generalzolldirektion (DE)"), brokers[20], ["STATUS"]);
        agree(named("DGDDI (FR)"), brokers[21], ["STATUS"]);
        agree(named("HM Revenue & Customs (GB)"), brokers[22], ["STATUS"]);
      },
      mustNot: (a) => blockedAgreements(a, 23),
    },
    url,
    hub,
  );
  const parties: BenchParty[] = [];
  for (const p of built.parties) {
    const role: Role = p.kind === "CUSTOMS" ? "OFFICER" : "AGENT";
    parties.push({ ...p, role, key: await hub.services.parties.issueKey(p.id, role, "bench events") });
  }
  const writersOf = new Map<string, string[]>();
  for (const c of DESTINATIONS) writersOf.set(c, parties.filter((p) => p.kind === "CUSTOMS" && p.country === c).map((p) => p.key));
  return { parties, writersOf, targets: built.targets };
}

// ---- the section ----------------------------------------------------------------------

/** The subscriber counts this process's open-file limit allows (each socket is a file). */
function fittingCounts(o: EventsOptions): number[] {
  const fdLimit = openFileLimit();
  const need = Math.max(...o.subscribers, o.slowOthers) + 1;
  note(
    `open files allowed (ulimit -n, soft; each process has its own): ${fdLimit ?? "unknown"}; the largest run needs about ${fmtInt(need + 200)} in the hub ` +
      `and ${fmtInt(need + 50)} in the client process (one socket per subscriber, plus the pool and files)`,
  );
  return o.subscribers.map((n) => {
    if (fdLimit !== null && n + 300 > fdLimit) {
      const fit = Math.max(100, fdLimit - 300);
      note(`${fmtInt(n)} subscribers do not fit in ${fdLimit} open files: measuring ${fmtInt(fit)} instead (raise ulimit -n to run ${fmtInt(n)})`);
      return fit;
    }
    return n;
  });
}

export async function benchEvents(o: EventsOptions, deps: EventsDeps): Promise<void> {
  heading("5. Events: WebSocket subscribers at scale, holds through the API, every delivery checked");
  const counts = fittingCounts(o);
  const url = await deps.dbs.create("events");
  await applyPendingMigrations(url);
  const bh = await deps.startHub(url);
  const { refreshes, commitAt } = instrument(bh.hub);
  const rows: RunRow[] = [];
  let slow: Awaited<ReturnType<typeof runSlow>>["figures"] | null = null;
  try {
    const world = await eventsWorld(o, url, bh.hub);
    // the bench's reads go through the hub's Prisma client, as before: counted with its statements
    const query: Query = (sql, params) => bh.hub.prisma.$queryRawUnsafe(sql, ...params);
    const r: EventsRun = {
      o,
      bh,
      world,
      refreshes,
      commitAt,
      query,
      model: () => loadAgreements(query).then((a) => new Model(a, new Date())),
      latest: () => bh.hub.feed.repo.latestSeq(),
    };
    // The feed reads the outbox from now on (as once a first subscriber came).
    await bh.hub.feed.start();
    rows.push(await runNoSubscriber(r));
    for (const n of counts) rows.push(await runSubscribers(r, n));
    const s = await runSlow(r);
    rows.push(s.row);
    slow = s.figures;
  } finally {
    bh.hub.feed.stop();
    await bh.stop();
    await deps.dbs.drop(url);
  }
  printRuns(rows);
  runVerdicts(rows, counts, deps.verdict);
  if (slow) printSlow(slow, o, deps.verdict);
}
