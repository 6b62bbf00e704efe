import { Arg, Ctx, ID, Int, Mutation, Resolver } from "type-graphql";
import type { HubContext } from "../../context/context";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import { Declaration, DutyAssessment, Hold, RiskAlert, StatusEvent } from "../declarations/declarations.types";
import {
  AmendDeclarationInput,
  AssessDutiesInput,
  PlaceHoldInput,
  ReleaseHoldInput,
  ResolveRiskAlertInput,
  RiskAlertInput,
  StatusEventInput,
} from "./workflow.inputs";
import type { WorkflowService } from "./workflow.service";

function workflow(ctx: HubContext): WorkflowService {
  return ctx.hub.services.workflow;
}

const WRITE_RULES =
  "The declaration must be one you may see (NOT_FOUND otherwise); the right to contribute comes from your role, " +
  "the authority table and agreements (FORBIDDEN otherwise; see README \"Who may do what\").";

/**
 * Thin: arguments in, service call, result out. Rows come back as the existing object
 * types, so the field guards decide what of them the caller reads.
 */
@Resolver()
export class WorkflowResolver {
  @Mutation(() => StatusEvent, {
    description:
      `Record a parcel lifecycle event. Who may record each code is in the authority table (e.g. ARRIVED: the named ` +
      `carrier or post, or customs; RELEASED_FROM_CUSTOMS, SEIZED_BY_CUSTOMS and RETURNED after arrival: customs of ` +
      `the destination only). A note written by customs is RISK data (customsNote). A move the lifecycle does not ` +
      `allow is a CONFLICT. ${WRITE_RULES}`,
  })
  recordStatusEvent(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("input", () => StatusEventInput) input: StatusEventInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).recordStatusEvent(ctx, declarationId, input, idempotencyKey);
  }

  @Mutation(() => RiskAlert, {
    description: `Raise a risk alert (contribution RISK_ALERTS). Alerts never change the declaration's status. ${WRITE_RULES}`,
  })
  raiseRiskAlert(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("input", () => RiskAlertInput) input: RiskAlertInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).raiseRiskAlert(ctx, declarationId, input, idempotencyKey);
  }

  @Mutation(() => RiskAlert, {
    description:
      "Confirm or dismiss an OPEN risk alert: the party that raised it or customs of the destination country, " +
      "with the RISK_ALERTS contribution on its declaration. Already resolved: CONFLICT.",
  })
  resolveRiskAlert(
    @Arg("alertId", () => ID) alertId: string,
    @Arg("input", () => ResolveRiskAlertInput) input: ResolveRiskAlertInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).resolveRiskAlert(ctx, alertId, input, idempotencyKey);
  }

  @Mutation(() => Hold, {
    description:
      "Place a hold (contribution HOLDS). RFI -> status RFI, HIGH_RISK_SCREENING -> SCREENING, DO_NOT_LOAD -> " +
      "DO_NOT_LOAD (before arrival; with several open, the most severe wins); INSPECTION and DOCUMENTS_REQUIRED -> " +
      `HELD (after arrival). A hold that does not fit the stage is a CONFLICT. ${WRITE_RULES}`,
  })
  placeHold(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("input", () => PlaceHoldInput) input: PlaceHoldInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).placeHold(ctx, declarationId, input, idempotencyKey);
  }

  @Mutation(() => Hold, {
    description:
      "Release an OPEN hold (contribution HOLDS). DO_NOT_LOAD and HIGH_RISK_SCREENING need input.outcome " +
      "(BAD_USER_INPUT). The last open hold released: pre-loading -> CLEARED_TO_LOAD; at destination -> " +
      "DUTIES_ASSESSED if duties were assessed, else ARRIVED (release the goods with status event " +
      "RELEASED_FROM_CUSTOMS). Already released: CONFLICT.",
  })
  releaseHold(
    @Arg("holdId", () => ID) holdId: string,
    @Arg("input", () => ReleaseHoldInput, { nullable: true }) input: ReleaseHoldInput | null,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).releaseHold(ctx, holdId, input ?? {}, idempotencyKey);
  }

  @Mutation(() => [DutyAssessment], {
    description:
      "Assess duties and taxes (customs of the destination; contribution DUTIES), computed from the rules in force at " +
      "the taxable event (tariff, flat low-value duty, de minimis, IOSS, VAT, exchange rates); each line explains " +
      "itself and records the rule versions used; customs may override a line with a reason. ARRIVED -> " +
      "DUTIES_ASSESSED. A later call is a correction (correctionReason required) that supersedes the previous " +
      `version; it never adds to it. Returns the lines of the new version. ${WRITE_RULES}`,
  })
  assessDuties(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("input", () => AssessDutiesInput, { nullable: true }) input: AssessDutiesInput | null,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).duties.assess(ctx, declarationId, input, idempotencyKey);
  }

  @Mutation(() => Declaration, {
    description:
      "Amend a declaration's own data (the filer; contribution AMEND). expectedVersion must be the current " +
      "version (CONFLICT otherwise); the version goes up by one and the change is kept in the write audit trail. " +
      `After release, values (total value, currency, weight, IOSS number, incoterm) cannot change (CONFLICT). ${WRITE_RULES}`,
  })
  amendDeclaration(
    @Arg("id", () => ID) id: string,
    @Arg("expectedVersion", () => Int) expectedVersion: number,
    @Arg("input", () => AmendDeclarationInput) input: AmendDeclarationInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).amendments.amend(ctx, id, expectedVersion, input, idempotencyKey);
  }

  @Mutation(() => Declaration, {
    description:
      "Register a filed declaration (customs officers of the destination): FILED -> REGISTERED with a movement " +
      "reference, given (YY + country + 14 letters or digits) or assigned. " + WRITE_RULES,
  })
  registerDeclaration(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("movementReference", () => String, { nullable: true }) movementReference: string | null,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).registerDeclaration(ctx, declarationId, movementReference, idempotencyKey);
  }
}
