import { Arg, Ctx, ID, Int, Mutation, Resolver } from "type-graphql";
import type { HubContext } from "../../context/context";
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
  "the statutory baseline and agreements (FORBIDDEN otherwise).";

/**
 * Thin: arguments in, service call, result out. Rows come back as the existing object
 * types, so the field guards decide what of them the caller reads.
 */
@Resolver()
export class WorkflowResolver {
  @Mutation(() => StatusEvent, {
    description:
      `Record a parcel lifecycle event (contribution STATUS_EVENTS). ARRIVED, DELIVERED and RETURNED move the ` +
      `declaration's status; RELEASED_FROM_CUSTOMS and SEIZED_BY_CUSTOMS are customs decisions that also need ` +
      `the HOLDS contribution. A move the lifecycle does not allow is a CONFLICT. ${WRITE_RULES}`,
  })
  recordStatusEvent(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("input", () => StatusEventInput) input: StatusEventInput,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).recordStatusEvent(ctx, declarationId, input);
  }

  @Mutation(() => RiskAlert, {
    description: `Raise a risk alert (contribution RISK_ALERTS). Alerts never change the declaration's status. ${WRITE_RULES}`,
  })
  raiseRiskAlert(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("input", () => RiskAlertInput) input: RiskAlertInput,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).raiseRiskAlert(ctx, declarationId, input);
  }

  @Mutation(() => RiskAlert, {
    description:
      "Confirm or dismiss an OPEN risk alert: the party that raised it or customs of the destination country, " +
      "with the RISK_ALERTS contribution on its declaration. Already resolved: CONFLICT.",
  })
  resolveRiskAlert(
    @Arg("alertId", () => ID) alertId: string,
    @Arg("input", () => ResolveRiskAlertInput) input: ResolveRiskAlertInput,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).resolveRiskAlert(ctx, alertId, input);
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
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).placeHold(ctx, declarationId, input);
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
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).releaseHold(ctx, holdId, input ?? {});
  }

  @Mutation(() => [DutyAssessment], {
    description:
      "Assess duties and taxes (contribution DUTIES): ARRIVED -> DUTIES_ASSESSED; more lines may follow while " +
      `DUTIES_ASSESSED or HELD. Returns the lines created. ${WRITE_RULES}`,
  })
  assessDuties(
    @Arg("declarationId", () => ID) declarationId: string,
    @Arg("input", () => AssessDutiesInput) input: AssessDutiesInput,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).assessDuties(ctx, declarationId, input);
  }

  @Mutation(() => Declaration, {
    description:
      "Amend a declaration's own data (contribution AMEND: the filer). expectedVersion must be the current " +
      "version (CONFLICT otherwise); the version goes up by one. The IOSS number cannot change after release " +
      `(CONFLICT). ${WRITE_RULES}`,
  })
  amendDeclaration(
    @Arg("id", () => ID) id: string,
    @Arg("expectedVersion", () => Int) expectedVersion: number,
    @Arg("input", () => AmendDeclarationInput) input: AmendDeclarationInput,
    @Ctx() ctx: HubContext,
  ) {
    return workflow(ctx).amendDeclaration(ctx, id, expectedVersion, input);
  }
}
