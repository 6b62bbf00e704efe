import { Prisma } from "../../generated/prisma/client";
import { isUuid, type Problems } from "../../shared/validation";
import { utc, type MoneySql } from "./money.sql";
import type { Column } from "./filter.columns";
import type {
  AmountCondition,
  CodeCondition,
  DateTimeCondition,
  DecimalCondition,
  EnumCondition,
  IdCondition,
  IntCondition,
  StringCondition,
  TextCondition,
} from "./analytics.inputs";

const MAX_LIST = 1000;
const DECIMAL = /^-?\d{1,12}(\.\d{1,3})?$/;

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

/** What the operators add up as they compile: conditions counted, amounts of the declaration converted. */
export interface OperatorTally {
  cost: number;
  conversions: number;
}

/**
 * One column's operators (eq, in, ranges, prefix, text search, amounts) as parameterised
 * SQL, by the column's kind. Problems are recorded with their input paths; the cost and
 * the conversions of the declaration's own amounts are added to the compiler's tally.
 */
export class ColumnOperators {
  constructor(
    private readonly money: MoneySql,
    private readonly problems: Problems,
    private readonly tally: OperatorTally,
  ) {}

  build(alias: string, column: Prisma.Sql, c: Column, cond: Record<string, unknown>, path: string): Prisma.Sql[] {
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
    this.tally.cost += Math.ceil(values.length / 100);
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
      if (alias === "d") this.tally.conversions++;
    }
    const ops = this.rangeOps(target, comparisons, path, (v, at) => this.decimal(v, at));
    return ops.length ? [...pre, ...ops] : [];
  }

  private text(column: Prisma.Sql, c: TextCondition, path: string): Prisma.Sql[] {
    const q = c.search?.trim() ?? "";
    if (!q.length || q.length > 200) this.problems.add(`${path}.search`, "must be 1 to 200 characters");
    this.tally.cost += 5;
    return [Prisma.sql`${column} @@ plainto_tsquery('english', ${q})`];
  }
}
