/**
 * No fault in events or Redis ends the process (issue 8): a subscriber that stops reading,
 * Redis unreachable at start, Redis dropped or silently partitioned while running, and two
 * deployments sharing one Redis. The Redis faults run against the real process (src/main.ts
 * started from the sources, where an unhandled rejection ends it) and a redis-server of the
 * test's own. Everything talks to 127.0.0.1 only.
 */
import "reflect-metadata";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import Redis from "ioredis";
import pino from "pino";
import { createClient, type Client } from "graphql-ws";
import { loadConfig } from "../../src/config";
import { createHub } from "../../src/hub";
import { createLogger } from "../../src/infra/logger";
import { createPrismaClient } from "../../src/infra/prisma";
import { createHubPubSub, SubscriptionOverflowError, TOPICS } from "../../src/infra/pubsub";
import { buildHubSchema } from "../../src/schema/build";
import { startServer } from "../../src/server/server";
import { RateLimit } from "../../src/server/limits";
import { createContext } from "../../src/context/context";
import { createTestDatabase } from "../testkit/database";
import { ADMIN_TOKEN, declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const ROOT = path.join(__dirname, "../..");
const MAIN = path.join(ROOT, "src/main.ts");
const REGISTER = path.join(ROOT, "test/testkit/register-ts.js");
const ADMIN = "crash-safety-admin-token-0123456789";
const REDIS_SERVER = [process.env.REDIS_SERVER, "/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => p && fs.existsSync(p));
const withRedisServer = REDIS_SERVER ? describe : describe.skip;
const onPostgres = process.env.TEST_DB === "postgres" ? describe : describe.skip;

const HOLDS = `subscription { holdPlaced { eventId kind } }`;
const STATUSES = `subscription { declarationStatusChanged { declarationId toStatus } }`;
const PLACE_HOLD = `mutation($id: ID!, $reason: String!) { placeHold(declarationId: $id, input: { kind: RFI, reason: $reason }) { id } }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | Promise<T>, ms = 15_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve().then(probe).catch(() => undefined);
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A PING over a raw socket: true only if this Redis answers within 500 ms. */
function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => done(String(d).startsWith("+PONG")));
  });
}

/** A throw-away redis-server (no persistence) on 127.0.0.1:port. */
class RedisServer {
  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
    private readonly exited: Promise<void>,
  ) {}

  static async start(port: number): Promise<RedisServer> {
    const proc = spawn(REDIS_SERVER!, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    await until(`redis-server on port ${port}`, () => redisAnswers(port));
    return new RedisServer(proc, port, exited);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** A silent partition: connections stay open, nothing answers. */
  pause(): void {
    this.proc.kill("SIGSTOP");
  }

  resume(): void {
    this.proc.kill("SIGCONT");
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGCONT");
      this.proc.kill("SIGKILL");
    }
    await this.exited;
  }

  /** A client of the test's own (its errors ignored); disconnect it when done. */
  client(): Redis {
    const c = new Redis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on("error", () => undefined);
    return c;
  }
}

interface HubProcess {
  port: number;
  wsUrl: string;
  alive(): boolean;
  output(): string;
  count(re: RegExp): number;
  gql(key: string, query: string, variables?: Record<string, unknown>): Promise<any>;
  readyz(): Promise<{ status: number; body: any }>;
  /** SIGTERM; resolves with the exit code */
  stop(): Promise<number | null>;
}

/** The real process, from the sources, on an embedded store of its own. */
async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-crash-safety-"));
  let out = "";
  const child = spawn(process.execPath, ["-r", REGISTER, MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HUB_DATA_DIR: dataDir,
      HUB_SEED: "none",
      HUB_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: "info",
      DATABASE_URL: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const readyz = async () => {
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.json() };
  };
  const until = Date.now() + 80_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the hub exited (${child.exitCode}) before it was ready:\n${out}`);
    if ((await readyz().catch(() => null))?.status === 200) break;
    if (Date.now() > until) {
      child.kill("SIGKILL"); // left running, it would hold jest open
      throw new Error(`the hub did not get ready:\n${out}`);
    }
    await sleep(100);
  }
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    alive: () => child.exitCode === null && child.signalCode === null,
    output: () => out,
    count: (re) => out.split("\n").filter((l) => re.test(l)).length,
    gql: (key, query, variables) =>
      fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000), // a request held up by Redis fails the test, not hangs it
      }).then((r) => r.json()),
    readyz,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Two parties and 40 filed declarations over HTTP; placeHold() puts an RFI hold on the next one. */
async function processWorld(h: HubProcess) {
  const party = async (name: string, kind: string, country: string, role: string) => {
    const p = await h.gql(ADMIN, `mutation($i: CreatePartyInput!) { createParty(input: $i) { id } }`, { i: { name, kind, country } });
    const k = await h.gql(ADMIN, `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`, {
      i: { partyId: p.data.createParty.id, role, label: name },
    });
    return k.data.createApiKey.secret as string;
  };
  const platform = await party("ShopWorld", "PLATFORM", "IE", "AGENT");
  const customs = await party("Zoll", "CUSTOMS", "DE", "OFFICER");
  const filed = await h.gql(platform, `mutation($d: [DeclarationInput!]!) { fileDeclarations(declarations: $d) { results { declaration { id } error { message } } } }`, {
    d: Array.from({ length: 40 }, () => declarationInput()),
  });
  const ids: string[] = filed.data.fileDeclarations.results.map((r: any) => r.declaration.id);
  let next = 0;
  return {
    customs,
    async placeHold(): Promise<{ holdId: string; declarationId: string }> {
      const declarationId = ids[next++];
      const res = await h.gql(customs, PLACE_HOLD, { id: declarationId, reason: "check" });
      expect(res.errors).toBeUndefined();
      return { holdId: res.data.placeHold.id, declarationId };
    },
  };
}

/** A graphql-ws subscription that collects what it receives. */
function listen(url: string, key: string, query: string) {
  const client: Client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
  const events: any[] = [];
  const errors: unknown[] = [];
  client.subscribe({ query }, { next: (v) => events.push(v), error: (e) => errors.push(e), complete: () => undefined });
  return { events, errors, close: () => client.dispose() };
}

/** A graphql-transport-ws client over a raw socket, so that the test can stop reading. */
async function rawClient(url: string, key: string) {
  const ws = new WebSocket(url, "graphql-transport-ws");
  const messages: any[] = [];
  ws.on("message", (d) => messages.push(JSON.parse(String(d))));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${key}` } }));
  await until("connection_ack", () => messages.some((m) => m.type === "connection_ack"));
  return {
    ws,
    messages,
    subscribe: (id: string, query: string) => ws.send(JSON.stringify({ id, type: "subscribe", payload: { query } })),
    of: (id: string, type?: string) => messages.filter((m) => m.id === id && (!type || m.type === type)),
  };
}

/** A pino logger whose lines the test can read. */
function memoryLog() {
  const lines: string[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => void lines.push(s) });
  return { log, lines, count: (re: RegExp) => lines.filter((l) => re.test(l)).length };
}

describe("a subscriber that falls behind", () => {
  it("is ended alone: publishing never throws or waits, and the other subscribers get every event", async () => {
    const events = createHubPubSub(undefined, { subscriptionBuffer: 50 });
    const stuck = events.pubsub.subscribe(TOPICS.HOLD_PLACED, { overflow: "error" }); // never read
    const reader = events.pubsub.subscribe(TOPICS.HOLD_PLACED, { buffer: 10_000, overflow: "error" });
    const internal = events.pubsub.subscribe(TOPICS.HOLD_PLACED); // the hub's own listeners: oldest dropped
    // more than the 1,024 pending events at which the former Repeater threw into the publisher
    for (let i = 0; i < 5000; i++) expect(() => events.pubsub.publish(TOPICS.HOLD_PLACED, { holdId: String(i), declarationId: "d" })).not.toThrow();

    const err = await stuck.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SubscriptionOverflowError);
    expect((err as SubscriptionOverflowError).extensions.code).toBe("RATE_LIMITED");
    expect((err as Error).message).toMatch(/fell more than 50 events behind .* subscribe again/);
    expect(await stuck.next()).toEqual({ value: undefined, done: true });

    expect(reader.takeBuffered(10_000).map((e) => e.holdId)).toEqual(Array.from({ length: 5000 }, (_, i) => String(i)));
    expect(internal.takeBuffered(100).map((e) => e.holdId)).toEqual(Array.from({ length: 50 }, (_, i) => String(4950 + i)));
    await events.close();
  });

  describe("over WebSocket", () => {
    let t: TestHub;
    let customs: TestParty;
    const declarations: string[] = [];
    const placeHold = (reason: string) =>
      t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), declarations.shift()!, { kind: "RFI", reason } as never);

    beforeAll(async () => {
      t = await startTestHub({
        env: { HUB_SUBSCRIPTION_BUFFER: "8", HUB_MAX_ALIASES: "1000", HUB_MAX_TOKENS: "50000", HUB_MAX_COST: "100000000" },
      });
      customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
      const platform = await makeParty(t, "PLATFORM", "IE", "Platform");
      const filed = await t.hub.services.declarations.filing.fileMany(platform.principal, Array.from({ length: 90 }, () => declarationInput()) as never);
      declarations.push(...filed.map((o: { declaration: { id: string } | null }) => o.declaration!.id));
    });
    afterAll(() => t?.stop());

    it("a client that stops reading is closed with RATE_LIMITED; the hub and the other subscribers carry on", async () => {
      const url = t.server!.url.replace("http", "ws");
      const other = listen(url, customs.key, HOLDS);
      const slow = await rawClient(url, customs.key);
      // about 1 MB per event (500 x a 2,000-character reason), so the socket's buffers fill after a few
      slow.subscribe("big", `subscription { holdPlaced { hold { ${Array.from({ length: 500 }, (_, i) => `r${i}: reason`).join(" ")} } } }`);
      await sleep(500);
      slow.ws.pause(); // stops reading from the socket

      const reason = "x".repeat(2000);
      for (let i = 0; i < 60; i++) await placeHold(reason);
      await until("the other subscriber's 60 events", () => other.events.length === 60);
      expect(other.errors).toEqual([]);
      const answer = await t.http(customs.key, `{ declarations(first: 1) { totalCount } }`);
      expect(answer.status).toBe(200);
      expect(answer.body.data.declarations.totalCount).toBe(90);

      slow.ws.resume();
      await until("the slow subscription's error", () => slow.of("big", "error").length === 1);
      const [error] = slow.of("big", "error");
      expect(error.payload).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/fell more than 8 events behind.*subscribe again/),
          extensions: expect.objectContaining({ code: "RATE_LIMITED" }),
        }),
      ]);
      expect(slow.of("big", "next").length).toBeLessThan(60);

      // only that subscription ended: the same connection subscribes again and hears the next hold
      slow.subscribe("again", HOLDS);
      await sleep(300);
      await placeHold("after");
      await until("the resubscribed event", () => slow.of("again", "next").length === 1);
      await until("the other subscriber's 61st event", () => other.events.length === 61);
      slow.ws.close();
      await other.close();
    }, 60_000);
  });
});

describe("Redis unreachable", () => {
  it("in-process: publishing and subscribing neither throw nor reject; the outage is logged once; events stay on this instance", async () => {
    const mem = memoryLog();
    const events = createHubPubSub("redis://127.0.0.1:1", { log: mem.log, timeoutMs: 200 });
    const local = events.pubsub.subscribe(TOPICS.HOLD_PLACED, { overflow: "error", buffer: 10_000 });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 100; i++) events.pubsub.publish(TOPICS.HOLD_PLACED, { holdId: `${round}-${i}`, declarationId: "d" });
      void events.pubsub.subscribe(`NEW_TOPIC_${round}`); // a topic the Redis side has not subscribed yet
      await sleep(150); // reconnect attempts fail meanwhile
    }
    expect(local.takeBuffered(10_000)).toHaveLength(1000);
    expect(events.redisState()).toBe("down");
    expect(mem.count(/pub\/sub: Redis unreachable at start/)).toBe(1);
    expect(mem.lines).toHaveLength(1);
    await events.close();
  });

  it("in-process: the rate limiter counts in memory at once, and still limits", async () => {
    const mem = memoryLog();
    const limit = new RateLimit(loadConfig({ NODE_ENV: "test", REDIS_URL: "redis://127.0.0.1:1", HUB_RATE_LIMIT_PER_MINUTE: "20" }), mem.log);
    const started = Date.now();
    for (let i = 0; i < 20; i++) await limit.check(null, "key");
    await expect(limit.check(null, "key")).rejects.toMatchObject({ extensions: { code: "RATE_LIMITED" } });
    expect(Date.now() - started).toBeLessThan(1000);
    await until("the outage logged", () => mem.count(/rate limit: Redis unreachable at start/) === 1);
    for (let i = 0; i < 10; i++) await limit.check(null, `other-${i}`);
    await sleep(1000); // failed reconnects meanwhile
    expect(mem.lines).toHaveLength(1);
    await limit.close();
  });

  it("a REDIS_URL that is not redis:// or rediss:// is a configuration error", () => {
    for (const bad of ["localhost:6379", "http://127.0.0.1:6379", "redis://", "127.0.0.1:6379"]) {
      expect(() => loadConfig({ REDIS_URL: bad })).toThrow(/REDIS_URL/);
    }
    expect(() => loadConfig({ HUB_REDIS_PREFIX: "a b" })).toThrow(/HUB_REDIS_PREFIX/);
    expect(loadConfig({ REDIS_URL: "rediss://user:pw@cache.example:6380/2" }).REDIS_URL).toBe("rediss://user:pw@cache.example:6380/2");
    expect(loadConfig({}).HUB_REDIS_PREFIX).toBe("luxor");
  });

  it("the process: unreachable at start, it serves, delivers events on this instance, reports redis down and logs it once", async () => {
    const h = await startHubProcess({ REDIS_URL: "redis://127.0.0.1:1" });
    try {
      expect(await h.readyz()).toEqual({ status: 200, body: { status: "ready", redis: "down" } });
      const w = await processWorld(h);
      const sub = listen(h.wsUrl, w.customs, HOLDS);
      await sleep(500);
      for (let i = 0; i < 5; i++) await w.placeHold();
      await until("5 hold events", () => sub.events.length === 5);
      await sleep(1500); // reconnect attempts keep failing meanwhile
      expect(h.alive()).toBe(true);
      expect(h.count(/pub\/sub: Redis unreachable at start/)).toBe(1);
      expect(h.count(/rate limit: Redis unreachable at start/)).toBe(1);
      expect(h.count(/Redis unreachable/)).toBe(2);
      await sub.close();
    } finally {
      expect(await h.stop()).toBe(0);
    }
  }, 90_000);

  it("the process: a malformed REDIS_URL stops it at start with a clear message", async () => {
    const child = spawn(process.execPath, ["-r", REGISTER, MAIN], { cwd: ROOT, env: { ...process.env, REDIS_URL: "localhost:6379" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(2); // configuration errors exit 2
    expect(out).toContain("REDIS_URL=localhost:6379: must be a redis:// or rediss:// URL with a host");
  }, 30_000);
});

withRedisServer("Redis lost while running", () => {
  it("the process keeps serving when Redis is killed and when it is silently partitioned, reports it, and recovers", async () => {
    let redis = await RedisServer.start(await freePort());
    const h = await startHubProcess({ REDIS_URL: redis.url });
    const subs: { close(): void | Promise<void> }[] = [];
    const listenHere = (query: string) => {
      const s = listen(h.wsUrl, w.customs, query);
      subs.push(s);
      return s;
    };
    let w!: Awaited<ReturnType<typeof processWorld>>;
    try {
      await until("redis up in /readyz", async () => (await h.readyz()).body.redis === "up");
      w = await processWorld(h);
      const holds = listenHere(HOLDS);
      await sleep(500);
      await w.placeHold();
      await until("the first event", () => holds.events.length === 1);

      // 1. Redis killed: publishing, and subscribing to a topic, while it is gone
      const logged = h.output().length;
      const since = (re: RegExp) => h.output().slice(logged).split("\n").filter((l) => re.test(l)).length;
      await redis.kill();
      const statuses = listenHere(STATUSES);
      await sleep(500);
      for (let i = 0; i < 10; i++) await w.placeHold();
      await until("events during the outage", () => holds.events.length === 11 && statuses.events.length === 10);
      expect(await h.readyz()).toEqual({ status: 200, body: { status: "ready", redis: "down" } });
      await sleep(1500); // it used to crash ~350 ms after the cut
      expect(h.alive()).toBe(true);

      // back: re-subscribed, publishing again, hearing other instances again
      redis = await RedisServer.start(redis.port);
      await until("redis up again in /readyz", async () => (await h.readyz()).body.redis === "up", 20_000);
      // the event feed listens for wake-ups again; a write wakes every instance through Redis
      const spy = redis.client();
      expect(await spy.pubsub("NUMSUB", "luxor:EVENTS_APPENDED")).toEqual(["luxor:EVENTS_APPENDED", 1]);
      const heard: string[] = [];
      const listener = redis.client();
      listener.on("message", (_channel: string, message: string) => heard.push(message));
      await listener.subscribe("luxor:EVENTS_APPENDED");
      await w.placeHold();
      await until("the wake-up published to Redis", () => heard.length >= 1);
      await until("its local delivery", () => holds.events.length === 12);
      // a wake-up from another instance reads the outbox: nothing new there, nothing delivered twice
      await spy.publish("luxor:EVENTS_APPENDED", JSON.stringify({ o: "another-instance", p: {} }));
      await sleep(500);
      expect(holds.events).toHaveLength(12);
      listener.disconnect();
      spy.disconnect();

      // 2. silent partition: connections stay open, nothing answers
      redis.pause();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        await w.placeHold();
        expect(Date.now() - started).toBeLessThan(3000);
      }
      const started = Date.now();
      const page = await h.gql(w.customs, `{ declarations(first: 1) { totalCount } }`);
      expect(page.data.declarations.totalCount).toBe(40);
      expect(Date.now() - started).toBeLessThan(2000);
      await until("events during the partition", () => holds.events.length === 15);
      await until("redis down in /readyz", async () => (await h.readyz()).body.redis === "down", 10_000);
      redis.resume();
      await until("redis up after the partition", async () => (await h.readyz()).body.redis === "up", 20_000);

      expect(h.alive()).toBe(true);
      // once per outage, not per event (the log is written in batches: at most 250 ms late)
      await until("the recovery logged", () => since(/pub\/sub: Redis answers again/) >= 2);
      expect(since(/pub\/sub: Redis unreachable/)).toBe(2);
      expect(since(/pub\/sub: Redis answers again/)).toBe(2);
      expect(since(/rate limit: Redis unreachable/)).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
      const code = await h.stop();
      await redis.kill();
      expect(code).toBe(0);
    }
  }, 120_000);

  it("the rate limiter does not wait for a Redis that stopped answering", async () => {
    const redis = await RedisServer.start(await freePort());
    const mem = memoryLog();
    const limit = new RateLimit(loadConfig({ NODE_ENV: "test", REDIS_URL: redis.url, HUB_REDIS_TIMEOUT_MS: "200" }), mem.log);
    try {
      const spy = redis.client();
      await until("a count kept in Redis", async () => (await limit.check(null, "k"), (await spy.exists("luxor:rl60:ip:k")) === 1));
      spy.disconnect();
      redis.pause();
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        await limit.check(null, "k");
        expect(Date.now() - started).toBeLessThan(800);
      }
      await until("the outage logged", () => mem.count(/rate limit: Redis unreachable/) === 1);
      for (let i = 0; i < 5; i++) await limit.check(null, "k");
      expect(mem.lines).toHaveLength(1);
    } finally {
      await limit.close();
      await redis.kill();
    }
  });

  it("deployments with different prefixes on one Redis do not hear each other", async () => {
    const redis = await RedisServer.start(await freePort());
    const alpha1 = createHubPubSub(redis.url, { prefix: "alpha" });
    const alpha2 = createHubPubSub(redis.url, { prefix: "alpha" });
    const beta = createHubPubSub(redis.url, { prefix: "beta" });
    try {
      await until("all three connected", () => [alpha1, alpha2, beta].every((e) => e.redisState() === "up"));
      const at = (e: typeof alpha1) => e.pubsub.subscribe(TOPICS.HOLD_PLACED, { buffer: 100, overflow: "error" });
      const [a1, a2, b] = [at(alpha1), at(alpha2), at(beta)];
      alpha1.pubsub.publish(TOPICS.HOLD_PLACED, { holdId: "from-alpha", declarationId: "d" });
      beta.pubsub.publish(TOPICS.HOLD_PLACED, { holdId: "from-beta", declarationId: "d" });
      await until("alpha's event at the other alpha instance", () => a2.takeBuffered(100).find((e) => e.holdId === "from-alpha"));
      await sleep(300);
      expect(a1.takeBuffered(100).map((e) => e.holdId)).toEqual(["from-alpha"]); // its own, once
      expect(a2.takeBuffered(100)).toEqual([]);
      expect(b.takeBuffered(100).map((e) => e.holdId)).toEqual(["from-beta"]);
    } finally {
      await Promise.all([alpha1.close(), alpha2.close(), beta.close()]);
      await redis.kill();
    }
  });
});

onPostgres("two deployments on one Redis and one database (PostgreSQL)", () => {
  it("a hub is woken by the hub of its own prefix, not by the other deployment's", async () => {
    if (!REDIS_SERVER) return;
    const redis = await RedisServer.start(await freePort());
    const db = await createTestDatabase();
    const hubs: { stop(): Promise<void> }[] = [];
    const start = async (prefix: string) => {
      const config = loadConfig({
        NODE_ENV: "test",
        HUB_SEED: "none",
        PORT: "0",
        LOG_LEVEL: "silent",
        HUB_ADMIN_TOKEN: ADMIN_TOKEN,
        HUB_AGREEMENT_CACHE_MS: "0",
        REDIS_URL: redis.url,
        HUB_REDIS_PREFIX: prefix,
        // the outbox is shared here (one database): without polling, only Redis wake-ups deliver
        HUB_EVENT_POLL_MS: "60000",
      });
      const prisma = createPrismaClient(db.url, { embedded: false, poolSize: 3 });
      const events = createHubPubSub(config.REDIS_URL, { prefix: config.HUB_REDIS_PREFIX });
      const hub = createHub(config, prisma, createLogger("silent"), events);
      const server = await startServer(hub, await buildHubSchema(events), 0, async () => true);
      const running = {
        hub,
        server,
        async stop() {
          await server.stop();
          hub.feed.stop();
          await hub.accessLog.close();
          await events.close();
          await prisma.$disconnect();
        },
      };
      hubs.push(running);
      await hub.services.parties.ensureOperatorParty();
      await until(`${prefix} connected`, () => events.redisState() === "up");
      return running;
    };
    try {
      const a = await start("alpha");
      const sameDeployment = await start("alpha");
      const otherDeployment = await start("beta");
      const t = { hub: a.hub, db } as unknown as TestHub;
      const customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
      const platform = await makeParty(t, "PLATFORM", "IE", "Platform");
      const d = (await a.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never)).declaration;
      const same = listen(sameDeployment.server.url.replace("http", "ws"), customs.key, HOLDS);
      const other = listen(otherDeployment.server.url.replace("http", "ws"), customs.key, HOLDS);
      await sleep(500);
      await a.hub.services.workflow.placeHold(createContext(a.hub, customs.principal), d.id, { kind: "RFI", reason: "x" } as never);
      await until("the event at the same deployment", () => same.events.length === 1);
      await sleep(500);
      expect(other.events).toEqual([]);
      await Promise.all([same.close(), other.close()]);
    } finally {
      for (const h of hubs.reverse()) await h.stop();
      await db.close();
      await redis.kill();
    }
  }, 60_000);
});
