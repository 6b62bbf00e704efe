import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import type { HubContext } from "../../context/context";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import { Hold, Referral } from "../declarations/declarations.types";
import { AnswerReferralInput, EscalateHoldInput } from "./workflow.inputs";
import type { HoldRow } from "./workflow.repository";

/** The referral exchange of a hold, as its own object: its fields are the addressee's data. */
function referralOf(h: HoldRow): Referral | null {
  if (!h.addresseeId) return null;
  return {
    id: h.id,
    declarationId: h.declarationId,
    addresseeId: h.addresseeId,
    question: h.question,
    dueAt: h.dueAt,
    answerText: h.answerText,
    answerDocuments: h.answerDocuments,
    screeningOutcome: h.screeningOutcome,
    answeredAt: h.answeredAt,
  } as Referral;
}

/** Thin: the referral exchange (answer by the addressee, escalation by customs) and Hold.referral. */
@Resolver(() => Hold)
export class ReferralResolver {
  @FieldResolver(() => Referral, { nullable: true })
  referral(@Root() h: HoldRow) {
    return referralOf(h);
  }

  @Mutation(() => Hold, {
    description:
      "Answer a referral addressed to you (the filer named on the hold): text and document references, and for a " +
      "HIGH_RISK_SCREENING the coded screening outcome. Kept with the hold; customs then release or escalate it. " +
      "A DO_NOT_LOAD takes no answer, a released or answered hold none more (CONFLICT). Anyone else: FORBIDDEN, " +
      "or NOT_FOUND where the hold is not theirs to see.",
  })
  answerReferral(
    @Arg("holdId", () => ID) holdId: string,
    @Arg("input", () => AnswerReferralInput) input: AnswerReferralInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.workflow.referrals.answer(ctx, holdId, input, idempotencyKey);
  }

  @Mutation(() => Hold, {
    description:
      "Escalate an open referral (customs of the destination, who may release this hold and place the next): the hold " +
      "is closed as escalated and the more severe one placed, addressed to the same filer, in one transaction. " +
      "Returns the new hold.",
  })
  escalateHold(
    @Arg("holdId", () => ID) holdId: string,
    @Arg("input", () => EscalateHoldInput) input: EscalateHoldInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.workflow.referrals.escalate(ctx, holdId, input, idempotencyKey);
  }
}
