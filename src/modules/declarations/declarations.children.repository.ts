import type { DutyAssessment, GoodsItem, Hold, PrismaClient, RiskAlert, StatusEvent } from "../../generated/prisma/client";

/** The records attached to declarations, fetched for many declarations at once (DataLoaders). */
export class DeclarationChildrenRepository {
  constructor(private readonly prisma: PrismaClient) {}

  goodsItems(declarationIds: string[]): Promise<GoodsItem[]> {
    return this.prisma.goodsItem.findMany({ where: { declarationId: { in: declarationIds } }, orderBy: { lineNumber: "asc" } });
  }

  holds(declarationIds: string[]): Promise<Hold[]> {
    return this.prisma.hold.findMany({ where: { declarationId: { in: declarationIds } }, orderBy: { placedAt: "asc" } });
  }

  riskAlerts(declarationIds: string[]): Promise<RiskAlert[]> {
    return this.prisma.riskAlert.findMany({ where: { declarationId: { in: declarationIds } }, orderBy: { createdAt: "asc" } });
  }

  /** The assessment in force; superseded versions stay in the store and the write audit trail. */
  duties(declarationIds: string[]): Promise<DutyAssessment[]> {
    return this.prisma.dutyAssessment.findMany({
      where: { declarationId: { in: declarationIds }, supersededAt: null },
      orderBy: { createdAt: "asc" },
    });
  }

  statusEvents(declarationIds: string[]): Promise<StatusEvent[]> {
    return this.prisma.statusEvent.findMany({ where: { declarationId: { in: declarationIds } }, orderBy: { occurredAt: "asc" } });
  }
}
