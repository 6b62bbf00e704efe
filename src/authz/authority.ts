import type { Contribution, DeclarationStatus, HoldKind, PartyKind, Role } from "../generated/prisma/enums";
import type { DeclarationScope } from "./policy";
import type { Principal } from "./principal";
import { EU_MEMBER_STATES } from "../shared/validation";

/*
 * Who may do what: every write action of the hub, as data. The policy engine (policy.ts)
 * answers `assert(action, resource)` from this table and from the agreements in force;
 * services ask it and hold no role or party-kind comparisons of their own.
 *
 * A row grants an action to a party that stands in one of `who` to the resource. Rows may
 * be limited to a stage of the declaration's lifecycle. An agreement grants an action only
 * through the row's `delegable` contribution, and only where its grantor itself stands in
 * one of `who` to the declaration (nobody delegates what it does not have); a customs
 * decision is delegated only to customs officers.
 */

export const STATUS_EVENT_CODES = [
  "ACCEPTED",
  "DEPARTED",
  "ARRIVED",
  "PRESENTED_TO_CUSTOMS",
  "HELD_BY_CUSTOMS",
  "RELEASED_FROM_CUSTOMS",
  "SEIZED_BY_CUSTOMS",
  "OUT_FOR_DELIVERY",
  "DELIVERY_ATTEMPTED",
  "DELIVERED",
  "RETURNED",
] as const;
export type StatusEventCodeName = (typeof STATUS_EVENT_CODES)[number];

export const HOLD_KINDS: readonly HoldKind[] = ["RFI", "HIGH_RISK_SCREENING", "DO_NOT_LOAD", "INSPECTION", "DOCUMENTS_REQUIRED"];

export type Action =
  | "party:create"
  | "apiKey:create"
  | "apiKey:revoke"
  | "apiKey:list"
  | "agreement:read"
  | "agreement:propose"
  | "agreement:accept"
  | "agreement:suspend"
  | "agreement:revoke"
  | "declaration:file"
  | "declaration:amend"
  | "declaration:register"
  | `statusEvent:${StatusEventCodeName}`
  | "riskAlert:raise"
  | "riskAlert:resolve"
  | `hold:place:${HoldKind}`
  | `hold:release:${HoldKind}`
  | "duties:assess"
  | "rules:publish"
  | "rules:readRestricted"
  | "referral:answer"
  | "webhook:register"
  | "webhook:read"
  | "webhook:update"
  | "webhook:delete"
  | "webhook:replay"
  | "rateLimit:set"
  | "rateLimit:read"
  | "rateLimit:readOwn";

/** How a party can stand to the resource of an action. */
export type Relation =
  | "operator"
  | "tradeParty"
  | "filer"
  | "namedCarrier"
  | "namedPlatform"
  | "destinationCustoms"
  | "destinationOfficer"
  | "alertAuthor"
  | "agreementParty"
  | "keyOwner"
  | "limitedParty"
  | "partner"
  | "endpointOwner"
  | "jurisdictionOfficer"
  | "jurisdictionCustoms"
  | "addressee";

/** What an action is about; only the parts it needs are given. */
export interface WriteResource {
  declaration?: DeclarationScope & { status?: DeclarationStatus };
  /** the party that raised the risk alert being resolved */
  alertAuthorId?: string;
  agreement?: { grantorId: string; granteeId: string };
  /** the party owning the API key (or the party keys are created for) */
  keyOwnerId?: string;
  /** the party whose rate limits are read */
  limitedPartyId?: string;
  /** the party owning the webhook endpoint */
  endpointOwnerId?: string;
  /** whose rules (tariffs, thresholds, exchange rates): a country code, or EU */
  jurisdiction?: string;
  /** the party a referral (hold) is addressed to */
  addresseeId?: string | null;
}

const TRADE_KINDS: readonly PartyKind[] = ["PLATFORM", "CARRIER", "POST", "BROKER"];
const CUSTOMS_ROLES: readonly Role[] = ["OFFICER", "ANALYST"];

interface RelationRule {
  describe: string;
  /** party kinds that can ever stand in this relation (for delegation checks at proposal) */
  kinds: readonly PartyKind[];
  holds(p: { partyId: string; partyKind: PartyKind; country: string; role: Role }, r: WriteResource): boolean;
}

const agent = (p: { role: Role }) => p.role === "AGENT";
const customsAt = (p: { partyKind: PartyKind; role: Role; country: string }, r: WriteResource, roles: readonly Role[]) =>
  p.partyKind === "CUSTOMS" && roles.includes(p.role) && r.declaration?.destinationCountry === p.country;

export const RELATIONS: Record<Relation, RelationRule> = {
  operator: { describe: "the hub operator", kinds: ["OPERATOR"], holds: (p) => p.role === "OPERATOR" },
  tradeParty: {
    describe: "a platform, carrier, post or broker",
    kinds: TRADE_KINDS,
    holds: (p) => agent(p) && TRADE_KINDS.includes(p.partyKind),
  },
  filer: {
    describe: "the filer",
    kinds: TRADE_KINDS,
    holds: (p, r) => agent(p) && r.declaration?.filerId === p.partyId,
  },
  namedCarrier: {
    describe: "the carrier or post named",
    kinds: ["CARRIER", "POST"],
    holds: (p, r) => agent(p) && !!r.declaration && (r.declaration.carrierId === p.partyId || r.declaration.postId === p.partyId),
  },
  namedPlatform: {
    describe: "the platform named",
    kinds: ["PLATFORM"],
    holds: (p, r) => agent(p) && r.declaration?.platformId === p.partyId,
  },
  destinationCustoms: {
    describe: "customs of the destination (officer or analyst)",
    kinds: ["CUSTOMS"],
    holds: (p, r) => customsAt(p, r, CUSTOMS_ROLES),
  },
  destinationOfficer: {
    describe: "a customs officer of the destination",
    kinds: ["CUSTOMS"],
    holds: (p, r) => customsAt(p, r, ["OFFICER"]),
  },
  alertAuthor: {
    describe: "the party that raised the alert",
    kinds: [...TRADE_KINDS, "CUSTOMS"],
    holds: (p, r) => p.role !== "OPERATOR" && r.alertAuthorId === p.partyId,
  },
  agreementParty: {
    describe: "the grantor or grantee",
    kinds: [...TRADE_KINDS, "CUSTOMS"],
    holds: (p, r) => p.role !== "OPERATOR" && !!r.agreement && (r.agreement.grantorId === p.partyId || r.agreement.granteeId === p.partyId),
  },
  keyOwner: {
    describe: "the party owning the key",
    kinds: [...TRADE_KINDS, "CUSTOMS"],
    holds: (p, r) => p.role !== "OPERATOR" && r.keyOwnerId === p.partyId,
  },
  limitedParty: {
    describe: "the party the limits are for",
    kinds: [...TRADE_KINDS, "CUSTOMS"],
    holds: (p, r) => p.role !== "OPERATOR" && r.limitedPartyId === p.partyId,
  },
  partner: {
    describe: "a platform, carrier, post, broker or customs",
    kinds: [...TRADE_KINDS, "CUSTOMS"],
    holds: (p) => p.role !== "OPERATOR" && p.partyKind !== "OPERATOR",
  },
  endpointOwner: {
    describe: "the party owning the endpoint",
    kinds: [...TRADE_KINDS, "CUSTOMS"],
    holds: (p, r) => p.role !== "OPERATOR" && r.endpointOwnerId === p.partyId,
  },
  jurisdictionOfficer: {
    describe: "a customs officer of that jurisdiction (of an EU member state for EU rules)",
    kinds: ["CUSTOMS"],
    holds: (p, r) =>
      p.partyKind === "CUSTOMS" &&
      p.role === "OFFICER" &&
      !!r.jurisdiction &&
      (r.jurisdiction === p.country || (r.jurisdiction === "EU" && EU_MEMBER_STATES.has(p.country))),
  },
  jurisdictionCustoms: {
    describe: "customs (officer or analyst) of that jurisdiction (of an EU member state for EU rules)",
    kinds: ["CUSTOMS"],
    holds: (p, r) =>
      p.partyKind === "CUSTOMS" &&
      CUSTOMS_ROLES.includes(p.role) &&
      !!r.jurisdiction &&
      (r.jurisdiction === p.country || (r.jurisdiction === "EU" && EU_MEMBER_STATES.has(p.country))),
  },
  addressee: {
    describe: "the party the referral is addressed to (the filer)",
    kinds: TRADE_KINDS,
    holds: (p, r) => agent(p) && !!r.addresseeId && r.addresseeId === p.partyId,
  },
};

/** Where in the lifecycle a declaration is, for rows that depend on it. */
export type Stage = "beforeArrival" | "afterArrival";
const AFTER_ARRIVAL: ReadonlySet<DeclarationStatus> = new Set([
  "ARRIVED",
  "DUTIES_ASSESSED",
  "HELD",
  "RELEASED",
  "DELIVERED",
  "RETURNED",
  "SEIZED",
]);
export function stageOf(status: DeclarationStatus): Stage {
  return AFTER_ARRIVAL.has(status) ? "afterArrival" : "beforeArrival";
}

export interface Permission {
  action: Action;
  who: Relation[];
  /** only at this stage of the declaration (the row does not apply otherwise) */
  stage?: Stage;
  /** the agreement contribution through which the grantor may delegate it */
  delegable?: Contribution;
  /** delegated, it applies only where the grantee also stands in this relation */
  delegatedOnlyAs?: Relation;
  /** a customs decision: delegated only to customs officers */
  customsDecision?: boolean;
  note?: string;
}

const statusEvent = (code: StatusEventCodeName, who: Relation[], extra: Partial<Permission> = {}): Permission => ({
  action: `statusEvent:${code}`,
  who,
  delegable: extra.customsDecision ? undefined : "STATUS_EVENTS",
  ...extra,
});

/** THE table. README's "who may do what" is generated from it (npm run authority:table). */
export const AUTHORITY: readonly Permission[] = [
  { action: "party:create", who: ["operator"] },
  { action: "apiKey:create", who: ["operator"] },
  { action: "apiKey:revoke", who: ["operator", "keyOwner"] },
  { action: "apiKey:list", who: ["operator", "keyOwner"] },
  { action: "agreement:read", who: ["operator", "agreementParty"], note: "a read: anyone else gets NOT_FOUND" },
  {
    action: "agreement:propose",
    who: ["agreementParty"],
    note: "contributions only those the grantor holds itself (BAD_USER_INPUT otherwise)",
  },
  { action: "agreement:accept", who: ["agreementParty"], note: "the party that did not propose; a suspension is lifted by the party that imposed it" },
  { action: "agreement:suspend", who: ["agreementParty"] },
  { action: "agreement:revoke", who: ["agreementParty"] },
  { action: "declaration:file", who: ["tradeParty"], note: "the filer is the caller's party" },
  { action: "declaration:amend", who: ["filer"], delegable: "AMEND", note: "no change of values after release" },
  { action: "declaration:register", who: ["destinationOfficer"], customsDecision: true, note: "assigns the movement reference" },
  statusEvent("ACCEPTED", ["namedCarrier", "filer"]),
  statusEvent("DEPARTED", ["namedCarrier", "filer"]),
  statusEvent("ARRIVED", ["namedCarrier", "destinationOfficer"]),
  statusEvent("PRESENTED_TO_CUSTOMS", ["namedCarrier", "destinationOfficer"]),
  statusEvent("HELD_BY_CUSTOMS", ["namedCarrier", "destinationOfficer"], { note: "a report; customs hold with placeHold" }),
  statusEvent("RELEASED_FROM_CUSTOMS", ["destinationOfficer"], { customsDecision: true, delegable: "HOLDS", note: "after an assessment" }),
  statusEvent("SEIZED_BY_CUSTOMS", ["destinationOfficer"], { customsDecision: true, delegable: "HOLDS" }),
  statusEvent("OUT_FOR_DELIVERY", ["namedCarrier"]),
  statusEvent("DELIVERY_ATTEMPTED", ["namedCarrier"]),
  statusEvent("DELIVERED", ["namedCarrier"]),
  statusEvent("RETURNED", ["namedCarrier", "filer", "destinationOfficer"], { stage: "beforeArrival" }),
  statusEvent("RETURNED", ["destinationOfficer"], {
    stage: "afterArrival",
    customsDecision: true,
    delegable: "HOLDS",
    note: "under customs supervision",
  }),
  { action: "riskAlert:raise", who: ["destinationCustoms"], delegable: "RISK_ALERTS" },
  { action: "riskAlert:resolve", who: ["destinationCustoms"], delegable: "RISK_ALERTS", delegatedOnlyAs: "alertAuthor" },
  ...HOLD_KINDS.flatMap((kind): Permission[] => [
    { action: `hold:place:${kind}`, who: ["destinationOfficer"], delegable: "HOLDS", customsDecision: true },
    { action: `hold:release:${kind}`, who: ["destinationOfficer"], delegable: "HOLDS", customsDecision: true },
  ]),
  { action: "duties:assess", who: ["destinationOfficer"], delegable: "DUTIES", customsDecision: true, note: "a correction supersedes the previous assessment" },
  {
    action: "rules:publish",
    who: ["jurisdictionOfficer"],
    note: "tariff rules, thresholds, settings and exchange rates, as new versions; never delegated",
  },
  {
    action: "rules:readRestricted",
    who: ["operator", "jurisdictionCustoms"],
    note: "a read of the rule kinds that are not public (risk rules and risk settings, `riskRules`); anyone else is FORBIDDEN, whether or not such rules exist",
  },
  {
    action: "referral:answer",
    who: ["addressee"],
    note: "an open RFI, screening or destination hold; a DO_NOT_LOAD takes no answer; customs then release or escalate",
  },
  {
    action: "webhook:register",
    who: ["partner"],
    note: "the endpoint hears what the registering key's party and role may hear, as its subscriptions would",
  },
  { action: "webhook:read", who: ["endpointOwner"], note: "a read (endpoints and their delivery log): anyone else gets NOT_FOUND" },
  { action: "webhook:update", who: ["endpointOwner"], note: "the endpoint then hears with the updating key's role" },
  { action: "webhook:delete", who: ["endpointOwner"], note: "soft: the delivery log is kept" },
  { action: "webhook:replay", who: ["endpointOwner"], note: "each event authorized again when sent" },
  { action: "rateLimit:set", who: ["operator"], note: "a party's limits, or the default of a party kind; a party reads its own with `me { rateLimit }` and the RateLimit-Policy header" },
  { action: "rateLimit:read", who: ["operator"], note: "a read (the limits in force and their history)" },
  { action: "rateLimit:readOwn", who: ["operator", "limitedParty"], note: "a read of one's own party's limits in force (`me { rateLimit }`)" },
];

const BY_ACTION = new Map<Action, Permission[]>();
for (const row of AUTHORITY) BY_ACTION.set(row.action, [...(BY_ACTION.get(row.action) ?? []), row]);

/** The rows of an action that apply to this resource (its stage). */
export function permissionsFor(action: Action, resource: WriteResource): Permission[] {
  const rows = BY_ACTION.get(action) ?? [];
  const status = resource.declaration?.status;
  return rows.filter((r) => !r.stage || (status !== undefined && stageOf(status) === r.stage));
}

/**
 * Contributions a party of this kind can ever grant: those it may exercise itself by
 * baseline. Customs decisions only customs can grant.
 */
export function grantableContributions(kind: PartyKind): Set<Contribution> {
  const out = new Set<Contribution>();
  for (const row of AUTHORITY) {
    if (row.delegable && row.who.some((rel) => RELATIONS[rel].kinds.includes(kind))) out.add(row.delegable);
  }
  return out;
}

/** Party kinds that may receive a contribution (customs decisions go to customs only). */
export function mayReceive(contribution: Contribution, kind: PartyKind): boolean {
  if (kind === "OPERATOR") return false;
  const rows = AUTHORITY.filter((r) => r.delegable === contribution);
  return rows.some((r) => !r.customsDecision || kind === "CUSTOMS");
}

const PHRASES: Record<string, string> = {
  "party:create": "create parties",
  "apiKey:create": "create API keys",
  "apiKey:revoke": "revoke this API key",
  "apiKey:list": "list these API keys",
  "agreement:read": "read this agreement",
  "agreement:propose": "propose this agreement",
  "agreement:accept": "accept this agreement",
  "agreement:suspend": "suspend this agreement",
  "agreement:revoke": "revoke this agreement",
  "declaration:file": "file declarations",
  "declaration:amend": "amend this declaration",
  "declaration:register": "register this declaration",
  "riskAlert:raise": "raise risk alerts on this declaration",
  "riskAlert:resolve": "resolve this risk alert",
  "duties:assess": "assess duties on this declaration",
  "rules:publish": "publish rules for this jurisdiction",
  "rules:readRestricted": "read the risk rules of this jurisdiction",
  "referral:answer": "answer this referral",
  "webhook:register": "register webhooks",
  "webhook:read": "read this webhook",
  "webhook:update": "update this webhook",
  "webhook:delete": "delete this webhook",
  "webhook:replay": "replay deliveries of this webhook",
  "rateLimit:set": "set rate limits",
  "rateLimit:read": "read rate limits",
  "rateLimit:readOwn": "read these rate limits",
};

/** The action in the words of a FORBIDDEN message ("Your party may not ..."). */
export function describeAction(action: Action): string {
  if (PHRASES[action]) return PHRASES[action];
  const [what, a, b] = action.split(":");
  if (what === "statusEvent") return `record status event ${a} on this declaration`;
  return `${a} ${b} holds on this declaration`;
}

/** Which roles a key may carry for each kind of party. */
const ROLES_FOR_KIND: Record<PartyKind, readonly Role[]> = {
  OPERATOR: ["OPERATOR"],
  CUSTOMS: ["OFFICER", "ANALYST"],
  POST: ["AGENT"],
  CARRIER: ["AGENT"],
  PLATFORM: ["AGENT"],
  BROKER: ["AGENT"],
};
export function rolesForKind(kind: PartyKind): readonly Role[] {
  return ROLES_FOR_KIND[kind];
}

/** Notes written by customs are RISK data (a targeting reason must not reach the trade). */
export function writesRiskNotes(actor: Pick<Principal, "partyKind">): boolean {
  return actor.partyKind === "CUSTOMS";
}

/** A principal as the relations see it. */
export type Actor = Pick<Principal, "partyId" | "partyKind" | "country" | "role">;
