import { PrismaPg } from "@prisma/adapter-pg";
import { Pool } from "pg";
import { PrismaClient } from "../generated/prisma/client";
import { BoundedPool, type DatabaseLimits } from "./bounded-pool";

export type { PrismaClient };

export interface PrismaClientOptions {
  /** The database is the embedded PGlite, which serves one connection at a time. */
  embedded: boolean;
  /** Pool size against a real PostgreSQL server (default 10). Ignored when embedded. */
  poolSize?: number;
  /** Emit a "query" event per SQL statement (tests count them to prove there is no N+1). */
  queryEvents?: boolean;
  /** A pg pool to run on instead of a new one (the bench counts statements on its clients); closed with the client. */
  pool?: Pool;
  /** Bounded waits (connect, acquire, statement) and waiting queue; unset: pg's defaults (no limits). */
  limits?: DatabaseLimits;
}

/** The pg pool under each client made here, for sqlRows. */
const pools = new WeakMap<PrismaClient, Pool>();
/** Clients on the embedded PGlite, which serves one connection at a time. */
const embeddedClients = new WeakSet<PrismaClient>();

/** Prisma 7 client over `pg` (the query engine is WASM; the driver adapter does the I/O). */
export function createPrismaClient(url: string, opts: PrismaClientOptions): PrismaClient {
  // Embedded PGlite serves one connection at a time and makes other clients wait for it:
  // hold one, and give it back after 1 s idle (pg's default is 10 s).
  const size = opts.embedded ? { max: 1, idleTimeoutMillis: 1_000 } : { max: opts.poolSize ?? 10 };
  const pool = opts.pool ?? (opts.limits ? new BoundedPool({ connectionString: url, ...size }, opts.limits, opts.embedded) : new Pool({ connectionString: url, ...size }));
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: true }),
    log: opts.queryEvents ? [{ emit: "event", level: "query" }] : [],
  });
  pools.set(prisma, pool);
  if (opts.embedded) embeddedClients.add(prisma);
  return prisma;
}

/**
 * A client on a small pool of its own to the same database, for a reader that must not
 * queue behind the writers for a connection (the event feed). Its pool has the options and
 * `connect` listeners of the client's own; idle connections never keep the process up or
 * crash it when the server drops them. Null when embedded: PGlite serves one connection.
 */
export function sideClient(prisma: PrismaClient, max: number): PrismaClient | null {
  const pool = pools.get(prisma);
  if (!pool || embeddedClients.has(prisma)) return null;
  // its waits stay bounded by the connect timeout as before (BoundedPool bounds its own queue)
  const queueMs = pool instanceof BoundedPool ? pool.limits.connectMs : pool.options.connectionTimeoutMillis;
  const side = new Pool({ ...pool.options, connectionTimeoutMillis: queueMs, max, allowExitOnIdle: true });
  for (const listener of pool.listeners("connect")) side.on("connect", listener as (client: unknown) => void);
  side.on("error", () => {}); // an idle connection dropped: the next query opens another
  const client = new PrismaClient({ adapter: new PrismaPg(side, { disposeExternalPool: true }) });
  pools.set(client, side);
  return client;
}

/** A statement for sqlRows. The name is unique per text: PostgreSQL prepares it once per connection. */
export interface NamedStatement {
  name: string;
  text: string;
}

/**
 * Runs one prepared statement on the client's own pg pool (same connections as Prisma),
 * skipping Prisma's query pipeline, which costs ~0.13 ms of CPU per call, and PostgreSQL's
 * planning of the statement on every call: together more than the rest of the carriers'
 * clearanceStatus lookup. For hot paths only. pg reads TIMESTAMP (without time zone) as
 * local time: select such columns `AT TIME ZONE 'UTC'`.
 */
export async function sqlRows<T>(prisma: PrismaClient, statement: NamedStatement, values: unknown[]): Promise<T[]> {
  const pool = pools.get(prisma);
  if (!pool) throw new Error("sqlRows needs a client made by createPrismaClient");
  return (await pool.query({ name: statement.name, text: statement.text, values })).rows as T[];
}

/** The pg pool under a client made by createPrismaClient (analytics run statements on it directly; /metrics reads its gauges). */
export function poolOf(prisma: PrismaClient): Pool {
  const pool = pools.get(prisma);
  if (!pool) throw new Error("poolOf needs a client made by createPrismaClient");
  return pool;
}

/** A pool on DATABASE_READ_URL (a read replica) for heavy analytics; never written through. */
export function createReadPool(url: string, poolSize = 5): Pool {
  const pool = new Pool({ connectionString: url, max: poolSize });
  pool.on("error", () => {}); // an idle connection dropped (the replica restarted): the next query opens another
  return pool;
}
