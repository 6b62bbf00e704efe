// What metrics and the request log cost (issue 11 target: at most 5% of clearanceStatus
// throughput): two hubs on the same database, each in a process of its own
// (observability-hub.ts), one with the production settings HUB_METRICS=on, HUB_REQUEST_LOG=on
// and LOG_LEVEL=info (log lines written to a file, as a deployment writes them to stdout), the
// other with HUB_METRICS=off, HUB_REQUEST_LOG=off. Same load as section 2, in the order on,
// off, off, on, twice. Server CPU: the hub process's own (all its threads).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoadReport } from "./load";
import { fmtInt, fmtMs, heading, note, runLoad, table } from "./util";

type Job = Parameters<typeof runLoad>[0];

export interface BenchHubProcess {
  url: string;
  /** the process's CPU time so far (user + system, all threads), ms */
  cpuMs(): Promise<number>;
  /** writes the log lines it has gathered */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface ObservabilityBench {
  /** a hub in a process of its own with these production settings, its log lines written to `logFile` */
  start(env: Record<string, string>, logFile: string): Promise<BenchHubProcess>;
  /** section 2's clearanceStatus load against a URL */
  job(title: string, url: string): Job;
  warmSeconds: number;
  verdict(v: { measure: string; figure: string; target: string; result: "PASS" | "MISS" | "info" }): void;
}

const ON = { HUB_METRICS: "on", HUB_REQUEST_LOG: "on", LOG_LEVEL: "info" };
const OFF = { HUB_METRICS: "off", HUB_REQUEST_LOG: "off", LOG_LEVEL: "info" };

export async function benchObservability(b: ObservabilityBench): Promise<void> {
  heading("2b. clearanceStatus with metrics and request log on vs off (HUB_METRICS, HUB_REQUEST_LOG)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-bench-log-"));
  const file = path.join(dir, "hub.log");
  // the destination a deployment gets (src/infra/logger.ts), on a file instead of stdout
  const on = await b.start(ON, file);
  const off = await b.start(OFF, path.join(dir, "off.log"));
  try {
    const cpu = new Map<LoadReport, number>();
    const measured = async (title: string, hub: BenchHubProcess) => {
      const c0 = await hub.cpuMs();
      const r = await runLoad(b.job(title, hub.url));
      cpu.set(r, ((await hub.cpuMs()) - c0) / Math.max(1, r.completed));
      return r;
    };
    await runLoad({ ...b.job("on warm-up", on.url), durationSeconds: b.warmSeconds });
    await runLoad({ ...b.job("off warm-up", off.url), durationSeconds: b.warmSeconds });
    // ABBA twice, so that drifting background load hits both alike
    const runs: { which: "on" | "off"; report: LoadReport }[] = [];
    for (const [i, which] of (["on", "off", "off", "on", "on", "off", "off", "on"] as const).entries()) {
      runs.push({ which, report: await measured(`${which} run ${Math.floor(i / 2) + 1}`, which === "on" ? on : off) });
    }
    await on.flush();
    const lines = countRequestLines(file);

    const of = (which: "on" | "off") => runs.filter((r) => r.which === which).map((r) => r.report);
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const onRate = mean(of("on").map((r) => r.requestsPerSecond));
    const offRate = mean(of("off").map((r) => r.requestsPerSecond));
    const onCpu = mean(of("on").map((r) => cpu.get(r)!));
    const offCpu = mean(of("off").map((r) => cpu.get(r)!));
    const row = (name: string, r: LoadReport) => [name, fmtInt(r.requestsPerSecond), fmtMs(r.latencyP50), fmtMs(r.latencyP99), fmtInt(r.completed), fmtInt(r.bad + r.errors + r.timeouts), fmtMs(cpu.get(r)!)];
    console.log(
      table([
        ["hub", "req/s", "p50 ms", "p99 ms", "requests", "errors", "server CPU ms/req"],
        ["metrics + request log ON (mean of 4)", fmtInt(onRate), "", "", "", "", fmtMs(onCpu)],
        ["metrics + request log OFF (mean of 4)", fmtInt(offRate), "", "", "", "", fmtMs(offCpu)],
        ...runs.map((r) => row(`  ${r.report.title}`, r.report)),
      ]),
    );
    const ratio = onRate / offRate;
    const logged = of("on").reduce((a, r) => a + r.completed, 0);
    note(`on/off throughput: ${(ratio * 100).toFixed(1)}% (cost ${((1 - ratio) * 100).toFixed(1)}%); server CPU per request on/off: ${(onCpu / offCpu).toFixed(3)}x`);
    note(`request log: ${fmtInt(lines)} lines written for the ${fmtInt(logged)} measured requests of the "on" hub (warm-up included: ${fmtInt(lines - logged)} more)`);
    const clean = runs.every(({ report: r }) => r.bad + r.errors + r.timeouts === 0);
    b.verdict({
      measure: "metrics + request log cost (clearanceStatus)",
      figure: `${((1 - ratio) * 100).toFixed(1)}% (${fmtInt(onRate)} on vs ${fmtInt(offRate)} off req/s)`,
      target: "<= 5%",
      result: ratio >= 0.95 && clean ? "PASS" : "MISS",
    });
    b.verdict({
      measure: "  server CPU per request, on / off",
      figure: `${fmtMs(onCpu)} / ${fmtMs(offCpu)} ms (${((onCpu / offCpu - 1) * 100).toFixed(1)}%)`,
      target: "-",
      result: "info",
    });
  } finally {
    await on.stop();
    await off.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function countRequestLines(file: string): number {
  let n = 0;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) if (line.includes('"msg":"request"')) n++;
  return n;
}
