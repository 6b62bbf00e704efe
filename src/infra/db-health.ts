import type { Pool } from "pg";
import type { Logger } from "./logger";

const DOWN_CODES = new Set([
  // Node sockets
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  // PostgreSQL: shutting down, starting, cannot connect, too many connections, statement timeout
  "57P01",
  "57P02",
  "57P03",
  "57014",
  "53300",
  "08000",
  "08001",
  "08003",
  "08006",
  // Prisma: unreachable, timed out, server closed the connection, pool timeout
  "P1001",
  "P1002",
  "P1008",
  "P1017",
  "P2024",
  // ours (BoundedPool)
  "HUB_DB_UNAVAILABLE",
]);

// Driver adapter error kinds (Prisma 7) meaning the same.
const DOWN_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

const DOWN_MESSAGE =
  /Can't reach database|Connection terminated|connect ECONNREFUSED|Timed out fetching a new connection|timeout exceeded when trying to connect|Query read timeout|DatabaseNotReachable|ConnectionClosed|canceling statement due to statement timeout/i;

/** Whether an error (or anything it wraps) says the database cannot answer now, rather than that a request was wrong. */
export function isDatabaseDown(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; originalError?: unknown; meta?: { driverAdapterError?: unknown } };
  if (DOWN_CODES.has(String(e.code)) || DOWN_KINDS.has(String(e.kind))) return true;
  if (typeof e.message === "string" && DOWN_MESSAGE.test(e.message)) return true;
  return [e.cause, e.originalError, e.meta?.driverAdapterError].some((inner) => inner !== err && isDatabaseDown(inner, depth + 1));
}

/**
 * Whether an error (or anything it wraps) is a statement PostgreSQL canceled (57014: the
 * hub's statement timeout, or a cancel request). The database answered: a slow query, not a
 * lost database. The request is still answered SERVICE_UNAVAILABLE (retry later).
 */
export function isStatementCanceled(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown; meta?: { driverAdapterError?: unknown } };
  if (String(e.code) === "57014") return true;
  if (typeof e.message === "string" && /canceling statement due to/i.test(e.message)) return true;
  return [e.cause, e.originalError, e.meta?.driverAdapterError].some((inner) => inner !== err && isStatementCanceled(inner, depth + 1));
}

/** At most one "slow query" line per this many ms; the lines in between are counted in the next. */
const SLOW_LOG_EVERY_MS = 1000;

/** A short reason for the log, without SQL or parameters. */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const message = typeof e?.message === "string" ? e.message.trim().split("\n").pop()! : String(err);
  return `${e?.code ? `${String(e.code)}: ` : ""}${message}`.slice(0, 300);
}

/**
 * Logs a lost database once when lost and once when back (not per request), and probes it
 * while it is lost so "back" is logged even without traffic.
 */
export class DatabaseHealth {
  private downSince: number | null = null;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private slowLoggedAt = 0;
  private slowSince = 0;

  constructor(
    private readonly pool: Pool | undefined,
    private readonly log: Logger,
    private readonly probeMs = 1000,
  ) {
    // an idle connection broken by the server or the network
    pool?.on("error", (err) => this.failed(err));
  }

  get up(): boolean {
    return this.downSince === null;
  }

  /** Reports an error; only one that means "database down" changes anything. Returns whether it did. */
  failed(err: unknown): boolean {
    if (!isDatabaseDown(err)) return false;
    if (isStatementCanceled(err)) {
      this.slowQuery(err);
      return true;
    }
    if (this.downSince !== null) return true;
    this.downSince = Date.now();
    this.log.error({ reason: reasonOf(err) }, "database lost: requests are answered SERVICE_UNAVAILABLE (HTTP 503) until it is back");
    if (this.pool) this.probe = setInterval(() => void this.check(), this.probeMs).unref();
    return true;
  }

  /** A statement timed out: logged as a slow query (at most one line a second, with how many), the database stays up. */
  private slowQuery(err: unknown): void {
    this.slowSince++;
    const now = Date.now();
    if (now - this.slowLoggedAt < SLOW_LOG_EVERY_MS) return;
    this.log.warn({ reason: reasonOf(err), statements: this.slowSince }, "slow query: a statement ran past its timeout (HUB_DB_STATEMENT_TIMEOUT_MS) and was canceled");
    this.slowLoggedAt = now;
    this.slowSince = 0;
  }

  /** A statement succeeded. */
  ok(): void {
    if (this.downSince === null) return;
    const downMs = Date.now() - this.downSince;
    this.downSince = null;
    clearInterval(this.probe);
    this.probe = undefined;
    this.log.warn({ downMs }, "database back");
  }

  private async check(): Promise<void> {
    if (this.probing || !this.pool) return;
    this.probing = true;
    try {
      await this.pool.query("SELECT 1");
      this.ok();
    } catch {
      // still down: logged when it went down
    } finally {
      this.probing = false;
    }
  }

  stop(): void {
    clearInterval(this.probe);
    this.probe = undefined;
  }
}
