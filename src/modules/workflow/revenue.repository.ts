import type { Tx } from "../writes";
import type { RevenueItem } from "./revenue.compute";

/** What an assessment reads of the locked declaration, in its transaction. */
export class RevenueRepository {
  async goodsItems(tx: Tx, declarationId: string): Promise<RevenueItem[]> {
    const rows = await tx.goodsItem.findMany({
      where: { declarationId },
      orderBy: { lineNumber: "asc" },
      select: { lineNumber: true, hsCode: true, value: true, currency: true, quantity: true, netWeightKg: true },
    });
    return rows.map((r) => ({ ...r, value: r.value.toString(), netWeightKg: r.netWeightKg.toString() }));
  }

  /** When the goods arrived (the first ARRIVED or PRESENTED_TO_CUSTOMS event), if recorded. */
  async arrivedAt(tx: Tx, declarationId: string): Promise<Date | null> {
    const e = await tx.statusEvent.findFirst({
      where: { declarationId, code: { in: ["ARRIVED", "PRESENTED_TO_CUSTOMS"] } },
      orderBy: { occurredAt: "asc" },
      select: { occurredAt: true },
    });
    return e?.occurredAt ?? null;
  }
}
