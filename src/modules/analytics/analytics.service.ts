import type { Pool } from "pg";
import type { Config } from "../../config";
import type { HubContext } from "../../context/context";
import { PolicySql } from "../../authz/policy-sql";
import type { Policy } from "../../authz/policy";
import { HubError } from "../../shared/errors";
import { Problems } from "../../shared/validation";
import { AnalyticsDb } from "./analytics.db";
import { FilterCompiler } from "./filter.compiler";
import { MoneySql } from "./money.sql";
import { keyCategories, StatsRepository, type StatsResult, type StatsRow } from "./stats.repository";
import { StatsGroupKey, type DeclarationStats, type DeclarationStatsArgs } from "./stats.types";
import type { DeclarationWhere } from "./analytics.inputs";
import { recordInference } from "./inference";

const EXPANDING = new Set([StatsGroupKey.HS_CHAPTER, StatsGroupKey.HS_HEADING, StatsGroupKey.HOLD_KIND, StatsGroupKey.ALERT_SEVERITY]);
const EXCLUSIVE: StatsGroupKey[][] = [
  [StatsGroupKey.HS_CHAPTER, StatsGroupKey.HS_HEADING],
  [StatsGroupKey.DAY, StatsGroupKey.WEEK, StatsGroupKey.MONTH],
];
const MAX_GROUPS = 10_000;

/** Analysts' queries: the filter language compiled to SQL under the policy, and declarationStats. */
export class AnalyticsService {
  readonly db: AnalyticsDb;
  readonly money: MoneySql;

  constructor(
    private readonly config: Config,
    private readonly pool: Pool,
    private readonly target: "primary" | "replica",
  ) {
    this.db = new AnalyticsDb(pool, config.HUB_ANALYTICS_TIMEOUT_MS, target);
    this.money = new MoneySql(config.HUB_REFERENCE_CURRENCY);
  }

  /** Closes the replica's pool; the primary's belongs to the Prisma client. */
  async close(): Promise<void> {
    if (this.target === "replica") await this.pool.end();
  }

  /** The filter compiled for this viewer; BAD_USER_INPUT problems are collected in `problems`. */
  compile(policy: Policy, where: DeclarationWhere | undefined, path: string, problems: Problems) {
    const policySql = new PolicySql(policy);
    return { policySql, ...new FilterCompiler(policySql, this.money, problems).compile(where, path) };
  }

  /** QUERY_TOO_COMPLEX past HUB_ANALYTICS_MAX_COST, naming the cost and the limit. */
  checkCost(cost: number): void {
    const max = this.config.HUB_ANALYTICS_MAX_COST;
    if (cost > max) {
      throw new HubError(
        "QUERY_TOO_COMPLEX",
        `The query's cost ${cost} exceeds the analytics limit ${max} (HUB_ANALYTICS_MAX_COST): use fewer conditions, relations, group keys or a smaller page`,
        { cost, maxCost: max },
      );
    }
  }

  async stats(ctx: HubContext, args: DeclarationStatsArgs): Promise<DeclarationStats> {
    const policy = await ctx.authz.policy();
    const problems = new Problems();
    const groupBy = args.groupBy ?? [];
    if (groupBy.length > 4) problems.add("groupBy", "at most 4 keys");
    if (new Set(groupBy).size !== groupBy.length) problems.add("groupBy", "names a key twice");
    for (const set of EXCLUSIVE) {
      const given = groupBy.filter((k) => set.includes(k));
      if (given.length > 1) problems.add("groupBy", `${given.join(" and ")} cannot be combined`);
    }
    const floor = this.config.HUB_STATS_MIN_GROUP_SIZE;
    if (args.minGroupSize != null && args.minGroupSize < floor) problems.add("minGroupSize", `must be at least ${floor} (HUB_STATS_MIN_GROUP_SIZE)`);
    if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > MAX_GROUPS) problems.add("limit", `must be 1 to ${MAX_GROUPS}`);
    const compiled = this.compile(policy, args.where, "where", problems);
    problems.throwIfAny();
    this.checkCost(compiled.cost + 20 * groupBy.length + 30 * groupBy.filter((k) => EXPANDING.has(k)).length);

    const categories = [...new Set([...compiled.categories, ...keyCategories(groupBy)])];
    const minGroupSize = Math.max(args.minGroupSize ?? floor, floor);
    const repo = new StatsRepository(this.db, compiled.policySql, this.money, policy.partyId);
    const result: StatsResult = await repo.run({ filter: compiled.sql, categories, groupBy, minGroupSize, limit: args.limit });
    recordInference(ctx, policy, result.holders ?? [], categories, "aggregate");
    return {
      referenceCurrency: this.money.reference,
      minGroupSize,
      suppressedGroups: result.suppressed,
      groups: (result.groups ?? []).map(toGroup),
    };
  }
}

function toGroup(r: StatsRow) {
  const k = r.key;
  return {
    key: {
      destination: k.destination ?? null,
      origin: k.origin ?? null,
      hsCode: k.hsCode ?? null,
      platformId: k.platformId ?? null,
      carrierId: k.carrierId ?? null,
      postId: k.postId ?? null,
      status: (k.status ?? null) as never,
      holdKind: (k.holdKind ?? null) as never,
      alertSeverity: (k.alertSeverity ?? null) as never,
      // timestamps come as UTC without a zone
      period: k.period ? new Date(`${k.period}Z`) : null,
    },
    count: r.n,
    valueCount: r.vn,
    totalValue: r.total,
    averageValue: r.avg,
    holdRate: r.held ?? 0,
    alertRates: Object.entries(r.alerts).map(([severity, rate]) => ({ severity: severity as never, rate: rate ?? 0 })),
    dutiesAssessed: r.duty,
    releasedCount: r.released,
    clearanceHoursMedian: r.median,
    clearanceHoursP90: r.p90,
  };
}
