import { Prisma, type PrismaClient } from "../../generated/prisma/client";
import { poolOf } from "../../infra/prisma";
import type { Config } from "../../config";
import type { HubContext } from "../../context/context";
import { PolicySql } from "../../authz/policy-sql";
import type { Policy } from "../../authz/policy";
import { HubError } from "../../shared/errors";
import { Problems } from "../../shared/validation";
import { AnalyticsDb, analyticsTuning } from "./analytics.db";
import { FilterCompiler } from "./filter.compiler";
import { MoneySql, rateTables } from "./money.sql";
import { RatesRepository } from "./rates.repository";
import { ALL_MEASURES, keyCategories, StatsRepository, type Measure, type StatsResult, type StatsRow } from "./stats.repository";
import { StatsGroupKey, type DeclarationStats, type DeclarationStatsArgs } from "./stats.types";
import type { DeclarationWhere } from "./analytics.inputs";
import { recordInference, relationCategories } from "./inference";
import { InferenceRepository } from "./inference.repository";
import { ListRepository, sortSpec } from "./list.repository";
import { BadUserInputError } from "../../shared/errors";
import { DataCategory } from "../../authz/categories";
import { boundedCount, countOnce, type BoundedCount } from "../../shared/bounded-count";

const EXPANDING = new Set([StatsGroupKey.HS_CHAPTER, StatsGroupKey.HS_HEADING, StatsGroupKey.HOLD_KIND, StatsGroupKey.ALERT_SEVERITY]);
const EXCLUSIVE: StatsGroupKey[][] = [
  [StatsGroupKey.HS_CHAPTER, StatsGroupKey.HS_HEADING],
  [StatsGroupKey.DAY, StatsGroupKey.WEEK, StatsGroupKey.MONTH],
];
const MAX_GROUPS = 10_000;
/**
 * The reference rate table: amounts on declarations bound where no customs publish rates of
 * their own convert at the EU's customs rates (as RulesService.toEur); every other at its
 * destination's (MoneySql).
 */
const REFERENCE_RATES = "EU";

/** Analysts' queries: the filter language compiled to SQL under the policy, and declarationStats. */
export class AnalyticsService {
  readonly db: AnalyticsDb;
  private readonly rates: RatesRepository;

  /**
   * `client`: a Prisma client on the database analytics read (the read replica's, or the
   * primary's without one); the analytics path reads its rows and their children with it.
   */
  constructor(
    private readonly config: Config,
    readonly client: PrismaClient,
    private readonly target: "primary" | "replica",
  ) {
    this.db = new AnalyticsDb(poolOf(client), target, analyticsTuning(config));
    this.rates = new RatesRepository(this.db);
  }

  /** Closes the replica's client and pool; the primary's belongs to the hub. */
  async close(): Promise<void> {
    if (this.target === "replica") await this.client.$disconnect();
  }

  /**
   * Amounts in the reference currency at each destination's customs exchange rates (the
   * rules module's table), read at each query so a rate published a moment ago applies.
   */
  async money(): Promise<MoneySql> {
    return new MoneySql(this.config.HUB_REFERENCE_CURRENCY, rateTables(await this.rates.all()), REFERENCE_RATES);
  }

  /** The filter compiled for this viewer; BAD_USER_INPUT problems are collected in `problems`. */
  compile(policy: Policy, money: MoneySql, where: DeclarationWhere | undefined, path: string, problems: Problems) {
    const policySql = new PolicySql(policy);
    return { policySql, ...new FilterCompiler(policySql, money, problems).compile(where, path) };
  }

  /**
   * The filter within each of the policy's branches (PolicySql.branches), in its setwise
   * form; undefined when the policy has too many. Compiled again per branch:
   * the input is valid (its problems were reported by the first compile).
   */
  branches(policySql: PolicySql, money: MoneySql, where: DeclarationWhere | undefined, categories: DataCategory[]) {
    const branches = policySql.branches("d", categories);
    if (!branches?.length) return undefined;
    return branches.map((b) => {
      const { scan, after } = new FilterCompiler(b.policy, money, new Problems()).compile(where, "where").staged;
      return { visible: b.where, filter: scan, after };
    });
  }

  /** totalCount counts up to this many (HUB_COUNT_LIMIT) */
  get countLimit(): number {
    return this.config.HUB_COUNT_LIMIT;
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

  async stats(ctx: HubContext, args: DeclarationStatsArgs, fields?: Set<string>): Promise<DeclarationStats> {
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
    const money = await this.money();
    const compiled = this.compile(policy, money, args.where, "where", problems);
    problems.throwIfAny();
    this.checkCost(compiled.cost + 20 * groupBy.length + 30 * groupBy.filter((k) => EXPANDING.has(k)).length);

    const categories = [...new Set([...compiled.categories, ...keyCategories(groupBy)])];
    const minGroupSize = Math.max(args.minGroupSize ?? floor, floor);
    const repo = new StatsRepository(this.db, compiled.policySql, money, policy.partyId);
    const measures = measuresOf(fields);
    const result: StatsResult = await repo.run({
      filter: compiled.sql,
      categories,
      groupBy,
      minGroupSize,
      limit: args.limit,
      measures,
      relations: compiled.relations,
    });
    const extra = [...(measures.has("value") ? [DataCategory.COMMERCIAL] : []), ...(measures.has("clearance") ? [DataCategory.STATUS] : [])];
    recordInference(ctx, policy, result.holders ?? [], categories, "aggregate", extra, relationCategories(compiled.relations));
    return {
      referenceCurrency: money.reference,
      minGroupSize,
      suppressedGroups: result.suppressed,
      groups: (result.groups ?? []).map(toGroup),
    };
  }
}

/** One page of the analysts' declarations: ids in order with their cursors, and the count on demand. */
export interface AnalyticsPage {
  edges: { id: string; cursor: string }[];
  hasNextPage: boolean;
  /** settles once the holders of the related records the filter used are noted (await it with the rows) */
  logged: Promise<void>;
  /** categories the filter read on each declaration returned */
  filterCategories: DataCategory[];
  /** categories the sort keys read on each declaration returned */
  sortCategories: DataCategory[];
  /** how many match, up to `countLimit` */
  count: () => Promise<BoundedCount>;
}

export interface AnalyticsListArgs {
  where?: DeclarationWhere;
  orderBy: { field: string; direction: "asc" | "desc" }[];
  first: number;
  after?: string | null;
}

const BAD_CURSOR = "is not a cursor of this query";

export class CursorCodec {
  static encode(signature: string, values: string[], id: string): string {
    return Buffer.from(JSON.stringify({ o: signature, k: values, id })).toString("base64url");
  }
  static decode(cursor: string, signature: string, keys: number): { values: string[]; id: string } {
    try {
      const c = JSON.parse(Buffer.from(cursor, "base64url").toString());
      const ok = c && c.o === signature && Array.isArray(c.k) && c.k.length === keys && c.k.every((v: unknown) => typeof v === "string");
      if (ok && typeof c.id === "string" && /^[0-9a-f-]{36}$/i.test(c.id)) return { values: c.k, id: c.id };
    } catch {
      // falls through: garbage
    }
    throw BadUserInputError.at("after", BAD_CURSOR);
  }
}

export interface ListContext {
  ctx: HubContext;
  policy: Policy;
  args: AnalyticsListArgs;
}

/** The analysts' list, on the same compiler and policy as the statistics. */
export async function analyticsPage(service: AnalyticsService, { ctx, policy, args }: ListContext): Promise<AnalyticsPage> {
  const problems = new Problems();
  const money = await service.money();
  const compiled = service.compile(policy, money, args.where, "where", problems);
  const keys = args.orderBy.map((o) => ({ spec: sortSpec(o.field, money), desc: o.direction === "desc" }));
  const fields = args.orderBy.map((o) => o.field);
  if (new Set(fields).size !== fields.length) problems.add("orderBy", "names a field twice");
  if (keys.length > 5) problems.add("orderBy", "at most 5 keys");
  problems.throwIfAny();
  service.checkCost(compiled.cost * Math.ceil(args.first / 100) + Math.ceil(args.first / 10) + 5 * keys.length);
  const sortCategories = [...new Set(keys.map((k) => k.spec.category))];
  const categories = [...new Set([...compiled.categories, ...sortCategories])];
  const visible = compiled.policySql.readable("d", categories);
  const where = Prisma.sql`${visible} AND ${compiled.sql}`;
  const signature = args.orderBy.map((o) => `${o.field}:${o.direction}`).join(",");
  const after = args.after != null ? CursorCodec.decode(args.after, signature, keys.length) : null;
  const repo = new ListRepository(service.db);
  const branches = () => service.branches(compiled.policySql, money, args.where, categories);
  const rows = await repo.page({ visible, filter: compiled.sql, setwise: compiled.staged, branches, keys, after, take: args.first + 1 });
  const page = rows.slice(0, args.first);
  // holders of the related records (holds, alerts, ...) the filter was evaluated on; the
  // filers of the page are logged with the rows (recordRowsInference)
  const inference = new InferenceRepository(service.db, compiled.policySql, policy.partyId);
  const related = relationCategories(compiled.relations);
  const logged = inference
    .ofIds(page.map((r) => r.id), compiled.relations)
    .then((holders) => recordInference(ctx, policy, holders, [], "filter", [], related));
  return {
    logged,
    edges: page.map((r) => ({ id: r.id, cursor: CursorCodec.encode(signature, r.keys, r.id) })),
    hasNextPage: rows.length > args.first,
    filterCategories: [...compiled.categories],
    sortCategories,
    count: countOnce(async () => {
      const limit = service.countLimit;
      // the holders of the related records: over the same bounded set of matches as the count
      const counted = Prisma.sql`d."id" IN (SELECT d."id" FROM "Declaration" d WHERE ${where} LIMIT ${limit + 1}::int)`;
      const [{ n, holders }, relatedHolders] = await Promise.all([
        repo.count(where, policy.partyId, limit),
        inference.ofMatches(counted, compiled.relations),
      ]);
      recordInference(ctx, policy, [...holders, ...relatedHolders], categories, "count", [], related);
      return boundedCount(n, limit);
    }),
  };
}

const MEASURE_OF: Record<string, Measure> = {
  valueCount: "value",
  totalValue: "value",
  averageValue: "value",
  holdRate: "holds",
  alertRates: "alerts",
  dutiesAssessed: "duties",
  releasedCount: "clearance",
  clearanceHoursMedian: "clearance",
  clearanceHoursP90: "clearance",
};

/** The measures the selected fields need; all when unknown (a call from code). */
function measuresOf(fields: Set<string> | undefined): Set<Measure> {
  if (!fields) return new Set(ALL_MEASURES);
  return new Set([...fields].flatMap((f) => (MEASURE_OF[f] ? [MEASURE_OF[f]] : [])));
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
