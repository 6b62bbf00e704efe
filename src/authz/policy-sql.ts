import { Prisma } from "../generated/prisma/client";
import { ALL_CATEGORIES, CATEGORY_BIT, maskOf, type DataCategory } from "./categories";
import { isCustoms } from "./principal";
import { CARRYING_COLUMNS, columnsFor, type NamedPartyColumn } from "./named-parties";
import { PLATFORM_BASELINE, STATUS_TRANSPORT, type Policy } from "./policy";

/**
 * The read policy as SQL, for queries that filter, sort, count and aggregate in PostgreSQL
 * (analytics). It states exactly what Policy.decide grants, one category at a time:
 * "the viewer may read category C of data held by H on declaration d" is the OR of the
 * bases that grant C (own data, the statutory baselines, agreements in force). Every value
 * bound as a parameter.
 */
export class PolicySql {
  constructor(
    private readonly policy: Policy,
    /** keys of bases known to hold where the SQL is used (a branch's own bases): read as TRUE */
    private readonly granted: ReadonlySet<string> = new Set(),
  ) {}

  private get me() {
    return this.policy.principal;
  }

  /**
   * The viewer may read every category in `categories` of the data held by `holder` (an
   * SQL expression of a party id; the declaration's filer when null) on the declaration
   * aliased `d`. With no category: at least one (the record's existence).
   */
  readable(d: string, categories: Iterable<DataCategory>, holder: Prisma.Sql | null = null): Prisma.Sql {
    const mask = maskOf(categories);
    if (mask === 0) {
      const any = new Map(ALL_CATEGORIES.flatMap((c) => [...this.bases(d, c, holder)]));
      return Prisma.sql`(${Prisma.join([...any.values()].map(basisSql), " OR ")})`;
    }
    // (C OR R1) AND (C OR R2) = C OR (R1 AND R2): a basis granting every category asked is
    // stated once, so the planner estimates one OR over the viewer's columns (an AND of
    // near-identical ORs reads to it as independent conditions and misjudges the rows)
    const { common, rest } = factored(ALL_CATEGORIES.filter((c) => mask & CATEGORY_BIT[c]).map((c) => this.bases(d, c, holder)));
    const or = common.map(basisSql);
    if (rest.every((r) => r.length)) or.push(Prisma.sql`(${Prisma.join(rest.map((r) => Prisma.sql`(${Prisma.join(r.map(basisSql), " OR ")})`), " AND ")})`);
    return or.length ? Prisma.sql`(${Prisma.join(or, " OR ")})` : Prisma.sql`FALSE`;
  }

  /**
   * The same condition as `readable` (holder not null), as an OR of bases each split into its
   * part on the holder and its part on the declaration (null: none): a relation's condition
   * can then ask for the related rows of each holder part once, as a set (a semi-join),
   * rather than probe them declaration by declaration. Null when the OR would take more
   * than `limit` bases (many categories, each granted by many agreements).
   */
  readableSplit(d: string, categories: Iterable<DataCategory>, holder: Prisma.Sql, limit = 16): SplitBasis[] | null {
    const terms = this.terms(d, categories, holder, limit);
    if (!terms) return null;
    // a granted basis reads every holder's rows: it alone is the answer
    const always = terms.find((t) => t.every((b) => b.decl === TRUE));
    return always ? [{ holder: null, decl: TRUE }] : dedupe(terms.map(andBases));
  }

  /**
   * The declarations `readable(d, categories)` admits, as an OR of branches, each an AND of
   * bases on the declaration alone; with each branch, this policy with the branch's bases
   * granted, to compile a filter that runs only within the branch (a relation's policy
   * then drops the bases the branch already states: customs reading any holder's holds on
   * their own destination's declarations need no holder test there). Null past `limit`.
   */
  branches(d: string, categories: Iterable<DataCategory>, limit = 8): { where: Prisma.Sql; policy: PolicySql }[] | null {
    const terms = this.terms(d, categories, null, limit);
    if (!terms) return null;
    // each branch once, by its condition
    const byWhere = new Map<string, { where: Prisma.Sql; policy: PolicySql }>();
    for (const t of terms) {
      const where = basisSql(andBases(t));
      byWhere.set(keyOf(where), { where, policy: new PolicySql(this.policy, new Set([...this.granted, ...t.map((b) => keyOf(basisSql(b)))])) });
    }
    return [...byWhere.values()];
  }

  /** AND over the categories of (OR of its bases), multiplied out: the common bases, then the products of the rest. */
  private terms(d: string, categories: Iterable<DataCategory>, holder: Prisma.Sql | null, limit: number): SplitBasis[][] | null {
    const mask = maskOf(categories);
    const cats = mask === 0 ? ALL_CATEGORIES : ALL_CATEGORIES.filter((c) => mask & CATEGORY_BIT[c]);
    const each = cats.map((c) => this.bases(d, c, holder));
    if (mask === 0) return each.flatMap((b) => [...b.values()]).map((b) => [b]);
    const { common, rest } = factored(each);
    let products: SplitBasis[][] = rest.every((r) => r.length) ? [[]] : [];
    for (const r of rest) {
      products = products.flatMap((p) => r.map((b) => [...p, b]));
      if (products.length + common.length > limit) return null;
    }
    return [...common.map((b) => [b]), ...products];
  }

  /** Bases granting one category, each once, keyed by their SQL and values; a granted one as TRUE. */
  private bases(d: string, category: DataCategory, holder: Prisma.Sql | null): Map<string, SplitBasis> {
    const all = this.readableOne(d, category, holder).map((b) => [keyOf(basisSql(b)), b] as const);
    const granted = all.some(([k]) => this.granted.has(k));
    return granted ? new Map([[keyOf(TRUE), { holder: null, decl: TRUE }]]) : new Map(all);
  }

  /** Bases granting one category, as in Policy.decide (keep the two in step). */
  private readableOne(d: string, category: DataCategory, holder: Prisma.Sql | null): SplitBasis[] {
    const bit = CATEGORY_BIT[category];
    const me = this.me.partyId;
    const col = (name: string) => Prisma.raw(`${d}."${name}"`);
    // the holder's part: on the related row when there is one, else on the declaration (its filer)
    const held = (sql: Prisma.Sql, decl: Prisma.Sql | null = null): SplitBasis => (holder ? { holder: sql, decl } : { holder: null, decl: decl ? Prisma.sql`(${sql} AND ${decl})` : sql });
    const holderExpr = holder ?? col("filerId");
    const or: SplitBasis[] = [held(Prisma.sql`${holderExpr} = ${me}::uuid`)];
    const onDecl = (decl: Prisma.Sql): SplitBasis => ({ holder: null, decl });
    const carried = this.namedIn(d, CARRYING_COLUMNS);
    const platform = this.namedIn(d, ["platformId"]);
    if (isCustoms(this.me)) or.push(onDecl(Prisma.sql`${col("destinationCountry")} = ${this.me.country}`));
    if (bit & STATUS_TRANSPORT && carried) or.push(onDecl(carried));
    if (bit & CATEGORY_BIT.STATUS) or.push(onDecl(Prisma.sql`${col("filerId")} = ${me}::uuid`));
    if (bit & PLATFORM_BASELINE && platform) or.push(onDecl(platform));
    for (const a of this.policy.agreements) {
      if (!a.categories.includes(category)) continue;
      // an agreement for what the viewer carries grants nothing to a viewer that carries nothing
      if (a.scopeOnlyCarried && !carried) continue;
      const scope: Prisma.Sql[] = [];
      // bpchar, the columns' own type: compared as text, no index would serve them
      if (a.scopeDestinations.length) scope.push(Prisma.sql`${col("destinationCountry")} = ANY(${a.scopeDestinations}::bpchar[])`);
      if (a.scopeOrigins.length) scope.push(Prisma.sql`${col("originCountry")} = ANY(${a.scopeOrigins}::bpchar[])`);
      if (a.scopeOnlyCarried && carried) scope.push(carried);
      or.push(held(Prisma.sql`${holderExpr} = ${a.grantorId}::uuid`, scope.length ? Prisma.join(scope, " AND ") : null));
    }
    return or;
  }

  /**
   * "The viewer is named in one of `columns` of `d`", stated on the columns a party of the
   * viewer's kind can be named in (named-parties.ts): a carrier's baseline is then one
   * indexed column, not an OR with the post's. Null when its kind is named in none.
   */
  private namedIn(d: string, columns: readonly NamedPartyColumn[]): Prisma.Sql | null {
    const mine = columnsFor(this.me.partyKind, columns).map((c) => Prisma.sql`${Prisma.raw(`${d}."${c}"`)} = ${this.me.partyId}::uuid`);
    if (!mine.length) return null;
    return mine.length === 1 ? mine[0] : Prisma.sql`(${Prisma.join(mine, " OR ")})`;
  }

  /**
   * Parties other than the viewer whose data on declarations of `d` the viewer reads
   * through the query: the filer of the declaration (its own data) or the holder of a child.
   */
  isOthers(holder: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`${holder} <> ${this.me.partyId}::uuid`;
  }
}

/** One basis of the read policy: a condition on the record's holder AND one on the declaration (null: TRUE). */
export interface SplitBasis {
  holder: Prisma.Sql | null;
  decl: Prisma.Sql | null;
}

const TRUE = Prisma.sql`TRUE`;

/** A key telling apart conditions by their SQL and bound values. */
export const keyOf = (sql: Prisma.Sql) => `${sql.text}|${JSON.stringify(sql.values)}`;

/**
 * AND over categories of (OR of each one's bases), factored: the bases every category has
 * (stated once) and, per category, the rest of its bases.
 */
function factored(each: Map<string, SplitBasis>[]): { common: SplitBasis[]; rest: SplitBasis[][] } {
  const inAll = (k: string) => each.every((b) => b.has(k));
  return {
    common: [...each[0].entries()].filter(([k]) => inAll(k)).map(([, b]) => b),
    rest: each.map((b) => [...b.entries()].filter(([k]) => !inAll(k)).map(([, x]) => x)),
  };
}

/** The basis as one condition; a basis has at least one part. */
function basisSql(b: SplitBasis): Prisma.Sql {
  const parts = [b.holder, b.decl].filter((x): x is Prisma.Sql => x != null);
  return parts.length === 1 ? parts[0] : Prisma.sql`(${Prisma.join(parts, " AND ")})`;
}

function andBases(list: SplitBasis[]): SplitBasis {
  if (list.length === 1) return list[0];
  const and = (xs: (Prisma.Sql | null)[]) => {
    const given = xs.filter((x): x is Prisma.Sql => x != null);
    return given.length ? Prisma.sql`(${Prisma.join(given, " AND ")})` : null;
  };
  return { holder: and(list.map((b) => b.holder)), decl: and(list.map((b) => b.decl)) };
}

function dedupe(list: SplitBasis[]): SplitBasis[] {
  return [...new Map(list.map((b) => [keyOf(basisSql(b)), b])).values()];
}
