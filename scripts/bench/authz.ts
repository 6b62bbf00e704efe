// Section 3 of `npm run bench` (scripts/bench.ts): authorization cost, a 1,000-declaration page
// with goods items in-process, policy on vs off, as the destination customs (every category)
// and as a carrier (mixed rights), and the SQL statements per request for page sizes 10, 100, 1000.
import { execute, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import type { Principal } from "../../src/authz/principal";
import { createContext } from "../../src/context/context";
import { buildHubSchema } from "../../src/schema/build";
import { CLEARANCE_QUERY, type ClearanceWorld } from "./clearance-world";
import { issueKey, startBenchHub, type BenchHub } from "./hub";
import type { Options } from "./options";
import { fmtInt, fmtMs, heading, median, note, nowMs, table, type Verdict } from "./util";

const PAGE_QUERY = `query Page($first: Int!) {
  declarations(first: $first) {
    edges {
      node {
        id status filedAt updatedAt trackingNumber originCountry destinationCountry grossWeightKg
        localReference totalValue currency category
        goodsItems { id lineNumber description quantity value hsCode }
      }
    }
  }
}`;

/** Leaf values in a result: the fields the guards had to decide on. */
function countLeaves(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + countLeaves(x), 0);
  if (v && typeof v === "object") return Object.values(v).reduce((n: number, x) => n + countLeaves(x), 0);
  return 1;
}

/** `data` with the value at each path set to null: what a viewer denied those fields should get. */
function nullAt(data: unknown, paths: readonly (readonly (string | number)[])[]): unknown {
  const copy = JSON.parse(JSON.stringify(data));
  for (const path of paths) {
    let node = copy;
    for (const key of path.slice(0, -1)) node = node?.[key];
    if (node && typeof node === "object") node[path[path.length - 1]] = null;
  }
  return copy;
}

interface AuthzViewer {
  label: string;
  principal: Principal;
  on: number[];
  off: number[];
  /** policy on, each denial thrown as an error (an executor that does not collect them; before 2026-12) */
  thrown: number[];
}

type Run = (schema: GraphQLSchema, viewer: Principal, first: number, collect?: boolean) => Promise<{ ms: number; result: ExecutionResult }>;

/**
 * The same request either way; only the schema differs. The response step is what the server
 * does when it sends the response: add the denied reads' errors, hand the access records to the writer.
 */
function runner(bh: BenchHub, document: DocumentNode): Run {
  return async (schema, viewer, first, collect = true) => {
    const t0 = nowMs();
    const contextValue = createContext(bh.hub, viewer, "Page");
    if (collect) contextValue.authz.collectDenials(); // as the servers do
    const executed = (await execute({ schema, document, variableValues: { first }, contextValue })) as ExecutionResult;
    const result = contextValue.authz.reportDenials(executed);
    bh.hub.accessLog.enqueue(contextValue.authz.recorder.drain(viewer, "Page"));
    const ms = nowMs() - t0;
    // The writer's batch insert happens off the request path: settle it outside the timing.
    await bh.hub.accessLog.flush();
    return { ms, result };
  };
}

/** Like for like: the policy may only null the fields it reports, one error each. Returns the viewer's summary. */
async function likeForLike(run: Run, on: GraphQLSchema, open: GraphQLSchema, v: AuthzViewer): Promise<string> {
  const withPolicy = await run(on, v.principal, 1000);
  const off = await run(open, v.principal, 1000);
  if (off.result.errors?.length) throw new Error(`page query failed with the policy off: ${off.result.errors[0].message}`);
  const errors = withPolicy.result.errors ?? [];
  const notForbidden = errors.find((e) => e.extensions?.code !== "FORBIDDEN");
  if (notForbidden) throw new Error(`page query failed for ${v.label}: ${notForbidden.message}`);
  const paths = errors.map((e) => e.path ?? []);
  if (new Set(paths.map((p) => p.join("."))).size !== paths.length) throw new Error(`${v.label}: two errors at one path`);
  if (JSON.stringify(withPolicy.result.data) !== JSON.stringify(nullAt(off.result.data, paths))) {
    throw new Error(`policy on and off differ for ${v.label} beyond the denied fields: the comparison would be meaningless`);
  }
  const edges = (withPolicy.result.data as any).declarations.edges as { node: { goodsItems: unknown[] | null } }[];
  if (edges.length !== 1000) throw new Error(`${v.label} sees ${edges.length} declarations, not a page of 1,000`);
  const goods = edges.reduce((s, e) => s + (e.node.goodsItems?.length ?? 0), 0);
  return `${v.label}: ${fmtInt(edges.length)} declarations, ${fmtInt(goods)} goods items, ${fmtInt(countLeaves(withPolicy.result.data))} field values, ${fmtInt(errors.length)} FORBIDDEN`;
}

/** 3 warm-up rounds, then `runs` timed ones, interleaved. */
async function timedRuns(o: Options, run: Run, on: GraphQLSchema, open: GraphQLSchema, viewers: AuthzViewer[]): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const v of viewers) {
      await run(on, v.principal, 1000);
      await run(open, v.principal, 1000);
    }
  }
  for (let i = 0; i < o.runs; i++) {
    for (const v of viewers) {
      // Alternate the order so drift (caches, GC, other load) hits both alike.
      if (i % 2 === 0) {
        v.on.push((await run(on, v.principal, 1000)).ms);
        v.off.push((await run(open, v.principal, 1000)).ms);
        v.thrown.push((await run(on, v.principal, 1000, false)).ms);
      } else {
        v.thrown.push((await run(on, v.principal, 1000, false)).ms);
        v.off.push((await run(open, v.principal, 1000)).ms);
        v.on.push((await run(on, v.principal, 1000)).ms);
      }
    }
  }
}

function printCost(o: Options, viewers: AuthzViewer[], summaries: string[], verdict: (v: Verdict) => void): void {
  const rows: string[][] = [
    ["viewer", "policy on ms (median, min-max)", "policy off ms (median, min-max)", "on / off", "target", "denials thrown / off"],
  ];
  for (const v of viewers) {
    const mOn = median(v.on);
    const mOff = median(v.off);
    const ratio = mOn / mOff;
    const span = (xs: number[]) => `${fmtMs(median(xs))} (${fmtMs(Math.min(...xs))}-${fmtMs(Math.max(...xs))})`;
    rows.push([v.label, span(v.on), span(v.off), `${ratio.toFixed(2)}x`, "<= 1.5x", `${(median(v.thrown) / mOff).toFixed(2)}x`]);
    verdict({
      measure: `Authorization cost, 1,000-declaration page, ${v.label.replace(/ \(.*\)$/, "")}`,
      figure: `${ratio.toFixed(2)}x (${fmtMs(mOn)} vs ${fmtMs(mOff)} ms)`,
      target: "<= 1.5x",
      result: ratio <= 1.5 ? "PASS" : "MISS",
    });
  }
  console.log(table(rows, { leftColumns: 1 }));
  for (const s of summaries) note(s);
  note(`policy on: buildHubSchema(events); policy off: buildHubSchema(events, { enforce: false }); ${o.runs} runs each, interleaved; same query, same data apart from the denied fields`);
  note("policy on, as the servers run it: denied fields recorded and reported as errors with the response (RequestAuthz.collectDenials); " +
    "\"denials thrown\": the same schema for an executor that does not collect them, each denial a thrown GraphQLError (how every denial was reported before)");
  note("a denied list (e.g. goodsItems, COMMERCIAL, for the carrier) is not loaded at all, so policy on can cost less than off");
}

/** Statements one request sends, counted on the hub's pool; its access records written after the count. */
async function statementsOf(bh: BenchHub, principal: Principal, operation: string, document: DocumentNode, variableValues: Record<string, unknown>): Promise<number> {
  await bh.hub.accessLog.flush();
  const before = bh.statements();
  const contextValue = createContext(bh.hub, principal, operation);
  const r = await execute({ schema: bh.schema, document, variableValues, contextValue });
  const n = bh.statements() - before;
  if (r.errors?.length) throw new Error(r.errors[0].message);
  bh.hub.accessLog.enqueue(contextValue.authz.recorder.drain(principal, operation));
  await bh.hub.accessLog.flush();
  return n;
}

/** SQL statements per request, policy on; for comparison, one clearanceStatus as the carrier (the raw endpoint sends 1 statement). */
async function statementsPerRequest(bh: BenchHub, cw: ClearanceWorld, principal: Principal, document: DocumentNode, verdict: (v: Verdict) => void): Promise<void> {
  const counts: [string, number][] = [];
  for (const first of [10, 100, 1000]) {
    // steady state: the viewer's agreements are cached (HUB_AGREEMENT_CACHE_MS), as they are between requests
    await execute({ schema: bh.schema, document, variableValues: { first }, contextValue: createContext(bh.hub, principal, "Page") });
    counts.push([`declarations(first: ${first}) + goodsItems (OFFICER)`, await statementsOf(bh, principal, "Page", document, { first })]);
  }
  const { principal: carrier } = await issueKey(bh.hub, cw.world, "carrier.SWX", "AGENT");
  const tn = (await bh.hub.prisma.declaration.findFirstOrThrow({ where: { carrierId: carrier.partyId }, select: { trackingNumber: true } })).trackingNumber;
  counts.push(["clearanceStatus (carrier), for comparison", await statementsOf(bh, carrier, "Clearance", parse(CLEARANCE_QUERY), { tn })]);
  console.log(table([["request (policy on)", "SQL statements"], ...counts.map(([q, n]) => [q, String(n)])]));
  note("counted on the pg connections of the hub's Prisma client; the access log's batch insert runs off the request path and is not counted");
  const pages = counts.slice(0, 3);
  const constant = pages.every(([, n]) => n === pages[0][1]);
  verdict({
    measure: "SQL statements per page (10 / 100 / 1000)",
    figure: pages.map(([, n]) => n).join(" / "),
    target: "constant",
    result: constant ? "PASS" : "MISS",
  });
}

export async function benchAuthz(o: Options, cw: ClearanceWorld, verdict: (v: Verdict) => void): Promise<void> {
  heading("3. Authorization cost: a 1,000-declaration page with goods items in-process, policy on vs off, per viewer");
  const bh = await startBenchHub(cw.url, { http: false, countStatements: true });
  try {
    const open = await buildHubSchema(bh.hub.events, { enforce: false });
    const document: DocumentNode = parse(PAGE_QUERY);
    for (const s of [bh.schema, open]) {
      const errors = validate(s, document);
      if (errors.length) throw new Error(`page query invalid: ${errors[0].message}`);
    }
    const viewers: AuthzViewer[] = [
      { label: "destination customs OFFICER (customs.DE)", principal: (await issueKey(bh.hub, cw.world, "customs.DE", "OFFICER")).principal, on: [], off: [], thrown: [] },
      // mixed rights: STATUS and TRANSPORT on every parcel it carries, COMMERCIAL and PARTIES
      // through the platform's agreement on some of them, the rest denied
      { label: "carrier AGENT, mixed rights (carrier.SWX)", principal: (await issueKey(bh.hub, cw.world, "carrier.SWX", "AGENT")).principal, on: [], off: [], thrown: [] },
    ];
    const run = runner(bh, document);
    const summaries: string[] = [];
    for (const v of viewers) summaries.push(await likeForLike(run, bh.schema, open, v));
    await timedRuns(o, run, bh.schema, open, viewers);
    printCost(o, viewers, summaries, verdict);
    await statementsPerRequest(bh, cw, viewers[0].principal, document, verdict);
  } finally {
    await bh.stop();
  }
}
