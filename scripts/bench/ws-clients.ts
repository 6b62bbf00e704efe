// The events benchmark's clients (scripts/bench/events.ts), run as child processes
// (child_process.fork, serialization "advanced") so that their CPU is not the hub's:
//
//   - "subscribers": many WebSocket connections speaking graphql-transport-ws by hand (the
//     `ws` package, no graphql-ws client, to keep the clients' own cost low), each with one
//     or a few subscriptions; every `next` is timestamped on receipt and kept in typed
//     arrays (subscription index, event id, receipt time, which masked fields came back). A "slow" socket stops reading (ws.pause()) right after subscribing and
//     reads again after a while.
//   - "writer": places holds through the API (scripts/bench/hold-writer.ts), for the events
//     and the webhooks sections.
//
// Everything goes to 127.0.0.1 only. The parent sends one job, then commands; the child
// answers each command with one message.
import WebSocket from "ws";
import { Column, cpuMs, epochMs } from "./child";
import { runWriter, type WriterJob } from "./hold-writer";

// ---- jobs and messages ----------------------------------------------------------------

export interface SocketSpec {
  key: string;
  /** subscription documents, one subscription each, in order (their global index follows) */
  queries: string[];
  /** stop reading from the socket as soon as its subscriptions are sent, for this long (then read again) */
  pauseMs?: number;
}

export interface SubscribersJob {
  mode: "subscribers";
  url: string;
  sockets: SocketSpec[];
  /** sockets opening (connect, init, subscribe) at once */
  concurrency: number;
}



export type Command = { cmd: "stats" } | { cmd: "report" } | { cmd: "close" };

export interface SubscribersReady {
  type: "ready";
  sockets: number;
  acknowledged: number;
  refused: number;
  firstRefusal: string | null;
  ms: number;
}

export interface SubscribersStats {
  type: "stats";
  received: number;
  /** epoch ms of the last `next` */
  lastReceipt: number;
  errors: number;
  closed: number;
  cpuMs: number;
  rssBytes: number;
}

export interface OperationError {
  sub: number;
  slow: boolean;
  code: string;
  reason: string | null;
  message: string;
  /** epoch ms */
  at: number;
}

export interface SubscribersReport {
  type: "report";
  count: number;
  /** per delivery: global subscription index */
  sub: Int32Array;
  /** per delivery: eventId */
  seq: Float64Array;
  /** per delivery: receipt time, epoch ms (performance.timeOrigin + performance.now()) */
  receivedAt: Float64Array;
  /** per delivery: 1 trackingNumber present, 2 platformOrderId present, 4 an error other than FORBIDDEN */
  flags: Uint8Array;
  /** deliveries to slow sockets (kept apart; not in the arrays above), and their bytes */
  slowNext: number;
  slowBytes: number;
  /** epoch ms when the slow sockets stopped and started reading again */
  slowPausedAt: number;
  slowResumedAt: number;
  /** `error` messages (operation ended by the hub) */
  errors: OperationError[];
  /** sockets closed by the server, by close code */
  closes: Record<string, number>;
  cpuMs: number;
  rssBytes: number;
}



// ---- subscribers ----------------------------------------------------------------------


function runSubscribers(job: SubscribersJob) {
  const subCol = new Column(new Int32Array(1 << 16), (n) => new Int32Array(n));
  const seqCol = new Column(new Float64Array(1 << 16), (n) => new Float64Array(n));
  const latCol = new Column(new Float64Array(1 << 16), (n) => new Float64Array(n));
  const flagCol = new Column(new Uint8Array(1 << 16), (n) => new Uint8Array(n));
  const errors: OperationError[] = [];
  const closes: Record<string, number> = {};
  const sockets: WebSocket[] = [];
  let received = 0;
  let slowNext = 0;
  let slowBytes = 0;
  let slowPausedAt = 0;
  let slowResumedAt = 0;
  let lastReceipt = 0;
  let closedByServer = 0;
  let closing = false;

  // global index of each socket's first subscription
  const firstSub: number[] = [];
  let total = 0;
  for (const s of job.sockets) {
    firstSub.push(total);
    total += s.queries.length;
  }

  const open = (i: number): Promise<"ack" | string> =>
    new Promise((resolve) => {
      const spec = job.sockets[i];
      const ws = new WebSocket(job.url, "graphql-transport-ws", { perMessageDeflate: false });
      sockets.push(ws);
      let settled = false;
      const settle = (r: "ack" | string) => {
        if (!settled) {
          settled = true;
          resolve(r);
        }
      };
      ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${spec.key}` } })));
      ws.on("error", (err) => settle(`socket error: ${err.message}`));
      ws.on("close", (code, reason) => {
        if (!closing) {
          closedByServer++;
          closes[code] = (closes[code] ?? 0) + 1;
        }
        settle(`closed ${code} ${String(reason)}`);
      });
      ws.on("message", (data) => {
        const now = epochMs();
        const text = String(data);
        // the hot path: `next` messages; everything else is rare
        const m = JSON.parse(text) as { id?: string; type: string; payload?: any };
        if (m.type === "next") {
          const sub = firstSub[i] + Number(m.id) - 1;
          if (spec.pauseMs) {
            slowNext++;
            slowBytes += text.length;
            return;
          }
          const data = m.payload?.data;
          const event = data?.holdPlaced ?? data?.declarationStatusChanged;
          if (!event) {
            errors.push({ sub, slow: false, code: "NO_DATA", reason: null, message: text.slice(0, 300), at: now });
            return;
          }
          let flags = 0;
          if (event.declaration?.trackingNumber != null) flags |= 1;
          if (event.declaration?.platformOrderId != null) flags |= 2;
          for (const e of m.payload.errors ?? []) if (e?.extensions?.code !== "FORBIDDEN") flags |= 4;
          subCol.push(sub);
          seqCol.push(Number(event.eventId));
          latCol.push(now);
          flagCol.push(flags);
          received++;
          lastReceipt = now;
        } else if (m.type === "error") {
          const e = Array.isArray(m.payload) ? m.payload[0] : m.payload;
          errors.push({
            sub: firstSub[i] + Number(m.id) - 1,
            slow: !!spec.pauseMs,
            code: String(e?.extensions?.code ?? ""),
            reason: e?.extensions?.reason ?? null,
            message: String(e?.message ?? "").slice(0, 300),
            at: now,
          });
        } else if (m.type === "connection_ack") {
          spec.queries.forEach((query, k) => ws.send(JSON.stringify({ id: String(k + 1), type: "subscribe", payload: { query } })));
          if (spec.pauseMs) {
            // reads nothing more for a while; the hub's messages pile up in the socket buffers
            ws.pause();
            slowPausedAt = epochMs();
            setTimeout(() => {
              ws.resume();
              slowResumedAt = epochMs();
            }, spec.pauseMs);
          }
          settle("ack");
        }
      });
    });

  let ready: Promise<SubscribersReady> | null = null;
  const start = () =>
    (ready ??= (async () => {
      const t0 = epochMs();
      let next = 0;
      let acknowledged = 0;
      let refused = 0;
      let firstRefusal: string | null = null;
      await Promise.all(
        Array.from({ length: Math.min(job.concurrency, job.sockets.length) }, async () => {
          while (next < job.sockets.length) {
            const r = await open(next++);
            if (r === "ack") acknowledged++;
            else {
              refused++;
              firstRefusal ??= r;
            }
          }
        }),
      );
      return { type: "ready", sockets: job.sockets.length, acknowledged, refused, firstRefusal, ms: epochMs() - t0 } as SubscribersReady;
    })());

  const onCommand = async (c: Command): Promise<unknown> => {
    switch (c.cmd) {
      case "stats":
        return {
          type: "stats",
          received,
          lastReceipt,
          errors: errors.length,
          closed: closedByServer,
          cpuMs: cpuMs(),
          rssBytes: process.memoryUsage().rss,
        } satisfies SubscribersStats;
      case "report":
        return {
          type: "report",
          count: received,
          sub: subCol.done(),
          seq: seqCol.done(),
          receivedAt: latCol.done(),
          flags: flagCol.done(),
          slowNext,
          slowBytes,
          slowPausedAt,
          slowResumedAt,
          errors,
          closes,
          cpuMs: cpuMs(),
          rssBytes: process.memoryUsage().rss,
        } satisfies SubscribersReport;
      case "close": {
        closing = true;
        await Promise.all(
          sockets.map(
            (ws) =>
              new Promise<void>((resolve) => {
                if (ws.readyState === WebSocket.CLOSED) return resolve();
                ws.once("close", () => resolve());
                ws.terminate();
              }),
          ),
        );
        return { type: "closed" };
      }
    }
  };
  return { start, onCommand };
}

// ---- main -------------------------------------------------------------------------------

if (require.main === module) {
  process.once("message", (job: SubscribersJob | WriterJob) => {
    const fail = (err: unknown) => process.send!({ type: "failed", error: String((err as Error)?.stack ?? err) }, () => process.exit(1));
    if (job.mode === "writer") {
      runWriter(job).then((r) => process.send!(r, () => process.exit(0)), fail);
      return;
    }
    const subscribers = runSubscribers(job);
    subscribers.start().then((r) => process.send!(r), fail);
    process.on("message", (c: Command) => {
      subscribers.onCommand(c).then(
        (r) => process.send!(r, () => (c.cmd === "close" ? process.exit(0) : undefined)),
        fail,
      );
    });
  });
}
