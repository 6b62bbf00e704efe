import { Prisma, type PrismaClient } from "../../generated/prisma/client";
import type {
  Declaration as DeclarationRow,
  DutyAssessment as DutyAssessmentRow,
  Hold as HoldRow,
  RiskAlert as RiskAlertRow,
  StatusEvent as StatusEventRow,
} from "../../generated/prisma/client";
import type { AlertStatus, DeclarationStatus } from "../../generated/prisma/enums";

export type { DeclarationRow, DutyAssessmentRow, HoldRow, RiskAlertRow, StatusEventRow };

type Tx = Prisma.TransactionClient;

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
 * that changes a declaration's status or holds goes through here, so two of them on the same
 * declaration run one after the other and the second sees what the first did.
 */
export class LockedDeclaration {
  constructor(
    private readonly tx: Tx,
    /** the row as it is now, read after the lock was taken */
    readonly current: DeclarationRow,
  ) {}

  get id(): string {
    return this.current.id;
  }

  openHolds(): Promise<HoldRow[]> {
    return this.tx.hold.findMany({ where: { declarationId: this.id, status: "OPEN" }, orderBy: { placedAt: "asc" } });
  }

  async hasDuties(): Promise<boolean> {
    return (await this.tx.dutyAssessment.count({ where: { declarationId: this.id } })) > 0;
  }

  /** Sum of the goods items' net weights, as an exact decimal string. */
  async goodsNetWeightKg(): Promise<string> {
    const agg = await this.tx.goodsItem.aggregate({ where: { declarationId: this.id }, _sum: { netWeightKg: true } });
    return agg._sum.netWeightKg?.toFixed() ?? "0";
  }

  /** Compare-and-set on the status; null when it is no longer `from`. */
  moveStatus(from: DeclarationStatus, to: DeclarationStatus, at: Date): Promise<DeclarationRow | null> {
    return orNull(
      this.tx.declaration.update({
        where: { id: this.id, status: from },
        data: { status: to, updatedAt: at, ...(to === "RELEASED" ? { releasedAt: at } : {}) },
      }),
    );
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
  ): Promise<HoldRow | null> {
    return orNull(
      this.tx.hold.update({
        where: { id: holdId, declarationId: this.id, status: "OPEN" },
        data: { ...data, status: "RELEASED" },
      }),
    );
  }

  addDuties(lines: Omit<Prisma.DutyAssessmentCreateManyInput, "declarationId">[]): Promise<DutyAssessmentRow[]> {
    return this.tx.dutyAssessment.createManyAndReturn({ data: lines.map((l) => ({ ...l, declarationId: this.id })) });
  }

  /** Compare-and-set on the version, which goes up by one; null when the version moved on. */
  amend(expectedVersion: number, data: Prisma.DeclarationUpdateInput): Promise<DeclarationRow | null> {
    return orNull(
      this.tx.declaration.update({
        where: { id: this.id, version: expectedVersion },
        data: { ...data, version: { increment: 1 } },
      }),
    );
  }
}

/** All of the workflow's SQL; no rules here, only storage. */
export class WorkflowRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Runs `work` in one transaction that first takes the declaration's row lock
   * (SELECT ... FOR UPDATE) and then reads the row as it is now. Null when there is no
   * such declaration. Throwing inside `work` rolls everything back.
   */
  locked<T>(declarationId: string, work: (d: LockedDeclaration) => Promise<T>): Promise<T | null> {
    return this.prisma.$transaction(
      async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT "id" FROM "Declaration" WHERE "id" = ${declarationId}::uuid FOR UPDATE`;
        if (!locked.length) return null;
        const current = await tx.declaration.findUniqueOrThrow({ where: { id: declarationId } });
        return work(new LockedDeclaration(tx, current));
      },
      { maxWait: 10_000, timeout: 20_000 },
    );
  }

  findHold(id: string): Promise<HoldRow | null> {
    return this.prisma.hold.findUnique({ where: { id } });
  }

  findAlert(id: string): Promise<RiskAlertRow | null> {
    return this.prisma.riskAlert.findUnique({ where: { id } });
  }

  createAlert(data: Prisma.RiskAlertUncheckedCreateInput): Promise<RiskAlertRow> {
    return this.prisma.riskAlert.create({ data });
  }

  /** Compare-and-set OPEN -> `status`; null when the alert was resolved already. */
  resolveAlert(
    id: string,
    data: { status: Exclude<AlertStatus, "OPEN">; resolvedById: string; resolutionNote: string | null; resolvedAt: Date },
  ): Promise<RiskAlertRow | null> {
    return orNull(this.prisma.riskAlert.update({ where: { id, status: "OPEN" }, data }));
  }
}
