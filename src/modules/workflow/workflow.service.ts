import { Decimal } from "@prisma/client/runtime/client";
import type { PrismaClient } from "../../generated/prisma/client";
import {
  AlertSeverity,
  CollectionModel,
  HoldKind,
  TaxType,
  type Contribution,
  type DeclarationStatus,
} from "../../generated/prisma/enums";
import { CATEGORY_BIT } from "../../authz/categories";
import type { Basis, Policy } from "../../authz/policy";
import type { Principal } from "../../authz/principal";
import { requirePrincipal, type HubContext } from "../../context/context";
import { TOPICS, type HubPubSub } from "../../infra/pubsub";
import { ConflictError, ForbiddenError, NotFoundError } from "../../shared/errors";
import {
  EU_MEMBER_STATES,
  INCOTERMS,
  isUuid,
  MONEY,
  Problems,
  WEIGHT_KG,
  at,
  currencyCode,
  iossNumber,
  oneOf,
  optionalCountryCode,
  optionalEmail,
  optionalString,
  positiveDecimal,
  requiredString,
  trackingNumber,
  type DecimalRule,
} from "../../shared/validation";
import type {
  AmendDeclarationInput,
  AssessDutiesInput,
  PlaceHoldInput,
  ReleaseHoldInput,
  ResolveRiskAlertInput,
  RiskAlertInput,
  StatusEventInput,
} from "./workflow.inputs";
import {
  EVENT_EFFECT,
  StatusEventCode,
  assertMove,
  illegalTransition,
  statusAfterAssessing,
  statusAfterPlacing,
  statusAfterReleasing,
} from "./workflow.lifecycle";
import {
  WorkflowRepository,
  type DeclarationRow,
  type DutyAssessmentRow,
  type HoldRow,
  type LockedDeclaration,
  type RiskAlertRow,
  type StatusEventRow,
} from "./workflow.repository";

/** Duty rates are fractions stored as NUMERIC(7,4): up to 999.9999 (duties above 100% exist). */
export const RATE: DecimalRule = { scale: 4, integerDigits: 3 };
export const MAX_DUTY_LINES = 50;
/** How far in the future an event may be dated (clock skew between partners' systems). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const MAX_TEXT = 2000;
const LIMITS = { place: 100, rule: 100, platformOrderId: 64, name: 200, address: 500 };
const REASON_CODE = /^[A-Z0-9_-]{1,32}$/;
/** The policy's basis for destination customs (policy.ts); used only to tell it from an agreement. */
const DESTINATION_CUSTOMS_RULE = "baseline:destination-customs";

/** What each contribution lets a party do, in the words of a FORBIDDEN message. */
const ACTION: Record<Contribution, string> = {
  STATUS_EVENTS: "record status events",
  RISK_ALERTS: "raise or resolve risk alerts",
  HOLDS: "place or release holds",
  DUTIES: "assess duties",
  AMEND: "amend",
};

interface StatusChange {
  declarationId: string;
  previousStatus: DeclarationStatus;
  status: DeclarationStatus;
}

interface Target {
  principal: Principal;
  policy: Policy;
  declaration: DeclarationRow;
  basis: Basis;
}

/**
 * Contributions to a declaration after filing: status events, risk alerts, holds, duties
 * and amendments.
 *
 * Every operation first loads the declaration through the caller's row filter
 * (DeclarationService.get: NOT_FOUND when it does not exist or is not the caller's to see),
 * then asks the policy's contributionBasis for the contribution; without a basis it is
 * FORBIDDEN. The hub operator contributes nothing (FORBIDDEN).
 *
 * Writes that change a declaration's status or holds run in one transaction holding the
 * declaration's row lock, re-read the row and check the move against the transition table
 * (workflow.lifecycle.ts) there: concurrent changes are serialized, and one that no longer
 * fits the new state is a CONFLICT instead of a lost update. Amendments are compare-and-set
 * on `version`. Status changes are published (DECLARATION_STATUS_CHANGED, HOLD_PLACED) after
 * commit; payloads carry ids only.
 *
 * Risk alerts never change the status, so a trade party reading STATUS cannot tell that a
 * parcel was targeted.
 */
export class WorkflowService {
  private readonly repo: WorkflowRepository;

  constructor(
    prisma: PrismaClient,
    private readonly events: HubPubSub,
  ) {
    this.repo = new WorkflowRepository(prisma);
  }

  // ---- status events ------------------------------------------------------------------

  async recordStatusEvent(ctx: HubContext, declarationId: string, input: StatusEventInput): Promise<StatusEventRow> {
    const { principal, policy, declaration } = await this.target(ctx, declarationId, "STATUS_EVENTS");
    const p = new Problems();
    const code = oneOf(p, "input.code", input?.code, Object.values(StatusEventCode));
    const occurredAt = input?.occurredAt instanceof Date ? input.occurredAt : new Date(NaN);
    if (Number.isNaN(occurredAt.getTime())) p.add("input.occurredAt", "must be a date-time");
    else if (occurredAt.getTime() > Date.now() + MAX_CLOCK_SKEW_MS) p.add("input.occurredAt", "must not be in the future");
    const place = optionalString(p, "input.place", input?.place, LIMITS.place);
    const note = optionalString(p, "input.note", input?.note, MAX_TEXT);
    p.throwIfAny();

    const effect = EVENT_EFFECT[code!];
    if (effect.customsDecision && !policy.contributionBasis("HOLDS", declaration)) {
      throw new ForbiddenError(
        `${code} is a customs decision: your party may not ${ACTION.HOLDS} on this declaration, so it may not record it`,
        { contribution: "HOLDS" },
      );
    }
    const changes: StatusChange[] = [];
    const event = await this.locked(declarationId, async (d) => {
      const at = new Date();
      if (effect.moves) assertMove(d.id, d.current.status, effect.moves);
      const row = await d.addStatusEvent({ recordedById: principal.partyId, code: code!, occurredAt, place, note, createdAt: at });
      if (effect.moves) await this.move(d, effect.moves, at, changes);
      return row;
    });
    this.publish(changes);
    return event;
  }

  // ---- risk alerts --------------------------------------------------------------------

  async raiseRiskAlert(ctx: HubContext, declarationId: string, input: RiskAlertInput): Promise<RiskAlertRow> {
    const { principal } = await this.target(ctx, declarationId, "RISK_ALERTS");
    const p = new Problems();
    const severity = oneOf(p, "input.severity", input?.severity, Object.values(AlertSeverity));
    const reasonCode = requiredString(p, "input.reasonCode", input?.reasonCode, 32)?.toUpperCase();
    if (reasonCode && !REASON_CODE.test(reasonCode)) p.add("input.reasonCode", "must be 1 to 32 of A-Z, 0-9, '_' and '-'");
    const reason = requiredString(p, "input.reason", input?.reason, MAX_TEXT);
    const raisedByRule = optionalString(p, "input.raisedByRule", input?.raisedByRule, LIMITS.rule);
    p.throwIfAny();
    return this.repo.createAlert({
      declarationId,
      raisedById: principal.partyId,
      raisedByRule: raisedByRule ?? null,
      severity: severity!,
      reasonCode: reasonCode!,
      reason: reason!,
      createdAt: new Date(),
    });
  }

  /**
   * Only the party that raised the alert, or customs of the destination country, and
   * either one only while it holds the RISK_ALERTS contribution on the declaration.
   */
  async resolveRiskAlert(ctx: HubContext, alertId: string, input: ResolveRiskAlertInput): Promise<RiskAlertRow> {
    this.refuseOperator(ctx);
    const alert = isUuid(alertId) ? await this.repo.findAlert(alertId) : null;
    if (!alert) throw new NotFoundError("Risk alert", alertId);
    const { principal, basis } = await this.childTarget(ctx, alert.declarationId, alert.raisedById, "RISK", "Risk alert", alertId, "RISK_ALERTS");
    if (alert.raisedById !== principal.partyId && basis.rule !== DESTINATION_CUSTOMS_RULE) {
      throw new ForbiddenError("Only the party that raised a risk alert, or customs of the destination country, may resolve it");
    }
    const p = new Problems();
    const outcome = oneOf(p, "input.outcome", input?.outcome, ["CONFIRMED", "DISMISSED"] as const);
    const note = optionalString(p, "input.note", input?.note, MAX_TEXT);
    p.throwIfAny();
    const resolved = await this.repo.resolveAlert(alert.id, {
      status: outcome!,
      resolvedById: principal.partyId,
      resolutionNote: note ?? null,
      resolvedAt: new Date(),
    });
    if (!resolved) {
      const now = await this.repo.findAlert(alert.id);
      throw new ConflictError(`Risk alert ${alert.id} was already resolved (${now?.status})`, { from: now?.status, to: outcome });
    }
    return resolved;
  }

  // ---- holds --------------------------------------------------------------------------

  async placeHold(ctx: HubContext, declarationId: string, input: PlaceHoldInput): Promise<HoldRow> {
    const { principal } = await this.target(ctx, declarationId, "HOLDS");
    const p = new Problems();
    const kind = oneOf(p, "input.kind", input?.kind, Object.values(HoldKind));
    const reason = requiredString(p, "input.reason", input?.reason, MAX_TEXT);
    p.throwIfAny();

    const changes: StatusChange[] = [];
    const hold = await this.locked(declarationId, async (d) => {
      const open = await d.openHolds();
      const next = statusAfterPlacing(d.id, d.current.status, open.map((h) => h.kind), kind!);
      const at = new Date();
      const row = await d.addHold({ placedById: principal.partyId, kind: kind!, reason: reason!, placedAt: at });
      if (next) await this.move(d, next, at, changes);
      return row;
    });
    void this.events.pubsub.publish(TOPICS.HOLD_PLACED, { holdId: hold.id, declarationId });
    this.publish(changes);
    return hold;
  }

  /**
   * Closes a hold. DO_NOT_LOAD and HIGH_RISK_SCREENING holds need the screening outcome
   * (BAD_USER_INPUT without one). When the last open hold goes, the declaration returns to
   * the stage the holds interrupted (see workflow.lifecycle.ts); releasing the goods
   * themselves is a separate customs decision (status event RELEASED_FROM_CUSTOMS).
   */
  async releaseHold(ctx: HubContext, holdId: string, input: ReleaseHoldInput): Promise<HoldRow> {
    this.refuseOperator(ctx);
    const hold = isUuid(holdId) ? await this.repo.findHold(holdId) : null;
    if (!hold) throw new NotFoundError("Hold", holdId);
    const { principal } = await this.childTarget(ctx, hold.declarationId, hold.placedById, "STATUS", "Hold", holdId, "HOLDS");
    const p = new Problems();
    const outcome = optionalString(p, "input.outcome", input?.outcome, MAX_TEXT);
    const response = optionalString(p, "input.response", input?.response, MAX_TEXT);
    if (outcome === null && (hold.kind === "DO_NOT_LOAD" || hold.kind === "HIGH_RISK_SCREENING")) {
      p.add("input.outcome", `a ${hold.kind} hold is released only with the outcome of the screening`);
    }
    p.throwIfAny();

    const changes: StatusChange[] = [];
    const released = await this.locked(hold.declarationId, async (d) => {
      const at = new Date();
      const row = await d.closeHold(hold.id, { releasedById: principal.partyId, releasedAt: at, outcome: outcome ?? null, response: response ?? null });
      if (!row) throw new ConflictError(`Hold ${hold.id} was already released`, { from: "RELEASED", to: "RELEASED" });
      const remaining = await d.openHolds();
      const hasDuties = d.current.status === "HELD" ? await d.hasDuties() : false;
      const next = statusAfterReleasing(d.id, d.current.status, remaining.map((h) => h.kind), hasDuties);
      if (next) await this.move(d, next, at, changes);
      return row;
    });
    this.publish(changes);
    return released;
  }

  // ---- duties -------------------------------------------------------------------------

  async assessDuties(ctx: HubContext, declarationId: string, input: AssessDutiesInput): Promise<DutyAssessmentRow[]> {
    const { principal } = await this.target(ctx, declarationId, "DUTIES");
    const p = new Problems();
    const lines = input?.lines;
    if (!Array.isArray(lines) || lines.length === 0) p.add("input.lines", "must list at least one duty or tax line");
    else if (lines.length > MAX_DUTY_LINES) p.add("input.lines", `must list at most ${MAX_DUTY_LINES} lines (got ${lines.length})`);
    p.throwIfAny();

    const normalized = lines.map((l, i) => {
      const path = (k: string) => at("input", "lines", i, k);
      if (!l || typeof l !== "object") {
        p.add(at("input", "lines", i), "must be a duty line");
        return undefined;
      }
      const line = {
        taxType: oneOf(p, path("taxType"), l.taxType, Object.values(TaxType)),
        base: positiveDecimal(p, path("base"), l.base, MONEY),
        rate: positiveDecimal(p, path("rate"), l.rate, RATE),
        amount: positiveDecimal(p, path("amount"), l.amount, MONEY),
        currency: currencyCode(p, path("currency"), l.currency),
        collectionModel: oneOf(p, path("collectionModel"), l.collectionModel, Object.values(CollectionModel)),
      };
      // base x rate, to the cent; a FEE is a fixed charge and is not checked.
      if (line.base && line.rate && line.amount && line.taxType !== "FEE") {
        const expected = new Decimal(line.base).times(line.rate);
        if (expected.minus(line.amount).abs().gt("0.01")) {
          p.add(path("amount"), `must be base x rate (${expected.toDecimalPlaces(2).toFixed(2)}) to within 0.01`);
        }
      }
      return line;
    });
    p.throwIfAny();

    const changes: StatusChange[] = [];
    const rows = await this.locked(declarationId, async (d) => {
      // Checked against the row as it is now (an amendment may have changed it meanwhile).
      normalized.forEach((l, i) => {
        const path = at("input", "lines", i, "collectionModel");
        if (l!.collectionModel === "IOSS" && !d.current.iossNumber) p.add(path, "IOSS needs a declaration with an IOSS number");
        if (l!.collectionModel === "DDP" && !d.current.ddp) p.add(path, "DDP needs a declaration that is delivered duty paid");
      });
      p.throwIfAny();
      const next = statusAfterAssessing(d.id, d.current.status);
      const assessedAt = new Date();
      const created = await d.addDuties(
        normalized.map((l) => ({
          assessedById: principal.partyId,
          taxType: l!.taxType!,
          base: l!.base!,
          rate: l!.rate!,
          amount: l!.amount!,
          currency: l!.currency!,
          collectionModel: l!.collectionModel!,
          createdAt: assessedAt,
        })),
      );
      if (next) await this.move(d, next, assessedAt, changes);
      return created;
    });
    this.publish(changes);
    return rows;
  }

  // ---- amendments ---------------------------------------------------------------------

  /**
   * The filer changes its own data. Compare-and-set on `version` (stale -> CONFLICT with
   * currentVersion), which goes up by one. The IOSS number is frozen once the declaration was
   * released (CONFLICT). The filing's payloadHash is kept: it identifies the original filing,
   * so replaying that filing still answers with this declaration.
   */
  async amendDeclaration(
    ctx: HubContext,
    id: string,
    expectedVersion: number,
    input: AmendDeclarationInput,
  ): Promise<DeclarationRow> {
    const { policy } = await this.target(ctx, id, "AMEND");
    const p = new Problems();
    if (!Number.isInteger(expectedVersion) || expectedVersion < 1) p.add("expectedVersion", "must be a version, from 1");
    const change = normalizeAmendment(p, input);
    p.throwIfAny();

    const updated = await this.locked(id, async (d) => {
      const cur = d.current;
      if (cur.version !== expectedVersion) throw stale(cur, expectedVersion);
      if (change.iossNumber !== undefined && change.iossNumber !== cur.iossNumber) {
        if (cur.releasedAt || cur.status === "RELEASED" || cur.status === "DELIVERED") {
          throw new ConflictError(`The IOSS number of declaration ${cur.id} cannot change after its release (status ${cur.status})`, {
            field: "iossNumber",
            status: cur.status,
          });
        }
        if (change.iossNumber) {
          if (cur.category !== "SALE_OF_GOODS") p.add("input.iossNumber", "applies only to category SALE_OF_GOODS");
          if (!EU_MEMBER_STATES.has(cur.destinationCountry)) p.add("input.iossNumber", "applies only to a destination in an EU member state");
        }
      }
      // Incoterm and DDP flag tell the same story; ddp follows a new incoterm unless given.
      const incoterm = change.incoterm !== undefined ? change.incoterm : cur.incoterm;
      if (change.ddp === undefined && change.incoterm) change.ddp = change.incoterm === "DDP";
      const ddp = change.ddp ?? cur.ddp;
      if (incoterm && ddp !== (incoterm === "DDP")) {
        p.add(input.ddp != null ? "input.ddp" : "input.incoterm", `ddp ${ddp} contradicts incoterm ${incoterm}`);
      }
      if (change.grossWeightKg) {
        const net = await d.goodsNetWeightKg();
        if (new Decimal(net).gt(change.grossWeightKg)) {
          p.add("input.grossWeightKg", `must not be below the sum of the goods items' net weights (${net} kg)`);
        }
      }
      p.throwIfAny();
      const row = await d.amend(expectedVersion, { ...change, updatedAt: new Date() });
      if (!row) throw stale(cur, expectedVersion);
      return row;
    });
    policy.rememberScope(updated);
    return updated;
  }

  // ---- helpers ------------------------------------------------------------------------

  private refuseOperator(ctx: HubContext): Principal {
    const principal = requirePrincipal(ctx);
    if (principal.role === "OPERATOR") throw new ForbiddenError("The hub operator does not file or change partner data");
    return principal;
  }

  /** The declaration as the caller may see it (else NOT_FOUND) and the caller's basis for `kind` (else FORBIDDEN). */
  private async target(ctx: HubContext, declarationId: string, kind: Contribution): Promise<Target> {
    const principal = this.refuseOperator(ctx);
    const declaration = await ctx.hub.services.declarations.get(ctx, declarationId);
    return this.withBasis(ctx, principal, declaration, kind);
  }

  /**
   * For a hold or alert: NOT_FOUND (named after the child, never its declaration) unless
   * the caller sees the declaration and `category` of the child; then the basis for `kind`.
   */
  private async childTarget(
    ctx: HubContext,
    declarationId: string,
    holderId: string,
    category: "STATUS" | "RISK",
    what: string,
    childId: string,
    kind: Contribution,
  ): Promise<Target> {
    const principal = this.refuseOperator(ctx);
    let declaration: DeclarationRow;
    try {
      declaration = await ctx.hub.services.declarations.get(ctx, declarationId);
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(what, childId);
      throw e;
    }
    const policy = await ctx.authz.policy();
    if (!(policy.decide(holderId, declaration).mask & CATEGORY_BIT[category])) throw new NotFoundError(what, childId);
    return this.withBasis(ctx, principal, declaration, kind);
  }

  private async withBasis(ctx: HubContext, principal: Principal, declaration: DeclarationRow, kind: Contribution): Promise<Target> {
    const policy = await ctx.authz.policy();
    const basis = policy.contributionBasis(kind, declaration);
    if (!basis) {
      const action = kind === "AMEND" ? "amend this declaration" : `${ACTION[kind]} on this declaration`;
      throw new ForbiddenError(`Your party may not ${action}`, { contribution: kind });
    }
    return { principal, policy, declaration, basis };
  }

  private async locked<T>(declarationId: string, work: (d: LockedDeclaration) => Promise<T>): Promise<T> {
    const result = await this.repo.locked(declarationId, work);
    if (result === null) throw new NotFoundError("Declaration", declarationId);
    return result;
  }

  /** Moves the locked declaration through the table and notes the change for publishing. */
  private async move(d: LockedDeclaration, to: DeclarationStatus, at: Date, changes: StatusChange[]): Promise<void> {
    const from = d.current.status;
    assertMove(d.id, from, to);
    const row = await d.moveStatus(from, to, at);
    if (!row) throw illegalTransition(d.id, from, to, "the declaration changed concurrently; reload and retry");
    changes.push({ declarationId: d.id, previousStatus: from, status: to });
  }

  private publish(changes: StatusChange[]): void {
    for (const c of changes) void this.events.pubsub.publish(TOPICS.DECLARATION_STATUS_CHANGED, c);
  }
}

function stale(cur: DeclarationRow, expectedVersion: number): ConflictError {
  return new ConflictError(`Declaration ${cur.id} is at version ${cur.version}, not ${expectedVersion}; reload and retry`, {
    currentVersion: cur.version,
  });
}

type Amendment = {
  trackingNumber?: string;
  grossWeightKg?: string;
  totalValue?: string;
  currency?: string;
  incoterm?: string | null;
  ddp?: boolean;
  iossNumber?: string | null;
  platformOrderId?: string | null;
  sellerName?: string | null;
  sellerAddress?: string | null;
  sellerCountry?: string | null;
  buyerName?: string | null;
  buyerAddress?: string | null;
  buyerCountry?: string | null;
  buyerEmail?: string | null;
};

/**
 * Checks the fields given (undefined: unchanged; null: cleared, where the field is optional)
 * with the same validators as filing, and returns them normalized.
 */
function normalizeAmendment(p: Problems, input: AmendDeclarationInput | null | undefined): Amendment {
  if (!input || typeof input !== "object") {
    p.add("input", "must be an amendment");
    return {};
  }
  const out: Amendment = {};
  const given = (k: keyof AmendDeclarationInput) => input[k] !== undefined;
  const path = (k: string) => at("input", k);
  const required = <K extends "trackingNumber" | "grossWeightKg" | "totalValue" | "currency">(
    k: K,
    check: (v: unknown) => string | undefined,
  ) => {
    if (!given(k)) return;
    if (input[k] === null) return p.add(path(k), "cannot be cleared");
    const v = check(input[k]);
    if (v !== undefined) out[k] = v;
  };
  const optional = <K extends keyof Amendment>(k: K, check: (v: unknown) => Amendment[K] | undefined) => {
    if (!given(k as keyof AmendDeclarationInput)) return;
    const v = check(input[k as keyof AmendDeclarationInput]);
    if (v !== undefined) out[k] = v;
  };

  required("trackingNumber", (v) => trackingNumber(p, path("trackingNumber"), v));
  required("grossWeightKg", (v) => positiveDecimal(p, path("grossWeightKg"), v, WEIGHT_KG));
  required("totalValue", (v) => positiveDecimal(p, path("totalValue"), v, MONEY));
  required("currency", (v) => currencyCode(p, path("currency"), v));
  optional("incoterm", (v) => {
    const s = typeof v === "string" ? v.trim().toUpperCase() : v;
    return s == null || s === "" ? null : oneOf(p, path("incoterm"), s, INCOTERMS);
  });
  if (given("ddp")) {
    if (typeof input.ddp !== "boolean") p.add(path("ddp"), input.ddp === null ? "cannot be cleared" : "must be true or false");
    else out.ddp = input.ddp;
  }
  optional("iossNumber", (v) => iossNumber(p, path("iossNumber"), v));
  optional("platformOrderId", (v) => optionalString(p, path("platformOrderId"), v, LIMITS.platformOrderId));
  optional("sellerName", (v) => optionalString(p, path("sellerName"), v, LIMITS.name));
  optional("sellerAddress", (v) => optionalString(p, path("sellerAddress"), v, LIMITS.address));
  optional("sellerCountry", (v) => optionalCountryCode(p, path("sellerCountry"), v));
  optional("buyerName", (v) => optionalString(p, path("buyerName"), v, LIMITS.name));
  optional("buyerAddress", (v) => optionalString(p, path("buyerAddress"), v, LIMITS.address));
  optional("buyerCountry", (v) => optionalCountryCode(p, path("buyerCountry"), v));
  optional("buyerEmail", (v) => optionalEmail(p, path("buyerEmail"), v));

  if (p.ok && Object.keys(out).length === 0) p.add("input", "name at least one field to change");
  return out;
}
