import { HoldKind, ScreeningOutcome } from "../../generated/prisma/enums";
import { CATEGORY_BIT } from "../../authz/categories";
import { requirePrincipal, type HubContext } from "../../context/context";
import { BadUserInputError, ConflictError } from "../../shared/errors";
import { at, oneOf, optionalString, Problems, requiredString } from "../../shared/validation";
import { changesOf, type WriteJournal } from "../writes";
import type { AnswerReferralInput, EscalateHoldInput, PlaceHoldInput } from "./workflow.inputs";
import { FINAL_STATUSES, HOLD_STATUS, illegalTransition, statusWithOpenHolds } from "./workflow.lifecycle";
import type { DeclarationRow, HoldRow } from "./workflow.repository";
import type { WorkflowSupport } from "./workflow.support";

const MAX_TEXT = 2000;
const MAX_DOCUMENTS = 20;
const MAX_DOCUMENT_REF = 200;
const HOUR_MS = 3_600_000;
/** An RFI is due this long after it is placed when customs do not say. */
export const DEFAULT_RFI_HOURS = 48;

/** Each kind's next step up (ICS2: request for information, for screening, do not load). */
export const ESCALATION: Readonly<Partial<Record<HoldKind, readonly HoldKind[]>>> = {
  RFI: ["HIGH_RISK_SCREENING", "DO_NOT_LOAD"],
  HIGH_RISK_SCREENING: ["DO_NOT_LOAD"],
  DOCUMENTS_REQUIRED: ["INSPECTION"],
};


/** What an RFI asks when customs do not word it (ICS2's standard request: the invoice and a precise description). */
export const DEFAULT_RFI_QUESTION =
  "Customs request information on this consignment: please provide the commercial invoice and a precise description of the goods (nature, use, value).";

/** The referral part of a hold's input: question and due date, checked. */
function referralOf(p: Problems, kind: HoldKind, input: { question?: string | null; dueAt?: Date | null } | null | undefined, now: Date) {
  const question = optionalString(p, "input.question", input?.question, MAX_TEXT) ?? (kind === "RFI" ? DEFAULT_RFI_QUESTION : null);
  let dueAt: Date | null = null;
  if (input?.dueAt != null) {
    dueAt = input.dueAt instanceof Date && !Number.isNaN(input.dueAt.getTime()) ? input.dueAt : null;
    if (!dueAt) p.add("input.dueAt", "must be a date-time");
    else if (dueAt.getTime() <= now.getTime()) p.add("input.dueAt", "must be in the future");
  } else if (kind === "RFI") dueAt = new Date(now.getTime() + DEFAULT_RFI_HOURS * HOUR_MS);
  return { question, dueAt };
}

/**
 * A hold to place, read from placeHold's or escalateHold's input: its kind (which `allowKind`,
 * when given, may refuse before the permission is asked), the caller's permission to place
 * that kind on the declaration, then its reason and referral. Problems are thrown with their
 * input paths; `at` is the placing time.
 */
export async function readHoldPlacement(
  ctx: HubContext,
  declaration: DeclarationRow,
  input: PlaceHoldInput | EscalateHoldInput | null | undefined,
  allowKind?: (kind: HoldKind) => void,
): Promise<{ kind: HoldKind; reason: string; at: Date; referral: ReturnType<typeof referralOf> }> {
  const p = new Problems();
  const kind = oneOf(p, "input.kind", input?.kind, Object.values(HoldKind));
  p.throwIfAny();
  allowKind?.(kind!);
  await ctx.authz.assert(`hold:place:${kind!}`, { declaration });
  const reason = requiredString(p, "input.reason", input?.reason, MAX_TEXT);
  const at = new Date();
  const referral = referralOf(p, kind!, input, at);
  p.throwIfAny();
  return { kind: kind!, reason: reason!, at, referral };
}

/**
 * The referral exchange (ICS2): a hold names its addressee, the filer; the addressee reads
 * the question and answers (text, document references, for a screening its coded outcome),
 * kept with the hold; customs then release the hold (releaseHold) or escalate it here to a
 * more severe kind, which closes it and places the next one in the same transaction.
 */
export class Referrals {
  constructor(private readonly support: WorkflowSupport) {}

  /** An idempotent, journaled write on a hold the caller sees (NOT_FOUND otherwise); `work` asks the authority itself. */
  private onVisibleHold(
    ctx: HubContext,
    operation: string,
    holdId: string,
    input: unknown,
    idempotencyKey: string | null | undefined,
    work: (journal: WriteJournal<HoldRow>, hold: HoldRow, declaration: DeclarationRow) => Promise<HoldRow>,
  ): Promise<HoldRow> {
    return this.support.writeChild<HoldRow>(
      ctx,
      { operation, idempotencyKey, request: { holdId, input }, what: "Hold", find: (id) => this.support.repo.findHold(id) },
      async (journal) => {
        const { row: hold, declaration } = await this.support.visibleChild(ctx, "Hold", holdId, (id) => this.support.repo.findHold(id), (h) =>
          (ctx.authz.readableMask("Hold", h) & CATEGORY_BIT.STATUS) !== 0,
        );
        return work(journal, hold, declaration);
      },
    );
  }

  async answer(ctx: HubContext, holdId: string, input: AnswerReferralInput, idempotencyKey?: string | null): Promise<HoldRow> {
    const principal = requirePrincipal(ctx);
    return this.onVisibleHold(ctx, "answerReferral", holdId, input, idempotencyKey, async (journal, hold, declaration) => {
      await ctx.authz.assert("referral:answer", { declaration, addresseeId: hold.addresseeId });
      const answer = checkAnswer(hold, input);
      return this.support.locked(journal, hold.declarationId, async (d) => {
        const now = new Date();
        const row = await d.answerHold(hold.id, { ...answer, answeredAt: now, answeredById: principal.partyId });
        if (!row) {
          const current = await d.findHold(hold.id);
          throw new ConflictError(
            current?.status !== "OPEN" ? `Hold ${hold.id} was released; it takes no answer` : `Hold ${hold.id} was answered already`,
            { holdId: hold.id },
          );
        }
        journal.record(
          {
            recordType: "Hold",
            recordId: hold.id,
            declarationId: d.id,
            holderId: hold.addresseeId,
            changes: changesOf(hold, row, ["answerText", "answerDocuments", "screeningOutcome", "answeredAt", "answeredById"]),
          },
          now,
        );
        journal.emit("REFERRAL_ANSWERED", d.id, { holdId: hold.id, kind: hold.kind }, now);
        return row;
      });
    });
  }

  /** Customs close the hold as escalated and place the more severe one, addressed to the same party. */
  async escalate(ctx: HubContext, holdId: string, input: EscalateHoldInput, idempotencyKey?: string | null): Promise<HoldRow> {
    const principal = requirePrincipal(ctx);
    return this.onVisibleHold(ctx, "escalateHold", holdId, input, idempotencyKey, async (journal, hold, declaration) => {
      await ctx.authz.assert(`hold:release:${hold.kind}`, { declaration });
      const { kind, reason, at: now, referral } = await readHoldPlacement(ctx, declaration, input, (kind) => {
        if (!(ESCALATION[hold.kind] ?? []).includes(kind)) {
          throw BadUserInputError.at("input.kind", `a ${hold.kind} hold escalates to ${(ESCALATION[hold.kind] ?? []).join(" or ") || "nothing"}, not ${kind}`);
        }
      });
      return this.support.locked(journal, hold.declarationId, async (d, changes) => {
        if (FINAL_STATUSES.has(d.current.status)) throw illegalTransition(d.id, d.current.status, HOLD_STATUS[kind], "the declaration is final");
        const open = (await d.openHolds()).filter((h) => h.id !== hold.id);
        const next = await d.addHold({ placedById: principal.partyId, kind, reason, placedAt: now, addresseeId: d.current.filerId, ...referral });
        const closed = await d.closeHold(hold.id, { releasedById: principal.partyId, releasedAt: now, outcome: `ESCALATED to ${kind}: ${reason}`, response: null }, next.id);
        if (!closed) throw new ConflictError(`Hold ${hold.id} was already released`, { from: "RELEASED", to: "RELEASED" });
        journal.record({ recordType: "Hold", recordId: hold.id, declarationId: d.id, holderId: hold.placedById, changes: changesOf(hold, closed, ["status", "releasedAt", "releasedById", "outcome", "escalatedToId"]) }, now);
        journal.record({ recordType: "Hold", recordId: next.id, declarationId: d.id, holderId: principal.partyId, changes: changesOf(null, next) }, now);
        journal.emit("HOLD_RELEASED", d.id, { holdId: hold.id, kind: hold.kind }, now);
        journal.emit("HOLD_PLACED", d.id, { holdId: next.id, kind: next.kind }, now);
        // the status follows the open holds: the new one counts, the closed one no longer
        const target = statusWithOpenHolds([...open.map((h) => h.kind), kind]);
        if (target && target !== d.current.status) await this.support.move(d, target, now, changes, journal);
        return next;
      });
    });
  }
}

/** The answer as the hold's kind takes it; BAD_USER_INPUT naming what is missing or wrong. */
function checkAnswer(hold: HoldRow, input: AnswerReferralInput | null | undefined) {
  const p = new Problems();
  if (hold.kind === "DO_NOT_LOAD") {
    throw new ConflictError(`Hold ${hold.id} is a DO_NOT_LOAD instruction: it takes no answer; the parcel must not be loaded`, { holdId: hold.id });
  }
  const answerText = optionalString(p, "input.text", input?.text, MAX_TEXT) ?? null;
  const docs = input?.documentReferences ?? [];
  const answerDocuments: string[] = [];
  if (!Array.isArray(docs)) p.add("input.documentReferences", "must be a list");
  else if (docs.length > MAX_DOCUMENTS) p.add("input.documentReferences", `must list at most ${MAX_DOCUMENTS} references`);
  else docs.forEach((x, i) => {
    const v = optionalString(p, at("input.documentReferences", i), x, MAX_DOCUMENT_REF);
    if (v) answerDocuments.push(v);
    else if (v === null) p.add(at("input.documentReferences", i), "must not be blank");
  });
  const screeningOutcome = input?.screeningOutcome == null ? null : oneOf(p, "input.screeningOutcome", input.screeningOutcome, Object.values(ScreeningOutcome)) ?? null;
  if (hold.kind === "HIGH_RISK_SCREENING" && !screeningOutcome) p.add("input.screeningOutcome", "a screening referral is answered with the coded outcome of the screening");
  if (hold.kind !== "HIGH_RISK_SCREENING" && screeningOutcome) p.add("input.screeningOutcome", `only a HIGH_RISK_SCREENING referral takes a screening outcome, not ${hold.kind}`);
  if (hold.kind !== "HIGH_RISK_SCREENING" && !answerText && !answerDocuments.length) p.add("input.text", "give the answer's text or document references");
  p.throwIfAny();
  return { answerText, answerDocuments, screeningOutcome };
}

