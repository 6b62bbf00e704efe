import type { DeclarationStatus, HoldKind } from "../../generated/prisma/enums";
import { ConflictError } from "../../shared/errors";
import { STATUS_EVENT_CODES, type StatusEventCodeName } from "../../authz/authority";

/*
 * The lifecycle of a declaration (DOMAIN.md, after ICS2 and UPU flows) as ONE guarded
 * transition table. Every status change the workflow makes is checked against it;
 * anything else is a CONFLICT naming `from` and `to`.
 *
 *   pre-loading     FILED -> REGISTERED -> RISK_ASSESSED -> CLEARED_TO_LOAD
 *                   (REGISTERED, RISK_ASSESSED and CLEARED_TO_LOAD-without-a-referral are
 *                   set by customs registration and risk systems, not by this module)
 *   referrals       any pre-loading status -> RFI | SCREENING | DO_NOT_LOAD   (placeHold)
 *                   while several are open the status is the most severe of them:
 *                   DO_NOT_LOAD > SCREENING > RFI; the last one released -> CLEARED_TO_LOAD
 *   arrival         FILED | REGISTERED | RISK_ASSESSED | CLEARED_TO_LOAD -> ARRIVED
 *                   (status event ARRIVED; never while a pre-loading referral is open)
 *   at destination  ARRIVED -> DUTIES_ASSESSED                               (assessDuties)
 *                   ARRIVED | DUTIES_ASSESSED -> HELD   (placeHold INSPECTION, DOCUMENTS_REQUIRED)
 *                   HELD -> DUTIES_ASSESSED if duties were assessed, else ARRIVED
 *                   (the last open hold released: back to the stage the hold interrupted)
 *                   DUTIES_ASSESSED -> RELEASED   (status event RELEASED_FROM_CUSTOMS, a customs
 *                   decision, only after an assessment: a zero assessment or an explicit
 *                   "nothing due" decision counts)
 *   final           RELEASED -> DELIVERED
 *                   pre-loading (incl. referrals) | ARRIVED | DUTIES_ASSESSED | RELEASED -> RETURNED
 *                   ARRIVED | DUTIES_ASSESSED | HELD -> SEIZED   (status event SEIZED_BY_CUSTOMS)
 *                   DELIVERED, RETURNED and SEIZED are final.
 *
 * Holds are closed only by releaseHold: a final move leaves open holds open (a returned
 * do-not-load parcel was never cleared), and releasing a hold never leaves a final status.
 */

/** Referrals before loading (ICS2): they stop the parcel at origin. */
export const PRE_LOADING_HOLDS: readonly HoldKind[] = ["RFI", "HIGH_RISK_SCREENING", "DO_NOT_LOAD"];

/** The status an open hold of each kind puts the declaration in. */
export const HOLD_STATUS: Record<HoldKind, DeclarationStatus> = {
  RFI: "RFI",
  HIGH_RISK_SCREENING: "SCREENING",
  DO_NOT_LOAD: "DO_NOT_LOAD",
  INSPECTION: "HELD",
  DOCUMENTS_REQUIRED: "HELD",
};

/** Most severe first: while several holds are open, the status is that of the first open one here. */
const HOLD_PRECEDENCE: readonly DeclarationStatus[] = ["DO_NOT_LOAD", "SCREENING", "RFI", "HELD"];

export const FINAL_STATUSES: ReadonlySet<DeclarationStatus> = new Set(["DELIVERED", "RETURNED", "SEIZED"]);
/** Statuses that exist only while a hold is open. */
export const HOLD_STATUSES: ReadonlySet<DeclarationStatus> = new Set(["RFI", "SCREENING", "DO_NOT_LOAD", "HELD"]);

const REFERRALS: DeclarationStatus[] = ["RFI", "SCREENING", "DO_NOT_LOAD"];
const others = (s: DeclarationStatus, list: DeclarationStatus[]) => list.filter((x) => x !== s);

/** from -> the statuses it may move to. */
export const TRANSITIONS: Readonly<Record<DeclarationStatus, readonly DeclarationStatus[]>> = {
  FILED: ["REGISTERED", ...REFERRALS, "ARRIVED", "RETURNED"],
  REGISTERED: ["RISK_ASSESSED", ...REFERRALS, "ARRIVED", "RETURNED"],
  RISK_ASSESSED: ["CLEARED_TO_LOAD", ...REFERRALS, "ARRIVED", "RETURNED"],
  CLEARED_TO_LOAD: [...REFERRALS, "ARRIVED", "RETURNED"],
  RFI: [...others("RFI", REFERRALS), "CLEARED_TO_LOAD", "RETURNED"],
  SCREENING: [...others("SCREENING", REFERRALS), "CLEARED_TO_LOAD", "RETURNED"],
  DO_NOT_LOAD: [...others("DO_NOT_LOAD", REFERRALS), "CLEARED_TO_LOAD", "RETURNED"],
  ARRIVED: ["DUTIES_ASSESSED", "HELD", "RETURNED", "SEIZED"],
  DUTIES_ASSESSED: ["HELD", "RELEASED", "RETURNED", "SEIZED"],
  HELD: ["ARRIVED", "DUTIES_ASSESSED", "SEIZED"],
  RELEASED: ["DELIVERED", "RETURNED"],
  DELIVERED: [],
  RETURNED: [],
  SEIZED: [],
};

export function canMove(from: DeclarationStatus, to: DeclarationStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function illegalTransition(declarationId: string, from: DeclarationStatus, to: DeclarationStatus, why?: string): ConflictError {
  return new ConflictError(
    `Declaration ${declarationId} cannot go from ${from} to ${to}${why ? `: ${why}` : ""}`,
    { from, to },
  );
}

/** Throws CONFLICT unless from -> to is in the table. */
export function assertMove(declarationId: string, from: DeclarationStatus, to: DeclarationStatus): void {
  if (!canMove(from, to)) throw illegalTransition(declarationId, from, to);
}

/**
 * A move made by a status event. The ways out of a hold status that lead back to where the
 * hold interrupted (HELD -> ARRIVED or DUTIES_ASSESSED, a referral -> CLEARED_TO_LOAD) belong
 * to releaseHold alone: an event must never lift a customs hold.
 */
export function assertEventMove(declarationId: string, from: DeclarationStatus, to: DeclarationStatus): void {
  if (HOLD_STATUSES.has(from) && !FINAL_STATUSES.has(to)) {
    throw illegalTransition(declarationId, from, to, "a customs hold is open; only releasing it (releaseHold) leaves this status");
  }
  assertMove(declarationId, from, to);
}

/** The status while these holds are open (the most severe), or null when none is open. */
export function statusWithOpenHolds(kinds: Iterable<HoldKind>): DeclarationStatus | null {
  const statuses = new Set([...kinds].map((k) => HOLD_STATUS[k]));
  return HOLD_PRECEDENCE.find((s) => statuses.has(s)) ?? null;
}

/**
 * Placing a hold of `kind` on a declaration in `current` with `openKinds` already open:
 * the new status, or null when it stays. CONFLICT when the hold does not fit the stage
 * (a pre-loading referral after arrival, an inspection before it, anything after a final status).
 */
export function statusAfterPlacing(
  declarationId: string,
  current: DeclarationStatus,
  openKinds: HoldKind[],
  kind: HoldKind,
): DeclarationStatus | null {
  const own = HOLD_STATUS[kind];
  if (current !== own && !canMove(current, own)) {
    throw illegalTransition(
      declarationId,
      current,
      own,
      PRE_LOADING_HOLDS.includes(kind) ? `${kind} is a pre-loading referral` : `${kind} is a control at destination, after arrival`,
    );
  }
  const next = statusWithOpenHolds([...openKinds, kind])!;
  if (next === current) return null;
  assertMove(declarationId, current, next);
  return next;
}

/**
 * Releasing one hold, with `remainingKinds` still open afterwards: the new status, or null
 * when it stays (other holds keep it, or the declaration is already final).
 */
export function statusAfterReleasing(
  declarationId: string,
  current: DeclarationStatus,
  remainingKinds: HoldKind[],
  dutiesAssessed: boolean,
): DeclarationStatus | null {
  if (!HOLD_STATUSES.has(current)) return null; // final (or never held): releasing changes nothing
  const next =
    statusWithOpenHolds(remainingKinds) ??
    (current === "HELD" ? (dutiesAssessed ? "DUTIES_ASSESSED" : "ARRIVED") : "CLEARED_TO_LOAD");
  if (next === current) return null;
  assertMove(declarationId, current, next);
  return next;
}

/** assessDuties: ARRIVED -> DUTIES_ASSESSED; a correction while DUTIES_ASSESSED or HELD keeps the status. */
export function statusAfterAssessing(declarationId: string, current: DeclarationStatus): DeclarationStatus | null {
  if (current === "DUTIES_ASSESSED" || current === "HELD") return null;
  if (current !== "ARRIVED") {
    throw illegalTransition(declarationId, current, "DUTIES_ASSESSED", "duties are assessed after arrival and before release");
  }
  return "DUTIES_ASSESSED";
}

/**
 * Status event codes, named after the UPU EMSEVT parcel events (one list, in
 * src/authz/authority.ts, which also says who may record each). Most only record what
 * happened; a few move the declaration.
 */
export const StatusEventCode = Object.fromEntries(STATUS_EVENT_CODES.map((c) => [c, c])) as {
  [K in StatusEventCodeName]: K;
};
export type StatusEventCode = StatusEventCodeName;

/** Why customs retain an item (UPU EMSEVT: EME, retention with a reason). */
export const RETENTION_REASONS = [
  "DOCUMENTS_REQUIRED",
  "DUTIES_UNPAID",
  "INSPECTION",
  "PROHIBITED_GOODS",
  "RESTRICTED_GOODS",
  "INVALID_DECLARATION",
  "SECURITY_SCREENING",
  "OTHER",
] as const;
/** Why an item was not delivered (UPU EMSEVT: EMH, non-delivery with a reason). */
export const NON_DELIVERY_REASONS = [
  "INCORRECT_ADDRESS",
  "ADDRESSEE_ABSENT",
  "REFUSED_BY_ADDRESSEE",
  "ADDRESSEE_UNKNOWN",
  "ADDRESSEE_MOVED",
  "DUTIES_UNPAID",
  "NOT_COLLECTED",
  "DAMAGED",
  "FORCE_MAJEURE",
  "OTHER",
] as const;
export const EVENT_REASONS = [...new Set([...RETENTION_REASONS, ...NON_DELIVERY_REASONS])];

export interface EventEffect {
  description: string;
  /**
   * The UPU EMSEVT event code it maps to (UPU Standard M33, EMSEVT v4 code list), and what
   * of the EMSEVT event the hub's event stands for when one EMSEVT code covers several.
   */
  upu: string;
  /** the reasons it takes (EMSEVT retention or non-delivery reasons); required when listed */
  reasons?: readonly string[];
  /** the status the event moves the declaration to, through the table */
  moves?: DeclarationStatus;
}

export const EVENT_EFFECT: Record<StatusEventCode, EventEffect> = {
  ACCEPTED: { upu: "EMA", description: "Posted or collected (EMSEVT EMA): the carrier or post has taken the item in charge" },
  DEPARTED: { upu: "EMC", description: "Left the outward office of exchange in the country of origin (EMSEVT EMC)" },
  ARRIVED: {
    upu: "EMD",
    description:
      "Arrived at the inward office of exchange in the destination country (EMSEVT EMD; recorded by the named carrier or post, or customs); moves the declaration to ARRIVED",
    moves: "ARRIVED",
  },
  PRESENTED_TO_CUSTOMS: { upu: "EDB", description: "Presented to import customs (EMSEVT EDB)" },
  HELD_BY_CUSTOMS: {
    upu: "EME",
    reasons: RETENTION_REASONS,
    description:
      "Retained by customs, with the retention reason (EMSEVT EME; a carrier's report; customs place holds with placeHold); no status change",
  },
  RELEASED_FROM_CUSTOMS: {
    upu: "EDC",
    description:
      "Customs release the goods (EMSEVT EDC, returned from customs): moves DUTIES_ASSESSED to RELEASED (so only after an assessment, a zero one or " +
      "'nothing due' included). A customs decision of the destination's officers",
    moves: "RELEASED",
  },
  SEIZED_BY_CUSTOMS: {
    upu: "EME",
    description:
      "Customs seize the goods (EMSEVT EME, retention, with the reason; the item does not come out of customs): moves ARRIVED, DUTIES_ASSESSED or HELD to SEIZED (final). A customs decision",
    reasons: RETENTION_REASONS,
    moves: "SEIZED",
  },
  OUT_FOR_DELIVERY: { upu: "EDG", description: "Out for delivery to the buyer (EMSEVT EDG)" },
  DELIVERY_ATTEMPTED: {
    upu: "EMH",
    reasons: NON_DELIVERY_REASONS,
    description: "Delivery attempted, unsuccessful, with the reason (EMSEVT EMH, non-delivery)",
  },
  DELIVERED: { upu: "EMI", description: "Delivered to the buyer (EMSEVT EMI, final delivery); moves RELEASED to DELIVERED (final)", moves: "DELIVERED" },
  RETURNED: {
    upu: "EMH",
    reasons: NON_DELIVERY_REASONS,
    description:
      "Returned to the sender (EMSEVT EMH, non-delivery with the reason, action: return to sender); moves the declaration to RETURNED (final). After arrival the goods are under customs " +
      "supervision: only customs of the destination may return them",
    moves: "RETURNED",
  },
};
