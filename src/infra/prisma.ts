import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";

export type { PrismaClient };

export interface PrismaClientOptions {
  /** The database is the embedded PGlite, which serves one connection at a time. */
  embedded: boolean;
  /** Pool size against a real PostgreSQL server (default 10). Ignored when embedded. */
  poolSize?: number;
  /** Emit a "query" event per SQL statement (tests count them to prove there is no N+1). */
  queryEvents?: boolean;
}

/** Prisma 7 client over `pg` (the query engine is WASM; the driver adapter does the I/O). */
export function createPrismaClient(url: string, opts: PrismaClientOptions): PrismaClient {
  // Embedded PGlite serves one connection at a time and makes other clients wait for it:
  // hold one, and give it back after 1 s idle (pg's default is 10 s).
  const pool = opts.embedded ? { max: 1, idleTimeoutMillis: 1_000 } : { max: opts.poolSize ?? 10 };
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, ...pool }),
    log: opts.queryEvents ? [{ emit: "event", level: "query" }] : [],
  });
}
