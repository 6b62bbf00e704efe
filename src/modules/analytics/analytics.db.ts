import type { Pool } from "pg";
import type { Prisma } from "../../generated/prisma/client";
import { HubError } from "../../shared/errors";

/** PostgreSQL's "canceling statement due to statement timeout". */
const QUERY_CANCELED = "57014";
/** work_mem of an analytics transaction (the server default, 4MB, spills their sorts to disk). */
export const ANALYTICS_WORK_MEM = "64MB";

/**
 * Runs the analytics statements built by the repositories (Prisma.sql: text with $n and
 * its values, never concatenated input) on the primary's pool or, when DATABASE_READ_URL
 * is set, on the read replica's, each in a read-only transaction under a statement
 * timeout. A statement cut short is QUERY_TOO_COMPLEX, naming the limit.
 */
export class AnalyticsDb {
  constructor(
    private readonly pool: Pool,
    readonly timeoutMs: number,
    /** "replica" or "primary": stated in logs and tests */
    readonly target: "primary" | "replica",
  ) {}

  async query<T>(statement: Prisma.Sql): Promise<T[]> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN READ ONLY");
      // the time limit; no JIT (its compilation cost seconds on these plans, more than it saved);
      // memory enough that grouping a million rows sorts in memory
      await client.query(
        "SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true), set_config('work_mem', $2, true)",
        [String(this.timeoutMs), ANALYTICS_WORK_MEM],
      );
      const result = await client.query(statement.text, statement.values as unknown[]);
      await client.query("COMMIT");
      return result.rows as T[];
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      if ((err as { code?: string }).code === QUERY_CANCELED) {
        throw new HubError(
          "QUERY_TOO_COMPLEX",
          `The query ran longer than the analytics time limit of ${this.timeoutMs} ms (HUB_ANALYTICS_TIMEOUT_MS); narrow the filter or group by fewer keys`,
          { timeoutMs: this.timeoutMs },
        );
      }
      throw err;
    } finally {
      client.release();
    }
  }
}
