import type { Declaration as DeclarationRow, Hold as HoldRow, Prisma, PrismaClient } from "../../generated/prisma/client";

/** The reads one batch of subscription events needs: one statement each, whatever the batch size. */
export class NotificationRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Declarations among `ids` that match the viewer's policy filter. */
  declarations(where: Prisma.DeclarationWhereInput, ids: string[]): Promise<DeclarationRow[]> {
    return this.prisma.declaration.findMany({ where: { AND: [where, { id: { in: ids } }] } });
  }

  holds(ids: string[]): Promise<HoldRow[]> {
    return this.prisma.hold.findMany({ where: { id: { in: ids } } });
  }
}
