/**
 * OpenTelemetry tracing of the real process (`npm start`'s entry point): with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP receiver started here, a
 * request's HTTP, GraphQL and SQL spans arrive there as one trace.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

const MAIN = path.join(__dirname, "../../dist/src/main.js");
const ADMIN = "tracing-test-admin-token-0123456789";

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** An OTLP/HTTP (JSON) trace receiver on 127.0.0.1. */
async function receiver(): Promise<{ url: string; spans: Span[]; services: Set<string>; close(): Promise<void> }> {
  const spans: Span[] = [];
  const services = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = zlib.gunzipSync(body);
      if (req.url === "/v1/traces") {
        const msg = JSON.parse(body.toString("utf8"));
        for (const rs of msg.resourceSpans ?? []) {
          for (const a of rs.resource?.attributes ?? []) if (a.key === "service.name") services.add(a.value.stringValue);
          for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, spans, services, close: () => new Promise((r) => server.close(() => r())) };
}

async function startHub(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null>; output: () => string }> {
  if (!fs.existsSync(MAIN)) throw new Error("dist/src/main.js is missing: run `npm run build` (npm test does)");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-hub-tracing-"));
  let out = "";
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, NODE_ENV: "production", PORT: "0", HUB_DATA_DIR: dataDir, HUB_SEED: "none", HUB_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn", DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const until = Date.now() + 80_000;
  for (;;) {
    const m = /ready at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    if (m) return { child, port: Number(m[1]), exited, output: () => out };
    if (Date.now() > until || child.exitCode !== null) {
      child.kill("SIGKILL"); // left running, it would hold jest open
      throw new Error(`hub did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const attr = (s: Span, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

describe("tracing", () => {
  it("exports a request's HTTP, GraphQL and SQL spans as one trace to OTEL_EXPORTER_OTLP_ENDPOINT", async () => {
    const otlp = await receiver();
    const hub = await startHub({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: "100", OTEL_SERVICE_NAME: "hub-under-test" });
    try {
      const res = await fetch(`http://127.0.0.1:${hub.port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ query: "query Directory($kind: PartyKind) { parties(filter: { kind: $kind }) { id name } }", variables: { kind: "OPERATOR" }, operationName: "Directory" }),
      });
      expect(res.status).toBe(200);
      await fetch(`http://127.0.0.1:${hub.port}/healthz`);
      const until = Date.now() + 15_000;
      const serverSpan = () => otlp.spans.find((s) => s.kind === 2 && attr(s, "url.path") === "/graphql");
      let sql: Span[] = [];
      for (;;) {
        const root = serverSpan();
        sql = root ? otlp.spans.filter((s) => s.traceId === root.traceId && attr(s, "db.system.name") === "postgresql") : [];
        const gql = root ? otlp.spans.filter((s) => s.traceId === root.traceId && /graphql|query Directory/i.test(s.name)) : [];
        if (root && sql.length && gql.length) break;
        if (Date.now() > until) throw new Error(`spans missing; got: ${otlp.spans.map((s) => s.name).join(", ")}\n${hub.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const root = serverSpan()!;
      const trace = otlp.spans.filter((s) => s.traceId === root.traceId);
      expect(trace.map((s) => s.name)).toEqual(expect.arrayContaining(["query Directory", "graphql.parse", "graphql.validate", "graphql.resolve parties"]));
      // the SQL of the request, as statements without values
      const statements = sql.map((s) => String(attr(s, "db.query.text")));
      expect(statements.some((q) => /FROM "public"\."Party" WHERE .*\$1/.test(q))).toBe(true);
      expect(statements.join("\n")).not.toContain("OPERATOR");
      expect(JSON.stringify(trace)).not.toContain(ADMIN);
      // every span of the trace hangs under the request's server span
      const ids = new Set(trace.map((s) => s.spanId));
      for (const s of trace) if (s !== root) expect(ids.has(s.parentSpanId!)).toBe(true);
      expect(otlp.services).toEqual(new Set(["hub-under-test"]));
      // probes are not traced
      expect(otlp.spans.some((s) => attr(s, "url.path") === "/healthz")).toBe(false);
    } finally {
      hub.child.kill("SIGTERM");
      expect(await hub.exited).toBe(0);
      await otlp.close();
    }
  }, 90_000);

  it("an OTEL_EXPORTER_OTLP_ENDPOINT that is not an http(s) URL stops the hub with a message naming it", async () => {
    await expect(startHub({ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" })).rejects.toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL/);
  }, 30_000);
});
