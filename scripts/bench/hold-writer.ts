// The holds writer of the events and webhooks sections, run in their client process
// (scripts/bench/ws-clients.ts, mode "writer"): holds through the API (HTTP POST placeHold,
// customs officer keys), either at a fixed rate (open loop) or as fast as N writers in a loop
// can (closed loop). To 127.0.0.1 only.
import http from "node:http";
import { Column, cpuMs, epochMs } from "./child";

export interface HoldSpec {
  key: string;
  declarationId: string;
  kind: string;
}

export interface WriterJob {
  mode: "writer";
  url: string;
  holds: HoldSpec[];
  /** holds per second (open loop), or null: `concurrency` writers back to back (closed loop) */
  rate: number | null;
  /** open loop: most requests in flight; closed loop: the number of writers */
  concurrency: number;
  durationSeconds: number;
  /** the holds' reason (RISK data; at most 2,000 characters) */
  reason: string;
  /** open loop: start every hold however late (default: none starts after the duration) */
  startAll?: boolean;
  /** a request without an answer this long fails (default: none) */
  timeoutMs?: number;
}

export interface WriterReport {
  type: "writer";
  placed: number;
  failed: number;
  firstError: string | null;
  /** epoch ms */
  startedAt: number;
  endedAt: number;
  /** mutation round trips, ms */
  roundTrip: Float64Array;
  /** open loop: requests that started more than 100 ms late (the writer could not keep the rate) */
  late: number;
  cpuMs: number;
}

const PLACE_HOLD = "mutation Place($id: ID!, $input: PlaceHoldInput!) { placeHold(declarationId: $id, input: $input) { id } }";

/** A POST to the API with a key, over `agent` (at most `job.concurrency` sockets). */
function poster(job: WriterJob, agent: http.Agent) {
  const target = new URL(job.url);
  return (key: string, body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      if (job.timeoutMs) req.setTimeout(job.timeoutMs, () => req.destroy(new Error(`no answer within ${job.timeoutMs! / 1000} s`)));
      req.on("error", reject);
      req.end(body);
    });
}

/**
 * Open loop: hold i starts at startedAt + i / rate, whatever the answers take (at most
 * `concurrency` in flight: past that, the writer waits and falls behind the rate). Returns
 * how many started more than 100 ms late.
 */
async function openLoop(job: WriterJob & { rate: number }, place: (h: HoldSpec) => Promise<void>, startedAt: number, deadline: number): Promise<number> {
  let late = 0;
  const interval = 1000 / job.rate;
  const count = Math.min(job.holds.length, Math.floor(job.durationSeconds * job.rate));
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    // holds not started within the duration are not placed: the achieved rate says so
    if (!job.startAll && epochMs() > deadline) break;
    const due = startedAt + i * interval;
    const wait = due - epochMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= job.concurrency) await Promise.race(inFlight);
    if (epochMs() - due > 100) late++;
    const p: Promise<void> = place(job.holds[i]).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return late;
}

export async function runWriter(job: WriterJob): Promise<WriterReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const post = poster(job, agent);
  const roundTrip = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  let placed = 0;
  let failed = 0;
  let firstError: string | null = null;
  const c0 = cpuMs();
  const startedAt = epochMs();
  const deadline = startedAt + job.durationSeconds * 1000;

  const place = async (h: HoldSpec) => {
    const body = JSON.stringify({
      query: PLACE_HOLD,
      operationName: "Place",
      variables: { id: h.declarationId, input: { kind: h.kind, reason: job.reason } },
    });
    const t0 = epochMs();
    try {
      const res = await post(h.key, body);
      roundTrip.push(epochMs() - t0);
      if (res.status === 200 && res.text.includes('"placeHold":{"id"') && !res.text.includes('"errors"')) placed++;
      else {
        failed++;
        firstError ??= `${res.status} ${res.text.slice(0, 300)}`;
      }
    } catch (err) {
      failed++;
      firstError ??= String((err as Error).message);
    }
  };

  let late = 0;
  if (job.rate === null) {
    // closed loop: each writer places its next hold as soon as the last one returned
    let next = 0;
    await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        while (epochMs() < deadline && next < job.holds.length) await place(job.holds[next++]);
      }),
    );
  } else {
    late = await openLoop({ ...job, rate: job.rate }, place, startedAt, deadline);
  }
  agent.destroy();
  return { type: "writer", placed, failed, firstError, startedAt, endedAt: epochMs(), roundTrip: roundTrip.done(), late, cpuMs: cpuMs() - c0 };
}
