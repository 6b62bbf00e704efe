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
  jurisdiction: string;
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

/** Timestamps are stored as UTC without a zone (Prisma's timestamp(3)): a date as such a literal. */
export const utc = (d: Date) => d.toISOString().replace("Z", "");

/** One jurisdiction's published rates: the currency they are quoted against, and their intervals. */
export interface RateTable {
  jurisdiction: string;
  base: string;
  intervals: RateInterval[];
}

/** The rows of every jurisdiction, each resolved to its table. */
export function rateTables(rows: RateRow[]): RateTable[] {
  const by = new Map<string, RateRow[]>();
  for (const r of rows) by.set(r.jurisdiction, [...(by.get(r.jurisdiction) ?? []), r]);
  return [...by].map(([jurisdiction, list]) => ({ jurisdiction, base: list[0].baseCurrency, intervals: resolveIntervals(list) }));
}

/**
 * Amounts in the reference currency, in SQL, at the exchange rates of the rules module's
 * ExchangeRate table (read at each query, resolved to validity intervals, and bound as
 * parameters of a CASE: no per-row subquery, so a million rows convert in a scan). An
 * amount on a declaration converts at the rates its destination's customs publish (GB's
 * HMRC rates for a parcel to GB, the US's for one to the US), in force on the record's
 * date, as RuleBook.convert does; a destination whose customs publish none of their own
 * (an EU member state, or a country the hub has no rates for) converts at the reference
 * table's (the EU's). One place decides how an amount becomes an amount in the reference
 * currency, so filters, sorting and declarationStats agree. NULL when no rate is in
 * force: such amounts match no amount condition, rank nowhere and add to no total.
 */
export class MoneySql {
  private readonly own: RateTable[];
  private readonly fallback: RateTable;

  constructor(
    readonly reference: string,
    tables: RateTable[],
    /** the jurisdiction whose table converts amounts bound where no other publishes rates */
    readonly referenceTable: string,
  ) {
    this.fallback = tables.find((t) => t.jurisdiction === referenceTable) ?? { jurisdiction: referenceTable, base: reference, intervals: [] };
    // a table applies to the destination of its name: countries only (the EU's is the fallback)
    this.own = tables.filter((t) => t !== this.fallback && /^[A-Z]{2}$/.test(t.jurisdiction));
  }

  /**
   * `value` (numeric), stated in `currency` (char(3)) on `date` (timestamp), in the reference
   * currency at the rates of `destination` (char(2); by default the declaration aliased d's).
   */
  inReference(value: Prisma.Sql, currency: Prisma.Sql, date: Prisma.Sql, destination: Prisma.Sql = Prisma.raw(`d."destinationCountry"`)): Prisma.Sql {
    const branches = [
      Prisma.sql`WHEN ${currency} = ${this.reference}::bpchar THEN ${value}`,
      ...this.own.map((t) => Prisma.sql`WHEN ${destination} = ${t.jurisdiction}::bpchar THEN ${this.converted(t, value, currency, date)}`),
    ];
    return Prisma.sql`(CASE ${Prisma.join(branches, " ")} ELSE ${this.converted(this.fallback, value, currency, date)} END)`;
  }

  /** Through the table's base currency: value / rate(currency) x rate(reference). */
  private converted(t: RateTable, value: Prisma.Sql, currency: Prisma.Sql, date: Prisma.Sql): Prisma.Sql {
    const fromBase = this.reference === t.base ? Prisma.sql`1` : this.rateOf(t, this.reference, date);
    return Prisma.sql`${value} / ${this.perUnitOfBase(t, currency, date)} * ${fromBase}`;
  }

  /** Units of `currency` (an SQL expression) per unit of the table's base at `date`; NULL when none is in force. */
  private perUnitOfBase(t: RateTable, currency: Prisma.Sql, date: Prisma.Sql): Prisma.Sql {
    const currencies = [...new Set(t.intervals.map((i) => i.currency))].filter((c) => c !== t.base);
    const branches = [
      Prisma.sql`WHEN ${currency} = ${t.base}::bpchar THEN 1::numeric`,
      ...currencies.map((c) => Prisma.sql`WHEN ${currency} = ${c}::bpchar THEN ${this.rateOf(t, c, date)}`),
    ];
    return Prisma.sql`(CASE ${Prisma.join(branches, " ")} END)`;
  }

  /** The rate of one known currency at `date` in the table. */
  private rateOf(t: RateTable, currency: string, date: Prisma.Sql): Prisma.Sql {
    if (currency === t.base) return Prisma.sql`1::numeric`;
    const mine = t.intervals.filter((i) => i.currency === currency);
    if (!mine.length) return Prisma.sql`NULL::numeric`;
    const branches = mine.map((i) =>
      i.to
        ? Prisma.sql`WHEN ${date} >= ${utc(i.from)}::timestamp AND ${date} < ${utc(i.to)}::timestamp THEN ${i.rate}::numeric`
        : Prisma.sql`WHEN ${date} >= ${utc(i.from)}::timestamp THEN ${i.rate}::numeric`,
    );
    return Prisma.sql`(CASE ${Prisma.join(branches, " ")} END)`;
  }
}
