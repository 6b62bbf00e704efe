// Section 2's diagnosis (scripts/bench/clearance.ts): the hub with its data access stubbed
// (the framework's cost alone), and the anatomy of one clearanceStatus request.
import { execute, parse } from "graphql";
import { Pool } from "pg";
import { createContext, type HubContext } from "../../src/context/context";
import type { Measured } from "./clearance";
import { CLEARANCE_QUERY, type clearanceJob, type ClearanceWorld } from "./clearance-world";
import { postGraphql, type BenchHub } from "./hub";
import type { LoadReport } from "./load";
import { RAW_SQL } from "./raw-server";
import { fmtInt, fmtMs, note, nowMs, runLoad, table, type Verdict } from "./util";

/**
 * Diagnosis: the same hub with its data access replaced by a constant answer (no SQL, no
 * access log). What remains is node:http, Apollo, armor, authentication, rate limit, shield,
 * field guards and type-graphql: the cost of the framework alone.
 */
export async function frameworkDiagnosis(
  bh: BenchHub,
  carrierId: string,
  r: { job: ReturnType<typeof clearanceJob>; warm: number; measured: Measured; cpu: Map<LoadReport, number>; hub: LoadReport; base: LoadReport },
  verdict: (v: Verdict) => void,
): Promise<void> {
  const { job, warm, measured, cpu, hub, base } = r;
  const services = bh.hub.services;
  const saved = { inForceFor: services.agreements.inForceFor, clearanceStatus: services.declarations.clearanceStatus, enqueue: bh.hub.accessLog.enqueue };
  const now = new Date();
  services.agreements.inForceFor = async () => [];
  services.declarations.clearanceStatus = (async (ctx: HubContext, tn: string) => {
    const scope = {
      id: "00000000-0000-4000-8000-000000000000",
      filerId: carrierId,
      carrierId,
      postId: null,
      platformId: null,
      originCountry: "CN",
      destinationCountry: "DE",
      status: "FILED",
      updatedAt: now,
    };
    (await ctx.authz.policy()).rememberScope(scope);
    return { id: scope.id, trackingNumber: tn.trim().toUpperCase(), scope, status: "FILED", onHold: false, openHoldKinds: [], updatedAt: now };
  }) as unknown as typeof saved.clearanceStatus;
  bh.hub.accessLog.enqueue = () => undefined;
  let framework: LoadReport;
  try {
    await runLoad({ ...job("framework warm-up", bh.server!.url), durationSeconds: warm });
    framework = await measured(job("hub, data access stubbed", bh.server!.url));
  } finally {
    services.agreements.inForceFor = saved.inForceFor;
    services.declarations.clearanceStatus = saved.clearanceStatus;
    bh.hub.accessLog.enqueue = saved.enqueue;
  }
  console.log(
    table([
      ["diagnosis: same hub, data access stubbed", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "of raw"],
      [
        "HTTP + Apollo + auth + policy guards, no SQL",
        fmtInt(framework.requestsPerSecond),
        fmtMs(framework.latencyP50),
        fmtMs(framework.latencyP99),
        fmtMs(cpu.get(framework)!),
        `${((framework.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(0)}%`,
      ],
    ]),
  );
  note(
    `=> of the hub's ${fmtMs(cpu.get(hub)!)} ms CPU per request, ~${fmtMs(cpu.get(framework)!)} ms is the framework and ` +
      `~${fmtMs(cpu.get(hub)! - cpu.get(framework)!)} ms the data access (Prisma, policy) and the access log`,
  );
  verdict({
    measure: "  diagnosis: hub with data access stubbed",
    figure: `${((framework.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(0)}% of raw (${fmtMs(cpu.get(framework)!)} ms CPU/req)`,
    target: "-",
    result: "info",
  });
}

/**
 * Where a clearanceStatus request spends its time, one request at a time (no concurrency):
 * the SQL alone, Prisma, the policy's agreements query, GraphQL execution in-process, HTTP.
 */
export async function anatomyOfClearance(bh: BenchHub, cw: ClearanceWorld, secret: string, tns: string[], rawUrl: string): Promise<void> {
  const N = 2000;
  const carrierId = cw.world.parties["carrier.SWX"].id;
  const principal = (await bh.hub.authenticator.authenticate(`Bearer ${secret}`))!;
  const pool = new Pool({ connectionString: cw.url, max: 1 });
  const document = parse(CLEARANCE_QUERY);
  const executeOnce = async (tn: string, writeAccessLog: boolean) => {
    const contextValue = createContext(bh.hub, principal, "Clearance");
    const r = await execute({ schema: bh.schema, document, variableValues: { tn }, contextValue });
    const records = contextValue.authz.recorder.drain(principal, "Clearance");
    if (writeAccessLog) bh.hub.accessLog.enqueue(records);
    return r;
  };
  const steps: [string, (tn: string) => Promise<unknown>][] = [
    ["pg: the raw endpoint's SQL (1 statement)", (tn) => pool.query(RAW_SQL, [tn, carrierId])],
    ["pg: the same SQL, prepared (planned once per connection)", (tn) => pool.query({ name: "anatomy_raw", text: RAW_SQL, values: [tn, carrierId] })],
    ["Prisma $queryRawUnsafe: the same SQL (1 statement)", (tn) => bh.hub.prisma.$queryRawUnsafe(RAW_SQL, tn, carrierId)],
    ["policy: agreements in force (as the service calls it)", () => bh.hub.services.agreements.inForceFor(principal.partyId, new Date())],
    ["service: clearanceStatus (policy + lookup)", (tn) => bh.hub.services.declarations.clearanceStatus(createContext(bh.hub, principal), tn)],
    ["GraphQL execute in-process, access records discarded", (tn) => executeOnce(tn, false)],
    ["GraphQL execute in-process, access records written", (tn) => executeOnce(tn, true)],
    ["HTTP round trip to the raw endpoint", (tn) => postGraphql(rawUrl, secret, CLEARANCE_QUERY, { tn })],
    ["HTTP round trip to the hub (HTTP, Apollo, auth, all above)", (tn) => postGraphql(bh.server!.url, secret, CLEARANCE_QUERY, { tn })],
  ];
  const rows: string[][] = [["step, one request at a time", "wall ms", "Node CPU ms"]];
  try {
    for (const [name, fn] of steps) {
      for (let i = 0; i < 200; i++) await fn(tns[i % tns.length]);
      const c0 = process.cpuUsage();
      const t0 = nowMs();
      for (let i = 0; i < N; i++) await fn(tns[(i * 7) % tns.length]);
      await bh.hub.accessLog.flush(); // the batch inserts belong to the step that queued them
      const ms = (nowMs() - t0) / N;
      const c = process.cpuUsage(c0);
      rows.push([name, fmtMs(ms), fmtMs((c.user + c.system) / 1000 / N)]);
    }
    await bh.hub.accessLog.flush();
  } finally {
    await pool.end();
  }
  console.log(`\n  Anatomy of one clearanceStatus request (one at a time, ${fmtInt(N)} each after 200 warm-up;`);
  console.log("  Node CPU is this process's: the HTTP rows include the fetch client, the access-log row its batch inserts):");
  console.log(table(rows));
}
