import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { LookupFunction } from "node:net";
import type { CheckedTarget } from "./webhook.ssrf";

export interface SendLimits {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  /** the most of a response body read (for the delivery log); the rest is discarded */
  maxResponseBytes: number;
}

export interface SendOutcome {
  /** a 2xx answer */
  ok: boolean;
  statusCode: number | null;
  /** why it failed, for the delivery log (null when ok) */
  error: string | null;
}

/**
 * One POST to a checked target, connected to the checked address only: the host name is
 * never resolved again (the lookup answers with the pinned address), while the Host header
 * and TLS server name (SNI, certificate check) stay the URL's host. Redirects are not
 * followed; timeouts bound the connection and the whole exchange; at most
 * `maxResponseBytes` of the answer are read. Never rejects.
 */
export function postPinned(target: CheckedTarget, headers: Record<string, string>, body: string, limits: SendLimits, signal?: AbortSignal): Promise<SendOutcome> {
  const { url, hostname, address, family } = target;
  const pinned: LookupFunction = (_name, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const secure = url.protocol === "https:";
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      signal?.removeEventListener("abort", onAbort);
      req.destroy();
      resolve(outcome);
    };
    const fail = (error: string, statusCode: number | null = null) => finish({ ok: false, statusCode, error });
    const req = (secure ? https : http).request({
      protocol: url.protocol,
      hostname: net.isIP(hostname) ? address : hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: "POST",
      headers: { ...headers, host: url.host, "content-length": String(Buffer.byteLength(body)) },
      lookup: pinned,
      agent: false, // a fresh connection each time: nothing pooled under the host name
      servername: secure && !net.isIP(hostname) ? hostname : undefined,
    });
    const connectTimer = setTimeout(() => fail(`could not connect within ${limits.connectTimeoutMs} ms`), limits.connectTimeoutMs);
    const totalTimer = setTimeout(() => fail(`no complete answer within ${limits.totalTimeoutMs} ms`), limits.totalTimeoutMs);
    const onAbort = () => fail("the hub is shutting down");
    signal?.addEventListener("abort", onAbort);
    req.on("socket", (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once("connect", () => clearTimeout(connectTimer));
    });
    req.on("error", (err: NodeJS.ErrnoException) => fail(describeError(err, target)));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        res.resume();
        finish({ ok: true, statusCode: status, error: null });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const text = Buffer.concat(chunks).toString("utf8").slice(0, limits.maxResponseBytes).replace(/\s+/g, " ").trim();
        const redirect = status >= 300 && status < 400 ? ` (redirect to ${String(res.headers.location ?? "?").slice(0, 200)} not followed)` : "";
        fail(`HTTP ${status}${redirect}${text ? `: ${text.slice(0, 300)}` : ""}`, status);
      };
      res.on("data", (chunk: Buffer) => {
        if (size >= limits.maxResponseBytes) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= limits.maxResponseBytes) done();
      });
      res.on("end", done);
      res.on("error", done);
    });
    if (signal?.aborted) return onAbort();
    req.end(body);
  });
}

function describeError(err: NodeJS.ErrnoException, target: CheckedTarget): string {
  const where = `${target.address}${target.url.port ? `:${target.url.port}` : ""}`;
  switch (err.code) {
    case "ECONNREFUSED":
      return `connection refused by ${where}`;
    case "ECONNRESET":
      return `connection reset by ${where}`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${where} is unreachable`;
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}
