import { Prisma } from "../../generated/prisma/client";

/**
 * Amounts in the reference currency, in SQL. One place decides how an amount stated in
 * `currency` on `date` becomes an amount in the reference currency, so filters, sorting
 * and declarationStats agree. NULL when no rate is known: such amounts match no amount
 * condition and add to no total.
 */
export class MoneySql {
  constructor(readonly reference: string) {}

  /** `value` (numeric), stated in `currency` (char(3)) on `date` (timestamp), in the reference currency. */
  inReference(value: Prisma.Sql, currency: Prisma.Sql, _date: Prisma.Sql): Prisma.Sql {
    return Prisma.sql`(CASE WHEN ${currency} = ${this.reference}::bpchar THEN ${value} END)`;
  }
}
