import type { Declaration as DeclarationRow, Prisma, PrismaClient } from "../../generated/prisma/client";
import type { WriteService } from "../writes";
import { CATEGORY_BIT, DataCategory } from "../../authz/categories";
import type { DeclarationScope, Policy } from "../../authz/policy";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { BadUserInputError, NotFoundError } from "../../shared/errors";
import { isUuid, MONEY, positiveDecimal, Problems } from "../../shared/validation";
import { DeclarationFiling, type FilingRules } from "./declarations.filing";
import type { RiskAssessor } from "../risk/risk.assessor";
import { DeclarationRepository } from "./declarations.repository";
import type { DeclarationInput } from "./declarations.inputs";
import { DeclarationOrderField, OrderDirection, type DeclarationFilter, type DeclarationOrder, type DeclarationsArgs } from "./declarations.query";
import { analyticsPage } from "../analytics/analytics.service";
import { recordInference, recordRowsInference } from "../analytics/inference";
import type { StatsHolder } from "../analytics/stats.repository";
import { fixedFilterAsWhere } from "./declarations.filter-where";
import { boundedCount, countOnce, type BoundedCount } from "../../shared/bounded-count";

const { STATUS, TRANSPORT, COMMERCIAL, PARTIES } = DataCategory;

/** The category each filter condition and sort key reads: the no-oracle rule's input. */
const FILTER_CATEGORY: Record<keyof DeclarationFilter, DataCategory> = {
  status: STATUS,
  filedFrom: STATUS,
  filedTo: STATUS,
  trackingNumber: TRANSPORT,
  destinationCountry: TRANSPORT,
  originCountry: TRANSPORT,
  carrierId: TRANSPORT,
  postId: TRANSPORT,
  platformId: COMMERCIAL,
  category: COMMERCIAL,
  currency: COMMERCIAL,
  minTotalValue: COMMERCIAL,
  maxTotalValue: COMMERCIAL,
  hsCodePrefix: COMMERCIAL,
  filerId: PARTIES,
};
const ORDER_CATEGORY: Record<DeclarationOrderField, DataCategory> = {
  [DeclarationOrderField.FILED_AT]: STATUS,
  [DeclarationOrderField.UPDATED_AT]: STATUS,
  [DeclarationOrderField.TOTAL_VALUE]: COMMERCIAL,
  [DeclarationOrderField.GROSS_WEIGHT]: TRANSPORT,
  [DeclarationOrderField.RELEASED_AT]: STATUS,
  [DeclarationOrderField.STATUS]: STATUS,
  [DeclarationOrderField.DESTINATION]: TRANSPORT,
  [DeclarationOrderField.ORIGIN]: TRANSPORT,
  [DeclarationOrderField.TRACKING_NUMBER]: TRANSPORT,
};

export const MAX_PAGE = 1000;

export interface Connection {
  edges: { cursor: string; node: DeclarationRow }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** how many match, counted up to a limit (HUB_COUNT_LIMIT); run once, whichever field asks first */
  count: () => Promise<BoundedCount>;
}


const encodeCursor = (id: string) => Buffer.from(id).toString("base64url");
const decodeCursor = (cursor: string) => Buffer.from(cursor, "base64url").toString();

export class DeclarationService {
  readonly filing: DeclarationFiling;
  private readonly repository: DeclarationRepository;

  /** where the analytics path reads its rows: the read replica when DATABASE_READ_URL is set */
  private readonly analyticsRows: DeclarationRepository;

  /**
   * `risk`: registration and risk assessment at filing (where the destination's customs have
   * it on); `analyticsClient`: where the analytics path reads; `rules`: the destinations'
   * value tolerances filing checks totals against.
   */
  constructor(
    prisma: PrismaClient,
    private readonly writes: WriteService,
    risk?: RiskAssessor,
    analyticsClient: PrismaClient = prisma,
    rules?: FilingRules,
  ) {
    this.filing = new DeclarationFiling(prisma, risk, rules);
    this.repository = new DeclarationRepository(prisma);
    this.analyticsRows = analyticsClient === prisma ? this.repository : new DeclarationRepository(analyticsClient);
  }

  /** Rows leave the service only after the policy has seen them (children are judged by them). */
  private visible(policy: Policy, rows: DeclarationRow[]): DeclarationRow[] {
    for (const row of rows) policy.rememberScope(row);
    return rows;
  }

  /**
   * Filing is idempotent on (filer, localReference) by itself; an idempotencyKey adds that
   * the same key with another payload is a CONFLICT, and a replay answers as the first call
   * (declarations filed then are reported as replayed).
   */
  async fileOne(ctx: HubContext, input: DeclarationInput, idempotencyKey?: string | null) {
    await ctx.authz.assert("declaration:file");
    const policy = await ctx.authz.policy();
    const outcome = await this.writes.run<{ declaration: DeclarationRow; created: boolean }>(
      ctx,
      {
        operation: "fileDeclaration",
        idempotencyKey,
        request: input,
        keep: (o) => ({ ids: [o.declaration.id] }),
        replay: async (kept) => ({ declaration: await this.get(ctx, (kept as { ids: string[] }).ids[0]), created: false }),
      },
      async (journal) => {
        const filed = await this.filing.fileOne(requirePrincipal(ctx), input, journal.idempotencyKey);
        await journal.afterward(filed);
        return filed;
      },
    );
    this.visible(policy, [outcome.declaration]);
    return outcome;
  }

  async fileMany(ctx: HubContext, inputs: DeclarationInput[], idempotencyKey?: string | null) {
    await ctx.authz.assert("declaration:file");
    const policy = await ctx.authz.policy();
    const outcomes = await this.writes.run<Awaited<ReturnType<DeclarationFiling["fileMany"]>>>(
      ctx,
      {
        operation: "fileDeclarations",
        idempotencyKey,
        request: inputs,
        keep: () => ({ replay: "refile" }),
        // Filing the same inputs again is itself a replay: each stored one answers as replayed.
        replay: () => this.filing.fileMany(requirePrincipal(ctx), inputs, null),
      },
      async (journal) => {
        const filed = await this.filing.fileMany(requirePrincipal(ctx), inputs, journal.idempotencyKey);
        await journal.afterward(filed);
        return filed;
      },
    );
    this.visible(policy, outcomes.flatMap((o) => (o.declaration ? [o.declaration] : [])));
    return outcomes;
  }

  /** NOT_FOUND both when it does not exist and when the viewer may not see it. */
  async get(ctx: HubContext, id: string): Promise<DeclarationRow> {
    const policy = await ctx.authz.policy();
    if (!isUuid(id)) throw new NotFoundError("Declaration", id);
    const row = await this.repository.findOne({ AND: [policy.declarationWhere(), { id }] });
    if (!row) throw new NotFoundError("Declaration", id);
    return this.visible(policy, [row])[0];
  }

  /**
   * Same answer for "no such parcel" and "not yours to see". Looking a parcel up by its
   * tracking number is reading that number: only a viewer who may read it (TRANSPORT) is
   * answered. The answer comes from the declaration bound to the viewer (the one live
   * declaration naming it as carrier or post), else the first live one it may read, so no
   * other party's filing can mask an open hold or hide the parcel. Only open holds whose
   * STATUS the viewer may read count (a hold's holder is the customs that placed it).
   */
  async clearanceStatus(ctx: HubContext, trackingNumber: string) {
    const policy = await ctx.authz.policy();
    const tn = trackingNumber.trim().toUpperCase();
    const can = (bit: number) => (holderId: string, scope: DeclarationScope) => (policy.decide(holderId, scope).mask & bit) !== 0;
    const readable = can(CATEGORY_BIT.STATUS);
    const lookupAllowed = can(CATEGORY_BIT.TRANSPORT);
    const row = (await this.repository.clearanceCandidates(tn, policy.partyId)).find((d) => lookupAllowed(d.filerId, d));
    if (!row) throw new NotFoundError("Parcel with tracking number", tn);
    const { openHolds, ...scope } = row;
    policy.rememberScope(scope);
    const visibleHolds = openHolds.filter((h) => readable(h.placedById, scope));
    return {
      id: row.id,
      trackingNumber: tn,
      scope,
      status: row.status,
      onHold: visibleHolds.length > 0,
      openHoldKinds: [...new Set(visibleHolds.map((h) => h.kind))],
      updatedAt: row.updatedAt,
    };
  }

  async list(ctx: HubContext, args: DeclarationsArgs): Promise<Connection> {
    const policy = await ctx.authz.policy();
    const problems = new Problems();
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE) {
      problems.add("first", `must be between 1 and ${MAX_PAGE}`);
    }
    if (args.where && args.filter) problems.add("where", "cannot be combined with filter (use where alone)");
    if (args.sortBy && args.orderBy) problems.add("sortBy", "cannot be combined with orderBy (use sortBy alone)");
    if (args.sortBy && !args.sortBy.length) problems.add("sortBy", "must name 1 to 5 keys");
    const given = args.sortBy?.length ? args.sortBy : args.orderBy ? [args.orderBy] : null;
    const orders: DeclarationOrder[] = given ?? [{ field: DeclarationOrderField.FILED_AT, direction: OrderDirection.DESC }];
    const { where: filterWhere, categories } = this.compileFilter(args.filter ?? {}, problems);
    if (args.where || orders.length > 1 || orders[0].field === DeclarationOrderField.TOTAL_VALUE) {
      problems.throwIfAny();
      // the fixed filter applies there too, in the analysts' language (it was dropped before)
      const where = args.where ?? (args.filter ? fixedFilterAsWhere(args.filter) : undefined);
      return this.analyticsList(ctx, policy, { ...args, where, orderBy: orders });
    }
    const order = orders[0];
    const filterCategories = [...categories];
    categories.add(ORDER_CATEGORY[order.field]);
    problems.throwIfAny();

    const where: Prisma.DeclarationWhereInput = { AND: [policy.declarationWhere([...categories]), filterWhere] };
    const orderBy: Prisma.DeclarationOrderByWithRelationInput[] = [
      { [order.field]: order.direction },
      { id: order.direction },
    ];
    let cursor: { id: string } | undefined;
    if (args.after != null) {
      const id = decodeCursor(args.after);
      // A cursor must point at a row this same query may return, or it would be an oracle.
      const ok = isUuid(id) && (await this.repository.exists({ AND: [where, { id }] }));
      if (!ok) throw BadUserInputError.at("after", "is not a cursor of this query");
      cursor = { id };
    }
    const rows = await this.repository.page(where, orderBy, cursor, args.first + 1);
    const hasNextPage = rows.length > args.first;
    const page = this.visible(policy, rows.slice(0, args.first));
    // the filers' data the fixed filter and the sort key used, in their access logs
    if (filterCategories.length) recordRowsInference(ctx, policy, page, filterCategories, "filter");
    recordRowsInference(ctx, policy, page, [ORDER_CATEGORY[order.field]], "sort");
    const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
    return {
      edges,
      pageInfo: { hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
      count: countOnce(async () => {
        const limit = ctx.hub.config.HUB_COUNT_LIMIT;
        const { n, groups } = await this.repository.countByScope(where, limit);
        recordInference(ctx, policy, groups.flatMap((g) => scopeHolder(policy.partyId, g)), [...categories], "count", []);
        return boundedCount(n, limit);
      }),
    };
  }

  /**
   * The analysts' path (where, several sort keys, or amounts ranked in the reference
   * currency): compiled to SQL under the policy by the analytics module, which returns the
   * ids of the page; the rows are then read like any other, from the same database as the
   * ids (the read replica when there is one, their children too: see children()).
   */
  private async analyticsList(ctx: HubContext, policy: Policy, args: Omit<DeclarationsArgs, "orderBy"> & { orderBy: DeclarationOrder[] }): Promise<Connection> {
    const page = await analyticsPage(ctx.hub.services.analytics, { ctx, policy, args });
    const ids = page.edges.map((e) => e.id);
    for (const id of ids) ctx.loaders.replica?.declarations.add(id);
    const [rows] = await Promise.all([this.analyticsRows.findByIds(ids), page.logged]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const edges = page.edges.flatMap((e) => (byId.has(e.id) ? [{ cursor: e.cursor, node: byId.get(e.id)! }] : []));
    this.visible(policy, edges.map((e) => e.node));
    const nodes = edges.map((e) => e.node);
    if (args.where) recordRowsInference(ctx, policy, nodes, page.filterCategories, "filter");
    recordRowsInference(ctx, policy, nodes, page.sortCategories, "sort");
    return {
      edges,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.edges.length ? page.edges[page.edges.length - 1].cursor : null },
      count: page.count,
    };
  }

  private compileFilter(filter: DeclarationFilter, problems: Problems) {
    const categories = new Set<DataCategory>();
    const and: Prisma.DeclarationWhereInput[] = [];
    const use = (key: keyof DeclarationFilter, clause: Prisma.DeclarationWhereInput) => {
      categories.add(FILTER_CATEGORY[key]);
      and.push(clause);
    };
    const f = filter;
    const upper = (xs: string[]) => xs.map((x) => x.trim().toUpperCase());
    if (f.status?.length) use("status", { status: { in: f.status } });
    if (f.filedFrom) use("filedFrom", { filedAt: { gte: f.filedFrom } });
    if (f.filedTo) use("filedTo", { filedAt: { lt: f.filedTo } });
    if (f.trackingNumber) use("trackingNumber", { trackingNumber: f.trackingNumber.trim().toUpperCase() });
    if (f.destinationCountry?.length) use("destinationCountry", { destinationCountry: { in: upper(f.destinationCountry) } });
    if (f.originCountry?.length) use("originCountry", { originCountry: { in: upper(f.originCountry) } });
    // codes as the analytics path checks them, so both paths take the same filters
    for (const key of ["destinationCountry", "originCountry"] as const) {
      upper(f[key] ?? []).forEach((c, i) => /^[A-Z]{2}$/.test(c) || problems.add(`filter.${key}[${i}]`, "must be an ISO 3166-1 alpha-2 code"));
    }
    if (f.currency != null && !/^[A-Z]{3}$/.test(f.currency.trim().toUpperCase())) problems.add("filter.currency", "must be an ISO 4217 code");
    if (f.carrierId) use("carrierId", { carrierId: f.carrierId });
    if (f.postId) use("postId", { postId: f.postId });
    if (f.platformId) use("platformId", { platformId: f.platformId });
    if (f.category?.length) use("category", { category: { in: f.category } });
    if (f.currency) use("currency", { currency: f.currency.trim().toUpperCase() });
    for (const key of ["minTotalValue", "maxTotalValue"] as const) {
      if (f[key] == null) continue;
      const v = positiveDecimal(problems, `filter.${key}`, f[key], MONEY);
      if (v) use(key, { totalValue: key === "minTotalValue" ? { gte: v } : { lte: v } });
    }
    if (f.hsCodePrefix != null) {
      if (!/^\d{2,10}$/.test(f.hsCodePrefix)) problems.add("filter.hsCodePrefix", "must be 2 to 10 digits");
      else use("hsCodePrefix", { goodsItems: { some: { hsCode: { startsWith: f.hsCodePrefix } } } });
    }
    if (f.filerId) use("filerId", { filerId: f.filerId });
    for (const key of ["carrierId", "postId", "platformId", "filerId"] as const) {
      if (f[key] && !isUuid(f[key]!)) problems.add(`filter.${key}`, "is not a valid id");
    }
    return { where: { AND: and } as Prisma.DeclarationWhereInput, categories };
  }

  /** Children of a declaration that the viewer may read at least one of their own fields of. */
  async children<K extends "goodsItems" | "holds" | "riskAlerts" | "duties" | "statusEvents">(
    ctx: HubContext,
    declarationId: string,
    kind: K,
    typeName: string,
  ) {
    const replica = ctx.loaders.replica;
    const loader = replica?.declarations.has(declarationId) ? replica[kind] : ctx.loaders[kind];
    const rows = (await loader.load(declarationId)) as object[];
    return rows.filter((row) => ctx.authz.mayList(typeName, row));
  }
}

/** Declarations counted under one filer and scope, as the access log's inference records take them (none for the viewer's own). */
function scopeHolder(me: string, g: Omit<DeclarationScope, "id"> & { n: number }): StatsHolder[] {
  if (g.filerId === me) return [];
  return [
    {
      holder: g.filerId,
      kind: "Declaration",
      destinationCountry: g.destinationCountry,
      originCountry: g.originCountry,
      carried: g.carrierId === me || g.postId === me,
      platform: g.platformId === me,
      filed: false,
      n: g.n,
    },
  ];
}
