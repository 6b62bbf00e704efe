import { AlertSeverity } from "../../generated/prisma/enums";
import { registerRuleKind, type Payload } from "../rules/rules.kinds";
import { at, oneOf, optionalString, requiredString, type Problems } from "../../shared/validation";
import { checkParams, RISK_RULE_KINDS } from "./risk.params";

/*
 * Risk rules and risk settings as kinds of the versioned rules (src/modules/rules): a
 * destination's customs publish them with publishRules (jurisdiction = their country, or
 * EU for the Union's common risk criteria), each with its validity period and legal
 * reference; the write audit records who published what. They are not public: only
 * customs read them.
 *
 *   RISK_RULE      key: the rule's code (e.g. UNDERVALUE); payload: what it tests (test and
 *                  params), severity, reasonCode and reason of its alerts, and the hold it
 *                  places when its severity is above the customs' holdAbove (RFI with its
 *                  question and answer period, HIGH_RISK_SCREENING or DO_NOT_LOAD).
 *                  `active: false` in a country's version switches an EU rule of that key off.
 *   RISK_SETTINGS  key ASSESSMENT: whether filings to the destination are registered and
 *                  assessed at filing (`enabled`), and `holdAbove`, the severity a hit must
 *                  exceed to place its rule's hold.
 */

export const RISK_RULE = "RISK_RULE";
export const RISK_SETTINGS = "RISK_SETTINGS";
/** Holds a rule may place: the pre-loading referrals of ICS2. */
export const RULE_HOLD_KINDS = ["RFI", "HIGH_RISK_SCREENING", "DO_NOT_LOAD"] as const;
const REASON_CODE = /^[A-Z0-9_-]{1,32}$/;
const MAX_TEXT = 2000;

/** The payload of a RISK_RULE, as stored. */
export interface RiskRulePayload {
  test: (typeof RISK_RULE_KINDS)[number];
  active: boolean;
  severity: AlertSeverity;
  holdKind: (typeof RULE_HOLD_KINDS)[number] | null;
  reasonCode: string;
  reason: string;
  question: string | null;
  answerDays: number | null;
  params: Payload;
}

export interface RiskSettingsPayload {
  enabled: boolean;
  holdAbove: AlertSeverity;
}

function checkRiskRule(p: Problems, path: string, o: Payload): Payload {
  const test = oneOf(p, at(path, "test"), o.test, RISK_RULE_KINDS);
  const severity = oneOf(p, at(path, "severity"), o.severity, Object.values(AlertSeverity));
  const holdKind = o.holdKind == null ? null : oneOf(p, at(path, "holdKind"), o.holdKind, RULE_HOLD_KINDS) ?? null;
  const reasonCode = requiredString(p, at(path, "reasonCode"), o.reasonCode, 32)?.toUpperCase();
  if (reasonCode && !REASON_CODE.test(reasonCode)) p.add(at(path, "reasonCode"), "must be 1 to 32 of A-Z, 0-9, '_' and '-'");
  const reason = requiredString(p, at(path, "reason"), o.reason, MAX_TEXT);
  const question = optionalString(p, at(path, "question"), o.question, MAX_TEXT) ?? null;
  if (holdKind === "RFI" && !question) p.add(at(path, "question"), "a rule placing an RFI asks a question");
  const answerDays = o.answerDays == null ? null : (o.answerDays as number);
  if (answerDays !== null && (!Number.isInteger(answerDays) || answerDays < 1 || answerDays > 30)) p.add(at(path, "answerDays"), "must be a whole number of days from 1 to 30");
  if (o.active != null && typeof o.active !== "boolean") p.add(at(path, "active"), "must be true or false");
  const raw = o.params;
  if (raw != null && (typeof raw !== "object" || Array.isArray(raw))) p.add(at(path, "params"), "must be an object");
  const params = test ? checkParams(p, at(path, "params"), test, (raw ?? {}) as Record<string, unknown>) : undefined;
  const out: RiskRulePayload = {
    test: test!,
    active: o.active !== false,
    severity: severity!,
    holdKind,
    reasonCode: reasonCode!,
    reason: reason!,
    question,
    answerDays,
    params: (params ?? {}) as Payload,
  };
  return out as unknown as Payload;
}

registerRuleKind(RISK_RULE, {
  public: false,
  describe: `a risk rule of the destination's customs, keyed by its code: test ${RISK_RULE_KINDS.join(", ")}`,
  key: (p, path, key) => {
    if (!REASON_CODE.test(key)) p.add(path, "must be a rule code of 1 to 32 of A-Z, 0-9, '_' and '-'");
  },
  payload: (p, path, o) => checkRiskRule(p, path, o),
});

registerRuleKind(RISK_SETTINGS, {
  public: false,
  describe: "ASSESSMENT: whether filings are registered and risk-assessed at filing (enabled), and the severity above which a rule's hold is placed (holdAbove)",
  key: (p, path, key) => {
    if (key !== "ASSESSMENT") p.add(path, "must be ASSESSMENT");
  },
  payload: (p, path, o) => {
    if (typeof o.enabled !== "boolean") p.add(at(path, "enabled"), "must be true or false");
    const holdAbove = oneOf(p, at(path, "holdAbove"), o.holdAbove ?? "MEDIUM", Object.values(AlertSeverity));
    return { enabled: o.enabled === true, holdAbove } satisfies Partial<RiskSettingsPayload>;
  },
});
