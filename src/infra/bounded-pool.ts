import { Client, Pool, type ClientConfig, type PoolClient, type PoolConfig } from "pg";

/** How long the hub waits on PostgreSQL, and how many requests may wait for a connection. */
export interface DatabaseLimits {
  /** opening a connection (TCP + startup) */
  connectMs: number;
  /** waiting for a pooled connection, opening included */
  acquireMs: number;
  /** one statement (the server cancels it; the client gives up shortly after) */
  statementMs: number;
  /** requests waiting for a connection; one more is refused at once */
  queueMax: number;
}

/** A connection could not be had in time, or too many were waiting: the database is not answering. */
export class DatabaseUnavailableError extends Error {
  readonly code = "HUB_DB_UNAVAILABLE";
  constructor(message: string) {
    super(message);
    this.name = "DatabaseUnavailableError";
  }
}

type ConnectCallback = (err: Error | undefined, client?: PoolClient, release?: (err?: Error | boolean) => void) => void;

/**
 * A pg pool whose waits are bounded: during a partition requests fail fast with
 * DatabaseUnavailableError (HTTP 503) instead of piling up in memory. Each connection's
 * opening is bounded by connectMs (on the client: pg-pool's own connectionTimeoutMillis
 * would also cut the wait of every queued request at connectMs, so a request queued behind
 * a long statement, as on the embedded store's single connection, failed after 5 s with
 * "timeout exceeded when trying to connect" instead of HUB_DB_ACQUIRE_TIMEOUT_MS); this
 * bounds the whole wait for a pooled connection (acquireMs) and the number of waiters.
 * Embedded (PGlite, in-process): statement timeouts are left to the driver's defaults (no
 * network to lose, and long seed batches are legitimate).
 */
export class BoundedPool extends Pool {
  constructor(
    config: PoolConfig,
    readonly limits: DatabaseLimits,
    embedded: boolean,
  ) {
    super({
      ...config,
      Client: timedClient(limits.connectMs),
      connectionTimeoutMillis: 0,
      keepAlive: true,
      ...(embedded ? {} : { statement_timeout: limits.statementMs, query_timeout: limits.statementMs + 2_000 }),
    });
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const acquired = this.acquire();
    if (!callback) return acquired;
    acquired.then(
      (client) => callback(undefined, client, (err) => client.release(err)),
      (err: Error) => callback(err),
    );
  }

  private acquire(): Promise<PoolClient> {
    if (this.waitingCount >= this.limits.queueMax) {
      return Promise.reject(new DatabaseUnavailableError(`${this.waitingCount} requests are already waiting for a database connection`));
    }
    const pending = super.connect() as Promise<PoolClient>;
    return new Promise<PoolClient>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new DatabaseUnavailableError(`no database connection within ${this.limits.acquireMs} ms`));
      }, this.limits.acquireMs);
      timer.unref();
      pending.then(
        (client) => {
          if (settled) return client.release(); // too late: back to the pool for the next waiter
          settled = true;
          clearTimeout(timer);
          resolve(client);
        },
        (err: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(err.message === CLIENT_CONNECT_TIMEOUT ? new DatabaseUnavailableError(`no connection opened within ${this.limits.connectMs} ms`) : err);
        },
      );
    });
  }
}

/** What pg's Client fails its connect() with when its connectionTimeoutMillis passes. */
const CLIENT_CONNECT_TIMEOUT = "timeout expired";

/** pg's Client with connectionTimeoutMillis set: bounds opening a connection, not waiting in the pool's queue. */
function timedClient(connectMs: number): typeof Client {
  return class TimedClient extends Client {
    constructor(config?: string | ClientConfig) {
      super({ ...(typeof config === "string" ? { connectionString: config } : config), connectionTimeoutMillis: connectMs });
    }
  };
}
