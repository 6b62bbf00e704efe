import type { PrismaClient } from "../../generated/prisma/client";
import type { DeclarationStatus } from "../../generated/prisma/enums";
import type { HubContext } from "../../context/context";
import { NotFoundError } from "../../shared/errors";
import { isUuid } from "../../shared/validation";
import type { Kept, WriteJournal, WriteService } from "../writes";
import { assertMove, illegalTransition } from "./workflow.lifecycle";
import { WorkflowRepository, type DeclarationRow, type LockedDeclaration } from "./workflow.repository";

export interface StatusChange {
  declarationId: string;
  previousStatus: DeclarationStatus;
  status: DeclarationStatus;
}

/**
 * What the workflow's writes share: the declaration as the caller may see it, the locked
 * transaction that carries the write with its journal, guarded status moves, publishing.
 */
export class WorkflowSupport {
  readonly repo: WorkflowRepository;

  constructor(
    prisma: PrismaClient,
    readonly writes: WriteService,
  ) {
    this.repo = new WorkflowRepository(prisma);
  }

  /** NOT_FOUND when it does not exist or is not the caller's to see. */
  visible(ctx: HubContext, declarationId: string): Promise<DeclarationRow> {
    return ctx.hub.services.declarations.get(ctx, declarationId);
  }

  /**
   * A child record (hold, alert) by id, NOT_FOUND (named after the child, never its
   * declaration) unless the caller sees its declaration and may read `category` of it.
   */
  async visibleChild<R extends { declarationId: string }>(
    ctx: HubContext,
    what: string,
    id: string,
    find: (id: string) => Promise<R | null>,
    readable: (row: R) => boolean,
  ): Promise<{ row: R; declaration: DeclarationRow }> {
    const row = isUuid(id) ? await find(id) : null;
    if (!row) throw new NotFoundError(what, id);
    const declaration = await this.visible(ctx, row.declarationId).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new NotFoundError(what, id) : e;
    });
    if (!readable(row)) throw new NotFoundError(what, id);
    return { row, declaration };
  }

  /**
   * An idempotent, journaled write of one record on a declaration (a status event, an alert,
   * a hold, an answer to a referral), kept by its id: a replay returns that record, read again
   * under the caller's policy (NOT_FOUND once the caller no longer sees its declaration).
   */
  writeChild<R extends { id: string; declarationId: string }>(
    ctx: HubContext,
    write: { operation: string; idempotencyKey: string | null | undefined; request: unknown; what: string; find: (id: string) => Promise<R | null> },
    work: (journal: WriteJournal<R>) => Promise<R>,
  ): Promise<R> {
    const { what, find, ...spec } = write;
    const replay = async (kept: Kept) => {
      const id = (kept as { ids: string[] }).ids[0];
      const row = await find(id);
      if (!row) throw new NotFoundError(what, id);
      await this.visible(ctx, row.declarationId).catch((e: unknown) => {
        throw e instanceof NotFoundError ? new NotFoundError(what, id) : e;
      });
      return row;
    };
    return this.writes.run<R>(ctx, { ...spec, keep: (row) => ({ ids: [row.id] }), replay }, work);
  }

  /**
   * Runs `work` on the locked declaration in the journal's transaction: the write, its
   * audit entries, its outbox events and its idempotency record commit together.
   */
  locked<T>(journal: WriteJournal<T>, declarationId: string, work: (d: LockedDeclaration, changes: StatusChange[]) => Promise<T>): Promise<T> {
    const changes: StatusChange[] = [];
    return journal.transaction(async (tx) => {
      const d = await this.repo.lock(tx, declarationId);
      if (!d) throw new NotFoundError("Declaration", declarationId);
      return work(d, changes);
    });
  }

  /** Moves the locked declaration through the transition table and notes the change. */
  async move(d: LockedDeclaration, to: DeclarationStatus, at: Date, changes: StatusChange[], journal: WriteJournal<unknown>): Promise<void> {
    const from = d.current.status;
    assertMove(d.id, from, to);
    const row = await d.moveStatus(from, to, at);
    if (!row) throw illegalTransition(d.id, from, to, "the declaration changed concurrently; reload and retry");
    changes.push({ declarationId: d.id, previousStatus: from, status: to });
    journal.emit("STATUS_CHANGED", d.id, { from, to }, at);
    journal.record(
      {
        operation: "declaration:status",
        recordType: "Declaration",
        recordId: d.id,
        declarationId: d.id,
        holderId: d.current.filerId,
        changes: { status: { before: from, after: to }, ...(to === "RELEASED" ? { releasedAt: { before: null, after: at.toISOString() } } : {}) },
      },
      at,
    );
  }
}
