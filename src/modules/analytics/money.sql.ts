import { Prisma } from "../../generated/prisma/client";

/** A rate in force over [from, to): `rate` units of `currency` for one unit of the base currency. */
export interface RateInterval {
  currency: string;
  from: Date;
  to: Date | null;
  rate: string;
}

/** A row of the rules module's ExchangeRate table, as MoneySql needs it. */
export interface RateRow {
  currency: string;
  baseCurrency: string;
  rate: string;
  version: number;
  validFrom: Date;
  validTo: Date | null;
}

/**
 * The rows of one jurisdiction resolved to non-overlapping intervals per currency: at each
 * instant the highest version in force (as RuleBook.versionInForce reads them).
 */
export function resolveIntervals(rows: RateRow[]): RateInterval[] {
  const out: RateInterval[] = [];
  const byCurrency = new Map<string, RateRow[]>();
  for (const r of rows) byCurrency.set(r.currency, [...(byCurrency.get(r.currency) ?? []), r]);
  for (const [currency, list] of byCurrency) {
    const bounds = [...new Set(list.flatMap((r) => [r.validFrom.getTime(), ...(r.validTo ? [r.validTo.getTime()] : [])]))].sort((a, b) => a - b);
    bounds.push(Infinity);
    for (let i = 0; i < bounds.length - 1; i++) {
      const at = bounds[i];
      const best = list
        .filter((r) => r.validFrom.getTime() <= at && (r.validTo === null || at < r.validTo.getTime()))
        .sort((a, b) => b.version - a.version)[0];
      if (!best) continue;
      const to = bounds[i + 1] === Infinity ? null : new Date(bounds[i + 1]);
      const last = out[out.length - 1];
      if (last && last.currency === currency && last.rate === best.rate && last.to?.getTime() === at) last.to = to;
      else out.push({ currency, from: new Date(at), to, rate: best.rate });
    }
  }
  return out;
}

const utc = (d: Date) => d.toISOString().replace("Z", "");

/**
 * Amounts in the reference currency, in SQL, at the exchange rates of the rules module's
 * ExchangeRate table (read at each query, resolved to validity intervals, and bound as
 * parameters of a CASE: no per-row subquery, so a million rows convert in a scan). One
 * place decides how an amount stated in `currency` on `date` becomes an amount in the
 * reference currency, so filters, sorting and declarationStats agree. NULL when no rate is
 * in force: such amounts match no amount condition, rank nowhere and add to no total.
 */
export class MoneySql {
  constructor(
    readonly reference: string,
    /** the base currency the rates are quoted against (EUR for the EU's rates) */
    readonly base: string,
    private readonly intervals: RateInterval[],
  ) {}

  /** `value` (numeric), stated in `currency` (char(3)) on `date` (timestamp), in the reference currency. */
  inReference(value: Prisma.Sql, currency: Prisma.Sql, date: Prisma.Sql): Prisma.Sql {
    const toBase = this.perUnitOfBase(currency, date);
    const fromBase = this.reference === this.base ? Prisma.sql`1` : this.rateOf(this.reference, date);
    return Prisma.sql`(CASE WHEN ${currency} = ${this.reference}::bpchar THEN ${value} ELSE ${value} / ${toBase} * ${fromBase} END)`;
  }

  /** Units of `currency` (an SQL expression) per unit of the base at `date`; NULL when none is in force. */
  private perUnitOfBase(currency: Prisma.Sql, date: Prisma.Sql): Prisma.Sql {
    const currencies = [...new Set(this.intervals.map((i) => i.currency))].filter((c) => c !== this.base);
    const branches = [
      Prisma.sql`WHEN ${currency} = ${this.base}::bpchar THEN 1::numeric`,
      ...currencies.map((c) => Prisma.sql`WHEN ${currency} = ${c}::bpchar THEN ${this.rateOf(c, date)}`),
    ];
    return Prisma.sql`(CASE ${Prisma.join(branches, " ")} END)`;
  }

  /** The rate of one known currency at `date`. */
  private rateOf(currency: string, date: Prisma.Sql): Prisma.Sql {
    if (currency === this.base) return Prisma.sql`1::numeric`;
    const mine = this.intervals.filter((i) => i.currency === currency);
    if (!mine.length) return Prisma.sql`NULL::numeric`;
    const branches = mine.map((i) =>
      i.to
        ? Prisma.sql`WHEN ${date} >= ${utc(i.from)}::timestamp AND ${date} < ${utc(i.to)}::timestamp THEN ${i.rate}::numeric`
        : Prisma.sql`WHEN ${date} >= ${utc(i.from)}::timestamp THEN ${i.rate}::numeric`,
    );
    return Prisma.sql`(CASE ${Prisma.join(branches, " ")} END)`;
  }
}
