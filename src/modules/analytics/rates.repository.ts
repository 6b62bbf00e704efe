import { Prisma } from "../../generated/prisma/client";
import type { AnalyticsDb } from "./analytics.db";
import type { RateRow } from "./money.sql";

/** Every jurisdiction's exchange rates from the rules module's ExchangeRate table. */
export class RatesRepository {
  constructor(private readonly db: AnalyticsDb) {}

  async all(): Promise<RateRow[]> {
    const rows = await this.db.query<Omit<RateRow, "validFrom" | "validTo"> & { validFrom: string; validTo: string | null }>(Prisma.sql`
      SELECT x."jurisdiction", rtrim(x."currency") AS currency, rtrim(x."baseCurrency") AS "baseCurrency", x."rate"::text AS rate, x."version",
             x."validFrom"::text AS "validFrom", x."validTo"::text AS "validTo"
      FROM "ExchangeRate" x`);
    // timestamps are UTC without a zone
    const at = (s: string) => new Date(`${s.replace(" ", "T")}Z`);
    return rows.map((r) => ({ ...r, validFrom: at(r.validFrom), validTo: r.validTo ? at(r.validTo) : null }));
  }
}
