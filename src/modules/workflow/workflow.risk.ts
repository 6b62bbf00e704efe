import type { DeclarationStatus } from "../../generated/prisma/enums";
import type { Assessment, DestinationRisk, RiskAssessor } from "../risk/risk.assessor";
import type { Subject } from "../risk/risk.engine";
import { changesOf, type WriteJournal } from "../writes";
import { stageOf } from "../../authz/authority";
import { PRE_LOADING_HOLDS, statusWithOpenHolds } from "./workflow.lifecycle";
import type { DeclarationRow, GoodsItemRow, LockedDeclaration } from "./workflow.repository";
import type { StatusChange, WorkflowSupport } from "./workflow.support";

export type Destinations = Map<string, DestinationRisk>;

/** A stored declaration as the risk rules see it. */
export function subjectOfRow(d: DeclarationRow, items: GoodsItemRow[]): Subject {
  return {
    filerId: d.filerId,
    platformId: d.platformId,
    destinationCountry: d.destinationCountry,
    category: d.category,
    totalValue: d.totalValue.toFixed(),
    currency: d.currency,
    iossNumber: d.iossNumber,
    sellerName: d.sellerName,
    sellerAddress: d.sellerAddress,
    buyerName: d.buyerName,
    buyerAddress: d.buyerAddress,
    goodsItems: items.map((g) => ({ description: g.description, quantity: g.quantity, value: g.value.toFixed(), currency: g.currency, hsCode: g.hsCode })),
  };
}

/**
 * Risk assessment inside the workflow's writes, on the locked declaration: at registration
 * by customs (REGISTERED -> RISK_ASSESSED -> CLEARED_TO_LOAD or the hold's status) and after
 * an amendment of a registered declaration (the rules' new hits only: an open alert of the
 * same rule is not raised twice, an open hold of the same kind not placed twice).
 */
export class WorkflowRisk {
  constructor(
    private readonly support: WorkflowSupport,
    private readonly assessor?: RiskAssessor,
  ) {}

  /** The destination's risk in force, loaded before the write's transaction; null: assessment is off there. */
  async prepare(destination: string, at: Date): Promise<Destinations | null> {
    if (!this.assessor) return null;
    const dests = await this.assessor.inForce([destination], at);
    return dests.size ? dests : null;
  }

  async apply(d: LockedDeclaration, dests: Destinations, journal: WriteJournal<unknown>, changes: StatusChange[], at: Date, mode: "register" | "amend"): Promise<void> {
    const [a] = await this.assessor!.assessWith(dests, [subjectOfRow(d.current, await d.goodsItems())], at, { excludeIds: [d.id], tx: d.tx });
    if (!a) return;
    const placed = await this.store(d, a, journal, at, mode);
    journal.record({ recordType: "Declaration", recordId: d.id, declarationId: d.id, holderId: d.current.filerId, changes: { riskAssessment: { before: null, after: { rules: a.rules, mode } } } }, at);
    const open = (await d.openHolds()).map((h) => h.kind);
    if (mode === "register") {
      await this.support.move(d, "RISK_ASSESSED", at, changes, journal);
      await this.support.move(d, statusWithOpenHolds(open) ?? "CLEARED_TO_LOAD", at, changes, journal);
    } else if (placed) {
      const target: DeclarationStatus | null = statusWithOpenHolds(open);
      if (target && target !== d.current.status) await this.support.move(d, target, at, changes, journal);
    }
  }

  /** Stores the new alerts and holds with their audit entries and events; returns how many holds it placed. */
  private async store(d: LockedDeclaration, a: Assessment, journal: WriteJournal<unknown>, at: Date, mode: "register" | "amend"): Promise<number> {
    const known = mode === "amend" ? await d.openAlertRules() : new Set<string>();
    for (const x of a.alerts) {
      if (known.has(x.raisedByRule)) continue;
      const { id: _id, ...data } = x;
      const row = await d.addAlert({ ...data, createdAt: at });
      journal.record({ recordType: "RiskAlert", recordId: row.id, declarationId: d.id, holderId: row.raisedById, changes: changesOf(null, row) }, at);
      journal.emit("ALERT_RAISED", d.id, { alertId: row.id, raisedById: row.raisedById }, at);
    }
    // pre-loading referrals stop a parcel before loading: after arrival, rules only alert
    if (stageOf(d.current.status) !== "beforeArrival") return 0;
    const openKinds = new Set((await d.openHolds()).map((h) => h.kind));
    let placed = 0;
    for (const h of a.holds) {
      if (openKinds.has(h.kind) || !PRE_LOADING_HOLDS.includes(h.kind)) continue;
      const { id: _id, ...data } = h;
      const row = await d.addHold({ ...data, placedAt: at });
      journal.record({ recordType: "Hold", recordId: row.id, declarationId: d.id, holderId: row.placedById, changes: changesOf(null, row) }, at);
      journal.emit("HOLD_PLACED", d.id, { holdId: row.id, kind: row.kind }, at);
      placed++;
    }
    return placed;
  }
}
