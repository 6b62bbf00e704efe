import { Prisma, type PrismaClient } from "../../generated/prisma/client";
import type {
  Agreement as AgreementRow,
  AgreementEvent as AgreementEventRow,
} from "../../generated/prisma/client";
import type { AgreementStatus, Contribution, DataCategory, PartyKind } from "../../generated/prisma/enums";
import type { GrantingAgreement } from "../../authz/policy";
import type { Tx } from "../writes";

export type { AgreementRow, AgreementEventRow };

/** An ACTIVE agreement with its validity period, as the policy cache keeps it. */
export type ActiveAgreement = GrantingAgreement & { validFrom: Date; validTo: Date | null };

export interface NewAgreement {
  grantorId: string;
  granteeId: string;
  proposedById: string;
  purpose: string;
  legalBasis: string;
  categories: DataCategory[];
  contributions: Contribution[];
  scopeDestinations: string[];
  scopeOrigins: string[];
  scopeOnlyCarried: boolean;
  validFrom: Date;
  validTo: Date | null;
}

export interface Transition {
  id: string;
  fromVersion: number;
  fromStatus: AgreementStatus;
  toStatus: AgreementStatus;
  action: string;
  actorPartyId: string;
  note: string | null;
  at: Date;
}

export interface ListWhere {
  /** null: every agreement (operator) */
  partyId: string | null;
  side: "grantor" | "grantee" | "either";
  status: AgreementStatus | null;
}

interface InForceRow {
  id: string;
  grantorId: string;
  grantorKind: string;
  grantorCountry: string;
  categories: string[];
  contributions: string[];
  scopeDestinations: string[];
  scopeOrigins: string[];
  scopeOnlyCarried: boolean;
  validFrom: Date;
  validTo: Date | null;
}

/** All of the agreements module's SQL. */
export class AgreementRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * One statement, served by the (granteeId, status) index. Enum arrays are cast to
   * text[] because the driver has no parser for arrays of custom enum types.
   */
  /** ACTIVE agreements of a grantee, whatever their validity period (checked against now by the caller). */
  async activeFor(partyId: string): Promise<ActiveAgreement[]> {
    const rows = await this.prisma.$queryRaw<InForceRow[]>`
      SELECT a."id", a."grantorId", p."kind"::text AS "grantorKind", p."country" AS "grantorCountry",
             a."categories"::text[] AS "categories", a."contributions"::text[] AS "contributions",
             a."scopeDestinations", a."scopeOrigins", a."scopeOnlyCarried", a."validFrom", a."validTo"
      FROM "Agreement" a
      JOIN "Party" p ON p."id" = a."grantorId"
      WHERE a."granteeId" = ${partyId}::uuid
        AND a."status" = 'ACTIVE'`;
    return rows.map((r) => ({
      validFrom: r.validFrom,
      validTo: r.validTo,
      id: r.id,
      grantorId: r.grantorId,
      grantorKind: r.grantorKind as PartyKind,
      grantorCountry: r.grantorCountry.trim(),
      categories: r.categories as DataCategory[],
      contributions: r.contributions as Contribution[],
      scopeDestinations: r.scopeDestinations,
      scopeOrigins: r.scopeOrigins,
      scopeOnlyCarried: r.scopeOnlyCarried,
    }));
  }

  /** Within a write, pass its `tx`: another connection may be the pool's only one (embedded). */
  findById(id: string, tx?: Tx): Promise<AgreementRow | null> {
    return (tx ?? this.prisma).agreement.findUnique({ where: { id } });
  }

  list(where: ListWhere): Promise<AgreementRow[]> {
    const and: Prisma.AgreementWhereInput[] = [];
    if (where.partyId) {
      if (where.side === "grantor") and.push({ grantorId: where.partyId });
      else if (where.side === "grantee") and.push({ granteeId: where.partyId });
      else and.push({ OR: [{ grantorId: where.partyId }, { granteeId: where.partyId }] });
    }
    if (where.status) and.push({ status: where.status });
    return this.prisma.agreement.findMany({ where: { AND: and }, orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
  }

  /** The kinds of the parties among `ids` that exist. */
  async partyKinds(ids: string[]): Promise<Map<string, PartyKind>> {
    const rows = await this.prisma.party.findMany({ where: { id: { in: ids } }, select: { id: true, kind: true } });
    return new Map(rows.map((r) => [r.id, r.kind]));
  }

  /** The agreement and its PROPOSE event, together. */
  create(tx: Tx, data: NewAgreement, at: Date): Promise<AgreementRow> {
    return tx.agreement.create({
      data: {
        ...data,
        status: "PROPOSED",
        createdAt: at,
        updatedAt: at,
        history: {
          create: { actorPartyId: data.proposedById, action: "PROPOSE", fromStatus: null, toStatus: "PROPOSED", at },
        },
      },
    });
  }

  /**
   * Compare-and-set on (id, version, status) plus the history event, in one transaction.
   * Returns null when the row changed in the meantime, so the caller reports a conflict.
   */
  async transition(tx: Tx, t: Transition): Promise<AgreementRow | null> {
    try {
      return await tx.agreement.update({
        where: { id: t.id, version: t.fromVersion, status: t.fromStatus },
        data: {
          status: t.toStatus,
          version: { increment: 1 },
          updatedAt: t.at,
          history: {
            create: {
              actorPartyId: t.actorPartyId,
              action: t.action,
              fromStatus: t.fromStatus,
              toStatus: t.toStatus,
              note: t.note,
              at: t.at,
            },
          },
        },
      });
    } catch (e) {
      // P2025: no row matched the where clause, i.e. someone else changed it first.
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2025") return null;
      throw e;
    }
  }

  /** The most recent event with this action, e.g. who suspended an agreement. */
  lastEvent(agreementId: string, action: string): Promise<AgreementEventRow | null> {
    return this.prisma.agreementEvent.findFirst({ where: { agreementId, action }, orderBy: { at: "desc" } });
  }

  /** History of several agreements, oldest first, grouped in the order asked. */
  async history(agreementIds: readonly string[]): Promise<AgreementEventRow[][]> {
    const rows = await this.prisma.agreementEvent.findMany({
      where: { agreementId: { in: [...agreementIds] } },
      orderBy: [{ at: "asc" }, { id: "asc" }],
    });
    const map = new Map<string, AgreementEventRow[]>();
    for (const r of rows) {
      const list = map.get(r.agreementId);
      if (list) list.push(r);
      else map.set(r.agreementId, [r]);
    }
    return agreementIds.map((id) => map.get(id) ?? []);
  }
}
