import { Prisma } from "../../generated/prisma/client";
import { DataCategory } from "../../authz/categories";
import type { PolicySql } from "../../authz/policy-sql";
import { isUuid, Problems } from "../../shared/validation";
import type { MoneySql } from "./money.sql";
import { col, type Column } from "./filter.columns";
import { compileRelation, RELATIONS, type RelationScope } from "./filter.relations";
import type {
  AmountCondition,
  CodeCondition,
  DateTimeCondition,
  DecimalCondition,
  DeclarationWhere,
  EnumCondition,
  IdCondition,
  IntCondition,
  PartyWhere,
  RelationCondition,
  StringCondition,
  TextCondition,
} from "./analytics.inputs";

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

/**
 * The smallest string above every string starting with `prefix`, when the prefix is made of
 * upper-case letters and digits and its last character is not Z or 9 (so the bound is a
 * letter or digit too, which every collation orders the same way among such codes).
 * Null otherwise: LIKE alone then.
 */
export function prefixUpperBound(prefix: string): string | null {
  if (!/^[A-Z0-9]+$/.test(prefix) || /[Z9]$/.test(prefix)) return null;
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export const MAX_DEPTH = 8;
const MAX_LIST = 1000;
const DECIMAL = /^-?\d{1,12}(\.\d{1,3})?$/;

/** Timestamps are stored as UTC without a zone (Prisma's timestamp(3)). */
export const utc = (d: Date) => d.toISOString().replace("Z", "");

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
  private cost = 0;
  private aliases = 0;
  /** subqueries (relations, parties) compiled so far: tells a part that asks one */
  private subqueries = 0;
  /** amounts of the declaration itself converted so far: tells a part that converts one */
  private conversions = 0;

  constructor(
    private readonly policy: PolicySql,
    private readonly money: MoneySql,
    private readonly problems: Problems,
    /** relations as semi-joins where exact (the `setwise` form) */
    private readonly setwise = false,
  ) {}

  compile(where: DeclarationWhere | undefined | null, path: string): CompiledFilter {
    const empty = !where || Object.values(where).every((v) => v == null);
    const sql = empty ? Prisma.sql`TRUE` : this.node(where, path, 1, false, true);
    const base = { sql, categories: this.categories, cost: this.cost, relations: this.relations };
    // neither relations to split nor conversions to defer: the same condition in every form
    if (empty || (!this.relations.size && !this.conversions)) return { ...base, setwise: sql, staged: { scan: sql, after: null } };
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
    const [subqueries, conversions] = [this.subqueries, this.conversions];
    const sql = make();
    return { sql, heavy: this.subqueries > subqueries, converts: this.conversions > conversions };
  }

  private party(link: Column, w: PartyWhere, path: string): Prisma.Sql {
    this.categories.add(link.category);
    this.cost += 3;
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
        this.cost += 10;
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
    const parts = this.operators(alias, column, c, cond as Record<string, unknown>, path);
    this.cost += Math.max(parts.length, 1);
    if (!parts.length) {
      this.problems.add(path, "names no operator");
      return Prisma.sql`FALSE`;
    }
    const all = Prisma.join(parts, " AND ");
    return negated ? Prisma.sql`COALESCE((${all}), FALSE)` : Prisma.sql`(${all})`;
  }

  private operators(alias: string, column: Prisma.Sql, c: Column, cond: Record<string, unknown>, path: string): Prisma.Sql[] {
    switch (c.kind) {
      case "bool":
        return [Prisma.sql`${column} = ${cond as unknown as boolean}`];
      case "text":
        return this.text(column, cond as unknown as TextCondition, path);
      case "enum":
        return this.enumOps(column, c.pgType!, cond as EnumCondition, path);
      case "code":
        return this.codeOps(column, cond as CodeCondition, path);
      case "string":
        return this.stringOps(column, cond as StringCondition, path);
      case "id":
        return this.idOps(column, cond as IdCondition, path);
      case "date":
        return this.rangeOps(column, cond as DateTimeCondition, path, (v) => Prisma.sql`${utc(v as Date)}::timestamp`, true);
      case "decimal":
        return this.rangeOps(column, cond as DecimalCondition, path, (v, at) => this.decimal(v, at));
      case "int":
        return this.rangeOps(column, cond as IntCondition, path, (v) => Prisma.sql`${v as number}::int`);
      case "amount":
        return this.amountOps(alias, column, c, cond as AmountCondition, path);
    }
  }

  private exclusive(cond: object, path: string, keys: string[]): void {
    const given = keys.filter((k) => (cond as Record<string, unknown>)[k] != null);
    if (given.length > 1) this.problems.add(path, `${given.join(" and ")} cannot be combined`);
  }

  private list<T>(values: T[], path: string): T[] {
    if (!values.length || values.length > MAX_LIST) this.problems.add(path, `must hold 1 to ${MAX_LIST} values`);
    this.cost += Math.ceil(values.length / 100);
    return values;
  }

  private enumOps(column: Prisma.Sql, pgType: string, c: EnumCondition, path: string): Prisma.Sql[] {
    this.exclusive(c, path, ["eq", "in"]);
    const type = Prisma.raw(`"${pgType}"`);
    const out: Prisma.Sql[] = [];
    if (c.eq != null) out.push(Prisma.sql`${column} = ${c.eq}::${type}`);
    if (c.in != null) out.push(Prisma.sql`${column} = ANY(${this.list(c.in, `${path}.in`)}::${type}[])`);
    return out;
  }

  private codeOps(column: Prisma.Sql, c: CodeCondition, path: string): Prisma.Sql[] {
    this.exclusive(c, path, ["eq", "in"]);
    const norm = (v: string, at: string) => {
      const s = v.trim().toUpperCase();
      if (!/^[A-Z]{2,3}$/.test(s)) this.problems.add(at, "must be a 2- or 3-letter code");
      return s;
    };
    const out: Prisma.Sql[] = [];
    if (c.eq != null) out.push(Prisma.sql`${column} = ${norm(c.eq, `${path}.eq`)}::bpchar`);
    if (c.in != null) out.push(Prisma.sql`${column} = ANY(${this.list(c.in, `${path}.in`).map((v, i) => norm(v, `${path}.in[${i}]`))}::bpchar[])`);
    return out;
  }

  private stringOps(column: Prisma.Sql, c: StringCondition, path: string): Prisma.Sql[] {
    this.exclusive(c, path, ["eq", "in", "startsWith"]);
    const out: Prisma.Sql[] = [];
    if (c.eq != null) out.push(Prisma.sql`${column} = ${c.eq}`);
    if (c.in != null) out.push(Prisma.sql`${column} = ANY(${this.list(c.in, `${path}.in`)}::text[])`);
    if (c.startsWith != null) {
      if (!c.startsWith.length || c.startsWith.length > 64) this.problems.add(`${path}.startsWith`, "must be 1 to 64 characters");
      // LIKE with the prefix's own wildcards escaped decides; for a code-like prefix a range
      // on the column lets its plain b-tree index serve it (LIKE alone cannot use one under a
      // non-C collation)
      const pattern = `${c.startsWith.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      const upper = prefixUpperBound(c.startsWith);
      if (upper) out.push(Prisma.sql`${column} >= ${c.startsWith} AND ${column} < ${upper}`);
      out.push(Prisma.sql`${column} LIKE ${pattern}`);
    }
    return out;
  }

  private idOps(column: Prisma.Sql, c: IdCondition, path: string): Prisma.Sql[] {
    if (c.isNull != null && (c.eq != null || c.in != null)) this.problems.add(path, "isNull cannot be combined with eq or in");
    this.exclusive(c, path, ["eq", "in"]);
    const check = (v: string, at: string) => (isUuid(v) ? v : (this.problems.add(at, "is not a valid id"), v));
    const out: Prisma.Sql[] = [];
    if (c.isNull != null) out.push(c.isNull ? Prisma.sql`${column} IS NULL` : Prisma.sql`${column} IS NOT NULL`);
    if (c.eq != null) out.push(Prisma.sql`${column} = ${check(c.eq, `${path}.eq`)}::uuid`);
    if (c.in != null) out.push(Prisma.sql`${column} = ANY(${this.list(c.in, `${path}.in`).map((v, i) => check(v, `${path}.in[${i}]`))}::uuid[])`);
    return out;
  }

  private rangeOps(
    column: Prisma.Sql,
    c: object,
    path: string,
    param: (v: unknown, at: string) => Prisma.Sql,
    nullable = false,
  ): Prisma.Sql[] {
    const cond = c as Record<string, unknown>;
    const ops: Record<string, string> = { eq: "=", gt: ">", gte: ">=", lt: "<", lte: "<=" };
    if (nullable && cond.isNull != null && Object.keys(ops).some((k) => cond[k] != null)) {
      this.problems.add(path, "isNull cannot be combined with a comparison");
    }
    this.exclusive(c, path, ["eq", "gt", "gte"]);
    this.exclusive(c, path, ["eq", "lt", "lte"]);
    const out: Prisma.Sql[] = [];
    if (nullable && cond.isNull != null) out.push(cond.isNull ? Prisma.sql`${column} IS NULL` : Prisma.sql`${column} IS NOT NULL`);
    for (const [k, op] of Object.entries(ops)) {
      if (cond[k] != null) out.push(Prisma.sql`${column} ${Prisma.raw(op)} ${param(cond[k], `${path}.${k}`)}`);
    }
    return out;
  }

  private decimal(v: unknown, path: string): Prisma.Sql {
    const s = String(v).trim();
    if (!DECIMAL.test(s)) this.problems.add(path, "must be an exact decimal string, e.g. \"100.50\"");
    return Prisma.sql`${DECIMAL.test(s) ? s : "0"}::numeric`;
  }

  private amountOps(alias: string, column: Prisma.Sql, c: Column, cond: AmountCondition, path: string): Prisma.Sql[] {
    const { currency, ...comparisons } = cond;
    const cur = Prisma.raw(`${alias}."${c.currency}"`);
    const pre: Prisma.Sql[] = [];
    let target = column;
    if (currency != null) {
      // within a stated currency: only amounts stated in it, compared as they are
      const code = currency.trim().toUpperCase();
      if (!/^[A-Z]{3}$/.test(code)) this.problems.add(`${path}.currency`, "must be an ISO 4217 code");
      pre.push(Prisma.sql`${cur} = ${code}::bpchar`);
    } else {
      // in the reference currency, at the rate of the record's date
      const date = Prisma.raw(c.date ? `${alias}."${c.date}"` : `d."filedAt"`);
      target = this.money.inReference(column, cur, date);
      if (alias === "d") this.conversions++;
    }
    const ops = this.rangeOps(target, comparisons, path, (v, at) => this.decimal(v, at));
    return ops.length ? [...pre, ...ops] : [];
  }

  private text(column: Prisma.Sql, c: TextCondition, path: string): Prisma.Sql[] {
    const q = c.search?.trim() ?? "";
    if (!q.length || q.length > 200) this.problems.add(`${path}.search`, "must be 1 to 200 characters");
    this.cost += 5;
    return [Prisma.sql`${column} @@ plainto_tsquery('english', ${q})`];
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
