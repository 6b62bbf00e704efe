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

type WsMessage = { id?: string; type: string; payload?: any };

/** The subscribers job's state: its sockets, the deliveries received (typed columns), and what went wrong. */
class Subscribers {
  private readonly subCol = new Column(new Int32Array(1 << 16), (n) => new Int32Array(n));
  private readonly seqCol = new Column(new Float64Array(1 << 16), (n) => new Float64Array(n));
  private readonly latCol = new Column(new Float64Array(1 << 16), (n) => new Float64Array(n));
  private readonly flagCol = new Column(new Uint8Array(1 << 16), (n) => new Uint8Array(n));
  private readonly errors: OperationError[] = [];
  private readonly closes: Record<string, number> = {};
  private readonly sockets: WebSocket[] = [];
  /** global index of each socket's first subscription */
  private readonly firstSub: number[] = [];
  private received = 0;
  private slowNext = 0;
  private slowBytes = 0;
  private slowPausedAt = 0;
  private slowResumedAt = 0;
  private lastReceipt = 0;
  private closedByServer = 0;
  private closing = false;
  private ready: Promise<SubscribersReady> | null = null;

  constructor(private readonly job: SubscribersJob) {
    let total = 0;
    for (const s of job.sockets) {
      this.firstSub.push(total);
      total += s.queries.length;
    }
  }

  /** Opens every socket, `concurrency` at a time; once, however often asked. */
  start(): Promise<SubscribersReady> {
    return (this.ready ??= this.openAll());
  }

  private async openAll(): Promise<SubscribersReady> {
    const { job } = this;
    const t0 = epochMs();
    let next = 0;
    let acknowledged = 0;
    let refused = 0;
    let firstRefusal: string | null = null;
    await Promise.all(
      Array.from({ length: Math.min(job.concurrency, job.sockets.length) }, async () => {
        while (next < job.sockets.length) {
          const r = await this.open(next++);
          if (r === "ack") acknowledged++;
          else {
            refused++;
            firstRefusal ??= r;
          }
        }
      }),
    );
    return { type: "ready", sockets: job.sockets.length, acknowledged, refused, firstRefusal, ms: epochMs() - t0 };
  }

  /** Connects socket `i` and subscribes: "ack", or why it was refused. */
  private open(i: number): Promise<"ack" | string> {
    return new Promise((resolve) => {
      const spec = this.job.sockets[i];
      const ws = new WebSocket(this.job.url, "graphql-transport-ws", { perMessageDeflate: false });
      this.sockets.push(ws);
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
        if (!this.closing) {
          this.closedByServer++;
          this.closes[code] = (this.closes[code] ?? 0) + 1;
        }
        settle(`closed ${code} ${String(reason)}`);
      });
      ws.on("message", (data) => {
        const now = epochMs();
        const text = String(data);
        // the hot path: `next` messages; everything else is rare
        const m = JSON.parse(text) as WsMessage;
        if (m.type === "next") this.onNext(i, spec, m, text, now);
        else if (m.type === "error") this.onError(i, spec, m, now);
        else if (m.type === "connection_ack") {
          this.subscribe(ws, spec);
          settle("ack");
        }
      });
    });
  }

  private onNext(i: number, spec: SocketSpec, m: WsMessage, text: string, now: number): void {
    const sub = this.firstSub[i] + Number(m.id) - 1;
    if (spec.pauseMs) {
      this.slowNext++;
      this.slowBytes += text.length;
      return;
    }
    const data = m.payload?.data;
    const event = data?.holdPlaced ?? data?.declarationStatusChanged;
    if (!event) {
      this.errors.push({ sub, slow: false, code: "NO_DATA", reason: null, message: text.slice(0, 300), at: now });
      return;
    }
    let flags = 0;
    if (event.declaration?.trackingNumber != null) flags |= 1;
    if (event.declaration?.platformOrderId != null) flags |= 2;
    for (const e of m.payload.errors ?? []) if (e?.extensions?.code !== "FORBIDDEN") flags |= 4;
    this.subCol.push(sub);
    this.seqCol.push(Number(event.eventId));
    this.latCol.push(now);
    this.flagCol.push(flags);
    this.received++;
    this.lastReceipt = now;
  }

  private onError(i: number, spec: SocketSpec, m: WsMessage, now: number): void {
    const e = Array.isArray(m.payload) ? m.payload[0] : m.payload;
    this.errors.push({
      sub: this.firstSub[i] + Number(m.id) - 1,
      slow: !!spec.pauseMs,
      code: String(e?.extensions?.code ?? ""),
      reason: e?.extensions?.reason ?? null,
      message: String(e?.message ?? "").slice(0, 300),
      at: now,
    });
  }

  private subscribe(ws: WebSocket, spec: SocketSpec): void {
    spec.queries.forEach((query, k) => ws.send(JSON.stringify({ id: String(k + 1), type: "subscribe", payload: { query } })));
    if (spec.pauseMs) {
      // reads nothing more for a while; the hub's messages pile up in the socket buffers
      ws.pause();
      this.slowPausedAt = epochMs();
      setTimeout(() => {
        ws.resume();
        this.slowResumedAt = epochMs();
      }, spec.pauseMs);
    }
  }

  async onCommand(c: Command): Promise<unknown> {
    switch (c.cmd) {
      case "stats":
        return this.stats();
      case "report":
        return this.report();
      case "close":
        await this.close();
        return { type: "closed" };
    }
  }

  private stats(): SubscribersStats {
    const { received, lastReceipt } = this;
    return { type: "stats", received, lastReceipt, errors: this.errors.length, closed: this.closedByServer, cpuMs: cpuMs(), rssBytes: process.memoryUsage().rss };
  }

  private report(): SubscribersReport {
    const { slowNext, slowBytes, slowPausedAt, slowResumedAt, errors, closes } = this;
    return {
      type: "report",
      count: this.received,
      sub: this.subCol.done(),
      seq: this.seqCol.done(),
      receivedAt: this.latCol.done(),
      flags: this.flagCol.done(),
      slowNext,
      slowBytes,
      slowPausedAt,
      slowResumedAt,
      errors,
      closes,
      cpuMs: cpuMs(),
      rssBytes: process.memoryUsage().rss,
    };
  }

  private async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once("close", () => resolve());
            ws.terminate();
          }),
      ),
    );
  }
}

// ---- main -------------------------------------------------------------------------------

if (require.main === module) {
  process.once("message", (job: SubscribersJob | WriterJob) => {
    const fail = (err: unknown) => process.send!({ type: "failed", error: String((err as Error)?.stack ?? err) }, () => process.exit(1));
    if (job.mode === "writer") {
      runWriter(job).then((r) => process.send!(r, () => process.exit(0)), fail);
      return;
    }
    const subscribers = new Subscribers(job);
    subscribers.start().then((r) => process.send!(r), fail);
    process.on("message", (c: Command) => {
      subscribers.onCommand(c).then(
        (r) => process.send!(r, () => (c.cmd === "close" ? process.exit(0) : undefined)),
        fail,
      );
    });
  });
}
