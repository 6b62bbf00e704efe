// The webhooks section's table, notes and verdicts (scripts/bench/webhooks.ts).
import type { IntervalHistogram } from "node:perf_hooks";
import { fmtInt, fmtMs, fmtS, note, percentile, pq, table, type Verdict } from "./util";
import type { ReceiverReport } from "./webhook-receivers";
import type { Latencies, LogCheck, ReceiptCheck } from "./webhooks-check";
import type { DeliveryState } from "./webhooks-log";
import type { WebhooksOptions } from "./webhooks";
import type { Endpoint } from "./webhooks-world";
import type { WriterReport } from "./hold-writer";

/** Everything the section measured. */
export interface WebhookFigures {
  o: WebhooksOptions;
  endpoints: Endpoint[];
  /** the writer's report, its round trips sorted */
  wr: WriterReport;
  events: number;
  seq0: number;
  seq1: number;
  downAt: number;
  upAt: number;
  rc: ReceiptCheck;
  lat: Latencies;
  lg: LogCheck;
  report: ReceiverReport;
  /** the receivers' CPU before the run, ms */
  rxCpu0: number;
  state0: DeliveryState;
  stateEnd: DeliveryState;
  drained: { done: boolean; ms: number };
  /** the hub's CPU over the run and drain, and that wall time, ms */
  cpu: NodeJS.CpuUsage;
  wall: number;
  loopDelay: IntervalHistogram;
  statements: number;
}

function deliveryRows(f: WebhookFigures): string[][] {
  const { wr, rc, lat, report } = f;
  const rt = wr.roundTrip;
  const seconds = (wr.endedAt - wr.startedAt) / 1000;
  return [
    [
      "holds placed (API, customs officer keys)",
      `${fmtInt(wr.placed)} in ${seconds.toFixed(1)} s = ${(wr.placed / seconds).toFixed(1)}/s, ${wr.failed} failed, ` +
        `${wr.late} started > 100 ms late; round trip p50 ${fmtMs(percentile(rt, 50))} ms, p99 ${fmtMs(percentile(rt, 99))} ms`,
    ],
    ["outbox events (HOLD_PLACED + STATUS_CHANGED)", `${fmtInt(f.events)} (ids ${f.seq0 + 1} to ${f.seq1})`],
    ["deliveries expected (model) / received (distinct)", `${fmtInt(rc.expected.size)} / ${fmtInt(rc.first.size - rc.outside)} (${(rc.expected.size / Math.max(1, f.events)).toFixed(2)} endpoints per event)`],
    ["lost (expected, never received)", `${fmtInt(lat.lost)}${lat.lostSample ? ` (first: ${lat.lostSample})` : ""}`],
    ["duplicates (at least once)", `${fmtInt(rc.duplicates)}`],
    ["to endpoints not entitled", `${fmtInt(rc.notEntitled)}${rc.leakSample && rc.notEntitled ? ` (first: ${rc.leakSample})` : ""}`],
    ["bad signatures (answered 400)", `${fmtInt(report.badSignatures)}${report.badSample ? ` (first: ${report.badSample})` : ""}`],
    ["masked fields: read where the model denies / withheld where it allows", `${rc.leaked} / ${rc.withheld}; errors other than FORBIDDEN ${rc.otherErrors}; body and headers disagree ${rc.mismatched}`],
    ["healthy receivers: commit -> receipt p50 / p99 / max ms", `${pq(lat.H)} (${fmtInt(lat.H.length)} deliveries)`],
    ["  of them, events committed while the group was down", `${pq(lat.HD)} (${fmtInt(lat.HD.length)})`],
    ["down group: before it went down, p50 / p99 / max ms", `${pq(lat.GB)} (${fmtInt(lat.GB.length)})`],
    [
      `down group: missed while down (${((f.upAt - f.downAt) / 1000).toFixed(1)} s)`,
      `${fmtInt(lat.GM.length)} deliveries; from its return to the last of them ${fmtS(catchUp(lat))}; return -> receipt p50 ${fmtS(percentile(lat.GM, 50))}, p99 ${fmtS(percentile(lat.GM, 99))}`,
    ],
    ["down group: events after its return, commit -> receipt p50 / p99 / max ms", `${pq(lat.GA)} (${fmtInt(lat.GA.length)})`],
  ];
}

const catchUp = (lat: Latencies) => (lat.GM.length ? lat.GM[lat.GM.length - 1] : NaN);
const attempts = (s: DeliveryState) => Object.values(s.byStatus).reduce((n, x) => n + x.attempts, 0);

function hubRows(f: WebhookFigures): string[][] {
  const { o, wr, lg, stateEnd, state0, loopDelay, statements } = f;
  const attemptsMade = attempts(stateEnd) - attempts(state0);
  const st = (s: string) => (stateEnd.byStatus[s]?.n ?? 0) - (state0.byStatus[s]?.n ?? 0);
  const logged = st("DELIVERED") + st("PENDING") + st("FAILED") + st("CANCELLED");
  return [
    [
      "hub's delivery log (this run)",
      `${fmtInt(logged)} deliveries: ${fmtInt(st("DELIVERED"))} DELIVERED, ${st("PENDING")} PENDING, ${st("FAILED")} FAILED, ${st("CANCELLED")} CANCELLED; ` +
        `${fmtInt(attemptsMade)} attempts (${fmtInt(stateEnd.retried - state0.retried)} deliveries retried, at most ${stateEnd.maxAttempts} attempts); ${stateEnd.disabled} endpoints disabled`,
    ],
    ["hub's log against the model: pairs only in the log / only in the model", `${lg.logNotModel} / ${lg.modelNotLog}`],
    ["hub's log: commit -> delivery row (fan-out) p50 / p99 / max ms", pq(lg.FL)],
    ["hub's log: delivery row -> delivered, healthy, first attempt, p50 / p99 / max ms", pq(lg.SL)],
    [
      "failed attempts (refused, reset, errors)",
      `down group ${fmtInt(lg.refusedGroup)}, healthy receivers ${fmtInt(lg.refusedHealthy)}` +
        (lg.refusedGroup === 0 ? " (the hub attempted none of the group's deliveries while it was down: the outage went unseen)" : ""),
    ],
    [
      "after the writer: all delivered",
      f.drained.done ? `in ${fmtS(f.drained.ms)} (bound ${o.drainSeconds} s)` : `NOT within ${o.drainSeconds} s (what was still pending counts as lost)`,
    ],
    [
      "CPU (100% = one core)",
      `hub ${(((f.cpu.user + f.cpu.system) / 1000 / f.wall) * 100).toFixed(0)}% over the run and drain; receivers ${(((f.report.cpuMs - f.rxCpu0) / f.wall) * 100).toFixed(0)}%; writer ${((wr.cpuMs / (wr.endedAt - wr.startedAt)) * 100).toFixed(0)}%`,
    ],
    [
      "hub event loop delay p50 / p99 / max ms (beyond the 10 ms sampling interval)",
      [loopDelay.percentile(50), loopDelay.percentile(99), loopDelay.max].map((ns) => fmtMs(Math.max(0, ns / 1e6 - 10))).join(" / "),
    ],
    ["hub SQL statements", `${fmtInt(statements)}: ${(statements / Math.max(1, f.events)).toFixed(1)} per event, ${(statements / Math.max(1, attemptsMade)).toFixed(1)} per delivery attempt (the writes' included)`],
  ];
}

export function printWebhooks(f: WebhookFigures): void {
  console.log(table([["measure", "figure"], ...deliveryRows(f), ...hubRows(f)], { leftColumns: 2 }));
  note("latency: receipt in the receivers' process minus the event's `at` (stamped in the write's transaction just before it commits); same machine, same clock");
  note(
    "expected: an independent model of the contract (holder, destination customs OFFICER/ANALYST, named carrier/post, named platform, filer, ACTIVE agreements in scope covering STATUS), " +
      "the endpoint's event types, and its destination filter where its party may read TRANSPORT; masks: trackingNumber (TRANSPORT) and platformOrderId (COMMERCIAL) of the default documents",
  );
  note(
    "down group: 'missed' are its deliveries of events committed before its return that reached it after; 'after its return' are events committed after it listened again; " +
      `'healthy' are the other ${f.endpoints.length - f.endpoints.filter((e) => e.down).length} endpoints`,
  );
  if (f.rc.warmupLate) note(`${f.rc.warmupLate} deliveries of warm-up events arrived during the run (not counted)`);
  if (f.rc.outside) note(`${f.rc.outside} receipts of events outside the run's window (not HOLD_PLACED/STATUS_CHANGED of the run)`);
}

export function webhookVerdicts(f: WebhookFigures, verdict: (v: Verdict) => void): void {
  const { o, rc, lat, lg } = f;
  const bad = f.report.badSignatures;
  verdict({
    measure: `Webhooks, 200 endpoints, ${o.holdRate} holds/s, ${f.endpoints.filter((e) => e.down).length} receivers down ${o.downSeconds} s: lost`,
    figure: `${fmtInt(lat.lost)} of ${fmtInt(rc.expected.size)} (dup ${rc.duplicates})`,
    target: "0",
    result: lat.lost === 0 && f.drained.done ? "PASS" : "MISS",
  });
  verdict({
    measure: "Webhooks: the outage reached the hub (attempts refused while down)",
    figure: `${fmtInt(lg.refusedGroup)} failed attempts to the down group`,
    target: "> 0",
    result: lg.refusedGroup > 0 ? "PASS" : "MISS",
  });
  verdict({
    measure: "Webhooks: to endpoints not entitled / bad signatures / masks wrong",
    figure: `${rc.notEntitled} / ${bad} / ${rc.leaked + rc.withheld}`,
    target: "0 / 0 / 0",
    result: rc.notEntitled === 0 && bad === 0 && rc.leaked === 0 && rc.withheld === 0 ? "PASS" : "MISS",
  });
  verdict({
    measure: "Webhooks: healthy receivers, commit-to-receipt p50 / p99",
    figure: `${fmtMs(percentile(lat.H, 50))} / ${fmtMs(percentile(lat.H, 99))} ms`,
    target: "-",
    result: "info",
  });
  verdict({
    measure: "Webhooks: down group back: last missed delivery / p99 after return",
    figure: `${fmtS(catchUp(lat))} after return; missed p99 ${fmtS(percentile(lat.GM, 99))} after return; new events p99 ${fmtMs(percentile(lat.GA, 99))} ms`,
    target: "-",
    result: "info",
  });
  if (lat.groupExpected === 0) note("the down group expected no deliveries: the outage measured nothing");
}
