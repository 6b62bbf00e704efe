import { Prisma } from "../../generated/prisma/client";

/**
 * Amounts in the reference currency, in SQL, at the exchange rates of the rules module
 * ("ExchangeRate": `rate` units of `currency` for one unit of the jurisdiction's
 * `baseCurrency`; the version in force at the date, highest version first, as
 * RuleBook.convert reads them). One place decides how an amount stated in `currency` on
 * `date` becomes an amount in the reference currency, so filters, sorting and
 * declarationStats agree. NULL when no rate is in force: such amounts match no amount
 * condition, rank nowhere and add to no total.
 */
export class MoneySql {
  constructor(
    readonly reference: string,
    /** whose published rates are used (the EU's customs rates by default) */
    readonly jurisdiction = "EU",
  ) {}

  /** `value` (numeric), stated in `currency` (char(3)) on `date` (timestamp), in the reference currency. */
  inReference(value: Prisma.Sql, currency: Prisma.Sql, date: Prisma.Sql): Prisma.Sql {
    const ref = Prisma.sql`${this.reference}::bpchar`;
    return Prisma.sql`(CASE WHEN ${currency} = ${ref} THEN ${value}
      ELSE ${value} / ${this.rate(currency, date)} * ${this.rate(ref, date)} END)`;
  }

  /** Units of `currency` per unit of the base at `date`; 1 for the base itself; NULL when none. */
  private rate(currency: Prisma.Sql, date: Prisma.Sql): Prisma.Sql {
    const j = this.jurisdiction;
    return Prisma.sql`COALESCE(
      (SELECT x."rate" FROM "ExchangeRate" x
        WHERE x."jurisdiction" = ${j} AND x."currency" = ${currency}
          AND x."validFrom" <= ${date} AND (x."validTo" IS NULL OR ${date} < x."validTo")
        ORDER BY x."version" DESC LIMIT 1),
      (SELECT 1::numeric FROM "ExchangeRate" x WHERE x."jurisdiction" = ${j} AND x."baseCurrency" = ${currency} LIMIT 1))`;
  }
}
