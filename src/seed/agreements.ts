// The demo world's data-sharing agreements between its parties, with their history.
import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "../generated/prisma/client";
import type { AgreementStatus, Contribution, DataCategory } from "../generated/prisma/enums";
import { party, type SeedWorld } from "./parties";

const DAY = 86_400_000;

interface AgreementSpec {
  grantor: string;
  grantee: string;
  proposedBy: "grantor" | "grantee";
  purpose: string;
  legalBasis: string;
  categories: DataCategory[];
  contributions: Contribution[];
  scopeDestinations: string[];
  scopeOrigins: string[];
  scopeOnlyCarried: boolean;
  /** days before now */
  proposedDaysAgo: number;
  validDays: number | null;
  /** lifecycle after PROPOSE: each step [action, to status, by side, days before now, note] */
  steps: [string, AgreementStatus, "grantor" | "grantee", number, string | null][];
}

const AGREEMENT_SPECS: AgreementSpec[] = [
  {
    grantor: "platform.SV",
    grantee: "carrier.SWX",
    proposedBy: "grantee",
    purpose: "Door-to-door delivery and delivered-duty-paid clearance of marketplace orders to Germany",
    legalBasis: "Carriage contract SV-SWX-2026; GDPR Art. 6(1)(b) (performance of contract)",
    categories: ["COMMERCIAL", "PARTIES"],
    contributions: [],
    scopeDestinations: ["DE"],
    scopeOrigins: [],
    scopeOnlyCarried: true,
    proposedDaysAgo: 120,
    validDays: 730,
    steps: [["ACCEPT", "ACTIVE", "grantor", 118, null]],
  },
  {
    grantor: "post.CN",
    grantee: "customs.BE",
    proposedBy: "grantee",
    purpose: "Pre-loading security risk analysis of mail transiting Liège to Germany, France and the Netherlands",
    legalBasis: "Regulation (EU) No 952/2013 (Union Customs Code) Art. 127; UPU Convention Art. 8",
    categories: ["TRANSPORT"],
    contributions: [],
    scopeDestinations: ["DE", "FR", "NL"],
    scopeOrigins: ["CN"],
    scopeOnlyCarried: false,
    proposedDaysAgo: 200,
    validDays: null,
    steps: [["ACCEPT", "ACTIVE", "grantor", 190, null]],
  },
  {
    grantor: "platform.DM",
    grantee: "broker.NZ",
    proposedBy: "grantor",
    purpose: "Customs representation (indirect) for marketplace orders imported into Germany",
    legalBasis: "Customs representation mandate DM-NZ-01; Union Customs Code Art. 18",
    categories: ["COMMERCIAL", "PARTIES", "REVENUE"],
    contributions: ["AMEND"],
    scopeDestinations: ["DE"],
    scopeOrigins: [],
    scopeOnlyCarried: false,
    proposedDaysAgo: 90,
    validDays: 365,
    steps: [["ACCEPT", "ACTIVE", "grantee", 88, null]],
  },
  {
    grantor: "post.US",
    grantee: "customs.GB",
    proposedBy: "grantee",
    purpose: "Advance electronic data on US mail to the United Kingdom for revenue risk analysis",
    legalBasis: "UPU Convention Art. 8; Memorandum of understanding USPS-HMRC (draft)",
    categories: ["TRANSPORT", "COMMERCIAL"],
    contributions: [],
    scopeDestinations: ["GB"],
    scopeOrigins: ["US"],
    scopeOnlyCarried: false,
    proposedDaysAgo: 60,
    validDays: 365,
    steps: [
      ["ACCEPT", "ACTIVE", "grantor", 55, null],
      ["SUSPEND", "SUSPENDED", "grantor", 10, "Suspended pending renewal of the data protection assessment"],
    ],
  },
];

/** Creates the agreements between the world's parties that do not exist yet; returns how many. */
export async function ensureAgreements(prisma: PrismaClient, world: SeedWorld, now: Date): Promise<number> {
  let created = 0;
  for (const a of AGREEMENT_SPECS) {
    const grantorId = party(world, a.grantor).id;
    const granteeId = party(world, a.grantee).id;
    const found = await prisma.agreement.findFirst({ where: { grantorId, granteeId, purpose: a.purpose }, select: { id: true } });
    if (found) continue;
    await prisma.agreement.create({ data: agreementData(a, grantorId, granteeId, now) });
    created++;
  }
  return created;
}

/** The agreement as its proposal and the steps after it left it. */
function agreementData(a: AgreementSpec, grantorId: string, granteeId: string, now: Date): Prisma.AgreementUncheckedCreateInput {
  const sideId = (s: "grantor" | "grantee") => (s === "grantor" ? grantorId : granteeId);
  const proposedAt = new Date(now.getTime() - a.proposedDaysAgo * DAY);
  const history: Prisma.AgreementEventCreateManyAgreementInput[] = [
    { id: randomUUID(), actorPartyId: sideId(a.proposedBy), action: "PROPOSE", fromStatus: null, toStatus: "PROPOSED", at: proposedAt },
  ];
  let status: AgreementStatus = "PROPOSED";
  let updatedAt = proposedAt;
  for (const [action, to, by, daysAgo, note] of a.steps) {
    updatedAt = new Date(now.getTime() - daysAgo * DAY);
    history.push({ id: randomUUID(), actorPartyId: sideId(by), action, fromStatus: status, toStatus: to, note, at: updatedAt });
    status = to;
  }
  return {
    id: randomUUID(),
    grantorId,
    granteeId,
    proposedById: sideId(a.proposedBy),
    purpose: a.purpose,
    legalBasis: a.legalBasis,
    categories: a.categories,
    contributions: a.contributions,
    scopeDestinations: a.scopeDestinations,
    scopeOrigins: a.scopeOrigins,
    scopeOnlyCarried: a.scopeOnlyCarried,
    validFrom: proposedAt,
    validTo: a.validDays == null ? null : new Date(proposedAt.getTime() + a.validDays * DAY),
    status,
    version: history.length,
    createdAt: proposedAt,
    updatedAt,
    history: { createMany: { data: history } },
  };
}
