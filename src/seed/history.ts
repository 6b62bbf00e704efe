// What happens to a seeded declaration after filing, step by step as the API's workflow
// does it: every status change goes through the workflow's transition functions
// (workflow.lifecycle.ts), referrals are answered and released as answerReferral and
// releaseHold record them, duties are computed by computeAssessment from the rules in force
// at arrival (as assessDuties does), and status events are the API's codes recorded by the
// parties the authority table allows. Steps that would fall after `now` do not happen.
import { randomUUID } from "node:crypto";
import type { AlertStatus, DeclarationStatus, HoldKind, ScreeningOutcome } from "../generated/prisma/enums";
import type { Prisma } from "../generated/prisma/client";
import type { Assessment } from "../modules/risk/risk.assessor";
import type { RuleBook } from "../modules/rules/rules.model";
import { assertEventMove, assertMove, statusAfterPlacing, statusAfterReleasing, type StatusEventCode } from "../modules/workflow/workflow.lifecycle";
import { seedDuties } from "./duties";
import { HOUR, MINUTE } from "./catalogue";
import type { SeedFiling } from "./declarations";
import { seedMovementReference } from "./identifiers";
import type { SeedBatch, SeedRow } from "./writer";

type HoldRow = SeedRow<Prisma.HoldCreateManyInput> & { id: string; kind: HoldKind };
type AlertRow = SeedRow<Prisma.RiskAlertCreateManyInput> & { id: string };

/** What customs and filers write when they release or answer a referral. */
const TEXT = {
  rfiAnswer: "Commercial invoice and order confirmation attached; the goods are as described and were bought at the declared price.",
  rfiOutcome: "Information sufficient; cleared to load",
  screeningAnswer: "Screened at origin (X-ray and explosive trace detection).",
  inspection: "Physical examination ordered on arrival",
  documents: "Supporting documents required (proof of origin, certificate of conformity)",
  examined: "Examined; goods match the declaration",
  dismissed: "Checked against the invoice and the referral's answer: nothing irregular",
  confirmed: "Confirmed by examination",
  notLoaded: "Not loaded on the do-not-load instruction; returned to the sender",
};

export class Journey {
  private status: DeclarationStatus = "FILED";
  private t: number;
  private updatedAt: number;
  private releasedAt: number | null = null;
  private dutiesVersion = 0;
  private arrivedAt: number | null = null;
  private readonly alerts: AlertRow[] = [];
  private readonly holds: HoldRow[] = [];

  constructor(
    private readonly f: SeedFiling,
    private readonly out: SeedBatch,
    private readonly now: number,
    private readonly book: RuleBook | undefined,
  ) {
    this.t = f.filedAt;
    this.updatedAt = f.filedAt;
  }

  /** A random moment `min`..`max` minutes after the last step, or null when it is still to come. */
  private next(min: number, max: number): number | null {
    const at = this.t + this.f.r.int(min, max) * MINUTE;
    return at < this.now ? at : null;
  }

  private move(to: DeclarationStatus, at: number): void {
    assertMove(this.f.id, this.status, to);
    this.status = to;
    this.updatedAt = at;
    if (to === "RELEASED") this.releasedAt = at;
  }

  private event(code: StatusEventCode, at: number, by: string, place: string, reasonCode: string | null = null, moves?: DeclarationStatus): void {
    if (moves) {
      assertEventMove(this.f.id, this.status, moves);
      this.move(moves, at);
    }
    this.t = Math.max(this.t, at);
    this.out.statusEvents.push({
      id: randomUUID(), declarationId: this.f.id, recordedById: by, code, reasonCode, occurredAt: at, place, note: null, customsNote: null,
      createdAt: Math.min(at + this.f.r.int(1, 300) * 1000, this.now),
    });
  }

  /** The whole journey into `out`: the declaration, its goods, events, alerts, holds and duties. */
  run(a: Assessment | null): void {
    const f = this.f;
    this.event("ACCEPTED", f.filedAt - f.r.int(10, 240) * MINUTE, f.transportId, f.originCity);
    this.t = f.filedAt;
    if (a) this.registered(a);
    if (this.referrals() && this.status === "CLEARED_TO_LOAD") this.atDestination();
    this.resolveAlerts();
    this.write(a);
  }

  /** Registration and risk assessment at filing: the engine's path, alerts and holds. */
  private registered(a: Assessment): void {
    for (const to of a.path.slice(1)) this.move(to, this.f.filedAt);
    const at = this.f.filedAt;
    for (const x of a.alerts) {
      this.alerts.push({
        id: x.id, declarationId: this.f.id, raisedById: x.raisedById, raisedByRule: x.raisedByRule, ruleId: x.ruleId, ruleVersion: x.ruleVersion,
        severity: x.severity, reasonCode: x.reasonCode, reason: x.reason, status: "OPEN", resolvedById: null, resolutionNote: null, createdAt: at, resolvedAt: null,
      });
    }
    for (const h of a.holds) {
      this.holds.push({
        id: h.id, declarationId: this.f.id, placedById: h.placedById, kind: h.kind, reason: h.reason, status: "OPEN", response: null, outcome: null,
        placedAt: at, releasedAt: null, releasedById: null, addresseeId: h.addresseeId, question: h.question, dueAt: h.dueAt?.getTime() ?? null,
        answerText: null, answerDocuments: [], screeningOutcome: null, answeredAt: null, answeredById: null, ruleId: h.ruleId, ruleVersion: h.ruleVersion,
        escalatedToId: null,
      });
    }
  }

  private open(): HoldRow[] {
    return this.holds.filter((h) => h.status === "OPEN");
  }

  /**
   * The pre-loading referrals: a do-not-load parcel is not loaded (returned by its carrier or
   * post, or still waiting); an RFI or a screening is answered by the filer, then released by
   * customs. Returns false while one stays open.
   */
  private referrals(): boolean {
    const r = this.f.r;
    if (this.open().some((h) => h.kind === "DO_NOT_LOAD")) {
      const at = r.chance(0.6) ? this.next(24 * 60, 5 * 24 * 60) : null;
      if (at) {
        this.event("RETURNED", at, this.f.transportId, this.f.originCity, "OTHER", "RETURNED");
        this.closeAlerts("CONFIRMED", TEXT.notLoaded, at);
      }
      return false;
    }
    for (const h of this.open()) {
      const answeredAt = r.chance(0.85) ? this.next(30, 24 * 60) : null;
      if (!answeredAt) return false;
      this.answer(h, answeredAt);
      const releasedAt = r.chance(0.9) ? this.next(10, 8 * 60) : null;
      if (!releasedAt) return false;
      this.release(h, releasedAt, h.kind === "RFI" ? TEXT.rfiOutcome : null, false);
      this.closeAlerts("DISMISSED", TEXT.dismissed, releasedAt, h);
    }
    return true;
  }

  /** answerReferral: the addressee's answer, kept with the hold (a screening's is its coded outcome). */
  private answer(h: HoldRow, at: number): void {
    const screening = h.kind === "HIGH_RISK_SCREENING";
    h.answerText = screening ? TEXT.screeningAnswer : TEXT.rfiAnswer;
    h.answerDocuments = screening ? [] : [`INV-${this.f.filing.declaration.localReference}`, "order-confirmation.pdf"];
    h.screeningOutcome = screening ? ("NO_THREAT_FOUND" satisfies ScreeningOutcome) : null;
    h.answeredAt = at;
    h.answeredById = h.addresseeId;
    this.t = at;
  }

  /** releaseHold: closed by customs; the status follows the holds still open. */
  private release(h: HoldRow, at: number, outcome: string | null, dutiesAssessed: boolean, response: string | null = null): void {
    h.status = "RELEASED";
    h.releasedAt = at;
    h.releasedById = this.f.customsId;
    h.outcome = outcome ?? (h.screeningOutcome ? `SCREENED ${h.screeningOutcome}` : null);
    h.response = response;
    this.t = at;
    const next = statusAfterReleasing(this.f.id, this.status, this.open().map((x) => x.kind), dutiesAssessed);
    if (next) this.move(next, at);
  }

  /** placeHold by the destination's customs after arrival (an examination, or documents). */
  private place(kind: HoldKind, at: number): HoldRow {
    const next = statusAfterPlacing(this.f.id, this.status, this.open().map((h) => h.kind), kind);
    const h: HoldRow = {
      id: randomUUID(), declarationId: this.f.id, placedById: this.f.customsId, kind, reason: kind === "INSPECTION" ? TEXT.inspection : TEXT.documents,
      status: "OPEN", response: null, outcome: null, placedAt: at, releasedAt: null, releasedById: null, addresseeId: this.f.filing.declaration.filerId,
      question: null, dueAt: null, answerText: null, answerDocuments: [], screeningOutcome: null, answeredAt: null, answeredById: null,
      ruleId: null, ruleVersion: null, escalatedToId: null,
    };
    this.holds.push(h);
    this.t = at;
    if (next) this.move(next, at);
    return h;
  }

  /** Arrival, perhaps an examination, the computed assessment, release and delivery (or return, or seizure). */
  private atDestination(): void {
    const { r, mode, transportId, customsId, gateway } = this.f;
    const arrived = mode === "EXPRESS" ? this.next(12 * 60, 72 * 60) : this.next(2 * 24 * 60, 10 * 24 * 60);
    if (!arrived) return;
    this.event("ARRIVED", arrived, transportId, gateway, null, "ARRIVED");
    this.arrivedAt = arrived;
    const fate = r.weighted([["DELIVER", 94.5], ["EXAMINE", 3], ["SEIZE", 0.8], ["RETURN", 1.7]] as const);
    if (fate === "EXAMINE" || fate === "SEIZE") {
      const at = this.next(30, 600);
      if (!at) return;
      const hold = this.place(r.chance(0.3) && fate === "EXAMINE" ? "DOCUMENTS_REQUIRED" : "INSPECTION", at);
      this.event("HELD_BY_CUSTOMS", at, customsId, gateway, hold.kind);
      const done = fate === "SEIZE" ? this.next(2 * 24 * 60, 8 * 24 * 60) : this.next(24 * 60, 5 * 24 * 60);
      if (!done) return;
      if (fate === "SEIZE") return this.event("SEIZED_BY_CUSTOMS", done, customsId, gateway, "PROHIBITED_GOODS", "SEIZED");
      this.release(hold, done, TEXT.examined, false, "Parcel presented for examination");
    }
    const assessedAt = this.next(10, 36 * 60);
    if (!assessedAt || !this.assess(assessedAt)) return;
    if (fate === "RETURN") {
      const at = this.next(3 * 24 * 60, 10 * 24 * 60);
      if (at) this.event("RETURNED", at, customsId, gateway, "DUTIES_UNPAID", "RETURNED");
      return;
    }
    const released = this.next(30, 3 * 24 * 60);
    if (!released) return;
    this.event("RELEASED_FROM_CUSTOMS", released, customsId, gateway, null, "RELEASED");
    const delivered = mode === "EXPRESS" ? this.next(12 * 60, 48 * 60) : this.next(24 * 60, 5 * 24 * 60);
    if (delivered) this.event("DELIVERED", delivered, transportId, this.f.buyerCity, null, "DELIVERED");
  }

  /** assessDuties: computed from the rules in force at arrival; false when the rules cannot (the API refuses too). */
  private assess(at: number): boolean {
    if (!this.book) return false;
    const rows = seedDuties(this.book, this.f, new Date(this.arrivedAt!), at);
    if (!rows) return false;
    for (const row of rows) this.out.duties.push(row);
    this.dutiesVersion = 1;
    this.t = at;
    this.move("DUTIES_ASSESSED", at);
    return true;
  }

  /** resolveRiskAlert for the alerts of a referral (or all of them), by the destination's customs. */
  private closeAlerts(status: AlertStatus, note: string, at: number, hold?: HoldRow): void {
    for (const a of this.alerts) {
      // a rule's hold names it in its reason ("CODE vN: ..."); the others stay for their own check
      if (a.status !== "OPEN" || (hold && !hold.reason.includes(`${a.raisedByRule} v${a.ruleVersion}:`))) continue;
      Object.assign(a, { status, resolvedById: this.f.customsId, resolutionNote: note, resolvedAt: at });
    }
  }

  /** Alerts without a referral: most are checked and dismissed within three days, if that time has come. */
  private resolveAlerts(): void {
    for (const a of this.alerts) {
      if (a.status !== "OPEN" || !this.f.r.chance(0.7)) continue;
      const at = (a.createdAt as number) + this.f.r.int(1, 72) * HOUR;
      if (at < this.now) Object.assign(a, { status: "DISMISSED", resolvedById: this.f.customsId, resolutionNote: TEXT.dismissed, resolvedAt: at });
    }
  }

  private write(a: Assessment | null): void {
    const { f, out } = this;
    const d = f.filing.declaration;
    out.declarations.push({
      id: f.id, ...d, movementReference: a ? seedMovementReference(f.n, d.destinationCountry, new Date(f.filedAt)) : null,
      status: this.status, version: 1, dutiesVersion: this.dutiesVersion, filedAt: f.filedAt, updatedAt: this.updatedAt, releasedAt: this.releasedAt,
    });
    f.filing.goodsItems.forEach((g, i) => out.goodsItems.push({ id: randomUUID(), declarationId: f.id, lineNumber: i + 1, ...g }));
    for (const x of this.alerts) out.riskAlerts.push(x);
    for (const h of this.holds) out.holds.push(h);
    if (this.status !== "DELIVERED" && this.status !== "RETURNED" && this.status !== "SEIZED") {
      out.liveParcels.push({ trackingNumber: d.trackingNumber, partyId: (d.carrierId ?? d.postId)!, declarationId: f.id });
    }
  }
}
