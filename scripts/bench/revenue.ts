// Bench section 8, revenue (npm run bench -- --only revenue): assessDuties computed for
// 1,000 declarations on PostgreSQL. The declarations (five routes: DE, FR, NL with IOSS,
// US, GB; three goods items each) are filed through the filing service, arrive through the
// workflow, and are then assessed one at a time by the destination's customs officer
// through WorkflowService (authorization, lock, rule book, computation, write audit,
// outbox, status move): per-declaration p50 and p99. The pure computation over the same
// declarations (computeAssessment against the cached rule book) is reported beside it.
import { randomBytes } from "node:crypto";
import type { Principal } from "../../src/authz/principal";
import { createContext } from "../../src/context/context";
import type { Hub } from "../../src/hub";
import { applyPendingMigrations } from "../../src/infra/migrations";
import type { DeclarationRow } from "../../src/modules/declarations/declarations.filing";
import { loadShippedRuleSets } from "../../src/modules/rules";
import { computeAssessment } from "../../src/modules/workflow/revenue.compute";
import { ensureWorld } from "../../src/seed/demo-world";
import { declarationInput } from "./inputs";
import { fmtMs, heading, note, nowMs, table, type ScratchDatabases } from "./util";

export interface RevenueVerdict {
  measure: string;
  figure: string;
  target: string;
  result: "PASS" | "MISS" | "info";
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

export async function benchRevenue(
  declarations: number,
  deps: { dbs: ScratchDatabases; startHub: (url: string) => Promise<{ hub: Hub; stop(): Promise<void> }>; verdict: (v: RevenueVerdict) => void },
): Promise<void> {
  heading(`8. Revenue: assessDuties computed for ${declarations.toLocaleString("en")} declarations (PostgreSQL)`);
  const url = await deps.dbs.create("revenue");
  await applyPendingMigrations(url);
  const bh = await deps.startHub(url);
  try {
    const { rows, customs, arrival } = await fileAndArrive(bh.hub, declarations);
    const { times, lines } = await timeAssessments(bh.hub, rows, customs);
    const pure = await timeComputation(bh.hub, rows, arrival);
    report(times, pure, lines, deps.verdict);
  } finally {
    await bh.stop();
    await deps.dbs.drop(url);
  }
}

/** The rule books loaded, the declarations filed by the platform and arrived (the carrier's event); the customs officers' principals. */
async function fileAndArrive(hub: Hub, declarations: number): Promise<{ rows: DeclarationRow[]; customs: Map<string, Principal>; arrival: Date }> {
  const loaded = await loadShippedRuleSets(hub.services.rules);
  const { world } = await ensureWorld(hub.prisma);
  const principal = async (key: string, role: "AGENT" | "OFFICER"): Promise<Principal> => {
    const secret = await hub.services.parties.issueKey(world.parties[key].id, role, "bench revenue");
    return (await hub.authenticator.authenticate(`Bearer ${secret}`))!;
  };
  const platform = await principal("platform.SV", "AGENT");
  const carrier = await principal("carrier.SWX", "AGENT");
  const customs = new Map<string, Principal>();
  for (const c of ["DE", "FR", "NL", "US", "GB"]) customs.set(c, await principal(`customs.${c}`, "OFFICER"));

  const runId = randomBytes(3).toString("hex");
  const parties = { platformId: world.parties["platform.SV"].id, carrierId: world.parties["carrier.SWX"].id };
  const inputs = Array.from({ length: declarations }, (_, n) => declarationInput(runId, n, parties));
  const filed = await hub.services.declarations.filing.fileMany(platform, inputs as never);
  const rows = filed.map((o) => o.declaration!);
  const arrival = new Date();
  for (const d of rows) {
    await hub.services.workflow.recordStatusEvent(createContext(hub, carrier), d.id, { code: "ARRIVED" as never, occurredAt: arrival, place: "bench" });
  }
  note(`${loaded.rules} rules and ${loaded.rates} exchange rates loaded; ${rows.length} declarations filed and arrived`);
  return { rows, customs, arrival };
}

/** assessDuties through the service, one declaration at a time: the times (sorted) and the lines written. */
async function timeAssessments(hub: Hub, rows: DeclarationRow[], customs: Map<string, Principal>): Promise<{ times: number[]; lines: number }> {
  // Warm-up: one assessment per destination (rule books cached, JIT), not counted.
  const warm = new Set<string>();
  const times: number[] = [];
  let lines = 0;
  for (const d of rows) {
    const ctx = createContext(hub, customs.get(d.destinationCountry)!);
    const first = !warm.has(d.destinationCountry);
    const t0 = nowMs();
    const out = await hub.services.workflow.duties.assess(ctx, d.id, {});
    const ms = nowMs() - t0;
    lines += out.length;
    if (first) warm.add(d.destinationCountry);
    else times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { times, lines };
}

/** The computation alone, against the cached rule books, for the same declarations: the times, sorted. */
async function timeComputation(hub: Hub, rows: DeclarationRow[], arrival: Date): Promise<number[]> {
  const goods = await hub.prisma.goodsItem.findMany({ where: { declarationId: { in: rows.map((d) => d.id) } }, orderBy: { lineNumber: "asc" } });
  const byDecl = new Map<string, typeof goods>();
  for (const g of goods) byDecl.set(g.declarationId, [...(byDecl.get(g.declarationId) ?? []), g]);
  const pure: number[] = [];
  for (const d of rows) {
    const book = await hub.services.rules.book(d.destinationCountry);
    const items = (byDecl.get(d.id) ?? []).map((g) => ({ ...g, value: g.value.toString(), netWeightKg: g.netWeightKg.toString() }));
    const t0 = nowMs();
    computeAssessment(book, { ...d, totalValue: d.totalValue.toString(), goodsItems: items }, arrival);
    pure.push(nowMs() - t0);
  }
  pure.sort((a, b) => a - b);
  return pure;
}

function report(times: number[], pure: number[], lines: number, verdict: (v: RevenueVerdict) => void): void {
  console.log(
    table(
      [
        ["measure", "declarations", "p50 ms", "p99 ms", "max ms"],
        ["assessDuties (service: authz, lock, compute, write, audit, outbox)", times.length, fmtMs(percentile(times, 0.5)), fmtMs(percentile(times, 0.99)), fmtMs(times[times.length - 1])],
        ["computeAssessment only (cached rule book)", pure.length, fmtMs(percentile(pure, 0.5)), fmtMs(percentile(pure, 0.99)), fmtMs(pure[pure.length - 1])],
      ],
      { leftColumns: 1 },
    ),
  );
  note(`${lines.toLocaleString("en")} duty and tax lines written; assessments one at a time (a customs officer's call each)`);
  verdict({
    measure: `assessDuties per declaration (${times.length}), p50 / p99`,
    figure: `${fmtMs(percentile(times, 0.5))} / ${fmtMs(percentile(times, 0.99))} ms (compute only ${fmtMs(percentile(pure, 0.5))} / ${fmtMs(percentile(pure, 0.99))} ms)`,
    target: "report",
    result: "info",
  });
}
