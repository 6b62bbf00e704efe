// Section 1 of `npm run bench` (scripts/bench.ts): bulk filing, fileDeclarations over HTTP on
// PostgreSQL in batches of 1,000 declarations x 3 goods items, risk assessment off and on.
import { randomBytes } from "node:crypto";
import type { Hub } from "../../src/hub";
import { createContext } from "../../src/context/context";
import { applyPendingMigrations } from "../../src/infra/migrations";
import { loadShippedRiskRules } from "../../src/modules/risk/risk.loader";
import { loadShippedRuleSets } from "../../src/modules/rules/rules.loader";
import { ensureWorld, type SeedWorld } from "../../src/seed/demo-world";
import { issueKey, startBenchHub } from "./hub";
import { declarationInput, type FilingParties } from "./inputs";
import type { Options } from "./options";
import { fmtInt, fmtMs, heading, median, note, nowMs, table, type ScratchDatabases, type Verdict } from "./util";

const FILE_MUTATION = `mutation File($declarations: [DeclarationInput!]!) {
  fileDeclarations(declarations: $declarations) { createdCount replayedCount failedCount results { index created error { code path message } } }
}`;

const PER_CALL = 1000;

interface Measured {
  calls: number;
  inFlight: number;
  times: number[];
  rate: number;
  cpuPerCall: number;
}

/** One filing run's figures: one call at a time, then 2 in flight. */
interface FilingRun {
  sequential: Measured;
  parallel: Measured;
  stored: number;
  items: number;
  alerts: number;
  holds: number;
  statuses: string;
  bodyBytes: number;
}

/**
 * Risk assessment is a setting of each destination's customs (RISK_SETTINGS ASSESSMENT, a
 * versioned rule): the shipped risk rules are loaded in both runs, and customs of the EU
 * (an officer of DE), GB and US publish `enabled` true or false through the API, as they
 * would. No bench-only path: the same filing code reads the same setting.
 */
async function setRiskAssessment(hub: Hub, world: SeedWorld, enabled: boolean): Promise<void> {
  await loadShippedRuleSets(hub.services.rules);
  await loadShippedRiskRules(hub.services.rules);
  for (const [jurisdiction, customs] of [["EU", "customs.DE"], ["GB", "customs.GB"], ["US", "customs.US"]]) {
    const { principal } = await issueKey(hub, world, customs, "OFFICER");
    await hub.services.rules.publish(createContext(hub, principal), {
      jurisdiction,
      rules: [{ kind: "RISK_SETTINGS", key: "ASSESSMENT", validFrom: "2020-01-01", legalReference: "bench: the customs' own setting", payload: { enabled, holdAbove: "MEDIUM" } }],
    });
  }
}

/** Posts one serialized batch; every declaration must be created. */
async function fileBatch(url: string, secret: string, label: string, body: string): Promise<{ ms: number; bodyBytes: number }> {
  const t0 = nowMs();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body,
  });
  const text = await res.text();
  const ms = nowMs() - t0;
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${label}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  const r = json?.data?.fileDeclarations;
  if (res.status !== 200 || !r || r.createdCount !== PER_CALL || r.failedCount !== 0) {
    const firstError = r?.results?.find((x: any) => x.error)?.error ?? json?.errors?.[0];
    throw new Error(`${label}: HTTP ${res.status}, created ${r?.createdCount}, failed ${r?.failedCount}: ${JSON.stringify(firstError)}`);
  }
  return { ms, bodyBytes: Buffer.byteLength(body) };
}

/** `calls` calls, `inFlight` at a time; declarations per second over the wall time. Bodies are made before the clock starts. */
async function measure(post: (label: string, body: string) => ReturnType<typeof fileBatch>, makeBody: () => string, calls: number, inFlight: number) {
  const bodies = Array.from({ length: calls }, makeBody);
  const times: number[] = [];
  let bodyBytes = 0;
  let next = 0;
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) {
        const i = next++;
        const r = await post(`call ${i + 1}`, bodies[i]);
        times.push(r.ms);
        bodyBytes = r.bodyBytes;
      }
    }),
  );
  const wall = nowMs() - t0;
  const c = process.cpuUsage(c0);
  const m: Measured = { calls, inFlight, times, rate: (calls * PER_CALL) / (wall / 1000), cpuPerCall: (c.user + c.system) / 1000 / calls };
  return { m, bodyBytes };
}

async function filingRun(o: Options, dbs: ScratchDatabases, assess: boolean): Promise<FilingRun> {
  const url = await dbs.create(assess ? "filing_risk_on" : "filing_risk_off");
  await applyPendingMigrations(url);
  const bh = await startBenchHub(url, { http: true });
  try {
    const { world } = await ensureWorld(bh.hub.prisma);
    await setRiskAssessment(bh.hub, world, assess);
    const { secret } = await issueKey(bh.hub, world, "platform.SV", "AGENT");
    const parties: FilingParties = { platformId: world.parties["platform.SV"].id, carrierId: world.parties["carrier.SWX"].id };
    const runId = randomBytes(3).toString("hex");
    let n = 0;
    const batch = () => Array.from({ length: PER_CALL }, () => declarationInput(runId, n++, parties));
    /** Request bodies are built and serialized before the clock starts: only the hub is timed. */
    const makeBody = () => JSON.stringify({ query: FILE_MUTATION, variables: { declarations: batch() } });
    const post = (label: string, body: string) => fileBatch(bh.server!.url, secret, label, body);

    // Warm-up (JIT, pool connections, plan caches, rule books): not counted.
    await post("warm-up", makeBody());
    const sequential = await measure(post, makeBody, o.filingBatches, 1);
    const parallel = await measure(post, makeBody, o.filingBatches, 2);
    const p = bh.hub.prisma;
    const byStatus = await p.declaration.groupBy({ by: ["status"], _count: true });
    return {
      sequential: sequential.m,
      parallel: parallel.m,
      bodyBytes: parallel.bodyBytes,
      stored: await p.declaration.count(),
      items: await p.goodsItem.count(),
      alerts: await p.riskAlert.count(),
      holds: await p.hold.count(),
      statuses: byStatus.map((s) => `${s.status} ${fmtInt(s._count)}`).join(", "),
    };
  } finally {
    await bh.stop();
    await dbs.drop(url);
  }
}

export async function benchFiling(o: Options, dbs: ScratchDatabases, verdict: (v: Verdict) => void): Promise<void> {
  heading("1. Bulk filing: fileDeclarations over HTTP on PostgreSQL, risk assessment off and on");
  const off = await filingRun(o, dbs, false);
  const on = await filingRun(o, dbs, true);
  const row = (label: string, m: Measured) => [
    label,
    m.inFlight === 1 ? "one call at a time" : `${m.inFlight} calls in flight`,
    String(m.calls),
    fmtInt(m.calls * PER_CALL),
    `${fmtMs(median(m.times))} ms`,
    `${fmtMs(Math.max(...m.times))} ms`,
    `${fmtMs(m.cpuPerCall)} ms`,
    fmtInt(m.rate),
  ];
  console.log(
    table([
      ["risk assessment", "client", "calls", "declarations", "median call", "slowest call", "Node CPU/call", "declarations/s"],
      row("off", off.sequential),
      row("off", off.parallel),
      row("on", on.sequential),
      row("on", on.parallel),
    ]),
  );
  note(
    `request body ${(off.bodyBytes / 1024).toFixed(0)} KiB per call; 1 warm-up call not counted; ` +
      `off: ${fmtInt(off.stored)} declarations, ${fmtInt(off.items)} goods items (${off.statuses}); ` +
      `on: ${fmtInt(on.stored)} declarations, ${fmtInt(on.alerts)} risk alerts, ${fmtInt(on.holds)} holds (${on.statuses})`,
  );
  verdict({
    measure: "Bulk filing (HTTP, 1,000 x 3 items per call)",
    figure: `${fmtInt(off.sequential.rate)} declarations/s (2 in flight: ${fmtInt(off.parallel.rate)})`,
    target: ">= 2,000/s",
    result: off.sequential.rate >= 2000 ? "PASS" : "MISS",
  });
  const ratio = on.sequential.rate / off.sequential.rate;
  verdict({
    measure: "Bulk filing with risk assessment on (registration, every rule, alerts and holds in the same statement)",
    figure: `${fmtInt(on.sequential.rate)} declarations/s = ${(ratio * 100).toFixed(0)}% of off (2 in flight: ${((on.parallel.rate / off.parallel.rate) * 100).toFixed(0)}%)`,
    target: ">= 80% of off",
    result: ratio >= 0.8 ? "PASS" : "MISS",
  });
}
