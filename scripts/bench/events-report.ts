// The events section's tables and verdicts for runs 0 and 1 (scripts/bench/events.ts).
import os from "node:os";
import type { RunRow } from "./events-runs";
import { P99_TARGET_MS } from "./events-slow";
import { fmtInt, fmtMs, note, percentile, table, type Verdict } from "./util";

export function printRuns(rows: RunRow[]): void {
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
  printNotes(rows);
}

function printNotes(rows: RunRow[]): void {
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
}

/** Per subscriber run: latency, lost / not entitled, memory; and SQL statements per event across runs. */
export function runVerdicts(rows: RunRow[], counts: number[], verdict: (v: Verdict) => void): void {
  const base = rows[0].statementsPerEvent;
  for (const r of rows.slice(1)) {
    if (!r.c || r.label.includes("slow")) continue;
    const p99 = percentile(r.c.latencies, 99);
    verdict({
      measure: `Events, ${r.label}: commit-to-receipt p50 / p99`,
      figure: `${fmtMs(percentile(r.c.latencies, 50))} / ${fmtMs(p99)} ms (${(r.holds / r.seconds).toFixed(0)} holds/s)`,
      target: `p99 < ${P99_TARGET_MS} ms`,
      result: p99 < P99_TARGET_MS ? "PASS" : "MISS",
    });
    verdict({
      measure: `Events, ${r.label}: lost / not entitled`,
      figure: `${r.c.lost} / ${r.c.notEntitled} of ${fmtInt(r.c.expected)} (dup ${r.c.duplicates}, masks ${r.c.leaked}/${r.c.withheld})`,
      target: "0 / 0",
      result:
        r.c.lost === 0 && r.c.notEntitled === 0 && r.c.duplicates === 0 && r.c.outside === 0 && r.c.leaked === 0 && r.c.withheld === 0 && r.c.otherErrors === 0
          ? "PASS"
          : "MISS",
    });
    verdict({
      measure: `Events, ${r.label}: memory per connection`,
      figure: `RSS ${(r.memPerConn!.rss / 1024).toFixed(1)} KB, heap ${(r.memPerConn!.heap / 1024).toFixed(1)} KB`,
      target: "-",
      result: "info",
    });
  }
  // constant: the same with 1,000 or 10,000 subscribers (within a quarter), whatever the fan-out
  const steady = rows.filter((r) => !r.label.includes("slow"));
  const perEvent = steady.map((r) => r.statementsPerEvent - r.refreshesPerEvent);
  const withSubs = perEvent.slice(1);
  verdict({
    measure: `SQL statements per event (0 / ${counts.map(fmtInt).join(" / ")} subscribers)`,
    figure: `${perEvent.map((x) => x.toFixed(2)).join(" / ")} (+ agreement refreshes: ${steady.map((r) => r.refreshesPerEvent.toFixed(2)).join(" / ")})`,
    target: "constant in subscribers",
    result: withSubs.every((x) => x <= Math.min(...withSubs) * 1.25 + 0.25) && withSubs.every((x) => x < base + 5) ? "PASS" : "MISS",
  });
}
