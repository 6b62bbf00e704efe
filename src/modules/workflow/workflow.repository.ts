import { Prisma, type PrismaClient } from "../../generated/prisma/client";
import type {
  Declaration as DeclarationRow,
  DutyAssessment as DutyAssessmentRow,
  GoodsItem as GoodsItemRow,
  Hold as HoldRow,
  RiskAlert as RiskAlertRow,
  StatusEvent as StatusEventRow,
} from "../../generated/prisma/client";
import type { AlertStatus, DeclarationStatus, ScreeningOutcome } from "../../generated/prisma/enums";
import type { Tx } from "../writes";

export type { DeclarationRow, DutyAssessmentRow, GoodsItemRow, HoldRow, RiskAlertRow, StatusEventRow };

const FINAL: DeclarationStatus[] = ["DELIVERED", "RETURNED", "SEIZED"];

/** P2025: an update's where clause matched no row, i.e. someone else changed it first. */
function isNoMatch(e: unknown): boolean {
  return e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2025";
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isNoMatch(e)) return null;
    throw e;
  }
}

/**
 * One declaration inside a transaction that holds its row lock: every write of the workflow
 * that changes a declaration's status, holds or duties goes through here, so two of them on
 * the same declaration run one after the other and the second sees what the first did.
 */
export class LockedDeclaration {
  constructor(
    readonly tx: Tx,
    /** the row as it is now, read after the lock was taken */
    public current: DeclarationRow,
  ) {}

  get id(): string {
    return this.current.id;
  }

  openHolds(): Promise<HoldRow[]> {
    return this.tx.hold.findMany({ where: { declarationId: this.id, status: "OPEN" }, orderBy: { placedAt: "asc" } });
  }

  /** Lines of the assessment in force (not superseded). */
  currentDuties(): Promise<DutyAssessmentRow[]> {
    return this.tx.dutyAssessment.findMany({ where: { declarationId: this.id, supersededAt: null }, orderBy: { createdAt: "asc" } });
  }

  /** Sum of the goods items' net weights, as an exact decimal string. */
  async goodsNetWeightKg(): Promise<string> {
    const agg = await this.tx.goodsItem.aggregate({ where: { declarationId: this.id }, _sum: { netWeightKg: true } });
    return agg._sum.netWeightKg?.toFixed() ?? "0";
  }

  /**
   * Compare-and-set on the status; null when it is no longer `from`. A final status ends
   * the parcel's live binding to its carrier and post, so the tracking number may be
   * filed again.
   */
  async moveStatus(from: DeclarationStatus, to: DeclarationStatus, at: Date): Promise<DeclarationRow | null> {
    const row = await orNull(
      this.tx.declaration.update({
        where: { id: this.id, status: from },
        data: { status: to, updatedAt: at, ...(to === "RELEASED" ? { releasedAt: at } : {}) },
      }),
    );
    if (row && FINAL.includes(to)) await this.tx.liveParcel.deleteMany({ where: { declarationId: this.id } });
    if (row) this.current = row;
    return row;
  }

  addStatusEvent(data: Omit<Prisma.StatusEventUncheckedCreateInput, "declarationId">): Promise<StatusEventRow> {
    return this.tx.statusEvent.create({ data: { ...data, declarationId: this.id } });
  }

  addHold(data: Omit<Prisma.HoldUncheckedCreateInput, "declarationId">): Promise<HoldRow> {
    return this.tx.hold.create({ data: { ...data, declarationId: this.id } });
  }

  /** Compare-and-set OPEN -> RELEASED; null when the hold is not open (any more). */
  closeHold(
    holdId: string,
    data: { releasedById: string; releasedAt: Date; outcome: string | null; response: string | null },
    escalatedToId: string | null = null,
  ): Promise<HoldRow | null> {
    return orNull(
      this.tx.hold.update({
        where: { id: holdId, declarationId: this.id, status: "OPEN" },
        data: { ...data, status: "RELEASED", escalatedToId },
      }),
    );
  }

  findHold(holdId: string): Promise<HoldRow | null> {
    return this.tx.hold.findFirst({ where: { id: holdId, declarationId: this.id } });
  }

  /** Compare-and-set: the answer of an open, unanswered hold; null otherwise. */
  answerHold(
    holdId: string,
    data: { answerText: string | null; answerDocuments: string[]; screeningOutcome: ScreeningOutcome | null; answeredAt: Date; answeredById: string },
  ): Promise<HoldRow | null> {
    return orNull(this.tx.hold.update({ where: { id: holdId, declarationId: this.id, status: "OPEN", answeredAt: null }, data }));
  }

  addAlert(data: Omit<Prisma.RiskAlertUncheckedCreateInput, "declarationId">): Promise<RiskAlertRow> {
    return this.tx.riskAlert.create({ data: { ...data, declarationId: this.id } });
  }

  /** The rules (by code) with an open alert on this declaration. */
  async openAlertRules(): Promise<Set<string>> {
    const rows = await this.tx.riskAlert.findMany({ where: { declarationId: this.id, status: "OPEN", raisedByRule: { not: null } }, select: { raisedByRule: true } });
    return new Set(rows.map((r) => r.raisedByRule!));
  }

  goodsItems(): Promise<GoodsItemRow[]> {
    return this.tx.goodsItem.findMany({ where: { declarationId: this.id }, orderBy: { lineNumber: "asc" } });
  }

  /**
   * A new assessment version: the lines in force are superseded (kept, never changed
   * otherwise), the new lines carry the next version, and the declaration records it.
   */
  async replaceDuties(
    lines: Omit<Prisma.DutyAssessmentCreateManyInput, "declarationId" | "version">[],
    at: Date,
    correctionReason: string | null,
  ): Promise<{ version: number; superseded: DutyAssessmentRow[]; created: DutyAssessmentRow[] }> {
    const version = this.current.dutiesVersion + 1;
    const superseded = await this.currentDuties();
    await this.tx.dutyAssessment.updateMany({ where: { declarationId: this.id, supersededAt: null }, data: { supersededAt: at } });
    const created = lines.length
      ? await this.tx.dutyAssessment.createManyAndReturn({
          data: lines.map((l) => ({ ...l, declarationId: this.id, version, correctionReason })),
        })
      : [];
    this.current = await this.tx.declaration.update({ where: { id: this.id }, data: { dutiesVersion: version, updatedAt: at } });
    return { version, superseded, created };
  }

  /** Compare-and-set on the version, which goes up by one; null when the version moved on. */
  async amend(expectedVersion: number, data: Prisma.DeclarationUpdateInput): Promise<DeclarationRow | null> {
    const row = await orNull(
      this.tx.declaration.update({
        where: { id: this.id, version: expectedVersion },
        data: { ...data, version: { increment: 1 } },
      }),
    );
    if (row) this.current = row;
    return row;
  }

  /** Moves the live bindings to a new tracking number; false when it is live elsewhere for the same carrier. */
  async rebindTrackingNumber(trackingNumber: string): Promise<boolean> {
    const parties = [this.current.carrierId, this.current.postId].filter((x): x is string => !!x);
    if (!parties.length || FINAL.includes(this.current.status)) return true;
    const taken = await this.tx.liveParcel.findFirst({
      where: { trackingNumber, partyId: { in: parties }, declarationId: { not: this.id } },
    });
    if (taken) return false;
    await this.tx.liveParcel.deleteMany({ where: { declarationId: this.id } });
    await this.tx.liveParcel.createMany({ data: parties.map((partyId) => ({ trackingNumber, partyId, declarationId: this.id })) });
    return true;
  }

  async movementReferenceTaken(movementReference: string): Promise<boolean> {
    return (await this.tx.declaration.findUnique({ where: { movementReference }, select: { id: true } })) !== null;
  }

  setMovementReference(movementReference: string): Promise<DeclarationRow> {
    return this.tx.declaration.update({ where: { id: this.id }, data: { movementReference } }).then((row) => (this.current = row));
  }
}

/** All of the workflow's SQL; no rules here, only storage. */
export class WorkflowRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Within `tx`: takes the declaration's row lock (SELECT ... FOR UPDATE), then reads the
   * row as it is now. Null when there is no such declaration.
   */
  async lock(tx: Tx, declarationId: string): Promise<LockedDeclaration | null> {
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "Declaration" WHERE "id" = ${declarationId}::uuid FOR UPDATE`;
    if (!locked.length) return null;
    const current = await tx.declaration.findUniqueOrThrow({ where: { id: declarationId } });
    return new LockedDeclaration(tx, current);
  }

  findHold(id: string): Promise<HoldRow | null> {
    return this.prisma.hold.findUnique({ where: { id } });
  }

  /** Within a write, pass its `tx`: another connection may be the pool's only one (embedded). */
  findAlert(id: string, tx?: Tx): Promise<RiskAlertRow | null> {
    return (tx ?? this.prisma).riskAlert.findUnique({ where: { id } });
  }

  findStatusEvent(id: string): Promise<StatusEventRow | null> {
    return this.prisma.statusEvent.findUnique({ where: { id } });
  }

  findDuties(ids: string[]): Promise<DutyAssessmentRow[]> {
    return this.prisma.dutyAssessment.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: "asc" } });
  }

  createAlert(tx: Tx, data: Prisma.RiskAlertUncheckedCreateInput): Promise<RiskAlertRow> {
    return tx.riskAlert.create({ data });
  }

  /** Compare-and-set OPEN -> `status`; null when the alert was resolved already. */
  resolveAlert(
    tx: Tx,
    id: string,
    data: { status: Exclude<AlertStatus, "OPEN">; resolvedById: string; resolutionNote: string | null; resolvedAt: Date },
  ): Promise<RiskAlertRow | null> {
    return orNull(tx.riskAlert.update({ where: { id, status: "OPEN" }, data }));
  }
}
