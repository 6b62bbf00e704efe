import { Prisma } from "../../generated/prisma/client";
import { DataCategory } from "../../authz/categories";
import type { PolicySql } from "../../authz/policy-sql";
import { isUuid, Problems } from "../../shared/validation";
import type { MoneySql } from "./money.sql";
import { col, type Column } from "./filter.columns";
import { compileRelation, RELATIONS, type RelationScope } from "./filter.relations";
import { ColumnOperators, type OperatorTally } from "./filter.operators";
import type { DeclarationWhere, PartyWhere, RelationCondition } from "./analytics.inputs";

const { STATUS, TRANSPORT, COMMERCIAL, PARTIES } = DataCategory;

export const DECLARATION_COLUMNS: Record<string, Column> = {
  status: col("status", "enum", STATUS, { pgType: "DeclarationStatus" }),
  filedAt: col("filedAt", "date", STATUS),
  updatedAt: col("updatedAt", "date", STATUS),
  releasedAt: col("releasedAt", "date", STATUS),
  trackingNumber: col("trackingNumber", "string", TRANSPORT),
  originCountry: col("originCountry", "code", TRANSPORT),
  destinationCountry: col("destinationCountry", "code", TRANSPORT),
  grossWeightKg: col("grossWeightKg", "decimal", TRANSPORT),
  carrierId: col("carrierId", "id", TRANSPORT),
  postId: col("postId", "id", TRANSPORT),
  platformId: col("platformId", "id", COMMERCIAL),
  totalValue: col("totalValue", "amount", COMMERCIAL, { currency: "currency", date: "filedAt" }),
  currency: col("currency", "code", COMMERCIAL),
  category: col("category", "enum", COMMERCIAL, { pgType: "DeclarationCategory" }),
  incoterm: col("incoterm", "string", COMMERCIAL),
  ddp: col("ddp", "bool", COMMERCIAL),
  filerId: col("filerId", "id", PARTIES),
  sellerCountry: col("sellerCountry", "code", PARTIES),
  buyerCountry: col("buyerCountry", "code", PARTIES),
  // not in DeclarationWhere: the fixed filter's min/maxTotalValue (the amount as stated, any currency)
  statedTotalValue: col("totalValue", "decimal", COMMERCIAL),
};

/** Party links: the declaration's column naming the party, and the category of that link. */
const PARTY_LINKS: Record<string, Column> = {
  filer: DECLARATION_COLUMNS.filerId,
  platform: DECLARATION_COLUMNS.platformId,
  carrier: DECLARATION_COLUMNS.carrierId,
  post: DECLARATION_COLUMNS.postId,
};

export const MAX_DEPTH = 8;

export interface CompiledFilter {
  sql: Prisma.Sql;
  /**
   * The same condition with relations as semi-joins where exact (semi-join.ts):
   * for a plan testing it on many declarations at once, where one set of related rows per
   * policy basis beats a probe per declaration
   */
  setwise: Prisma.Sql;
  /** `setwise` as the plan that tests it on many declarations runs it: `scan` AND `after` (staged) */
  staged: StagedFilter;
  /** categories read on the declaration itself: the viewer must read them all on a row */
  categories: Set<DataCategory>;
  /** conditions, relations counted 10 each: the query cost's filter part */
  cost: number;
  /** relations the filter reaches, with the categories each of its conditions on them compares (their holders' data is read) */
  relations: Map<string, DataCategory[][]>;
}

/**
 * A filter in two stages: `after` holds the top-level conditions on an amount of the
 * declaration converted to the reference currency (a CASE over the rate table per row),
 * `scan` the rest (plain columns, relations). The all-matches plan tests `after` only on the
 * rows `scan` left: PostgreSQL tests a scan's own conditions before any join, so a
 * conversion would otherwise run on every row the index gives, before a relation's
 * semi-join had narrowed them. Their AND is the filter (three-valued: both stages exclude a
 * row whose condition is unknown, as one WHERE does). `after` null: nothing to defer.
 */
export interface StagedFilter {
  scan: Prisma.Sql;
  after: Prisma.Sql | null;
}

/**
 * Compiles a DeclarationWhere into one parameterised SQL condition on the declaration
 * aliased `d`. Problems are collected with their input paths; the caller throws them.
 */
export class FilterCompiler {
  private categories = new Set<DataCategory>();
  private relations = new Map<string, DataCategory[][]>();
  /** conditions counted (the query cost's filter part), amounts of the declaration converted */
  private readonly tally: OperatorTally = { cost: 0, conversions: 0 };
  private readonly ops: ColumnOperators;
  private aliases = 0;
  /** subqueries (relations, parties) compiled so far: tells a part that asks one */
  private subqueries = 0;

  constructor(
    private readonly policy: PolicySql,
    private readonly money: MoneySql,
    private readonly problems: Problems,
    /** relations as semi-joins where exact (the `setwise` form) */
    private readonly setwise = false,
  ) {
    this.ops = new ColumnOperators(money, problems, this.tally);
  }

  compile(where: DeclarationWhere | undefined | null, path: string): CompiledFilter {
    const empty = !where || Object.values(where).every((v) => v == null);
    const sql = empty ? Prisma.sql`TRUE` : this.node(where, path, 1, false, true);
    const base = { sql, categories: this.categories, cost: this.tally.cost, relations: this.relations };
    // neither relations to split nor conversions to defer: the same condition in every form
    if (empty || (!this.relations.size && !this.tally.conversions)) return { ...base, setwise: sql, staged: { scan: sql, after: null } };
    // the same input once more (its problems and cost already counted above)
    const parts = new FilterCompiler(this.policy, this.money, new Problems(), true).parts(where, path, 1, false, true);
    const setwise = this.relations.size ? joinAnd(parts) : sql;
    const deferred = parts.filter((p) => p.converts);
    const rest = parts.filter((p) => !p.converts);
    const staged = deferred.length ? { scan: rest.length ? joinAnd(rest) : Prisma.sql`TRUE`, after: joinAnd(deferred) } : { scan: setwise, after: null };
    return { ...base, setwise, staged };
  }

  /**
   * `negated`: under a NOT, where an unknown (NULL) comparison must read as false, not stay
   * unknown. `top`: reached through ANDs alone, where PostgreSQL can turn a relation's EXISTS
   * into a (anti-)join of its own choosing.
   */
  private node(w: DeclarationWhere, path: string, depth: number, negated: boolean, top = false): Prisma.Sql {
    return joinAnd(this.parts(w, path, depth, negated, top));
  }

  /** The node's conditions, to be ANDed (none: a problem is recorded; the AND of none reads FALSE). */
  private parts(w: DeclarationWhere, path: string, depth: number, negated: boolean, top = false): Part[] {
    if (depth > MAX_DEPTH) {
      this.problems.add(path, `nests deeper than ${MAX_DEPTH} levels`);
      return [];
    }
    const and: Part[] = [];
    for (const [key, value] of Object.entries(w)) {
      if (value == null) continue;
      const at = `${path}.${key}`;
      if (key === "AND" || key === "OR") {
        const list = value as DeclarationWhere[];
        if (!list.length) this.problems.add(at, "must not be empty");
        const parts = list.map((x, i) => this.part(() => this.node(x, `${at}[${i}]`, depth + 1, negated, top && key === "AND")));
        if (parts.length) {
          const sql = Prisma.sql`(${Prisma.join(cheapFirst(parts), key === "AND" ? " AND " : " OR ")})`;
          and.push({ sql, heavy: parts.some((p) => p.heavy), converts: parts.some((p) => p.converts) });
        }
      } else if (key === "NOT") {
        and.push(this.part(() => Prisma.sql`NOT ${this.node(value as DeclarationWhere, at, depth + 1, true)}`));
      } else if (key in DECLARATION_COLUMNS) {
        const c = DECLARATION_COLUMNS[key];
        this.categories.add(c.category);
        and.push(this.part(() => this.leaf("d", c, value, at, negated)));
      } else if (key in PARTY_LINKS) {
        and.push(this.part(() => this.party(PARTY_LINKS[key], value as PartyWhere, at)));
      } else if (key in RELATIONS) {
        and.push(this.part(() => this.relation(key, value as RelationCondition<Record<string, unknown>>, at, negated, top)));
      }
    }
    if (!and.length) this.problems.add(path, "names no condition");
    return and;
  }

  /** A condition, and whether it (or one under it) asks a subquery or converts an amount of the declaration. */
  private part(make: () => Prisma.Sql): Part {
    const [subqueries, conversions] = [this.subqueries, this.tally.conversions];
    const sql = make();
    return { sql, heavy: this.subqueries > subqueries, converts: this.tally.conversions > conversions };
  }

  private party(link: Column, w: PartyWhere, path: string): Prisma.Sql {
    this.categories.add(link.category);
    this.tally.cost += 3;
    this.subqueries++;
    const conds: Prisma.Sql[] = [];
    if (w.id != null) {
      if (!isUuid(w.id)) this.problems.add(`${path}.id`, "is not a valid id");
      conds.push(Prisma.sql`p."id" = ${w.id}::uuid`);
    }
    if (w.country) conds.push(this.leaf("p", col("country", "code", link.category), w.country, `${path}.country`));
    if (w.name) conds.push(this.leaf("p", col("name", "string", link.category), w.name, `${path}.name`));
    if (!conds.length) this.problems.add(path, "names no condition");
    return Prisma.sql`EXISTS (SELECT 1 FROM "Party" p WHERE p."id" = d.${Prisma.raw(`"${link.column}"`)} AND ${Prisma.join(conds.length ? conds : [Prisma.sql`FALSE`], " AND ")})`;
  }

  private relation(name: string, r: RelationCondition<Record<string, unknown>>, path: string, negated: boolean, top: boolean): Prisma.Sql {
    const scope: RelationScope = {
      policy: this.policy,
      problems: this.problems,
      setwise: this.setwise,
      open: () => {
        this.tally.cost += 10;
        this.subqueries++;
        return `r${++this.aliases}`;
      },
      leaf: (alias, c, cond, at) => this.leaf(alias, c, cond, at),
    };
    const { sql, cats } = compileRelation(scope, RELATIONS[name], r, path, negated, top);
    if (cats) this.relations.set(name, [...(this.relations.get(name) ?? []), cats]);
    return sql;
  }

  /**
   * One column's condition object: its operators ANDed. Under a NOT, NULL reads as false
   * (two-valued NOT); elsewhere the bare comparison, which indexes can serve (an unknown
   * comparison excludes the row there just as false does).
   */
  private leaf(alias: string, c: Column, cond: unknown, path: string, negated = false): Prisma.Sql {
    const column = Prisma.raw(`${alias}."${c.column}"`);
    const parts = this.ops.build(alias, column, c, cond as Record<string, unknown>, path);
    this.tally.cost += Math.max(parts.length, 1);
    if (!parts.length) {
      this.problems.add(path, "names no operator");
      return Prisma.sql`FALSE`;
    }
    const all = Prisma.join(parts, " AND ");
    return negated ? Prisma.sql`COALESCE((${all}), FALSE)` : Prisma.sql`(${all})`;
  }
}

interface Part {
  sql: Prisma.Sql;
  heavy: boolean;
  /** converts an amount of the declaration itself (StagedFilter) */
  converts: boolean;
}

/** The parts as one condition; none: FALSE (a problem was recorded). */
function joinAnd(parts: Part[]): Prisma.Sql {
  return parts.length ? Prisma.sql`(${Prisma.join(cheapFirst(parts), " AND ")})` : Prisma.sql`FALSE`;
}

/**
 * Conditions on the declaration's own columns before those that ask a subquery: AND and OR
 * stop at the first answer, so a relation's EXISTS runs only on rows the plain conditions
 * left. It matters where the filter is tested row by row in the given order (the page's
 * index walk tests it in its select list, which PostgreSQL does not reorder). AND and OR
 * are commutative in SQL's three-valued logic: the answer is the same.
 */
function cheapFirst(parts: Part[]): Prisma.Sql[] {
  return [...parts.filter((p) => !p.heavy), ...parts.filter((p) => p.heavy)].map((p) => p.sql);
}
