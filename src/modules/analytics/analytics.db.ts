import type { Pool } from "pg";
import type { Prisma } from "../../generated/prisma/client";
import { HubError } from "../../shared/errors";

/** PostgreSQL's "canceling statement due to statement timeout". */
const QUERY_CANCELED = "57014";
/** work_mem of an analytics transaction (the server default, 4MB, spills their sorts to disk). */
export const ANALYTICS_WORK_MEM = "64MB";

/**
 * The settings of an analytics transaction, as one statement and its values: the time
 * limit; no JIT (its compilation cost seconds on these plans, more than it saved); memory
 * enough that grouping a million rows sorts in memory; and at most `parallelWorkers`
 * parallel workers per plan node (HUB_ANALYTICS_PARALLEL_WORKERS). A page's plan reads at
 * most a few hundred thousand index entries: on the 2-core bench server, starting and
 * gathering workers made such pages 1.5 to 2.2 times slower, and declarationStats over the
 * whole world no faster; workers also take cores from filing and clearance lookups. And
 * the planner's cost of a random page read (HUB_ANALYTICS_RANDOM_PAGE_COST; PostgreSQL's
 * default of 4 is for spinning disks): at 1.1, the usual figure for SSDs and cached data,
 * a selective relation (19,700 inspection holds) drives the plan through the primary key
 * rather than a bitmap over a carrier's 210,000 declarations (590 ms to 240 ms).
 */
export interface AnalyticsTuning {
  timeoutMs: number;
  parallelWorkers: number;
  randomPageCost: number;
}

function analyticsSettings(t: AnalyticsTuning): { text: string; values: string[] } {
  return {
    text:
      "SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true), set_config('work_mem', $2, true), " +
      "set_config('max_parallel_workers_per_gather', $3, true), set_config('random_page_cost', $4, true)",
    values: [String(t.timeoutMs), ANALYTICS_WORK_MEM, String(t.parallelWorkers), String(t.randomPageCost)],
  };
}

/** The tuning the configuration states (src/config). */
export function analyticsTuning(config: { HUB_ANALYTICS_TIMEOUT_MS: number; HUB_ANALYTICS_PARALLEL_WORKERS: number; HUB_ANALYTICS_RANDOM_PAGE_COST: number }): AnalyticsTuning {
  return {
    timeoutMs: config.HUB_ANALYTICS_TIMEOUT_MS,
    parallelWorkers: config.HUB_ANALYTICS_PARALLEL_WORKERS,
    randomPageCost: config.HUB_ANALYTICS_RANDOM_PAGE_COST,
  };
}

/**
 * Runs the analytics statements built by the repositories (Prisma.sql: text with $n and
 * its values, never concatenated input) on the primary's pool or, when DATABASE_READ_URL
 * is set, on the read replica's, each in a read-only transaction under a statement
 * timeout. A statement cut short is QUERY_TOO_COMPLEX, naming the limit.
 */
export class AnalyticsDb {
  constructor(
    private readonly pool: Pool,
    /** "replica" or "primary": stated in logs and tests */
    readonly target: "primary" | "replica",
    private readonly tuning: AnalyticsTuning,
  ) {}

  async query<T>(statement: Prisma.Sql): Promise<T[]> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN READ ONLY");
      const settings = analyticsSettings(this.tuning);
      await client.query(settings.text, settings.values);
      const result = await client.query(statement.text, statement.values as unknown[]);
      await client.query("COMMIT");
      return result.rows as T[];
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      if ((err as { code?: string }).code === QUERY_CANCELED) {
        throw new HubError(
          "QUERY_TOO_COMPLEX",
          `The query ran longer than the analytics time limit of ${this.tuning.timeoutMs} ms (HUB_ANALYTICS_TIMEOUT_MS); narrow the filter or group by fewer keys`,
          { timeoutMs: this.tuning.timeoutMs },
        );
      }
      throw err;
    } finally {
      client.release();
    }
  }
}
