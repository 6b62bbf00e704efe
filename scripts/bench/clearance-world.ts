// The clearance database of `npm run bench` (scripts/bench.ts): N declarations seeded once
// and used by sections 2 (clearance.ts), 2b (observability.ts), 3 (authz.ts) and 7
// (analytics.ts); the clearanceStatus load those sections run, and the runners of 2b and 7.
import { Pool } from "pg";
import type { Hub } from "../../src/hub";
import { applyPendingMigrations } from "../../src/infra/migrations";
import { createPrismaClient } from "../../src/infra/prisma";
import { loadShippedRuleSets } from "../../src/modules/rules/rules.loader";
import { ensureWorld, pgWriter, seedDeclarations, type SeedWorld } from "../../src/seed/demo-world";
import { benchAnalytics } from "./analytics";
import { issueKey, raiseLimit, startBenchHub } from "./hub";
import { ClientProcess } from "./child";
import { benchObservability, type BenchHubProcess } from "./observability";
import type { HubCommand, HubJob } from "./observability-hub";
import type { Options } from "./options";
import { fmtInt, heading, note, nowMs, type ScratchDatabases, type Verdict } from "./util";

export const CLEARANCE_QUERY =
  "query Clearance($tn: String!) { clearanceStatus(trackingNumber: $tn) { trackingNumber id status onHold openHoldKinds updatedAt } }";

export interface ClearanceWorld {
  url: string;
  world: SeedWorld;
}

export async function seedClearanceDatabase(o: Options, dbs: ScratchDatabases): Promise<ClearanceWorld> {
  heading(`Seeding ${fmtInt(o.declarations)} declarations (seed module: seedDeclarations + pgWriter, INSERT ... SELECT FROM unnest)`);
  const url = await dbs.create("clearance");
  await applyPendingMigrations(url);
  const prisma = createPrismaClient(url, { embedded: false, poolSize: 2 });
  const pool = new Pool({ connectionString: url, max: o.seedConcurrency });
  try {
    const started = nowMs();
    const { world } = await ensureWorld(prisma);
    let nextReport = 0;
    const counts = await seedDeclarations(prisma, world, o.declarations, {
      batchSize: 2000,
      concurrency: o.seedConcurrency,
      writer: pgWriter(pool), // the seed script's fast path: each batch's INSERT ... unnest statements through pg
      onProgress: (done, total) => {
        if (done < nextReport && done !== total) return;
        nextReport = done + Math.max(100_000, Math.ceil(total / 10));
        const s = (nowMs() - started) / 1000;
        note(`${fmtInt(done)} / ${fmtInt(total)} declarations, ${fmtInt(done / s)}/s`);
      },
    });
    const seedSeconds = (nowMs() - started) / 1000;
    const t0 = nowMs();
    await prisma.$executeRawUnsafe("VACUUM ANALYZE");
    note(
      `seeded in ${seedSeconds.toFixed(0)} s (${fmtInt(counts.declarations / seedSeconds)} declarations/s), VACUUM ANALYZE ${((nowMs() - t0) / 1000).toFixed(0)} s: ` +
        Object.entries(counts)
          .map(([k, v]) => `${k} ${fmtInt(v)}`)
          .join(", "),
    );
    return { url, world };
  } finally {
    await pool.end();
    await prisma.$disconnect();
  }
}

/** The clearanceStatus load of one run: the carrier's key over `trackingNumbers` at random. */
export function clearanceJob(o: Options, secret: string, trackingNumbers: string[]) {
  return (title: string, url: string) => ({
    title,
    url,
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    bodyTemplate: JSON.stringify({ query: CLEARANCE_QUERY, variables: { tn: "__TN__" }, operationName: "Clearance" }),
    trackingNumbers,
    connections: o.connections,
    durationSeconds: o.durationSeconds,
  });
}

/**
 * The carrier's key, its rate limit raised as its operator would set it for a load test (the
 * default, 600,000 a minute, could be reached here on a fast machine), and up to 20,000 of
 * its tracking numbers at random.
 */
export async function carrierLoad(hub: Hub, cw: ClearanceWorld): Promise<{ secret: string; tns: string[] }> {
  const carrier = cw.world.parties["carrier.SWX"];
  const { secret } = await issueKey(hub, cw.world, "carrier.SWX", "AGENT");
  await raiseLimit(hub, carrier.id);
  const sample = await hub.prisma.$queryRawUnsafe<{ trackingNumber: string }[]>(
    `SELECT "trackingNumber" FROM "Declaration" WHERE "carrierId" = $1::uuid ORDER BY random() LIMIT 20000`,
    carrier.id,
  );
  return { secret, tns: sample.map((r) => r.trackingNumber) };
}

/** Section 2b: the same load on two hubs, metrics and request log on and off (scripts/bench/observability.ts). */
export async function benchObservabilityCost(o: Options, cw: ClearanceWorld, verdict: (v: Verdict) => void): Promise<void> {
  const setup = await startBenchHub(cw.url, { http: false });
  let job: ReturnType<typeof clearanceJob>;
  try {
    const { secret, tns } = await carrierLoad(setup.hub, cw);
    job = clearanceJob(o, secret, tns);
  } finally {
    await setup.stop();
  }
  await benchObservability({
    start: (name, env, logFile) => startHubProcess(name, { databaseUrl: cw.url, env, logFile }),
    job,
    databaseUrl: cw.url,
    durationSeconds: o.durationSeconds,
    warmSeconds: Math.min(5, o.durationSeconds),
    verdict,
  });
}

/**
 * A hub of section 2b in a process of its own (observability-hub.ts). Its connections carry
 * an application_name of their own (pg reads it from the URL), by which the bench finds the
 * PostgreSQL backends serving it.
 */
async function startHubProcess(name: string, job: HubJob): Promise<BenchHubProcess> {
  const appName = `luxor_bench_2b_${name}_${process.pid}`;
  const dbUrl = new URL(job.databaseUrl);
  dbUrl.searchParams.set("application_name", appName);
  const child = new ClientProcess("observability-hub.js", "hub", { job: { ...job, databaseUrl: dbUrl.toString() } });
  const ask = <T>(c: HubCommand) => child.ask<T>(c);
  try {
    const { url } = await child.next<{ url: string }>(120_000);
    return {
      pid: child.pid,
      appName,
      url,
      cpuMs: async () => (await ask<{ cpuMs: number }>({ cmd: "cpu" })).cpuMs,
      flush: async () => void (await ask({ cmd: "flush" })),
      stop: async () => {
        try {
          await ask({ cmd: "stop" });
        } finally {
          child.kill();
        }
      },
    };
  } catch (err) {
    child.kill();
    throw err;
  }
}

/** Section 7 (scripts/bench/analytics.ts) on the clearance database, or on one seeded before (seededClearanceWorld). */
export async function runAnalyticsBench(o: Options, cw: ClearanceWorld, verdict: (v: Verdict) => void): Promise<void> {
  // a time limit far above the figures, so slow queries are measured rather than cut short
  const bh = await startBenchHub(cw.url, { http: false, env: { HUB_ANALYTICS_TIMEOUT_MS: "300000" } });
  try {
    // amounts are compared and summed in EUR at the shipped (illustrative) exchange rates
    await loadShippedRuleSets(bh.hub.services.rules);
    await benchAnalytics({
      url: cw.url,
      hub: bh.hub,
      schema: bh.schema,
      customs: (await issueKey(bh.hub, cw.world, "customs.DE", "ANALYST")).principal,
      mixed: (await issueKey(bh.hub, cw.world, "carrier.SWX", "AGENT")).principal,
      ids: Object.fromEntries(Object.entries(cw.world.parties).map(([k, p]) => [k, p.id])),
      runs: o.runs,
      verdict,
    });
  } finally {
    await bh.stop();
  }
}

/**
 * A database seeded before (npm run seed, or an earlier bench world), migrated to this build and
 * kept: BENCH_SEEDED_DATABASE_URL (clearance, observability, authz, analytics) or
 * BENCH_ANALYTICS_DATABASE_URL (analytics only). Saves seeding a million declarations per run.
 */
export async function seededClearanceWorld(url: string): Promise<ClearanceWorld> {
  heading(`Using the database seeded before at ${new URL(url).pathname.slice(1)} (not seeded, not dropped)`);
  await applyPendingMigrations(url);
  const prisma = createPrismaClient(url, { embedded: false, poolSize: 1 });
  try {
    const { world } = await ensureWorld(prisma);
    const [{ n }] = await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "Declaration"`);
    note(`${fmtInt(Number(n))} declarations`);
    return { url, world };
  } finally {
    await prisma.$disconnect();
  }
}
