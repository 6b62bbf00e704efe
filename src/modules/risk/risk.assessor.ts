import { createHash, randomBytes, randomUUID } from "node:crypto";
import type Decimal from "decimal.js";
import type { AlertSeverity, DeclarationStatus, HoldKind } from "../../generated/prisma/enums";
import { statusWithOpenHolds } from "../workflow/workflow.lifecycle";
import { evaluate, severityRank, splitKey, valueAgainstCeiling, type BatchContext, type CompiledRule, type Hit, type RiskFacts, type Subject } from "./risk.engine";
import type { Tx } from "../writes";
import type { RiskRepository, SameDayParcel } from "./risk.repository";
import { normalizeText } from "./risk.params";

/** What a destination's customs have in force for risk at one moment. */
export interface DestinationRisk {
  /** the customs party in whose name rule alerts and holds are raised */
  customsPartyId: string;
  /** a hit of a severity above this places the rule's hold */
  holdAbove: AlertSeverity;
  rules: CompiledRule[];
  facts: RiskFacts;
}

/** Where rules come from: the destinations whose customs assess filings, with their rules in force. */
export interface RiskRuleSource {
  /** per destination, its risk in force at `at`; absent: assessment is off there */
  inForce(destinations: string[], at: Date): Promise<Map<string, DestinationRisk>>;
}

export interface AlertPlan {
  id: string;
  declarationId?: string;
  raisedById: string;
  raisedByRule: string;
  ruleId: string;
  ruleVersion: number;
  severity: AlertSeverity;
  reasonCode: string;
  reason: string;
}

export interface HoldPlan {
  id: string;
  declarationId?: string;
  kind: HoldKind;
  reason: string;
  placedById: string;
  addresseeId: string;
  question: string | null;
  dueAt: Date | null;
  ruleId: string;
  ruleVersion: number;
}

/** The outcome of registration and risk assessment of one declaration. */
export interface Assessment {
  /** CLEARED_TO_LOAD, or the status of the most severe hold placed */
  status: DeclarationStatus;
  /** FILED -> REGISTERED -> RISK_ASSESSED -> status (as ICS2 does on receipt of a filing) */
  path: DeclarationStatus[];
  alerts: AlertPlan[];
  holds: HoldPlan[];
  /** the rules tested, as "code vN" */
  rules: string[];
}

const DAY_MS = 86_400_000;
/** An RFI's answer is due in this many days when the rule does not say. */
export const DEFAULT_ANSWER_DAYS = 2;

/** The UTC day of `at`: [start, end). */
export function dayOf(at: Date): [Date, Date] {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  return [start, new Date(start.getTime() + DAY_MS)];
}

/**
 * Advisory lock keys that serialise the split-shipment check of concurrent filings: one per
 * (destination, buyer, platform, UTC day), a signed 64-bit hash as PostgreSQL takes it. Two
 * batches with a parcel each for the same buyer then assess one after the other, the second
 * seeing the first's parcels.
 */
export function splitShipmentLocks(subjects: Pick<Subject, "destinationCountry" | "buyerName" | "platformId">[], at: Date): string[] {
  const day = dayOf(at)[0].toISOString().slice(0, 10);
  const keys = new Set<string>();
  for (const s of subjects) {
    if (!s.platformId || !s.buyerName) continue;
    const digest = createHash("sha256").update(`split|${s.destinationCountry}|${normalizeText(s.buyerName)}|${s.platformId}|${day}`).digest();
    keys.add(digest.readBigInt64BE(0).toString());
  }
  return [...keys];
}

/** An ICS2-like movement reference: year, destination, 14 random letters and digits. */
export function newMovementReference(country: string, at = new Date()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const tail = [...randomBytes(14)].map((b) => alphabet[b % alphabet.length]).join("");
  return `${String(at.getUTCFullYear()).slice(2)}${country}${tail}`;
}

/**
 * Plans the holds of a declaration's hits: rules whose severity is above the customs'
 * setting and that name a hold. One hold per kind; its reason lists the rules, an RFI's
 * question their questions, and it is due at the earliest of their answer periods.
 */
export function planHolds(hits: Hit[], dest: Pick<DestinationRisk, "customsPartyId" | "holdAbove">, addresseeId: string, at: Date): HoldPlan[] {
  const byKind = new Map<HoldKind, Hit[]>();
  for (const h of hits) {
    if (!h.rule.holdKind || severityRank(h.rule.severity) <= severityRank(dest.holdAbove)) continue;
    byKind.set(h.rule.holdKind, [...(byKind.get(h.rule.holdKind) ?? []), h]);
  }
  return [...byKind].map(([kind, list]) => {
    const first = [...list].sort((a, b) => severityRank(b.rule.severity) - severityRank(a.rule.severity))[0];
    const questions = list.map((h) => h.rule.question).filter((q): q is string => !!q);
    const days = Math.min(...list.map((h) => h.rule.answerDays ?? DEFAULT_ANSWER_DAYS));
    const asks = kind === "RFI" || questions.length > 0;
    return {
      id: randomUUID(),
      kind,
      reason: list.map((h) => `${h.rule.code} v${h.rule.version}: ${h.reason}`).join("; "),
      placedById: dest.customsPartyId,
      addresseeId,
      question: asks ? questions.join("\n") || "Please describe the goods and their value, with supporting documents." : null,
      dueAt: asks ? new Date(at.getTime() + days * DAY_MS) : null,
      ruleId: first.rule.id,
      ruleVersion: first.rule.version,
    };
  });
}

/** The assessment of one declaration from its hits. */
export function assessmentOf(hits: Hit[], dest: DestinationRisk, filerId: string, at: Date): Assessment {
  const alerts: AlertPlan[] = hits.map((h) => ({
    id: randomUUID(),
    raisedById: dest.customsPartyId,
    raisedByRule: h.rule.code,
    ruleId: h.rule.id,
    ruleVersion: h.rule.version,
    severity: h.rule.severity,
    reasonCode: h.rule.reasonCode,
    reason: h.reason,
  }));
  const holds = planHolds(hits, dest, filerId, at);
  const status = statusWithOpenHolds(holds.map((h) => h.kind)) ?? "CLEARED_TO_LOAD";
  return {
    status,
    path: ["FILED", "REGISTERED", "RISK_ASSESSED", status],
    alerts,
    holds,
    rules: dest.rules.map((r) => `${r.row.code} v${r.row.version}`),
  };
}

/**
 * Risk assessment of a batch: the rules of each destination are loaded once, the facts a
 * rule needs beyond the declaration (platforms' IOSS numbers, a buyer's other parcels of
 * the day) with one query each for the whole batch, then every declaration is tested in
 * memory. Returns, per subject, its assessment, or null where assessment is off.
 */
export class RiskAssessor {
  constructor(
    private readonly source: RiskRuleSource,
    private readonly repo: RiskRepository,
  ) {}

  /** The risk in force at `at` for these destinations (load it before a transaction: it may query). */
  inForce(destinations: string[], at: Date): Promise<Map<string, DestinationRisk>> {
    return this.source.inForce([...new Set(destinations)], at);
  }

  async assess(subjects: Subject[], at: Date): Promise<(Assessment | null)[]> {
    if (!subjects.length) return [];
    return this.assessWith(await this.inForce(subjects.map((s) => s.destinationCountry), at), subjects, at);
  }

  /**
   * With the destinations' risk already loaded. `tx`: the write's transaction (a stored
   * declaration being assessed again is in `excludeIds`, so it does not count twice).
   */
  async assessWith(dests: Map<string, DestinationRisk>, subjects: Subject[], at: Date, opts: { excludeIds?: string[]; tx?: Tx } = {}): Promise<(Assessment | null)[]> {
    const assessed = subjects.filter((s) => dests.has(s.destinationCountry));
    if (!assessed.length) return subjects.map(() => null);
    const needs = (kind: string) => assessed.some((s) => dests.get(s.destinationCountry)!.rules.some((r) => r.row.kind === kind));
    const platforms = [...new Set(assessed.map((s) => s.platformId).filter((x): x is string => !!x))];
    const platformIoss = needs("IOSS_CHECK") ? await this.repo.platformIossNumbers(platforms, opts.tx) : new Map<string, string | null>();
    const parcels = needs("SPLIT_SHIPMENT") ? await this.repo.sameDayParcels(assessed, dayOf(at), opts.excludeIds ?? [], opts.tx) : [];
    const sameDay = sameDayValues([...parcels, ...assessed], dests);
    return subjects.map((s) => {
      const dest = dests.get(s.destinationCountry);
      if (!dest) return null;
      const b: BatchContext = { facts: dest.facts, platformIoss, sameDay };
      return assessmentOf(evaluate(dest.rules, s, b), dest, s.filerId, at);
    });
  }
}

/** Values in the ceiling's currency of each buyer's parcels of the day, grouped by split key. */
function sameDayValues(parcels: SameDayParcel[], dests: Map<string, DestinationRisk>): Map<string, Decimal[]> {
  const out = new Map<string, Decimal[]>();
  for (const p of parcels) {
    const key = splitKey(p);
    const dest = dests.get(p.destinationCountry);
    if (!key || !dest) continue;
    const v = valueAgainstCeiling(p, dest.facts);
    if (!v) continue;
    const list = out.get(key);
    if (list) list.push(v.value);
    else out.set(key, [v.value]);
  }
  return out;
}
