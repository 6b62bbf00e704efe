import type { PrismaClient } from "../generated/prisma/client";
import type { SameDayParcel } from "../modules/risk/risk.repository";

/** A stored parcel of a buyer, with when it was filed (epoch ms). */
export type StoredParcel = SameDayParcel & { filedAt: number };

/** The seed's reads beyond the modules' own; no rules here, only storage. */
export class SeedRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Stored declarations filed since `from` through a platform to a named buyer (what the split-shipment rule groups). */
  async storedParcels(from: number): Promise<StoredParcel[]> {
    const rows = await this.prisma.$queryRawUnsafe<(SameDayParcel & { filedAt: Date })[]>(
      `SELECT d."platformId"::text AS "platformId", rtrim(d."destinationCountry") AS "destinationCountry", d."buyerName", d."buyerAddress",
              d."totalValue"::text AS "totalValue", rtrim(d."currency") AS "currency", d."filedAt"
       FROM "Declaration" d
       WHERE d."platformId" IS NOT NULL AND d."buyerName" IS NOT NULL AND d."filedAt" >= $1::timestamp`,
      new Date(from).toISOString().replace("Z", ""),
    );
    return rows.map((r) => ({ ...r, filedAt: r.filedAt.getTime() }));
  }
}
