import type { Declaration as DeclarationRow, Prisma, PrismaClient } from "../../generated/prisma/client";
import { CATEGORY_BIT, DataCategory } from "../../authz/categories";
import type { DeclarationScope, Policy } from "../../authz/policy";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import type { HubPubSub } from "../../infra/pubsub";
import { BadUserInputError, NotFoundError } from "../../shared/errors";
import { isUuid, MONEY, positiveDecimal, Problems } from "../../shared/validation";
import { DeclarationFiling } from "./declarations.filing";
import { DeclarationRepository } from "./declarations.repository";
import type { DeclarationInput } from "./declarations.inputs";
import { DeclarationOrderField, type DeclarationFilter, type DeclarationsArgs } from "./declarations.query";

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
};

export const MAX_PAGE = 1000;

export interface Connection {
  edges: { cursor: string; node: DeclarationRow }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: () => Promise<number>;
}

const encodeCursor = (id: string) => Buffer.from(id).toString("base64url");
const decodeCursor = (cursor: string) => Buffer.from(cursor, "base64url").toString();

export class DeclarationService {
  readonly filing: DeclarationFiling;
  private readonly repository: DeclarationRepository;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: HubPubSub,
  ) {
    this.filing = new DeclarationFiling(prisma);
    this.repository = new DeclarationRepository(prisma);
  }

  /** Rows leave the service only after the policy has seen them (children are judged by them). */
  private visible(policy: Policy, rows: DeclarationRow[]): DeclarationRow[] {
    for (const row of rows) policy.rememberScope(row);
    return rows;
  }

  async fileOne(ctx: HubContext, input: DeclarationInput) {
    const policy = await ctx.authz.policy();
    const outcome = await this.filing.fileOne(requirePrincipal(ctx), input);
    this.visible(policy, [outcome.declaration]);
    return outcome;
  }

  async fileMany(ctx: HubContext, inputs: DeclarationInput[]) {
    const policy = await ctx.authz.policy();
    const outcomes = await this.filing.fileMany(requirePrincipal(ctx), inputs);
    this.visible(policy, outcomes.flatMap((o) => (o.declaration ? [o.declaration] : [])));
    return outcomes;
  }

  /** NOT_FOUND both when it does not exist and when the viewer may not see it. */
  async get(ctx: HubContext, id: string): Promise<DeclarationRow> {
    const policy = await ctx.authz.policy();
    if (!isUuid(id)) throw new NotFoundError("Declaration", id);
    const row = await this.prisma.declaration.findFirst({ where: { AND: [policy.declarationWhere(), { id }] } });
    if (!row) throw new NotFoundError("Declaration", id);
    return this.visible(policy, [row])[0];
  }

  /**
   * Same answer for "no such parcel" and "not yours to see". One statement fetches the
   * parcels with this number; the policy then picks the newest whose STATUS the viewer may
   * read, and counts only the open holds whose STATUS it may read (a hold's holder is the
   * customs that placed it).
   */
  async clearanceStatus(ctx: HubContext, trackingNumber: string) {
    const policy = await ctx.authz.policy();
    const tn = trackingNumber.trim().toUpperCase();
    const readable = (holderId: string, scope: DeclarationScope) => (policy.decide(holderId, scope).mask & CATEGORY_BIT.STATUS) !== 0;
    const row = (await this.repository.clearanceCandidates(tn)).find((d) => readable(d.filerId, d));
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
    const { where: filterWhere, categories } = this.compileFilter(args.filter ?? {}, problems);
    const order = args.orderBy ?? { field: DeclarationOrderField.FILED_AT, direction: "desc" as const };
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
      const ok = isUuid(id) && (await this.prisma.declaration.findFirst({ where: { AND: [where, { id }] }, select: { id: true } }));
      if (!ok) throw BadUserInputError.at("after", "is not a cursor of this query");
      cursor = { id };
    }
    const rows = await this.prisma.declaration.findMany({
      where,
      orderBy,
      cursor,
      skip: cursor ? 1 : 0,
      take: args.first + 1,
    });
    const hasNextPage = rows.length > args.first;
    const page = this.visible(policy, rows.slice(0, args.first));
    const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
    return {
      edges,
      pageInfo: { hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
      totalCount: () => this.prisma.declaration.count({ where }),
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

  /** Children of a declaration that the viewer may see at least one category of. */
  async children<K extends "goodsItems" | "holds" | "riskAlerts" | "duties" | "statusEvents">(
    ctx: HubContext,
    declarationId: string,
    kind: K,
    typeName: string,
  ) {
    const rows = (await ctx.loaders[kind].load(declarationId)) as object[];
    return rows.filter((row) => ctx.authz.readableMask(typeName, row) !== 0);
  }
}
