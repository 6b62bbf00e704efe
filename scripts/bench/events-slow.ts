// The events section's run 2 (scripts/bench/events.ts): a socket that stops reading (10
// subscriptions of a destination's customs, large selections) next to ordinary subscribers,
// while writers place holds back to back (the highest rate this machine sustains).
import { check, type Checked } from "./events-check";
import { connect, disconnect, LONG_REASON, memory, SLOW_PAUSE_MS, SLOW_QUERIES, socketsOf, subscribers, writer } from "./events-clients";
import { collect, mark, type EventsRun, type RunRow } from "./events-runs";
import { takeHolds } from "./events-world";
import type { EventsOptions } from "./events";
import { fmtInt, fmtMB, fmtMs, heading, MB, note, percentile, sleep, table, type Verdict } from "./util";
import type { WriterReport } from "./hold-writer";
import type { SocketSpec, SubscribersReport } from "./ws-clients";

export const P99_TARGET_MS = 250;

type Memory = ReturnType<typeof memory>;

/** What the slow run's summary shows. */
interface SlowFigures {
  wr: WriterReport;
  events: number;
  holdEvents: number;
  report: SubscribersReport;
  c: Checked;
  memory: { before: Memory; start: Memory; after: Memory; rssMax: number };
  healthz: number;
  /** seconds the slow socket was not read */
  pausedFor: number;
  buffer: number;
}

/** 2. one socket that stops reading, ordinary subscribers, holds as fast as the machine goes. */
export async function runSlow(r: EventsRun): Promise<{ row: RunRow; figures: SlowFigures }> {
  const { o, bh, world } = r;
  const subs = subscribers(world.parties, o.slowOthers);
  const deCustoms = world.parties.find((p) => p.name === "Generalzolldirektion (DE)")!;
  const specs: SocketSpec[] = [...socketsOf(subs), { key: deCustoms.key, queries: SLOW_QUERIES, pauseMs: SLOW_PAUSE_MS }];
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
    const { seq0, s0, r0, c0, stats0 } = await mark(r, client);
    // the hub's RSS, sampled while the slow socket is not read
    let rssMax = start.rss;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 100);
    const w = writer(bh.server!.url, holds, null, o.slowWriters, o.slowSeconds, LONG_REASON);
    const wr = await w.next<WriterReport>(o.slowSeconds * 1000 + 300_000);
    w.kill();
    const { events, mdl, stats1 } = await collect(r, client, subs, seq0);
    clearInterval(sampler);
    const cpu = process.cpuUsage(c0);
    const wall = Math.max(1, stats1.lastReceipt - wr.startedAt);
    const statements = bh.statements() - s0;
    const report = await client.ask<SubscribersReport>({ cmd: "report" }, 300_000);
    const c = check(mdl, subs, events, report, r.commitAt);
    const after = memory();
    const healthz = await fetch(bh.server!.url.replace("/graphql", "/healthz")).then((res) => res.status, () => 0);
    const row: RunRow = {
      label: `${fmtInt(o.slowOthers)} + 1 slow socket`,
      subscribers: o.slowOthers,
      holds: wr.placed,
      events: events.length,
      seconds: (wr.endedAt - wr.startedAt) / 1000,
      c,
      statementsPerEvent: statements / Math.max(1, events.length),
      refreshesPerEvent: (r.refreshes() - r0) / Math.max(1, events.length),
      memPerConn: null,
      connectMs: 0,
      hubCpu: (cpu.user + cpu.system) / 1000 / wall,
      clientCpu: (stats1.cpuMs - stats0!.cpuMs) / wall,
      writer: wr,
    };
    const holdEvents = events.filter((e) => e.type === "HOLD_PLACED").length;
    const pausedFor = ((report.slowResumedAt || Date.now()) - report.slowPausedAt) / 1000;
    const figures = { wr, events: events.length, holdEvents, report, c, memory: { before, start, after, rssMax }, healthz, pausedFor, buffer: bh.hub.config.HUB_SUBSCRIPTION_BUFFER };
    return { row, figures };
  } finally {
    await disconnect(bh, client);
  }
}

/** What the slow run's figures come to. */
function derived(f: SlowFigures) {
  const { wr, report, holdEvents, healthz } = f;
  const { start, after, rssMax } = f.memory;
  const slowErrors = report.errors.filter((e) => e.slow);
  const seconds = (wr.endedAt - wr.startedAt) / 1000;
  // what the slow socket did not get, at the size of what it got: held nowhere if memory is bounded
  const messageBytes = report.slowNext ? report.slowBytes / report.slowNext : 0;
  const missedBytes = (holdEvents * 10 - report.slowNext) * messageBytes;
  return {
    slowErrors,
    fellBehind: slowErrors.filter((e) => e.code === "RATE_LIMITED" && e.reason === "SUBSCRIPTION_FELL_BEHIND"),
    othersEnded: report.errors.filter((e) => !e.slow),
    seconds,
    rate: wr.placed / seconds,
    messageBytes,
    missedBytes,
    bounded: healthz === 200 && after.rss - start.rss < 64 * MB && rssMax - start.rss < Math.max(64 * MB, missedBytes),
  };
}

function slowRows(f: SlowFigures, o: EventsOptions, d: ReturnType<typeof derived>): string[][] {
  const { wr, report, c, holdEvents, healthz, pausedFor } = f;
  const { before, start, after, rssMax } = f.memory;
  const { slowErrors, fellBehind, othersEnded, seconds, rate, messageBytes, missedBytes } = d;
  const rt = Float64Array.from(wr.roundTrip).sort();
  const closedBy = Object.entries(report.closes).map(([code, n]) => `${n} x ${code}`).join(", ") || "none";
  return [
    ["measure", "figure"],
    [
      "holds placed (closed loop, DE parcels)",
      `${fmtInt(wr.placed)} in ${seconds.toFixed(1)} s = ${fmtInt(rate)}/s by ${o.slowWriters} writers (round trip p50 ${fmtMs(percentile(rt, 50))} ms, ` +
        `p99 ${fmtMs(percentile(rt, 99))} ms), ${wr.failed} failed`,
    ],
    ["events", `${fmtInt(f.events)}; ${fmtInt(holdEvents)} holds, each heard by the slow socket's 10 subscriptions`],
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
            `(a subscription is ended once ${f.buffer} events (HUB_SUBSCRIPTION_BUFFER) wait behind what its socket took: ` +
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
  ];
}

/** Section 5b's table and verdicts. */
export function printSlow(f: SlowFigures, o: EventsOptions, verdict: (v: Verdict) => void): void {
  const { c, healthz } = f;
  const { start, after, rssMax } = f.memory;
  const d = derived(f);
  const { slowErrors, fellBehind, othersEnded, rate, missedBytes, bounded } = d;
  heading("5b. A subscriber that stops reading, holds at the highest rate this machine sustains");
  console.log(table(slowRows(f, o, d), { leftColumns: 2 }));
  if (slowErrors[0]) note(`the slow subscriptions' error: ${slowErrors[0].code} ${slowErrors[0].reason ?? ""}: ${slowErrors[0].message}`);
  verdict({
    measure: "Slow subscriber: hub up, memory bounded",
    figure: `/healthz ${healthz}; RSS ${fmtMB(start.rss)} -> max ${fmtMB(rssMax)} -> ${fmtMB(after.rss)}; missed ${fmtMB(missedBytes)}`,
    target: "up; peak < missed; after < +64 MB",
    result: bounded ? "PASS" : "MISS",
  });
  verdict({
    measure: "Slow subscriber ended with RATE_LIMITED",
    figure: `${fellBehind.length} of 10 subscriptions`,
    target: "10 of 10",
    result: fellBehind.length === 10 ? "PASS" : "MISS",
  });
  verdict({
    measure: `Slow subscriber: others' p99 (${fmtInt(o.slowOthers)} subs, ${fmtInt(rate)} holds/s)`,
    figure: `${fmtMs(percentile(c.latencies, 99))} ms; lost ${c.lost}, not entitled ${c.notEntitled}`,
    target: `< ${P99_TARGET_MS} ms; 0; 0`,
    result: percentile(c.latencies, 99) < P99_TARGET_MS && c.lost === 0 && c.notEntitled === 0 && othersEnded.length === 0 ? "PASS" : "MISS",
  });
}
