import type { PrismaClient } from "../../generated/prisma/client";
import type { Tx } from "../writes";

/** A parcel filed earlier the same day, as the split-shipment rule needs it. */
export interface SameDayParcel {
  platformId: string | null;
  destinationCountry: string;
  buyerName: string | null;
  buyerAddress: string | null;
  totalValue: string;
  currency: string;
}

type Db = PrismaClient | Tx;

/** Risk assessment's reads; no rules here, only storage. */
export class RiskRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Within a write, pass its `tx`: another connection may be the pool's only one (embedded). */
  private db(tx?: Tx): Db {
    return tx ?? this.prisma;
  }

  /** The IOSS number each platform registered (null where it has none), in one query. */
  async platformIossNumbers(platformIds: string[], tx?: Tx): Promise<Map<string, string | null>> {
    if (!platformIds.length) return new Map();
    const rows = await this.db(tx).party.findMany({ where: { id: { in: platformIds } }, select: { id: true, iossNumber: true } });
    return new Map(rows.map((r) => [r.id, r.iossNumber]));
  }

  /**
   * The day's declarations of the same platforms, buyers and destinations as `subjects`
   * (excluding `excludeIds`): ONE statement for the whole batch, set against the batch's
   * (platform, buyer name, destination) triples. Buyer names match as filed (trimmed);
   * addresses are compared by the caller, normalized.
   */
  async sameDayParcels(
    subjects: { platformId: string | null; buyerName: string | null; destinationCountry: string }[],
    [from, to]: [Date, Date],
    excludeIds: string[],
    tx?: Tx,
  ): Promise<SameDayParcel[]> {
    const keys = subjects.filter((s) => s.platformId && s.buyerName);
    if (!keys.length) return [];
    return this.db(tx).$queryRawUnsafe<SameDayParcel[]>(
      `SELECT d."platformId"::text AS "platformId", rtrim(d."destinationCountry") AS "destinationCountry", d."buyerName", d."buyerAddress",
              d."totalValue"::text AS "totalValue", rtrim(d."currency") AS "currency"
       FROM "Declaration" d
       WHERE (d."platformId", d."buyerName", d."destinationCountry") IN (SELECT DISTINCT * FROM unnest($1::uuid[], $2::text[], $3::bpchar[]))
         AND d."filedAt" >= $4::timestamp AND d."filedAt" < $5::timestamp
         AND NOT (d."id" = ANY($6::uuid[]))`,
      keys.map((s) => s.platformId),
      keys.map((s) => s.buyerName),
      keys.map((s) => s.destinationCountry),
      from.toISOString().replace("Z", ""),
      to.toISOString().replace("Z", ""),
      excludeIds,
    );
  }

  /** The customs party of each of these countries (the first created, should there be several). */
  async customsParties(countries: string[], tx?: Tx): Promise<Map<string, string>> {
    if (!countries.length) return new Map();
    const rows = await this.db(tx).party.findMany({
      where: { kind: "CUSTOMS", country: { in: countries } },
      select: { id: true, country: true },
      orderBy: { createdAt: "asc" },
    });
    const out = new Map<string, string>();
    for (const r of rows) if (!out.has(r.country)) out.set(r.country, r.id);
    return out;
  }
}
