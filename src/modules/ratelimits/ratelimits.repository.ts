import type { PrismaClient, RateLimitPolicy } from "../../generated/prisma/client";
import type { PartyKind } from "../../generated/prisma/enums";
import type { Tx } from "../writes";

export type { RateLimitPolicy };

export interface NewRateLimitPolicy {
  partyId: string | null;
  partyKind: PartyKind;
  perMinute: number;
  perDay: number | null;
  validFrom: Date;
  setById: string;
  reason: string | null;
}

/** All of the rate-limit policies' SQL. Rows are only ever added (versioned data). */
export class RateLimitRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The row in force at `at` for a party: its own newest, else its kind's newest. */
  inForce(partyId: string, kind: PartyKind, at: Date): Promise<RateLimitPolicy | null> {
    return this.prisma.rateLimitPolicy.findFirst({
      where: { validFrom: { lte: at }, OR: [{ partyId }, { partyId: null, partyKind: kind }] },
      // a party's own row (partyId set) before its kind's default, then the newest
      orderBy: [{ partyId: { sort: "asc", nulls: "last" } }, { validFrom: "desc" }, { createdAt: "desc" }],
    });
  }

  /** The defaults by kind in force at `at`, one per kind that has one. */
  async kindDefaults(at: Date): Promise<RateLimitPolicy[]> {
    const rows = await this.prisma.rateLimitPolicy.findMany({
      where: { partyId: null, validFrom: { lte: at } },
      orderBy: [{ validFrom: "desc" }, { createdAt: "desc" }],
    });
    const seen = new Set<PartyKind>();
    return rows.filter((r) => !seen.has(r.partyKind) && seen.add(r.partyKind));
  }

  /** History, newest first: of a party, of a kind's default, or all. */
  history(filter: { partyId?: string; partyKind?: PartyKind; defaultsOnly?: boolean }, take: number): Promise<RateLimitPolicy[]> {
    return this.prisma.rateLimitPolicy.findMany({
      where: { partyId: filter.defaultsOnly ? null : filter.partyId, partyKind: filter.partyKind },
      orderBy: [{ validFrom: "desc" }, { createdAt: "desc" }],
      take,
    });
  }

  insert(tx: Tx, data: NewRateLimitPolicy): Promise<RateLimitPolicy> {
    return tx.rateLimitPolicy.create({ data });
  }

  find(id: string): Promise<RateLimitPolicy | null> {
    return this.prisma.rateLimitPolicy.findUnique({ where: { id } });
  }
}
