import type { PrismaClient } from "../../generated/prisma/client";
import { AlertSeverity } from "../../generated/prisma/enums";
import { CATEGORY_BIT } from "../../authz/categories";
import { writesRiskNotes } from "../../authz/authority";
import { requirePrincipal, type HubContext } from "../../context/context";
import { ConflictError, NotFoundError } from "../../shared/errors";
import { oneOf, optionalString, Problems, requiredString } from "../../shared/validation";
import { changesOf, type Kept, type WriteJournal, type WriteService } from "../writes";
import type { PlaceHoldInput, ReleaseHoldInput, ResolveRiskAlertInput, RiskAlertInput, StatusEventInput } from "./workflow.inputs";
import { EVENT_EFFECT, StatusEventCode, assertEventMove, statusAfterPlacing, statusAfterReleasing } from "./workflow.lifecycle";
import type { DeclarationRow, HoldRow, RiskAlertRow, StatusEventRow } from "./workflow.repository";
import { WorkflowSupport } from "./workflow.support";
import { DutyAssessor } from "./workflow.duties";
import { Amendments } from "./workflow.amendments";
import { Referrals, readHoldPlacement } from "./workflow.referrals";
import { WorkflowRisk } from "./workflow.risk";
import { newMovementReference, type RiskAssessor } from "../risk/risk.assessor";

/** How far in the future an event may be dated (clock skew between partners' systems). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const MAX_TEXT = 2000;
const LIMITS = { place: 100, rule: 100 };
const REASON_CODE = /^[A-Z0-9_-]{1,32}$/;
const MOVEMENT_REFERENCE = /^\d{2}[A-Z]{2}[A-Z0-9]{14}$/;

const ids = (kept: Kept) => (kept as { ids: string[] }).ids;

/**
 * Contributions to a declaration after filing: status events, registration, risk alerts,
 * holds; duties (workflow.duties.ts) and amendments (workflow.amendments.ts).
 *
 * Every operation loads the declaration through the caller's row filter (NOT_FOUND when it
 * does not exist or is not the caller's to see), then asks the policy engine
 * (`ctx.authz.assert(action, resource)`, table in src/authz/authority.ts): FORBIDDEN without
 * a basis. Writes that change a declaration run in one transaction holding its row lock,
 * re-check the authority and the move against the transition table there, and store their
 * audit entries and idempotency record in the same transaction.
 *
 * Risk alerts never change the status, so a trade party reading STATUS cannot tell that a
 * parcel was targeted.
 */
export class WorkflowService {
  private readonly support: WorkflowSupport;
  readonly duties: DutyAssessor;
  readonly amendments: Amendments;
  readonly referrals: Referrals;

  private readonly risk: WorkflowRisk;

  /** `risk`: assessment at registration and after amendments, where the destination has it on */
  constructor(prisma: PrismaClient, writes: WriteService, risk?: RiskAssessor) {
    this.support = new WorkflowSupport(prisma, writes);
    this.risk = new WorkflowRisk(this.support, risk);
    this.duties = new DutyAssessor(this.support);
    this.amendments = new Amendments(this.support, this.risk);
    this.referrals = new Referrals(this.support);
  }

  private get repo() {
    return this.support.repo;
  }

  // ---- status events ------------------------------------------------------------------

  async recordStatusEvent(ctx: HubContext, declarationId: string, input: StatusEventInput, idempotencyKey?: string | null): Promise<StatusEventRow> {
    const principal = requirePrincipal(ctx);
    return this.support.writeChild(
      ctx,
      { operation: "recordStatusEvent", idempotencyKey, request: { declarationId, input }, what: "Status event", find: (id) => this.repo.findStatusEvent(id) },
      async (journal) => {
        const declaration = await this.support.visible(ctx, declarationId);
        const p = new Problems();
        const code = oneOf(p, "input.code", input?.code, Object.values(StatusEventCode));
        p.throwIfAny();
        await ctx.authz.assert(`statusEvent:${code!}`, { declaration });
        const occurredAt = input?.occurredAt instanceof Date ? input.occurredAt : new Date(NaN);
        if (Number.isNaN(occurredAt.getTime())) p.add("input.occurredAt", "must be a date-time");
        else if (occurredAt.getTime() > Date.now() + MAX_CLOCK_SKEW_MS) p.add("input.occurredAt", "must not be in the future");
        const place = optionalString(p, "input.place", input?.place, LIMITS.place);
        const reasons = EVENT_EFFECT[code!].reasons;
        const reasonCode = input?.reasonCode == null || input.reasonCode === "" ? null : reasons
          ? oneOf(p, "input.reasonCode", String(input.reasonCode).trim().toUpperCase(), reasons) ?? null
          : (p.add("input.reasonCode", `${code} takes no reason`), null);
        const note = optionalString(p, "input.note", input?.note, MAX_TEXT);
        p.throwIfAny();

        const effect = EVENT_EFFECT[code!];
        // Customs' notes are RISK data; a trade party's note is STATUS data.
        const notes = writesRiskNotes(principal) ? { note: null, customsNote: note } : { note, customsNote: null };
        return this.support.locked(journal, declaration.id, async (d, changes) => {
          await ctx.authz.assert(`statusEvent:${code!}`, { declaration: d.current }); // the stage may have moved on
          if (effect.moves) assertEventMove(d.id, d.current.status, effect.moves);
          const at = new Date();
          const row = await d.addStatusEvent({ recordedById: principal.partyId, code: code!, reasonCode, occurredAt, place, ...notes, createdAt: at });
          journal.record({ recordType: "StatusEvent", recordId: row.id, declarationId: d.id, holderId: principal.partyId, changes: changesOf(null, row) }, at);
          if (effect.moves) await this.support.move(d, effect.moves, at, changes, journal);
          return row;
        });
      },
    );
  }

  // ---- registration -------------------------------------------------------------------

  /**
   * Customs register a filed declaration: FILED -> REGISTERED with a movement reference.
   * Where the destination's customs assess risk, the rules in force then run on it in the
   * same transaction: REGISTERED -> RISK_ASSESSED -> CLEARED_TO_LOAD, or the status of the
   * holds the rules placed (as ICS2 does on receipt of a filing).
   */
  async registerDeclaration(ctx: HubContext, declarationId: string, movementReference?: string | null, idempotencyKey?: string | null): Promise<DeclarationRow> {
    const row = await this.support.writes.run<DeclarationRow>(
      ctx,
      {
        operation: "registerDeclaration",
        idempotencyKey,
        request: { declarationId, movementReference },
        keep: (row) => ({ ids: [row.id] }),
        replay: (kept) => this.support.visible(ctx, ids(kept)[0]),
      },
      async (journal) => {
        const declaration = await this.support.visible(ctx, declarationId);
        await ctx.authz.assert("declaration:register", { declaration });
        const p = new Problems();
        const given = optionalString(p, "movementReference", movementReference, 18)?.toUpperCase();
        if (given && !MOVEMENT_REFERENCE.test(given)) p.add("movementReference", "must be 2 digits of year, 2 letters of country and 14 letters or digits");
        p.throwIfAny();
        const mrn = given ?? newMovementReference(declaration.destinationCountry);
        const risk = await this.risk.prepare(declaration.destinationCountry, new Date());
        return this.support.locked(journal, declaration.id, async (d, changes) => {
          await ctx.authz.assert("declaration:register", { declaration: d.current });
          if (d.current.movementReference) {
            throw new ConflictError(`Declaration ${d.id} is registered already (${d.current.movementReference})`, { from: d.current.status, to: "REGISTERED" });
          }
          const at = new Date();
          await this.support.move(d, "REGISTERED", at, changes, journal);
          if (await d.movementReferenceTaken(mrn)) throw new ConflictError(`Movement reference ${mrn} is in use`, { movementReference: mrn });
          await d.setMovementReference(mrn);
          journal.record({ recordType: "Declaration", recordId: d.id, declarationId: d.id, holderId: d.current.filerId, changes: { movementReference: { before: null, after: mrn } } }, at);
          if (risk) await this.risk.apply(d, risk, journal as WriteJournal<unknown>, changes, at, "register");
          return d.current;
        });
      },
    );
    (await ctx.authz.policy()).rememberScope(row);
    return row;
  }

  // ---- risk alerts --------------------------------------------------------------------

  async raiseRiskAlert(ctx: HubContext, declarationId: string, input: RiskAlertInput, idempotencyKey?: string | null): Promise<RiskAlertRow> {
    const principal = requirePrincipal(ctx);
    return this.support.writeChild(
      ctx,
      { operation: "raiseRiskAlert", idempotencyKey, request: { declarationId, input }, what: "Risk alert", find: (id) => this.repo.findAlert(id) },
      async (journal) => {
        const declaration = await this.support.visible(ctx, declarationId);
        await ctx.authz.assert("riskAlert:raise", { declaration });
        const p = new Problems();
        const severity = oneOf(p, "input.severity", input?.severity, Object.values(AlertSeverity));
        const reasonCode = requiredString(p, "input.reasonCode", input?.reasonCode, 32)?.toUpperCase();
        if (reasonCode && !REASON_CODE.test(reasonCode)) p.add("input.reasonCode", "must be 1 to 32 of A-Z, 0-9, '_' and '-'");
        const reason = requiredString(p, "input.reason", input?.reason, MAX_TEXT);
        const raisedByRule = optionalString(p, "input.raisedByRule", input?.raisedByRule, LIMITS.rule);
        p.throwIfAny();
        return journal.transaction(async (tx) => {
          const at = new Date();
          const row = await this.repo.createAlert(tx, {
            declarationId: declaration.id,
            raisedById: principal.partyId,
            raisedByRule: raisedByRule ?? null,
            severity: severity!,
            reasonCode: reasonCode!,
            reason: reason!,
            createdAt: at,
          });
          journal.record({ recordType: "RiskAlert", recordId: row.id, declarationId: declaration.id, holderId: principal.partyId, changes: changesOf(null, row) }, at);
          journal.emit("ALERT_RAISED", declaration.id, { alertId: row.id, raisedById: row.raisedById }, at);
          return row;
        });
      },
    );
  }

  /** Customs of the destination, or the party that raised it while it may still raise alerts there. */
  async resolveRiskAlert(ctx: HubContext, alertId: string, input: ResolveRiskAlertInput, idempotencyKey?: string | null): Promise<RiskAlertRow> {
    const principal = requirePrincipal(ctx);
    return this.support.writeChild(
      ctx,
      { operation: "resolveRiskAlert", idempotencyKey, request: { alertId, input }, what: "Risk alert", find: (id) => this.repo.findAlert(id) },
      async (journal) => {
        const { row: alert, declaration } = await this.support.visibleChild(ctx, "Risk alert", alertId, (id) => this.repo.findAlert(id), (a) =>
          this.readable(ctx, "RiskAlert", a, CATEGORY_BIT.RISK),
        );
        await ctx.authz.assert("riskAlert:resolve", { declaration, alertAuthorId: alert.raisedById });
        const p = new Problems();
        const outcome = oneOf(p, "input.outcome", input?.outcome, ["CONFIRMED", "DISMISSED"] as const);
        const note = optionalString(p, "input.note", input?.note, MAX_TEXT);
        p.throwIfAny();
        return journal.transaction(async (tx) => {
          const at = new Date();
          const resolved = await this.repo.resolveAlert(tx, alert.id, { status: outcome!, resolvedById: principal.partyId, resolutionNote: note ?? null, resolvedAt: at });
          if (!resolved) {
            const now = await this.repo.findAlert(alert.id, tx);
            throw new ConflictError(`Risk alert ${alert.id} was already resolved (${now?.status})`, { from: now?.status, to: outcome });
          }
          journal.record({ recordType: "RiskAlert", recordId: alert.id, declarationId: alert.declarationId, holderId: alert.raisedById, changes: changesOf(alert, resolved, ["status", "resolvedById", "resolutionNote", "resolvedAt"]) }, at);
          return resolved;
        });
      },
    );
  }

  // ---- holds --------------------------------------------------------------------------

  async placeHold(ctx: HubContext, declarationId: string, input: PlaceHoldInput, idempotencyKey?: string | null): Promise<HoldRow> {
    const principal = requirePrincipal(ctx);
    return this.support.writeChild(
      ctx,
      { operation: "placeHold", idempotencyKey, request: { declarationId, input }, what: "Hold", find: (id) => this.repo.findHold(id) },
      async (journal) => {
        const declaration = await this.support.visible(ctx, declarationId);
        const { kind, reason, at, referral } = await readHoldPlacement(ctx, declaration, input);
        return this.support.locked(journal, declaration.id, async (d, changes) => {
          const open = await d.openHolds();
          const next = statusAfterPlacing(d.id, d.current.status, open.map((h) => h.kind), kind);
          // the referral is addressed to the filer: it reads the question and answers
          const row = await d.addHold({ placedById: principal.partyId, kind, reason, placedAt: at, addresseeId: d.current.filerId, ...referral });
          journal.record({ recordType: "Hold", recordId: row.id, declarationId: d.id, holderId: principal.partyId, changes: changesOf(null, row) }, at);
          journal.emit("HOLD_PLACED", d.id, { holdId: row.id, kind: row.kind }, at);
          if (next) await this.support.move(d, next, at, changes, journal);
          return row;
        });
      },
    );
  }

  /**
   * Closes a hold. DO_NOT_LOAD and HIGH_RISK_SCREENING holds need the screening outcome
   * (BAD_USER_INPUT without one). When the last open hold goes, the declaration returns to
   * the stage the holds interrupted (see workflow.lifecycle.ts); releasing the goods
   * themselves is a separate customs decision (status event RELEASED_FROM_CUSTOMS).
   */
  async releaseHold(ctx: HubContext, holdId: string, input: ReleaseHoldInput, idempotencyKey?: string | null): Promise<HoldRow> {
    const principal = requirePrincipal(ctx);
    return this.support.writeChild(
      ctx,
      { operation: "releaseHold", idempotencyKey, request: { holdId, input }, what: "Hold", find: (id) => this.repo.findHold(id) },
      async (journal) => {
        const { row: hold, declaration } = await this.support.visibleChild(ctx, "Hold", holdId, (id) => this.repo.findHold(id), (h) =>
          this.readable(ctx, "Hold", h, CATEGORY_BIT.STATUS),
        );
        await ctx.authz.assert(`hold:release:${hold.kind}`, { declaration });
        const p = new Problems();
        const outcome = optionalString(p, "input.outcome", input?.outcome, MAX_TEXT);
        const response = optionalString(p, "input.response", input?.response, MAX_TEXT);
        // a screening answered with its coded outcome carries the outcome already
        if (outcome === null && (hold.kind === "DO_NOT_LOAD" || (hold.kind === "HIGH_RISK_SCREENING" && !hold.screeningOutcome))) {
          p.add("input.outcome", `a ${hold.kind} hold is released only with the outcome of the screening`);
        }
        p.throwIfAny();
        return this.support.locked(journal, hold.declarationId, async (d, changes) => {
          const at = new Date();
          const coded = hold.screeningOutcome ? `SCREENED ${hold.screeningOutcome}` : null;
          const row = await d.closeHold(hold.id, { releasedById: principal.partyId, releasedAt: at, outcome: outcome ?? coded, response: response ?? null });
          if (!row) throw new ConflictError(`Hold ${hold.id} was already released`, { from: "RELEASED", to: "RELEASED" });
          journal.record({ recordType: "Hold", recordId: hold.id, declarationId: d.id, holderId: hold.placedById, changes: changesOf(hold, row, ["status", "releasedAt", "releasedById", "outcome", "response"]) }, at);
          journal.emit("HOLD_RELEASED", d.id, { holdId: hold.id, kind: hold.kind }, at);
          const remaining = await d.openHolds();
          const hasDuties = d.current.dutiesVersion > 0;
          const next = statusAfterReleasing(d.id, d.current.status, remaining.map((h) => h.kind), hasDuties);
          if (next) await this.support.move(d, next, at, changes, journal);
          return row;
        });
      },
    );
  }

  // ---- helpers ------------------------------------------------------------------------

  private readable(ctx: HubContext, typeName: string, row: object, bit: number): boolean {
    return (ctx.authz.readableMask(typeName, row) & bit) !== 0;
  }
}
