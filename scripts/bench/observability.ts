// What metrics and the request log cost (issue 11 target: at most 5% of clearanceStatus
// throughput): two hubs on the same database, each in a process of its own
// (observability-hub.ts), one with the production settings HUB_METRICS=on, HUB_REQUEST_LOG=on
// and LOG_LEVEL=info (log lines written to a file, as a deployment writes them to stdout), the
// other with HUB_METRICS=off, HUB_REQUEST_LOG=off. Section 2's load in short rounds, in the
// order on, off, off, on, repeated; each adjacent on/off pair gives one ratio, and the verdict
// takes their median (one disturbed round moves it little; the spread shows the noise).
// The hub under test and its PostgreSQL backends are pinned to one core, the load generator to
// the other (pinning.ts), unless taskset cannot: then the run is unpinned and says so.
// Server CPU: the hub process's own (all its threads); PostgreSQL's: its backends'.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { reportObservability, type Round } from "./observability-report";
import { coreBusyMs, HubBackends, threadCpuMs, type TrackedHub } from "./pinning";
import { heading, nowMs, runLoad, type Verdict } from "./util";

type Job = Parameters<typeof runLoad>[0];

export interface BenchHubProcess extends TrackedHub {
  url: string;
  /** the process's CPU time so far (user + system, all threads), ms */
  cpuMs(): Promise<number>;
  /** writes the log lines it has gathered */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface ObservabilityBench {
  /** a hub in a process of its own with these production settings, its log lines written to `logFile`; `name` goes into its application_name */
  start(name: string, env: Record<string, string>, logFile: string): Promise<BenchHubProcess>;
  /** section 2's clearanceStatus load against a URL */
  job(title: string, url: string): Job;
  /** the database the hubs use (their backends are looked up there) */
  databaseUrl: string;
  /** --duration: the measured time is about 8 x this, in rounds of about a third of it */
  durationSeconds: number;
  warmSeconds: number;
  verdict(v: Verdict): void;
}

const ON = { HUB_METRICS: "on", HUB_REQUEST_LOG: "on", LOG_LEVEL: "info" };
const OFF = { HUB_METRICS: "off", HUB_REQUEST_LOG: "off", LOG_LEVEL: "info" };
/**
 * Unmeasured load at the start of each round: the idle hub's pool closes connections after
 * 10 s idle, and reopening them (and pinning the new backends) is no part of a request's cost.
 */
const PRIME_SECONDS = 1;
/** one block; repeated, each hub runs first as often as second */
const BLOCK = ["on", "off", "off", "on"] as const;

/** Rounds of duration/3 s (at least 2), and as many blocks as fill the 8 x duration the ABBA-twice runs took before. */
export function roundPlan(durationSeconds: number): { roundSeconds: number; blocks: number } {
  const roundSeconds = Math.max(2, Math.round(durationSeconds / 3));
  return { roundSeconds, blocks: Math.max(2, Math.ceil((8 * durationSeconds) / (BLOCK.length * roundSeconds))) };
}

export async function benchObservability(b: ObservabilityBench): Promise<void> {
  heading("2b. clearanceStatus with metrics and request log on vs off (HUB_METRICS, HUB_REQUEST_LOG)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-bench-log-"));
  const file = path.join(dir, "hub.log");
  // pinned first: the hubs, forked next, start on the load core and move to the hub core for their rounds
  const { backends, reason } = await HubBackends.open(b.databaseUrl);
  const hubs: BenchHubProcess[] = [];
  try {
    // the destination a deployment gets (src/infra/logger.ts), on a file instead of stdout
    const on = await b.start("on", ON, file).then((h) => (hubs.push(h), h));
    const off = await b.start("off", OFF, path.join(dir, "off.log")).then((h) => (hubs.push(h), h));
    const plan = roundPlan(b.durationSeconds);
    const round = (which: "on" | "off", title: string, seconds: number) =>
      measureRound(backends, which === "on" ? [on, off] : [off, on], { ...b.job(title, (which === "on" ? on : off).url), durationSeconds: seconds }, which);
    await round("on", "on warm-up", b.warmSeconds);
    await round("off", "off warm-up", b.warmSeconds);
    const rounds: Round[] = [];
    for (let k = 0; k < plan.blocks; k++) {
      for (const which of BLOCK) rounds.push(await round(which, `${which} ${k + 1}`, plan.roundSeconds));
    }
    await on.flush();
    reportObservability({
      rounds,
      plan,
      pinning: backends.pinning,
      unpinnedReason: reason,
      latePins: backends.latePins,
      requestLines: countRequestLines(file),
      verdict: b.verdict,
    });
  } finally {
    for (const h of hubs) await h.stop();
    await backends.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One round of load on `active` (pinned to the hub core if pinning works), with its CPU accounting over the load's own time. */
async function measureRound(backends: HubBackends, [active, idle]: [BenchHubProcess, BenchHubProcess], job: Job, which: "on" | "off"): Promise<Round> {
  const hubCpu = backends.pinning?.hubCpu;
  await backends.beginRound(active, idle);
  try {
    let start: { hub: number; pg: Map<number, number>; core: Map<number, number>; at: number } | undefined;
    const report = await runLoad({ ...job, primeSeconds: PRIME_SECONDS }, async () => {
      await backends.beginMeasure(active, idle);
      const pg = new Map((await backends.of(active)).map(({ pid }) => [pid, threadCpuMs(pid)] as const));
      start = { hub: await active.cpuMs(), pg, core: coreBusyMs(), at: nowMs() };
    });
    const wallMs = nowMs() - start!.at;
    const core = coreBusyMs();
    const hubCpuMs = (await active.cpuMs()) - start!.hub;
    // backends opened during the round count from 0; one closed during it loses its share (the pool keeps them for 10 s idle)
    let pgCpuMs = 0;
    for (const { pid } of await backends.of(active)) pgCpuMs += threadCpuMs(pid) - (start!.pg.get(pid) ?? 0);
    const busy = (cpu: number | undefined) => (cpu === undefined ? NaN : core.get(cpu)! - start!.core.get(cpu)!);
    return { which, report, wallMs, hubCpuMs, pgCpuMs, hubCoreBusyMs: busy(hubCpu), loadCoreBusyMs: busy(backends.pinning?.loadCpu) };
  } finally {
    await backends.endRound();
  }
}

function countRequestLines(file: string): number {
  let n = 0;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) if (line.includes('"msg":"request"')) n++;
  return n;
}
