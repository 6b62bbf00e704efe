import { Prisma } from "../../generated/prisma/client";
import type { AnalyticsDb } from "./analytics.db";
import type { RateRow } from "./money.sql";

/** The exchange rates of one jurisdiction from the rules module's ExchangeRate table. */
export class RatesRepository {
  constructor(private readonly db: AnalyticsDb) {}

  async of(jurisdiction: string): Promise<RateRow[]> {
    const rows = await this.db.query<{ currency: string; baseCurrency: string; rate: string; version: number; validFrom: string; validTo: string | null }>(Prisma.sql`
      SELECT rtrim(x."currency") AS currency, rtrim(x."baseCurrency") AS "baseCurrency", x."rate"::text AS rate, x."version",
             x."validFrom"::text AS "validFrom", x."validTo"::text AS "validTo"
      FROM "ExchangeRate" x WHERE x."jurisdiction" = ${jurisdiction}`);
    // timestamps are UTC without a zone
    const at = (s: string) => new Date(`${s.replace(" ", "T")}Z`);
    return rows.map((r) => ({ ...r, validFrom: at(r.validFrom), validTo: r.validTo ? at(r.validTo) : null }));
  }
}
