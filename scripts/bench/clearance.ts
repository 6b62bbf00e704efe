// Section 2 of `npm run bench` (scripts/bench.ts): clearanceStatus on the N-declaration
// database, the hub over HTTP vs a plain node:http + pg endpoint (and, for reference, the same
// endpoint with a prepared statement, as the hub's lookup uses), autocannon, 50 connections;
// then where the hub's time goes (clearance-anatomy.ts).
import { anatomyOfClearance, frameworkDiagnosis } from "./clearance-anatomy";
import { carrierLoad, clearanceJob, CLEARANCE_QUERY, type ClearanceWorld } from "./clearance-world";
import { postGraphql, startBenchHub, type BenchHub } from "./hub";
import type { LoadJob, LoadReport } from "./load";
import type { Options } from "./options";
import { startRawServer } from "./raw-server";
import { fmtInt, fmtMs, heading, note, runLoad, table, type Verdict } from "./util";

/** A load run whose server CPU per request (this process's, which serves the endpoints) is kept in `cpu`. */
export type Measured = (job: LoadJob) => Promise<LoadReport>;

function sameClearance(a: any, b: any): boolean {
  if (!a || !b) return false;
  const norm = (x: any) => ({ ...x, openHoldKinds: [...x.openHoldKinds].sort() });
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Both endpoints must give the same answers before their speed means anything. */
async function checkSameAnswers(bh: BenchHub, rawUrl: string, secret: string, tns: string[]): Promise<void> {
  let onHold = 0;
  for (const tn of tns.slice(0, 300)) {
    const h = await postGraphql(bh.server!.url, secret, CLEARANCE_QUERY, { tn });
    const r = await postGraphql(rawUrl, secret, CLEARANCE_QUERY, { tn });
    if (!sameClearance(h.body?.data?.clearanceStatus, r.body?.data?.clearanceStatus)) {
      throw new Error(`hub and raw endpoint disagree on ${tn}: ${JSON.stringify(h.body)} vs ${JSON.stringify(r.body)}`);
    }
    if (h.body.data.clearanceStatus.onHold) onHold++;
  }
  note(`hub and raw endpoint agree on 300 sampled parcels (${onHold} of them on hold)`);
}

/** The mean of two runs of one endpoint. */
function mean(a: LoadReport, b: LoadReport, title: string): LoadReport {
  return {
    ...a,
    title,
    requestsPerSecond: (a.requestsPerSecond + b.requestsPerSecond) / 2,
    latencyP50: (a.latencyP50 + b.latencyP50) / 2,
    latencyP99: (a.latencyP99 + b.latencyP99) / 2,
    latencyMean: (a.latencyMean + b.latencyMean) / 2,
    completed: a.completed + b.completed,
    bad: a.bad + b.bad,
    errors: a.errors + b.errors,
    timeouts: a.timeouts + b.timeouts,
    firstBadBody: a.firstBadBody ?? b.firstBadBody,
  };
}

/**
 * ABBA order: hub, raw, raw, hub, so that drifting background load hits both alike (the
 * prepared-statement variant of raw runs in the middle, twice as well).
 */
async function abbaRuns(job: ReturnType<typeof clearanceJob>, urls: { hub: string; raw: string; prepared: string }, measured: Measured, cpu: Map<LoadReport, number>) {
  const hub1 = await measured(job("hub run 1", urls.hub));
  const raw1 = await measured(job("raw run 1", urls.raw));
  const prep1 = await measured(job("raw prepared run 1", urls.prepared));
  const prep2 = await measured(job("raw prepared run 2", urls.prepared));
  const raw2 = await measured(job("raw run 2", urls.raw));
  const hub2 = await measured(job("hub run 2", urls.hub));
  const hub = mean(hub1, hub2, "hub");
  const base = mean(raw1, raw2, "raw");
  const prepared = mean(prep1, prep2, "raw prepared");
  cpu.set(hub, (cpu.get(hub1)! + cpu.get(hub2)!) / 2);
  cpu.set(base, (cpu.get(raw1)! + cpu.get(raw2)!) / 2);
  cpu.set(prepared, (cpu.get(prep1)! + cpu.get(prep2)!) / 2);
  return { hub, base, prepared, runs: { hub1, raw1, prep1, prep2, raw2, hub2 } };
}

function printRuns(o: Options, r: Awaited<ReturnType<typeof abbaRuns>>, cpu: Map<LoadReport, number>, warm: number): void {
  const { hub, base, prepared, runs } = r;
  const row = (name: string, x: LoadReport) => [
    name,
    fmtInt(x.requestsPerSecond),
    fmtMs(x.latencyP50),
    fmtMs(x.latencyP99),
    fmtMs(x.latencyMean),
    fmtInt(x.completed),
    fmtInt(x.bad + x.errors + x.timeouts),
    fmtMs(cpu.get(x)!),
  ];
  console.log(
    table([
      ["endpoint", "req/s", "p50 ms", "p99 ms", "mean ms", "requests", "errors", "server CPU ms/req"],
      row("hub: GraphQL clearanceStatus (carrier key)", hub),
      row("raw: node:http + pg (Pool 10)", base),
      row("raw, prepared statement (as the hub's)", prepared),
      row("  hub run 1", runs.hub1),
      row("  raw run 1", runs.raw1),
      row("  raw prepared run 1", runs.prep1),
      row("  raw prepared run 2", runs.prep2),
      row("  raw run 2", runs.raw2),
      row("  hub run 2", runs.hub2),
    ]),
  );
  for (const x of [hub, base, prepared]) if (x.firstBadBody) note(`${x.title}: first bad response: ${x.firstBadBody}`);
  note(
    `autocannon in a child process, ${o.connections} connections, ${o.durationSeconds} s per run, runs in the order hub, raw, raw prepared, raw prepared, raw, hub ` +
      `after ${warm} s warm-up each; first three rows: mean of the two runs`,
  );
  note(`hub/raw throughput: ${((hub.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(0)}%  (hub: NODE_ENV=production, LOG_LEVEL=silent, no Redis, Prisma pool 10)`);
  note(
    `server CPU per request (Node process only, PostgreSQL not included): hub ${fmtMs(cpu.get(hub)!)} ms, raw ${fmtMs(cpu.get(base)!)} ms ` +
      `= ${(cpu.get(hub)! / cpu.get(base)!).toFixed(1)}x`,
  );
  note(`hub / raw with a prepared statement: ${((hub.requestsPerSecond / prepared.requestsPerSecond) * 100).toFixed(0)}%  (the target compares with the plain raw endpoint)`);
}

function clearanceVerdicts(o: Options, r: Awaited<ReturnType<typeof abbaRuns>>, verdict: (v: Verdict) => void): void {
  const { hub, base, prepared } = r;
  const ratio = hub.requestsPerSecond / base.requestsPerSecond;
  const preparedRatio = hub.requestsPerSecond / prepared.requestsPerSecond;
  const clean = [hub, base, prepared].every((x) => x.bad + x.errors + x.timeouts === 0);
  verdict({
    measure: `clearanceStatus hub/raw (${fmtInt(o.declarations)} decl.)`,
    figure: `${(ratio * 100).toFixed(0)}% (${fmtInt(hub.requestsPerSecond)} vs ${fmtInt(base.requestsPerSecond)} req/s)`,
    target: ">= 60%",
    result: ratio >= 0.6 && clean ? "PASS" : "MISS",
  });
  verdict({
    measure: "clearanceStatus p50 / p99, hub vs raw",
    figure: `${fmtMs(hub.latencyP50)} / ${fmtMs(hub.latencyP99)} vs ${fmtMs(base.latencyP50)} / ${fmtMs(base.latencyP99)} ms`,
    target: "-",
    result: "info",
  });
  verdict({
    measure: "  hub / raw with a prepared statement",
    figure: `${(preparedRatio * 100).toFixed(0)}% (${fmtInt(hub.requestsPerSecond)} vs ${fmtInt(prepared.requestsPerSecond)} req/s)`,
    target: "-",
    result: "info",
  });
}

export async function benchClearance(o: Options, cw: ClearanceWorld, verdict: (v: Verdict) => void): Promise<void> {
  heading(`2. clearanceStatus on ${fmtInt(o.declarations)} declarations: hub vs plain node:http + pg`);
  const bh = await startBenchHub(cw.url, { http: true });
  const carrier = cw.world.parties["carrier.SWX"];
  const raw = await startRawServer(cw.url, carrier.id, 10);
  const rawPrepared = await startRawServer(cw.url, carrier.id, 10, true);
  try {
    const { secret, tns } = await carrierLoad(bh.hub, cw);
    const carried = await bh.hub.prisma.declaration.count({ where: { carrierId: carrier.id } });
    note(`${carrier.name} carries ${fmtInt(carried)} parcels; rotating through ${fmtInt(tns.length)} of them at random`);
    await checkSameAnswers(bh, raw.url, secret, tns);

    const job = clearanceJob(o, secret, tns);
    // Warm-up of both (JIT, pools, caches), then the measured runs.
    const warm = Math.min(5, o.durationSeconds);
    await runLoad({ ...job("hub warm-up", bh.server!.url), durationSeconds: warm });
    await runLoad({ ...job("raw warm-up", raw.url), durationSeconds: warm });
    await runLoad({ ...job("raw prepared warm-up", rawPrepared.url), durationSeconds: warm });
    // This process serves both endpoints (one at a time); its CPU time per request tells what
    // each costs on the server side, a figure other load on the machine distorts far less.
    const cpu = new Map<LoadReport, number>();
    const measured: Measured = async (j) => {
      const c0 = process.cpuUsage();
      const r = await runLoad(j);
      const c = process.cpuUsage(c0);
      cpu.set(r, (c.user + c.system) / 1000 / Math.max(1, r.completed));
      return r;
    };
    const runs = await abbaRuns(job, { hub: bh.server!.url, raw: raw.url, prepared: rawPrepared.url }, measured, cpu);
    printRuns(o, runs, cpu, warm);
    clearanceVerdicts(o, runs, verdict);
    await frameworkDiagnosis(bh, carrier.id, { job, warm, measured, cpu, hub: runs.hub, base: runs.base }, verdict);
    await anatomyOfClearance(bh, cw, secret, tns, raw.url);
  } finally {
    await raw.close();
    await rawPrepared.close();
    await bh.stop();
  }
}
