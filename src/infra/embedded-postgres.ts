import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { lockDataDir } from "./data-dir-lock";
import { settledWithin, within } from "../shared/deadline";

export interface EmbeddedPostgres {
  /** postgres:// URL for `pg`, PrismaPg and the migration engine. */
  url: string;
  /** Closes the socket server, then PGlite (clean shutdown: the data directory is flushed). */
  stop(): Promise<void>;
  /** Writes a tarball of the data directory, usable as `loadFrom` (e.g. a migrated test template). */
  dump(file: string): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Start from a tarball written by `dump()` instead of running initdb (~0.7 s instead of ~2.5 s). */
  loadFrom?: string;
  /** Gives up opening after this long (default 5 min), with an error saying so, instead of waiting forever. */
  openTimeoutMs?: number;
  /** Called every 30 s while opening takes longer, with the time spent so far (the hub logs it). */
  onSlowOpen?: (ms: number) => void;
}

export const DEFAULT_OPEN_TIMEOUT_MS = 300_000;
const SLOW_OPEN_EVERY_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/**
 * PostgreSQL compiled to WASM (@electric-sql/pglite), served on 127.0.0.1 and a free port by
 * @electric-sql/pglite-socket, so the same `pg`/PrismaPg code path works as against a server.
 * dataDir: a folder (created if missing) where the database persists, or "memory".
 *
 * It runs in a worker thread: PGlite executes queries synchronously in WASM, which would
 * otherwise stall this thread's event loop; and PGlite's `import()` of Node built-ins fails
 * inside jest's VM (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG), not in a worker.
 *
 * ONE CONNECTION AT A TIME: PGlite has a single backend. pglite-socket 0.2.17's
 * PGLiteSocketServer (maxConnections 1, its default) does not queue a second concurrent
 * connection: it accepts and closes it at once (pg: "Connection terminated unexpectedly"),
 * and as it forgets a closed connection only on a later tick, connecting right after a
 * close can be refused too (Prisma connecting just after the migration engine hit this).
 * With maxConnections > 1 it multiplexes clients message by message through one queue;
 * only explicit transactions are kept together, so one client's Parse/Bind/Execute can
 * interleave with another's on the single backend (shared unnamed statement, session
 * state): unsafe. So we accept connections ourselves and hand them to pglite-socket's
 * PGLiteSocketHandler one at a time, in arrival order: a second client waits (its
 * connect() does not complete) until the first disconnects. Clients should use pools of
 * max 1 that release idle connections soon, and bound waits with connectionTimeoutMillis.
 */
export async function startEmbeddedPostgres(
  dataDir: string | "memory",
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  let location = "memory://";
  let unlock = () => {};
  if (dataDir !== "memory") {
    location = path.resolve(dataDir);
    fs.mkdirSync(location, { recursive: true });
    // PGlite is single-process: a second process on the same folder would lose writes.
    unlock = lockDataDir(location);
  }
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      // Resolved here so the worker loads the same (CommonJS) builds of the project's copies.
      pglite: require.resolve("@electric-sql/pglite"),
      socket: require.resolve("@electric-sql/pglite-socket"),
      location,
      loadFrom: options.loadFrom ? path.resolve(options.loadFrom) : undefined,
    },
  });
  const call = requester(worker);
  const { port } = await opened(call<{ port: number }>({ type: "start" }), location, options).catch(async (err) => {
    // bounded: a worker stuck in WASM must not keep this start from reporting its error
    await settledWithin(worker.terminate(), 5000);
    unlock();
    throw err;
  });

  let stopped: Promise<void> | undefined;
  return {
    // PGlite accepts any user/password (no auth, no TLS); its one database is "postgres".
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    dump: (file) => call({ type: "dump", file: path.resolve(file) }),
    stop() {
      // bounded: a close that does not end (a connection that never closes) must not hold the
      // process; what was committed is in the WAL, and the next start recovers from it
      stopped ??= within(call({ type: "stop" }), STOP_TIMEOUT_MS, `The embedded database did not close within ${STOP_TIMEOUT_MS / 1000} s: stopped it`).finally(() =>
        worker.terminate().then(() => unlock()),
      );
      return stopped;
    },
  };
}

/** The worker's start (initdb, or crash recovery, then listening), bounded by options.openTimeoutMs. */
async function opened<T>(start: Promise<T>, location: string, options: EmbeddedPostgresOptions): Promise<T> {
  const began = Date.now();
  const limit = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  const slow = setInterval(() => options.onSlowOpen?.(Date.now() - began), SLOW_OPEN_EVERY_MS);
  const where = location === "memory://" ? "in memory" : `in ${location}`;
  try {
    return await within(
      start,
      limit,
      `The embedded database (PGlite) ${where} did not open within ${Math.round(limit / 1000)} s: this start gave up. ` +
        `Start again (a busy machine can be that slow: HUB_EMBEDDED_OPEN_TIMEOUT_MS sets the limit); if it happens again, keep a copy of the folder for a report.`,
    );
  } finally {
    clearInterval(slow);
  }
}

// One request at a time to the worker; a crash of the worker fails the pending request.
function requester(worker: Worker) {
  let chain: Promise<unknown> = Promise.resolve();
  let failure: Error | undefined;
  const pending = new Set<(err: Error) => void>();
  const fail = (err: Error) => {
    failure ??= err;
    for (const reject of pending) reject(err);
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`Embedded PostgreSQL worker exited (code ${code})`)));

  return <T = void>(message: { type: string; file?: string }): Promise<T> => {
    const run = () =>
      new Promise<T>((resolve, reject) => {
        if (failure) return reject(failure);
        pending.add(reject);
        worker.once("message", (reply: { ok: boolean; error?: string; value?: T }) => {
          pending.delete(reject);
          if (reply.ok) resolve(reply.value as T);
          else reject(new Error(`Embedded PostgreSQL: ${reply.error}`));
        });
        worker.postMessage(message);
      });
    const result = chain.then(run, run);
    chain = result.catch(() => undefined);
    return result;
  };
}

// Plain CommonJS run by the worker (eval), so it needs no compilation step.
// Connections are served one at a time, in arrival order: the others wait, unread, in
// `waiting` (pg's connect() simply waits for the server's reply).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const net = require("node:net");
const { PGlite } = require(workerData.pglite);
const { PGLiteSocketHandler, PGLiteSocketServer } = require(workerData.socket);
let db, tcp, active = null;
const waiting = [];

function serveNext() {
  if (active || !tcp) return;
  const socket = waiting.shift();
  if (!socket) return;
  if (socket.destroyed) return serveNext();
  // A query queue per connection: pglite-socket's queue refuses every other handler while
  // PGlite is in a transaction its last handler opened, and stops for good after a failed
  // message; shared, either would leave every later connection unanswered.
  const handler = new PGLiteSocketHandler({ queryQueue: queueFor(db), closeOnDetach: true });
  active = handler;
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    await handler.detach(true).catch(() => {});
    // One PGlite session serves every connection in turn: what a connection left in it
    // (a transaction, even one whose BEGIN ran after the client left; prepared statements,
    // settings) must not reach the next one, as with a real server. Both wait for a
    // statement still running (PGlite's mutex), then clean up after it.
    await db.exec("ROLLBACK").catch(() => {});
    await db.exec("DISCARD ALL").catch(() => {});
    active = null;
    serveNext();
  };
  handler.addEventListener("close", finish);
  handler.addEventListener("error", finish);
  handler.attach(socket).catch(finish);
}

// pglite-socket 0.2.17 exports no way to build the query queue a handler needs; take the
// one of an (unstarted) PGLiteSocketServer, whose own accept loop rejects extra clients.
const queueFor = (db) => new PGLiteSocketServer({ db }).queryQueue;

const handlers = {
  async start() {
    const opts = {};
    if (workerData.loadFrom) opts.loadDataDir = new Blob([fs.readFileSync(workerData.loadFrom)]);
    db = await PGlite.create(workerData.location, opts);
    tcp = net.createServer((socket) => {
      if (!tcp) return socket.destroy(); // stopping: server.close() would wait for it forever
      waiting.push(socket);
      serveNext();
    });
    await new Promise((resolve, reject) => tcp.once("error", reject).listen(0, "127.0.0.1", resolve));
    return { port: tcp.address().port };
  },
  async dump({ file }) {
    const blob = await db.dumpDataDir("none");
    const tmp = file + "." + process.pid + "." + Date.now() + ".tmp";
    fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(tmp, file); // atomic: concurrent readers never see a partial file
  },
  async stop() {
    const server = tcp;
    tcp = null;
    for (const socket of waiting.splice(0)) socket.destroy();
    if (active) await active.detach(true);
    if (server) await new Promise((resolve) => server.close(() => resolve()));
    if (db && !db.closed) await db.close();
  },
};

parentPort.on("message", async (message) => {
  try {
    parentPort.postMessage({ ok: true, value: await handlers[message.type](message) });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: (err && err.stack) || String(err) });
  }
});
`;
