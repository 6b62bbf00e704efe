import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  /** postgres:// URL for `pg`, PrismaPg and the migration engine. */
  url: string;
  /** Closes the socket server, then PGlite (which flushes the data directory). */
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WASM (PGlite), in-process, served on 127.0.0.1 with a free port
 * so the same `pg`/PrismaPg code path works as against a real server.
 *
 * One connection at a time. pglite-socket 0.2.17 with its default `maxConnections: 1`
 * does NOT queue a second concurrent connection: the socket is accepted and closed at
 * once (Node's `server.maxConnections`; pg reports "Connection terminated unexpectedly").
 * A connection closed just before is only forgotten on a later tick, so an immediate
 * reconnect can be refused too. With `maxConnections > 1` it multiplexes clients
 * message by message through one global queue: explicit transactions are kept together,
 * but one client's Parse/Bind/Execute sequence can interleave with another's on PGlite's
 * single backend (shared unnamed statement/portal and session state), so we keep 1.
 * Consequences: every client of this URL must use a pool of max 1 and close idle
 * connections; nothing else may connect while the application's pool holds its connection.
 */
export async function startEmbeddedPostgres(dataDir: string | "memory"): Promise<EmbeddedPostgres> {
  let location = "memory://";
  if (dataDir !== "memory") {
    location = path.resolve(dataDir);
    fs.mkdirSync(location, { recursive: true });
  }
  const db = await PGlite.create(location);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  // Port 0 lets the OS choose; the server reports "host:port" once listening.
  const port = Number(server.getServerConn().split(":").pop());
  // PGlite accepts any user/password (no auth, no TLS); its database is "postgres".
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        // close() shuts PostgreSQL down cleanly (checkpoint), so a persisted dataDir is consistent.
        if (!db.closed) await db.close();
      })();
      return stopped;
    },
  };
}
