// The webhooks section's receivers (scripts/bench/webhooks.ts), run as a child process
// (child_process.fork, serialization "advanced") so that their CPU is not the hub's: one HTTP
// server per endpoint on 127.0.0.1, each verifying every Luxor-Signature with its endpoint's
// secret as the README states it, without the hub's code (400 when it does not verify), and
// recording the event id, receipt time and which masked fields came back. The parent sends
// commands (ReceiversCommand); the child answers each with one message.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { cpuMs, epochMs } from "./child";

export type ReceiversCommand =
  | { cmd: "start"; count: number }
  | { cmd: "secrets"; secrets: string[] }
  | { cmd: "down"; indexes: number[] }
  | { cmd: "up"; indexes: number[] }
  | { cmd: "stats" }
  | { cmd: "report" };

export interface ReceiverStats {
  type: "stats";
  /** requests answered 2xx */
  received: number;
  /** distinct (endpoint, event) pairs among them */
  distinct: number;
  badSignatures: number;
  lastReceipt: number;
  cpuMs: number;
}

export interface ReceiverReport {
  type: "report";
  count: number;
  /** per request answered 2xx: endpoint index, event id, receipt (epoch ms), flags, Luxor-Delivery-Attempt */
  endpoint: Int32Array;
  seq: Float64Array;
  receipt: Float64Array;
  /** 1 trackingNumber present, 2 platformOrderId present, 4 an error other than FORBIDDEN, 8 body and headers disagree */
  flags: Uint8Array;
  attempt: Int32Array;
  badSignatures: number;
  badSample: string | null;
  cpuMs: number;
}

/**
 * The README's signature, checked as a partner would, without the hub's code:
 * `Luxor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, compared in
 * constant time, `t` within 5 minutes of this clock.
 */
export function checkSignature(secret: string, header: string | undefined, raw: Buffer): string | null {
  if (!header) return "no Luxor-Signature header";
  const parts = new Map<string, string[]>();
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim(), [...(parts.get(part.slice(0, at).trim()) ?? []), part.slice(at + 1).trim()]);
  }
  const t = parts.get("t")?.[0];
  if (!t || !/^\d+$/.test(t)) return `no timestamp in ${header.slice(0, 80)}`;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return `timestamp ${t} is more than 5 minutes from now`;
  const expected = createHmac("sha256", secret).update(`${t}.`).update(raw).digest();
  const ok = (parts.get("v1") ?? []).some((v) => /^[0-9a-f]{64}$/.test(v) && timingSafeEqual(Buffer.from(v, "hex"), expected));
  return ok ? null : "no v1 signature matches";
}

/** The check refuses what it must (a checker that accepts anything would count no bad signature): throws if not. */
export function selfTestSignatureCheck(): void {
  const t = Math.floor(Date.now() / 1000);
  const body = Buffer.from('{"eventId":"1"}');
  const sig = createHmac("sha256", "s".repeat(40)).update(`${t}.`).update(body).digest("hex");
  const good = checkSignature("s".repeat(40), `t=${t},v1=${sig}`, body);
  const refused = [
    checkSignature("s".repeat(40), `t=${t},v1=${sig}`, Buffer.from('{"eventId":"2"}')),
    checkSignature("x".repeat(40), `t=${t},v1=${sig}`, body),
    checkSignature("s".repeat(40), `t=${t - 600},v1=${sig}`, body),
    checkSignature("s".repeat(40), undefined, body),
  ];
  if (good !== null || refused.some((r) => r === null)) throw new Error("the receivers' signature check does not work");
}

/** What the receivers got so far: per request answered 2xx, one entry in each column. */
class Receipts {
  readonly endpoint: number[] = [];
  readonly seq: number[] = [];
  readonly receipt: number[] = [];
  readonly flags: number[] = [];
  readonly attempt: number[] = [];
  readonly pairs = new Set<number>();
  badSignatures = 0;
  badSample: string | null = null;
  lastReceipt = 0;

  stats(): ReceiverStats {
    return { type: "stats", received: this.endpoint.length, distinct: this.pairs.size, badSignatures: this.badSignatures, lastReceipt: this.lastReceipt, cpuMs: cpuMs() };
  }

  report(): ReceiverReport {
    return {
      type: "report",
      count: this.endpoint.length,
      endpoint: Int32Array.from(this.endpoint),
      seq: Float64Array.from(this.seq),
      receipt: Float64Array.from(this.receipt),
      flags: Uint8Array.from(this.flags),
      attempt: Int32Array.from(this.attempt),
      badSignatures: this.badSignatures,
      badSample: this.badSample,
      cpuMs: cpuMs(),
    };
  }
}

/** Flags of a delivery's body: 1 trackingNumber, 2 platformOrderId, 4 an error other than FORBIDDEN, 8 body and headers disagree. */
function bodyFlags(raw: Buffer, eventId: number): number {
  let f = 0;
  try {
    const body = JSON.parse(raw.toString("utf8")) as { eventId?: string; data?: Record<string, { declaration?: Record<string, unknown> | null } | null>; errors?: { extensions?: { code?: string } }[] };
    const event = body.data?.holdPlaced ?? body.data?.declarationStatusChanged;
    const d = event?.declaration;
    if (d?.trackingNumber != null) f |= 1;
    if (d?.platformOrderId != null) f |= 2;
    if (body.errors?.some((e) => e.extensions?.code !== "FORBIDDEN")) f |= 4;
    if (String(body.eventId) !== String(eventId) || !event) f |= 8;
  } catch {
    f |= 8;
  }
  return f;
}

/** The request handler of endpoint `i`: the signature verified on the bytes received, before parsing. */
function handler(r: Receipts, secrets: () => string[], i: number) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const t = epochMs();
      const raw = Buffer.concat(chunks);
      const secret = secrets()[i];
      const refused = secret ? checkSignature(secret, req.headers["luxor-signature"] as string | undefined, raw) : "no secret for this endpoint yet";
      if (refused) {
        r.badSignatures++;
        r.badSample ??= `endpoint ${i}: ${refused}`;
        res.writeHead(400, { "content-type": "text/plain" }).end(refused);
        return;
      }
      const eventId = Number(req.headers["luxor-event-id"]);
      r.endpoint.push(i);
      r.seq.push(eventId);
      r.receipt.push(t);
      r.flags.push(bodyFlags(raw, eventId));
      r.attempt.push(Number(req.headers["luxor-delivery-attempt"]) || 0);
      r.pairs.add(i * 1e9 + eventId);
      r.lastReceipt = t;
      res.writeHead(204).end();
    });
  };
}

/** The receivers: one HTTP server per endpoint on 127.0.0.1; a command in, one answer out. */
function receiversProcess(send: (m: unknown) => void): (m: ReceiversCommand) => void {
  const servers: (http.Server | null)[] = [];
  const ports: number[] = [];
  let secrets: string[] = [];
  const receipts = new Receipts();

  const listen = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const server = http.createServer(handler(receipts, () => secrets, i));
      server.once("error", reject);
      server.listen(ports[i] ?? 0, "127.0.0.1", () => {
        ports[i] = (server.address() as AddressInfo).port;
        servers[i] = server;
        resolve();
      });
    });

  return (m) => {
    void (async () => {
      switch (m.cmd) {
        case "start":
          for (let i = 0; i < m.count; i++) await listen(i);
          send({ type: "started", ports });
          break;
        case "secrets":
          secrets = m.secrets;
          send({ type: "ok" });
          break;
        case "down": {
          // refuse connections: the listening sockets close, and so do the connections open now
          for (const i of m.indexes) {
            const s = servers[i];
            servers[i] = null;
            s?.close();
            s?.closeAllConnections();
          }
          send({ type: "down", at: epochMs() });
          break;
        }
        case "up":
          for (const i of m.indexes) await listen(i);
          send({ type: "up", at: epochMs() });
          break;
        case "stats":
          send(receipts.stats());
          break;
        case "report":
          send(receipts.report());
          break;
      }
    })().catch((err: unknown) => send({ type: "failed", error: err instanceof Error ? err.message : String(err) }));
  };
}

if (require.main === module) {
  const send = (m: unknown) => process.send?.(m);
  process.on("disconnect", () => process.exit(0)); // the bench is gone: so is this
  const on = receiversProcess(send);
  process.on("message", (m: ReceiversCommand) => on(m));
}
