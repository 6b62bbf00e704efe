/**
 * The database going away under a running hub: every answer is SERVICE_UNAVAILABLE with
 * HTTP 503 and Retry-After (key lookup, resolvers, a connection dropped mid-query,
 * /readyz), waits are bounded, and the loss and the recovery are logged once each.
 * The hub reaches its database through a TCP proxy on 127.0.0.1 that the test cuts.
 */
import "reflect-metadata";
import net from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { loadConfig } from "../../src/config";
import { createHub, type Hub } from "../../src/hub";
import { createPrismaClient } from "../../src/infra/prisma";
import { createHubPubSub } from "../../src/infra/pubsub";
import { BoundedPool } from "../../src/infra/bounded-pool";
import { DatabaseHealth } from "../../src/infra/db-health";
import { buildHubSchema } from "../../src/schema/build";
import { startServer, type RunningServer } from "../../src/server/server";
import { createTestDatabase, type TestDatabase } from "../testkit/database";
import { ADMIN_TOKEN } from "../testkit/hub";

/** Forwards 127.0.0.1:<port> to the database; `cut` closes it (a closed local port), `dropNext` resets the next query's connection. */
class Proxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private dropping = false;
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.on("data", (chunk) => {
        if (this.dropping) {
          this.dropping = false;
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
      // one side gone: the other too (the embedded database serves one connection at a time)
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** The next bytes a client sends (a query) close its connection instead of reaching the database. */
  dropNext(): void {
    this.dropping = true;
  }
}

describe("the database lost under a running hub", () => {
  let db: TestDatabase;
  let proxy: Proxy;
  let hub: Hub;
  let server: RunningServer;
  const logLines: { msg: string; level: number }[] = [];
  let key: string;

  const post = async (auth: string, query: string) => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as any };
  };
  const logged = (msg: string) => logLines.filter((l) => l.msg === msg).length;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = new Proxy(new URL(db.url));
    await proxy.open();
    const config = loadConfig({
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      HUB_SEED: "none",
      HUB_ADMIN_TOKEN: ADMIN_TOKEN,
      HUB_DB_CONNECT_TIMEOUT_MS: "1000",
      HUB_DB_ACQUIRE_TIMEOUT_MS: "1500",
      HUB_RETRY_AFTER_SECONDS: "7",
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    const log = pino({ level: "info" }, sink);
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const limits = { connectMs: 1000, acquireMs: 1500, statementMs: 5000, queueMax: 100 };
    const prisma = createPrismaClient(url.toString(), { embedded: db.embedded, poolSize: 2, limits });
    hub = createHub(config, prisma, log, createHubPubSub(undefined));
    await hub.services.parties.ensureOperatorParty();
    const party = await prisma.party.create({ data: { kind: "CARRIER", country: "DE", name: "Outage Air" } });
    key = await hub.services.parties.issueKey(party.id, "AGENT", "outage");
    const schema = await buildHubSchema(hub.events);
    server = await startServer(hub, schema, 0, async () => (await prisma.$queryRaw<unknown[]>`SELECT 1`).length === 1, { host: "127.0.0.1" });
  });

  afterAll(async () => {
    await server?.stop();
    hub?.dbHealth.stop();
    await hub?.accessLog.close();
    await hub?.events.close();
    await hub?.prisma.$disconnect();
    await db?.close();
    await proxy?.cut();
  });

  it("answers 503 + Retry-After for the key lookup, resolvers and /readyz, within the bounded waits; logs the loss once", async () => {
    expect((await post(key, "{ me { role } }")).body).toEqual({ data: { me: { role: "AGENT" } } });
    await proxy.cut();
    const started = Date.now();
    // a key not in the authenticator's cache: its lookup fails
    const lookup = await post("lux_not-cached-key-0000000000000000000000000", "{ me { role } }");
    expect(lookup.status).toBe(503);
    expect(lookup.retryAfter).toBe("7");
    expect(lookup.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
    // the operator token needs no lookup: the resolver's query fails
    const resolver = await post(ADMIN_TOKEN, "{ parties { id } }");
    expect(resolver.status).toBe(503);
    expect(resolver.retryAfter).toBe("7");
    expect(resolver.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
    expect(JSON.stringify(resolver.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|prisma/i);
    const ready = await fetch(server.url.replace("/graphql", "/readyz"));
    expect(ready.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(logged("database lost: requests are answered SERVICE_UNAVAILABLE (HTTP 503) until it is back")).toBe(1);
    expect(logged("database back")).toBe(0);
  });

  it("logs the recovery once and serves again", async () => {
    await proxy.open(); // same port again
    const until = Date.now() + 15_000;
    while (!logged("database back") && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(logged("database back")).toBe(1);
    expect((await post(ADMIN_TOKEN, "{ me { role } }")).body).toEqual({ data: { me: { role: "OPERATOR" } } });
    expect((await fetch(server.url.replace("/graphql", "/readyz"))).status).toBe(200);
    expect(logged("database lost: requests are answered SERVICE_UNAVAILABLE (HTTP 503) until it is back")).toBe(1);
  });

  it("a connection dropped mid-query is SERVICE_UNAVAILABLE with 503, not an internal error", async () => {
    expect((await post(ADMIN_TOKEN, "{ parties { id } }")).status).toBe(200);
    proxy.dropNext();
    const res = await post(ADMIN_TOKEN, "{ parties { id } }");
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe("7");
    expect(res.body.errors.map((e: any) => e.extensions.code)).toEqual(["SERVICE_UNAVAILABLE"]);
  });
});

describe("the pool's bounded queue", () => {
  it("refuses at once beyond HUB_DB_QUEUE_MAX waiters while the database does not answer", async () => {
    // accepts connections and never answers: a silent partition
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => void held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const pool = new BoundedPool({ connectionString: `postgresql://postgres@127.0.0.1:${port}/x`, max: 1 }, { connectMs: 800, acquireMs: 1000, statementMs: 1000, queueMax: 2 }, false);
    try {
      const started = Date.now();
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => pool.query("SELECT 1")));
      const codes = outcomes.map((o) => (o.status === "rejected" ? ((o.reason as { code?: string }).code ?? (o.reason as Error).message) : "ok"));
      expect(codes.filter((c) => c === "HUB_DB_UNAVAILABLE").length).toBeGreaterThanOrEqual(3);
      expect(codes).not.toContain("ok");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of held) s.destroy();
      await pool.end().catch(() => undefined);
      silent.close();
    }
  });
});

describe("a statement timeout", () => {
  it("is logged as a slow query, not as a lost database, and the database stays up", async () => {
    const db = await createTestDatabase();
    const lines: { msg: string; level: number; statements?: number }[] = [];
    const log = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    // on PostgreSQL, a real statement timeout through Prisma; the embedded store applies none
    // (src/infra/bounded-pool.ts), so there the error PostgreSQL sends is made by hand
    const prisma = createPrismaClient(db.url, { embedded: db.embedded, poolSize: 2, limits: { connectMs: 2000, acquireMs: 2000, statementMs: 200, queueMax: 10 } });
    const health = new DatabaseHealth(undefined, log);
    try {
      const timeout = db.embedded
        ? Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" })
        : await prisma.$queryRaw`SELECT pg_sleep(2)`.then(
            () => new Error("pg_sleep(2) was not canceled after 200 ms"),
            (err: unknown) => err,
          );
      expect(health.failed(timeout)).toBe(true); // answered SERVICE_UNAVAILABLE: retry later
      expect(health.failed(timeout)).toBe(true);
      expect(health.up).toBe(true);
      expect(lines.map((l) => l.msg)).toEqual([
        "slow query: a statement ran past its timeout (HUB_DB_STATEMENT_TIMEOUT_MS) and was canceled",
      ]);
      expect(lines[0].level).toBe(40);
      health.ok();
      expect(lines.filter((l) => /database (lost|back)/.test(l.msg))).toEqual([]);
      // a connection refused is still a lost database
      expect(health.failed(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe(true);
      expect(health.up).toBe(false);
      expect(lines.filter((l) => /^database lost/.test(l.msg))).toHaveLength(1);
    } finally {
      health.stop();
      await prisma.$disconnect();
      await db.close();
    }
  });
});
