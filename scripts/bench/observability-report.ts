// The figures of section 2b (observability.ts): the rounds' table, the paired on/off ratios
// and the verdicts.
import type { LoadReport } from "./load";
import { fmtInt, fmtMs, median, note, table, type Verdict } from "./util";

export interface Round {
  which: "on" | "off";
  report: LoadReport;
  /** from just before the load began to its report, ms */
  wallMs: number;
  /** the hub process's CPU (all threads) and its PostgreSQL backends', ms */
  hubCpuMs: number;
  pgCpuMs: number;
  /** busy time of the hub's and the load generator's cores (NaN unpinned), ms */
  hubCoreBusyMs: number;
  loadCoreBusyMs: number;
}

export interface PairedRatios {
  ratios: number[];
  median: number;
  min: number;
  max: number;
  mean: number;
}

const rate = (r: Round) => r.report.completedPerSecond;

/** on/off throughput of each adjacent pair of rounds (0-1, 2-3, ...; each pair holds one of each). */
export function pairedRatios(rounds: Round[]): PairedRatios {
  const ratios: number[] = [];
  for (let i = 0; i + 1 < rounds.length; i += 2) {
    const [a, b] = [rounds[i], rounds[i + 1]];
    if (a.which === b.which) throw new Error(`rounds ${i} and ${i + 1} are both ${a.which}`);
    ratios.push(a.which === "on" ? rate(a) / rate(b) : rate(b) / rate(a));
  }
  return { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), mean: ratios.reduce((s, x) => s + x, 0) / ratios.length };
}

/**
 * on/off throughput of each block of four rounds (on, off, off, on), the sum of its two on
 * rates over the sum of its two off rates: the verdict's measure. Each hub runs once right
 * after the other (the round after a switch reads slower, whichever hub: in the run of
 * 2026-12-02 05:35, an "on" round right after an "off" one read 81-88% of it in five blocks
 * of six, an "on" round before an "off" one 100-129% in five of six) and once not, so the block
 * cancels that position effect, where adjacent pairs alternate between its two signs and
 * their median lands wherever the asymmetry puts it.
 */
export function blockRatios(rounds: Round[]): PairedRatios {
  const ratios: number[] = [];
  for (let i = 0; i + 3 < rounds.length; i += 4) {
    const block = rounds.slice(i, i + 4);
    const sum = (which: "on" | "off") => block.filter((r) => r.which === which).reduce((s, r) => s + rate(r), 0);
    if (block.filter((r) => r.which === "on").length !== 2) throw new Error(`rounds ${i} to ${i + 3} are not two on and two off`);
    ratios.push(sum("on") / sum("off"));
  }
  return { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), mean: ratios.reduce((s, x) => s + x, 0) / ratios.length };
}

const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : "-");
const cost = (ratio: number) => pct(1 - ratio);

export interface ObservabilityResult {
  rounds: Round[];
  plan: { roundSeconds: number; blocks: number };
  pinning: { hubCpu: number; loadCpu: number } | null;
  unpinnedReason: string | null;
  latePins: number;
  requestLines: number;
  verdict(v: Verdict): void;
}

export function reportObservability(o: ObservabilityResult): void {
  const { rounds } = o;
  const pairs = pairedRatios(rounds);
  const blocks = blockRatios(rounds);
  console.log(roundsTable(rounds, pairs));

  const sum = (which: "on" | "off", f: (r: Round) => number) => rounds.filter((r) => r.which === which).reduce((s, r) => s + f(r), 0);
  const perReq = (which: "on" | "off", f: (r: Round) => number) => sum(which, f) / Math.max(1, sum(which, (r) => r.report.completed));
  const [hubOn, hubOff] = [perReq("on", (r) => r.hubCpuMs), perReq("off", (r) => r.hubCpuMs)];
  const [pgOn, pgOff] = [perReq("on", (r) => r.pgCpuMs), perReq("off", (r) => r.pgCpuMs)];
  const meanRate = (which: "on" | "off") => sum(which, rate) / rounds.filter((r) => r.which === which).length;

  if (o.pinning) {
    note(
      `pinned (taskset -a): the hub under test and its PostgreSQL backends on CPU ${o.pinning.hubCpu}; this process, the load generator, ` +
        `the idle hub and its backends on CPU ${o.pinning.loadCpu}` +
        (o.latePins ? `; ${o.latePins} backend(s) opened during a round ran unpinned until the next poll (<= 0.25 s)` : ""),
    );
    const other = rounds.map((r) => (r.hubCoreBusyMs - r.hubCpuMs - r.pgCpuMs) / r.wallMs);
    const hubBusy = median(rounds.map((r) => r.hubCoreBusyMs / r.wallMs));
    note(
      `hub core busy: median ${pct(hubBusy, 0)} of each round; ` +
        `of it, processes other than the hub and its backends (other work on the machine, PostgreSQL's own): median ${pct(median(other))}, max ${pct(Math.max(...other))}; ` +
        `load core busy: median ${pct(median(rounds.map((r) => r.loadCoreBusyMs / r.wallMs)), 0)}`,
    );
    // an idle hub core means something else (the load generator?) set the pace: the ratio then understates the cost
    if (hubBusy < 0.9) note(`WARNING: the hub core was not saturated (${pct(hubBusy, 0)} busy): the rate is not bounded by the hub's work per request`);
    if (median(other) > 0.1) note(`WARNING: other work took ${pct(median(other), 0)} of the hub core: the machine was not quiet, the ratios are noisy`);
  } else {
    note(`NOT PINNED (${o.unpinnedReason}): an unpinned run; the load generator, PostgreSQL and the hub share the cores as the scheduler spreads them, which varies run to run`);
  }
  note("Redis: not pinned, as not used: these hubs run without REDIS_URL (rate limits in memory, events in process), so clearanceStatus never reaches redis-server");
  note(
    `on/off throughput, ${pairs.ratios.length} pairs of ${o.plan.roundSeconds} s rounds: median ${pct(pairs.median)} (cost ${cost(pairs.median)}), ` +
      `spread ${pct(pairs.min)} to ${pct(pairs.max)}, mean ${pct(pairs.mean)}; mean rates ${fmtInt(meanRate("on"))} on vs ${fmtInt(meanRate("off"))} off req/s`,
  );
  note(
    `on/off throughput, ${blocks.ratios.length} blocks (on, off, off, on): median ${pct(blocks.median)} (cost ${cost(blocks.median)}), ` +
      `spread ${pct(blocks.min)} to ${pct(blocks.max)}, mean ${pct(blocks.mean)}: ${blocks.ratios.map((x) => pct(x)).join(", ")}`,
  );
  note(
    `CPU per request on / off: hub ${fmtMs(hubOn)} / ${fmtMs(hubOff)} ms (${(hubOn / hubOff).toFixed(3)}x), PostgreSQL backends ${fmtMs(pgOn)} / ${fmtMs(pgOff)} ms ` +
      `(${(pgOn / pgOff).toFixed(3)}x), both ${((hubOn + pgOn) / (hubOff + pgOff)).toFixed(3)}x`,
  );
  const logged = sum("on", (r) => r.report.completed);
  note(`request log: ${fmtInt(o.requestLines)} lines written for the ${fmtInt(logged)} measured requests of the "on" hub (warm-ups and each round's priming: ${fmtInt(o.requestLines - logged)} more)`);

  const clean = rounds.every(({ report: r }) => r.bad + r.errors + r.timeouts === 0);
  const otherShare = o.pinning ? median(rounds.map((r) => (r.hubCoreBusyMs - r.hubCpuMs - r.pgCpuMs) / r.wallMs)) : NaN;
  o.verdict({
    measure: "metrics + request log cost (clearanceStatus)",
    figure:
      `${cost(blocks.median)} median of ${blocks.ratios.length} on/off blocks (spread ${cost(blocks.max)} to ${cost(blocks.min)}, mean ${cost(blocks.mean)}; ` +
      `${o.pinning ? "pinned" : "NOT pinned"}${otherShare > 0.1 ? `, other work ${pct(otherShare, 0)} of the hub core` : ""}${clean ? "" : "; errors"})`,
    target: "<= 5%",
    result: blocks.median >= 0.95 && clean ? "PASS" : "MISS",
  });
  o.verdict({
    measure: "  server CPU per request, on / off",
    figure: `hub ${fmtMs(hubOn)} / ${fmtMs(hubOff)} ms (${((hubOn / hubOff - 1) * 100).toFixed(1)}%), with PostgreSQL ${(((hubOn + pgOn) / (hubOff + pgOff) - 1) * 100).toFixed(1)}%`,
    target: "-",
    result: "info",
  });
}

function roundsTable(rounds: Round[], pairs: PairedRatios): string {
  const share = (ms: number, r: Round) => (Number.isFinite(ms) ? pct(ms / r.wallMs, 0) : "-");
  return table([
    ["round", "req/s", "p50 ms", "p99 ms", "errors", "hub CPU ms/req", "PG CPU ms/req", "hub core busy", "of it other", "load core busy", "pair on/off"],
    ...rounds.map((r, i) => [
      r.report.title,
      fmtInt(rate(r)),
      fmtMs(r.report.latencyP50),
      fmtMs(r.report.latencyP99),
      fmtInt(r.report.bad + r.report.errors + r.report.timeouts),
      fmtMs(r.hubCpuMs / Math.max(1, r.report.completed)),
      fmtMs(r.pgCpuMs / Math.max(1, r.report.completed)),
      share(r.hubCoreBusyMs, r),
      share(r.hubCoreBusyMs - r.hubCpuMs - r.pgCpuMs, r),
      share(r.loadCoreBusyMs, r),
      i % 2 ? pct(pairs.ratios[(i - 1) / 2]) : "",
    ]),
  ]);
}
