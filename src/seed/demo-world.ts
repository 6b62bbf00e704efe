// A believable, reproducible world for demos, tests and load: customs of several countries,
// designated postal operators, express carriers, e-commerce platforms and a broker, a few
// agreements between them, and declarations spread along the whole lifecycle with their
// goods items, status events, risk alerts, holds and duty assessments.
//
// Content is deterministic: declaration n depends only on (seed, n), whatever the batch
// size or concurrency. Row ids come from crypto.randomUUID and timestamps are relative to
// `now`, so those differ between runs. Tax rules here are simplified on purpose (one duty
// rate per declaration, fixed exchange rates): good enough for a demo, not a tariff.
import { createHash, randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "../generated/prisma/client";
import type {
  AgreementStatus,
  AlertSeverity,
  AlertStatus,
  CollectionModel,
  Contribution,
  DataCategory,
  DeclarationCategory,
  DeclarationStatus,
  HoldKind,
  PartyKind,
  Role,
  TaxType,
} from "../generated/prisma/enums";
import type { Pool } from "pg";
import type { Hub } from "../hub";
import { loadShippedRuleSets } from "../modules/rules/rules.loader";
import { loadShippedRiskRules } from "../modules/risk/risk.loader";
import { DEFAULT_RFI_QUESTION } from "../modules/workflow/workflow.referrals";
import type { StatusEventCode } from "../modules/workflow/workflow.lifecycle";
import type { Logger } from "../infra/logger";

export type DemoKeys = { role: string; party: string; secret: string }[];

export const DEFAULT_SEED = 20171208; // WCO Luxor Resolution, December 2017
export const DEFAULT_DECLARATIONS = 3000;

// =======================================================================================
// Deterministic randomness

/** mulberry32: a tiny 32-bit PRNG, plenty for test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's finaliser: spreads (seed, n) into an independent-looking 32-bit seed. */
function mix(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of table) total += w;
    let r = this.next() * total;
    for (const [v, w] of table) {
      r -= w;
      if (r < 0) return v;
    }
    return table[table.length - 1][0];
  }
  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += Math.floor(this.next() * 10);
    return s;
  }
}

// =======================================================================================
// Identifiers

const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];

/** UPU S10 check digit of an 8-digit serial: 11 - (weighted sum mod 11); 10 -> 0, 11 -> 5. */
export function s10CheckDigit(serial: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (serial.charCodeAt(i) - 48) * S10_WEIGHTS[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 0 : c === 11 ? 5 : c;
}

/** An S10 item identifier, e.g. s10("RR", 12345678, "CN") = "RR123456785CN". */
export function s10(serviceIndicator: string, serial: number, country: string): string {
  const digits = String(serial % 1e8).padStart(8, "0");
  return `${serviceIndicator}${digits}${s10CheckDigit(digits)}${country}`;
}

/**
 * A bijection of [0, modulus) (multiplier coprime to the modulus), so the n-th declaration
 * gets a distinct serial that does not look sequential. Exact below 2^53: n * 48271 + salt.
 */
function scramble(n: number, modulus: number, salt: number): number {
  return (n * 48271 + salt) % modulus;
}

const BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function base36(n: number, width: number): string {
  let s = "";
  for (let i = 0; i < width; i++) {
    s = BASE36[n % 36] + s;
    n = Math.floor(n / 36);
  }
  return s;
}

/** ISO 6346 letter values (A=10, skipping multiples of 11), for check characters. */
const LETTER_VALUE: Record<string, number> = {};
for (let i = 0, v = 10; i < 26; i++, v++) {
  if (v % 11 === 0) v++;
  LETTER_VALUE[String.fromCharCode(65 + i)] = v;
}

/** ISO 6346-style check character, as used by EU movement reference numbers. */
function mrnCheck(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    const v = ch >= "0" && ch <= "9" ? ch.charCodeAt(0) - 48 : LETTER_VALUE[ch];
    sum += v * 2 ** i;
  }
  return String((sum % 11) % 10);
}

/** 18-character MRN: YY, country, 13 characters, check character (e.g. 26DE0H3K9Q2ZC7A1X4). */
function movementReference(n: number, country: string, at: Date): string {
  const yy = String(at.getUTCFullYear() % 100).padStart(2, "0");
  // 36^10 > 3.6e15 distinct values: unique per declaration number well beyond any seed.
  const body = `${yy}${country}I${base36(scramble(n, 36 ** 10, 7_777_777), 10)}${BASE36[n % 36]}${BASE36[(n * 7) % 36]}`;
  return body + mrnCheck(body);
}

// =======================================================================================
// Parties

interface PartySpec {
  key: string;
  name: string;
  kind: Exclude<PartyKind, "OPERATOR">;
  country: string;
  eori?: string;
  vatNumber?: string;
  iossNumber?: string;
  upuCode?: string;
  carrierCode?: string;
}

const PARTY_SPECS: PartySpec[] = [
  // Customs authorities: destinations, plus Belgium as the transit hub (Liège).
  { key: "customs.DE", name: "Generalzolldirektion (DE)", kind: "CUSTOMS", country: "DE" },
  { key: "customs.FR", name: "DGDDI (FR)", kind: "CUSTOMS", country: "FR" },
  { key: "customs.NL", name: "Douane (NL)", kind: "CUSTOMS", country: "NL" },
  { key: "customs.BE", name: "Administration générale des douanes et accises (BE)", kind: "CUSTOMS", country: "BE" },
  { key: "customs.US", name: "U.S. Customs and Border Protection", kind: "CUSTOMS", country: "US" },
  { key: "customs.GB", name: "HM Revenue & Customs (GB)", kind: "CUSTOMS", country: "GB" },
  // Designated postal operators, with UPU-style operator codes (country + "A").
  { key: "post.CN", name: "China Post", kind: "POST", country: "CN", upuCode: "CNA" },
  { key: "post.HK", name: "Hongkong Post", kind: "POST", country: "HK", upuCode: "HKA" },
  { key: "post.US", name: "United States Postal Service", kind: "POST", country: "US", upuCode: "USA" },
  { key: "post.GB", name: "Royal Mail", kind: "POST", country: "GB", upuCode: "GBA", eori: "GB123456789000" },
  { key: "post.TR", name: "PTT (Türkiye)", kind: "POST", country: "TR", upuCode: "TRA" },
  { key: "post.DE", name: "Deutsche Post", kind: "POST", country: "DE", upuCode: "DEA", eori: "DE4711000" },
  { key: "post.FR", name: "La Poste", kind: "POST", country: "FR", upuCode: "FRA", eori: "FR35600000000048" },
  { key: "post.NL", name: "PostNL", kind: "POST", country: "NL", upuCode: "NLA", eori: "NL009162838" },
  // Express carriers (fictional).
  { key: "carrier.SWX", name: "SwiftAir Express", kind: "CARRIER", country: "US", carrierCode: "SWX", eori: "NL859372641" },
  { key: "carrier.MRD", name: "Meridian Courier", kind: "CARRIER", country: "NL", carrierCode: "MRD", eori: "NL823456781", vatNumber: "NL823456781B01" },
  { key: "carrier.JDX", name: "Jade Dragon Express", kind: "CARRIER", country: "CN", carrierCode: "JDX", eori: "BE0712345678" },
  { key: "carrier.BCX", name: "Bosphorus Cargo Express", kind: "CARRIER", country: "TR", carrierCode: "BCX", eori: "DE3345671" },
  // E-commerce platforms (fictional), each with an IOSS number (IM + member state + serial).
  { key: "platform.SV", name: "Shopverse Marketplace", kind: "PLATFORM", country: "IE", iossNumber: "IM3720001234", vatNumber: "IE3456789KH" },
  { key: "platform.DM", name: "DragonMall Global", kind: "PLATFORM", country: "CN", iossNumber: "IM5280004821" },
  { key: "platform.BZ", name: "Bazaar Istanbul Online", kind: "PLATFORM", country: "TR", iossNumber: "IM4420000917" },
  { key: "platform.AG", name: "Atlantic Goods Co.", kind: "PLATFORM", country: "US", iossNumber: "IM3720007755" },
  // Broker / declarant.
  { key: "broker.NZ", name: "Nordlicht Zollagentur GmbH", kind: "BROKER", country: "DE", eori: "DE8123456", vatNumber: "DE298765432" },
];

export interface WorldParty extends PartySpec {
  id: string;
}

/** The parties of a seeded world, by the keys used in PARTY_SPECS (e.g. "customs.DE"). */
export interface SeedWorld {
  parties: Record<string, WorldParty>;
}

function party(world: SeedWorld, key: string): WorldParty {
  const p = world.parties[key];
  if (!p) throw new Error(`seed world has no party ${key}`);
  return p;
}

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

/**
 * Finds the world's parties (by kind and name) and creates the missing ones, then the
 * agreements between them that do not exist yet. Safe to call on a store seeded before.
 */
export async function ensureWorld(prisma: PrismaClient, now = new Date()): Promise<{ world: SeedWorld; createdParties: number; createdAgreements: number }> {
  const existing = await prisma.party.findMany({
    where: { name: { in: PARTY_SPECS.map((s) => s.name) } },
    orderBy: { createdAt: "asc" },
  });
  const byName = new Map<string, string>();
  for (const p of existing) {
    const k = `${p.kind}|${p.name}`;
    if (!byName.has(k)) byName.set(k, p.id);
  }
  const parties: Record<string, WorldParty> = {};
  const missing: Prisma.PartyCreateManyInput[] = [];
  for (const spec of PARTY_SPECS) {
    let id = byName.get(`${spec.kind}|${spec.name}`);
    if (!id) {
      id = randomUUID();
      const { key: _key, ...data } = spec;
      missing.push({ ...data, id, createdAt: new Date(now.getTime() - 400 * DAY) });
    }
    parties[spec.key] = { ...spec, id };
  }
  if (missing.length) await prisma.party.createMany({ data: missing });
  const world: SeedWorld = { parties };

  let createdAgreements = 0;
  for (const a of AGREEMENT_SPECS) {
    const grantorId = party(world, a.grantor).id;
    const granteeId = party(world, a.grantee).id;
    const found = await prisma.agreement.findFirst({ where: { grantorId, granteeId, purpose: a.purpose }, select: { id: true } });
    if (found) continue;
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
    await prisma.agreement.create({
      data: {
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
      },
    });
    createdAgreements++;
  }
  return { world, createdParties: missing.length, createdAgreements };
}

/** Keys a demo needs: customs officer and analyst of DE, agents of a platform, a post and a carrier. */
const DEMO_KEYS: [string, Role, string][] = [
  ["customs.DE", "OFFICER", "demo officer"],
  ["customs.DE", "ANALYST", "demo analyst"],
  ["platform.SV", "AGENT", "demo platform agent"],
  ["post.CN", "AGENT", "demo post agent"],
  ["carrier.SWX", "AGENT", "demo carrier agent"],
];

/** The labels of the demo keys (a first start that did not finish revokes its unshown ones). */
export const DEMO_KEY_LABELS: readonly string[] = DEMO_KEYS.map(([, , label]) => label);

/** Issues one new key per demo role; secrets are shown once, so they are returned here. */
export async function issueDemoKeys(hub: Hub, world: SeedWorld): Promise<DemoKeys> {
  const keys: DemoKeys = [];
  for (const [key, role, label] of DEMO_KEYS) {
    const p = party(world, key);
    keys.push({ role, party: p.name, secret: await hub.services.parties.issueKey(p.id, role, label) });
  }
  return keys;
}

// =======================================================================================
// Reference data for declarations

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Currency = "EUR" | "USD" | "GBP" | "CNY";
/** Fixed seed exchange rates: micro-EUR per unit of currency. */
const EUR_PER: Record<Currency, number> = { EUR: 1_000_000, USD: 920_000, GBP: 1_170_000, CNY: 128_000 };

function convert(cents: number, from: Currency, to: Currency): number {
  return from === to ? cents : Math.round((cents * EUR_PER[from]) / EUR_PER[to]);
}

interface Product {
  hs: string;
  names: string[];
  trade: string;
  /** unit price range, USD cents */
  price: [number, number];
  /** unit net weight range, grams */
  grams: [number, number];
  maxQty: number;
  /** duty rates in basis points of 1/10000 (EU/GB, US); simplified */
  euDuty: number;
  usDuty: number;
  weight: number;
  /** brand-sensitive goods: infringement alerts pick these */
  ipr?: boolean;
}

const PRODUCTS: Product[] = [
  { hs: "851830", names: ["Bluetooth wireless headphones", "True wireless earbuds with charging case", "Over-ear noise cancelling headphones"], trade: "Electronics", price: [800, 12000], grams: [40, 350], maxQty: 2, euDuty: 200, usDuty: 490, weight: 10, ipr: true },
  { hs: "610910", names: ["Men's cotton T-shirt, printed", "Women's cotton T-shirt, short sleeves", "Children's cotton T-shirt"], trade: "Apparel", price: [300, 2500], grams: [110, 220], maxQty: 6, euDuty: 1200, usDuty: 1650, weight: 12 },
  { hs: "640411", names: ["Running shoes, textile upper, rubber sole", "Sports sneakers, textile upper", "Training shoes, knitted upper"], trade: "Footwear", price: [1500, 9000], grams: [550, 900], maxQty: 2, euDuty: 1690, usDuty: 2000, weight: 8, ipr: true },
  { hs: "950300", names: ["Plastic building blocks set", "Plush toy bear", "Remote control toy car", "Wooden puzzle for children"], trade: "Toys", price: [300, 4500], grams: [80, 900], maxQty: 3, euDuty: 0, usDuty: 0, weight: 8 },
  { hs: "420222", names: ["Women's handbag, PU leather", "Shoulder bag, polyester textile", "Tote bag, plastic sheeting"], trade: "Leather Goods", price: [900, 6000], grams: [300, 900], maxQty: 1, euDuty: 970, usDuty: 1600, weight: 6, ipr: true },
  { hs: "847130", names: ["Laptop computer, 14 inch", "Tablet computer, 10.1 inch, 64 GB", "Ultrabook, 13.3 inch"], trade: "Technology", price: [12000, 90000], grams: [450, 1900], maxQty: 1, euDuty: 0, usDuty: 0, weight: 3 },
  { hs: "330499", names: ["Facial moisturising cream, 50 ml", "Vitamin C face serum, 30 ml", "Eyeshadow palette", "Sheet face masks, pack of 10"], trade: "Cosmetics", price: [300, 4000], grams: [40, 250], maxQty: 4, euDuty: 0, usDuty: 0, weight: 9 },
  { hs: "711719", names: ["Imitation jewellery necklace, base metal", "Fashion earrings, base metal, gilded", "Bracelet set, base metal"], trade: "Jewelry", price: [100, 1500], grams: [10, 60], maxQty: 10, euDuty: 400, usDuty: 1100, weight: 8 },
  { hs: "851713", names: ["Smartphone, 6.5 inch, 128 GB", "Smartphone, 6.1 inch, 256 GB"], trade: "Electronics", price: [8000, 50000], grams: [170, 240], maxQty: 1, euDuty: 0, usDuty: 0, weight: 4, ipr: true },
  { hs: "392690", names: ["Silicone phone case", "Plastic phone holder for car", "Plastic storage organiser"], trade: "Trading", price: [100, 1200], grams: [20, 150], maxQty: 5, euDuty: 650, usDuty: 530, weight: 9 },
  { hs: "611030", names: ["Knitted sweater of synthetic fibres", "Hooded sweatshirt, polyester"], trade: "Apparel", price: [900, 4000], grams: [300, 650], maxQty: 3, euDuty: 1200, usDuty: 3200, weight: 6 },
  { hs: "850760", names: ["Lithium-ion power bank, 10000 mAh", "Lithium-ion power bank, 20000 mAh"], trade: "Electronics", price: [900, 4500], grams: [180, 420], maxQty: 2, euDuty: 270, usDuty: 340, weight: 4 },
  { hs: "910211", names: ["Wrist watch, quartz, stainless steel case", "Wrist watch, quartz, leather strap"], trade: "Trading", price: [800, 20000], grams: [40, 160], maxQty: 2, euDuty: 450, usDuty: 640, weight: 4, ipr: true },
  { hs: "940542", names: ["LED strip light, 5 m, with remote", "LED desk lamp, USB"], trade: "Technology", price: [500, 3500], grams: [150, 800], maxQty: 3, euDuty: 470, usDuty: 390, weight: 5 },
  { hs: "847160", names: ["Wireless keyboard and mouse set", "Mechanical gaming keyboard"], trade: "Technology", price: [1500, 9000], grams: [400, 1100], maxQty: 1, euDuty: 0, usDuty: 0, weight: 4 },
  { hs: "392410", names: ["Silicone kitchen utensil set", "Plastic food storage containers, set of 6"], trade: "Trading", price: [500, 3000], grams: [200, 900], maxQty: 2, euDuty: 650, usDuty: 340, weight: 4 },
  { hs: "650500", names: ["Knitted beanie hat", "Cotton baseball cap"], trade: "Apparel", price: [200, 1800], grams: [60, 150], maxQty: 4, euDuty: 270, usDuty: 790, weight: 4 },
  { hs: "210690", names: ["Vitamin D3 food supplement capsules", "Protein powder food supplement, 1 kg"], trade: "Trading", price: [600, 4500], grams: [100, 1100], maxQty: 3, euDuty: 1280, usDuty: 640, weight: 3 },
  { hs: "950450", names: ["Handheld video game console", "Video game console controller"], trade: "Electronics", price: [2500, 40000], grams: [200, 700], maxQty: 1, euDuty: 0, usDuty: 0, weight: 2 },
  { hs: "620462", names: ["Women's trousers of cotton denim", "Women's cotton shorts"], trade: "Apparel", price: [1200, 6000], grams: [250, 700], maxQty: 2, euDuty: 1200, usDuty: 1660, weight: 4 },
];
const DOCUMENTS: Product = { hs: "491199", names: ["Business documents (contracts, invoices)", "Printed catalogue"], trade: "Trading", price: [0, 0], grams: [50, 400], maxQty: 1, euDuty: 0, usDuty: 0, weight: 0 };
const PRODUCT_TABLE = PRODUCTS.map((p) => [p, p.weight] as const);

const ORIGINS = [["CN", 55], ["US", 12], ["GB", 10], ["TR", 8], ["HK", 5], ["DE", 4], ["FR", 3], ["NL", 3]] as const;
const DESTINATIONS = [["DE", 30], ["FR", 17], ["NL", 12], ["BE", 5], ["US", 18], ["GB", 18]] as const;
const EU = new Set(["DE", "FR", "NL", "BE"]);
const VAT_BP: Record<string, number> = { DE: 1900, FR: 2000, NL: 2100, BE: 2100, GB: 2000 };
const DEST_CURRENCY: Record<string, Currency> = { DE: "EUR", FR: "EUR", NL: "EUR", BE: "EUR", GB: "GBP", US: "USD" };

const ORIGIN_CURRENCIES: Record<string, readonly (readonly [Currency, number])[]> = {
  CN: [["USD", 50], ["EUR", 25], ["CNY", 25]],
  HK: [["USD", 80], ["EUR", 20]],
  US: [["USD", 1]],
  GB: [["GBP", 1]],
  TR: [["EUR", 60], ["USD", 40]],
  DE: [["EUR", 1]],
  FR: [["EUR", 1]],
  NL: [["EUR", 1]],
};

const ORIGIN_CITIES: Record<string, string[]> = {
  CN: ["Shenzhen", "Guangzhou", "Yiwu", "Shanghai", "Dongguan", "Hangzhou"],
  HK: ["Hong Kong"],
  US: ["Los Angeles, CA", "Chicago, IL", "Newark, NJ", "Dallas, TX"],
  GB: ["London", "Manchester", "Birmingham", "Leeds"],
  TR: ["Istanbul", "Izmir", "Bursa"],
  DE: ["Leipzig", "Hamburg", "Köln"],
  FR: ["Paris", "Lyon", "Roissy-en-France"],
  NL: ["Amsterdam", "Rotterdam", "Utrecht"],
};

/** Where a parcel meets customs in each destination: [postal, express]. */
const GATEWAYS: Record<string, [string, string]> = {
  DE: ["Frankfurt am Main International Mail Processing Centre", "Leipzig/Halle Airport"],
  FR: ["Roissy-CDG International Mail Processing Centre", "Paris-CDG Roissy Fret"],
  NL: ["Amsterdam Schiphol International Mail Processing Centre", "Amsterdam Schiphol Cargo"],
  BE: ["Brussels X International Mail Processing Centre", "Liège Airport"],
  US: ["JFK International Mail Facility, New York", "Cincinnati/Northern Kentucky Airport"],
  GB: ["Heathrow Worldwide Distribution Centre", "East Midlands Airport"],
};

// ---- sellers

const SELLER_STYLE: Record<string, { words: string[]; form: (w: string, trade: string) => string; addresses: string[] }> = {
  CN: {
    words: ["Huatai", "Jinlong", "Xinyuan", "Hengda", "Meilin", "Baoli", "Tianhe", "Ruixiang", "Fengyuan", "Kaida"],
    form: (w, t) => `${w} ${t} Co., Ltd.`,
    addresses: [
      "Room 1205, Block B, Tianan Cyber Park, Futian District, Shenzhen, Guangdong 518040",
      "No. 88 Keji Road, Nanshan District, Shenzhen, Guangdong 518057",
      "3F, No. 16 Huangpu Avenue, Tianhe District, Guangzhou, Guangdong 510620",
      "Unit 5, Building 2, Futian Market District 4, Yiwu, Zhejiang 322000",
      "No. 1288 Wenyi West Road, Yuhang District, Hangzhou, Zhejiang 311121",
      "Room 702, No. 999 Zhongshan Road, Dongguan, Guangdong 523000",
    ],
  },
  HK: {
    words: ["Victoria", "Harbour", "Golden Bauhinia", "Kowloon Star", "Pearl River"],
    form: (w, t) => `${w} ${t} (HK) Limited`,
    addresses: ["Flat 8, 12/F, Kwun Tong Industrial Centre, 472 Kwun Tong Road, Kowloon, Hong Kong", "Room 1503, 15/F, Tower 2, Nina Tower, 8 Yeung Uk Road, Tsuen Wan, Hong Kong"],
  },
  US: {
    words: ["Blue Ridge", "Pacific", "Lakeside", "Summit", "Liberty", "Redwood", "Prairie"],
    form: (w, t) => `${w} ${t} LLC`,
    addresses: ["1200 Commerce Blvd, Los Angeles, CA 90021", "455 W Fulton St, Chicago, IL 60661", "90 Port Street, Newark, NJ 07114", "2100 Logistics Pkwy, Dallas, TX 75261"],
  },
  GB: {
    words: ["Thames", "Pennine", "Albion", "Kingsway", "Highgate", "Mersey"],
    form: (w, t) => `${w} ${t} Ltd`,
    addresses: ["Unit 4, Riverside Industrial Estate, Leeds LS10 1AB", "27 Deansgate, Manchester M3 4LQ", "Unit 12, Park Royal Road, London NW10 7LQ"],
  },
  TR: {
    words: ["Anadolu", "Marmara", "Ege", "Boğaziçi", "Kapadokya"],
    form: (w, t) => `${w} ${t} Tic. Ltd. Şti.`,
    addresses: ["Merter Mah. Keresteciler Sit. No: 12, 34173 Güngören/İstanbul", "Atatürk Cad. No: 45, 35220 Konak/İzmir", "Organize Sanayi Bölgesi 5. Cad. No: 8, 16140 Nilüfer/Bursa"],
  },
  DE: {
    words: ["Nordwind", "Elbtal", "Rheinblick", "Schwarzwald"],
    form: (w, t) => `${w} ${t} GmbH`,
    addresses: ["Industriestraße 14, 04129 Leipzig", "Großer Burstah 31, 20457 Hamburg"],
  },
  FR: {
    words: ["Atelier Lumière", "Maison Colbert", "Rive Gauche"],
    form: (w, t) => `${w} ${t} SARL`,
    addresses: ["18 rue du Faubourg Saint-Antoine, 75011 Paris", "4 quai Saint-Antoine, 69002 Lyon"],
  },
  NL: {
    words: ["Oranje", "Delta", "Zuiderzee"],
    form: (w, t) => `${w} ${t} B.V.`,
    addresses: ["Kabelweg 37, 1014 BA Amsterdam", "Waalhaven Zuidzijde 21, 3089 JH Rotterdam"],
  },
};

// ---- buyers

interface BuyerStyle {
  first: string[];
  last: string[];
  tld: string;
  address: (r: Rng) => [address: string, city: string];
}

const BUYERS: Record<string, BuyerStyle> = {
  DE: {
    first: ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Paul", "Sophie", "Maximilian", "Hannah", "Jürgen", "Sabine"],
    last: ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter"],
    tld: "de",
    address: (r) => {
      const [zip, city] = r.pick([["10115", "Berlin"], ["20095", "Hamburg"], ["80331", "München"], ["50667", "Köln"], ["60311", "Frankfurt am Main"], ["70173", "Stuttgart"], ["04109", "Leipzig"], ["28195", "Bremen"]] as const);
      const street = r.pick(["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Goethestraße", "Lindenallee", "Berliner Straße", "Am Markt"]);
      return [`${street} ${r.int(1, 120)}, ${zip} ${city}`, city];
    },
  },
  FR: {
    first: ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Gabriel", "Élodie", "Thomas"],
    last: ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"],
    tld: "fr",
    address: (r) => {
      const [zip, city] = r.pick([["75011", "Paris"], ["69002", "Lyon"], ["13001", "Marseille"], ["31000", "Toulouse"], ["33000", "Bordeaux"], ["59000", "Lille"], ["44000", "Nantes"]] as const);
      const street = r.pick(["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Voltaire", "rue des Lilas", "place du Marché"]);
      return [`${r.int(1, 90)} ${street}, ${zip} ${city}`, city];
    },
  },
  NL: {
    first: ["Daan", "Emma", "Sem", "Julia", "Lucas", "Sophie", "Milan", "Tess", "Bram", "Fleur"],
    last: ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer"],
    tld: "nl",
    address: (r) => {
      const [zip, city] = r.pick([["1017 GC", "Amsterdam"], ["3011 AD", "Rotterdam"], ["2511 BT", "Den Haag"], ["3511 LX", "Utrecht"], ["5611 AZ", "Eindhoven"]] as const);
      const street = r.pick(["Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Prinsengracht", "Nieuwstraat"]);
      return [`${street} ${r.int(1, 250)}, ${zip} ${city}`, city];
    },
  },
  BE: {
    first: ["Lucas", "Emma", "Noah", "Louise", "Arthur", "Olivia", "Jules", "Elise", "Wout", "Lotte"],
    last: ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Dubois", "Lambert"],
    tld: "be",
    address: (r) => {
      const [street, zip, city] = r.pick([["Rue Neuve", "1000", "Bruxelles"], ["Meir", "2000", "Antwerpen"], ["Veldstraat", "9000", "Gent"], ["Rue Léopold", "4000", "Liège"], ["Steenstraat", "8000", "Brugge"]] as const);
      return [`${street} ${r.int(1, 150)}, ${zip} ${city}`, city];
    },
  },
  US: {
    first: ["James", "Mary", "Michael", "Jennifer", "David", "Linda", "Daniel", "Emily", "Chris", "Ashley", "Carlos", "Grace"],
    last: ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Taylor", "Nguyen"],
    tld: "com",
    address: (r) => {
      const [city, st, zip] = r.pick([["Springfield", "IL", "62704"], ["Austin", "TX", "78701"], ["Portland", "OR", "97205"], ["Columbus", "OH", "43215"], ["Denver", "CO", "80202"], ["Orlando", "FL", "32801"], ["Seattle", "WA", "98101"]] as const);
      const street = r.pick(["Maple Ave", "Oak St", "Elm Street", "Washington Blvd", "Park Lane", "Cedar Rd", "Main St"]);
      return [`${r.int(10, 9899)} ${street}, ${city}, ${st} ${zip}`, city];
    },
  },
  GB: {
    first: ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Priya", "Mohammed"],
    last: ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Patel", "Khan", "Walker"],
    tld: "co.uk",
    address: (r) => {
      const [city, pc] = r.pick([["Manchester", "M1 1AE"], ["London", "SW1A 2AA"], ["Bristol", "BS1 4DJ"], ["Leeds", "LS1 4AP"], ["Glasgow", "G1 1XQ"], ["Cardiff", "CF10 1EP"], ["Belfast", "BT1 5GS"]] as const);
      const street = r.pick(["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane"]);
      return [`${r.int(1, 180)} ${street}, ${city} ${pc}`, city];
    },
  },
};

function ascii(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "")
    .toLowerCase();
}

// ---- routing

type Mode = "POST" | "EXPRESS";

const CARRIERS_BY_ORIGIN: Record<string, readonly (readonly [string, number])[]> = {
  CN: [["carrier.JDX", 55], ["carrier.SWX", 45]],
  HK: [["carrier.JDX", 50], ["carrier.SWX", 50]],
  US: [["carrier.SWX", 80], ["carrier.MRD", 20]],
  TR: [["carrier.BCX", 70], ["carrier.SWX", 30]],
  GB: [["carrier.MRD", 60], ["carrier.SWX", 40]],
  DE: [["carrier.MRD", 60], ["carrier.SWX", 40]],
  FR: [["carrier.MRD", 60], ["carrier.SWX", 40]],
  NL: [["carrier.MRD", 70], ["carrier.SWX", 30]],
};

const PLATFORMS_BY_ORIGIN: Record<string, readonly (readonly [string, number])[]> = {
  CN: [["platform.DM", 50], ["platform.SV", 40], ["platform.AG", 10]],
  HK: [["platform.DM", 40], ["platform.SV", 60]],
  US: [["platform.AG", 60], ["platform.SV", 40]],
  TR: [["platform.BZ", 80], ["platform.SV", 20]],
  GB: [["platform.SV", 70], ["platform.AG", 30]],
  DE: [["platform.SV", 100]],
  FR: [["platform.SV", 100]],
  NL: [["platform.SV", 100]],
};

/** Carrier-style tracking numbers (not S10-shaped), distinct per declaration number. */
const CARRIER_TRACKING: Record<string, (n: number) => string> = {
  "carrier.SWX": (n) => `SWX${String(scramble(n, 1e10, 3_141_592)).padStart(10, "0")}`,
  "carrier.MRD": (n) => String(scramble(n, 1e12, 271_828_182)).padStart(12, "0").replace(/^0/, "7"),
  "carrier.JDX": (n) => `JDX${String(scramble(n, 1e12, 161_803_398)).padStart(12, "0")}`,
  "carrier.BCX": (n) => `BCX-${String(scramble(n, 1e9, 141_421_356)).padStart(9, "0")}-TR`,
};

const PLATFORM_ORDER: Record<string, (r: Rng) => string> = {
  "platform.SV": (r) => `SV-${r.digits(3)}-${r.digits(7)}-${r.digits(7)}`,
  "platform.DM": (r) => `DM${r.digits(16)}`,
  "platform.BZ": (r) => `BZ-${r.digits(10)}`,
  "platform.AG": (r) => `AG${r.digits(4)}-${r.digits(6)}`,
};

const LRN_PREFIX: Record<string, string> = {
  "platform.SV": "SV-LRN-",
  "platform.DM": "DMG-",
  "platform.BZ": "BZO-",
  "platform.AG": "AGC-",
  "broker.NZ": "NZA-DE-",
  "carrier.SWX": "SWX-HAWB-",
  "carrier.MRD": "MRD-",
  "carrier.JDX": "JDX-MAN-",
  "carrier.BCX": "BCX-",
};

// ---- lifecycle

type Step = DeclarationStatus;

const STATUS_TABLE: [DeclarationStatus, number][] = [
  ["FILED", 5],
  ["REGISTERED", 5],
  ["RISK_ASSESSED", 6],
  ["CLEARED_TO_LOAD", 10],
  ["RFI", 1.5],
  ["SCREENING", 0.5],
  ["DO_NOT_LOAD", 0.4],
  ["ARRIVED", 8],
  ["DUTIES_ASSESSED", 8],
  ["HELD", 2],
  ["RELEASED", 16],
  ["DELIVERED", 36],
  ["RETURNED", 0.8],
  ["SEIZED", 0.3],
];

const MAIN_PATH: Step[] = ["FILED", "REGISTERED", "RISK_ASSESSED", "CLEARED_TO_LOAD", "ARRIVED", "DUTIES_ASSESSED", "RELEASED", "DELIVERED"];

/**
 * The status event each step is recorded with, in the API's vocabulary (StatusEventCode, mapped
 * to UPU EMSEVT): steps that are customs decisions without a parcel event (registration, risk
 * assessment, referrals, duties) record none, as the API would not.
 */
const EVENT_CODE: Record<Step, StatusEventCode | null> = {
  FILED: "ACCEPTED",
  REGISTERED: null,
  RISK_ASSESSED: null,
  CLEARED_TO_LOAD: null,
  RFI: null,
  SCREENING: null,
  DO_NOT_LOAD: null,
  ARRIVED: "ARRIVED",
  DUTIES_ASSESSED: null,
  RELEASED: "RELEASED_FROM_CUSTOMS",
  HELD: "HELD_BY_CUSTOMS",
  DELIVERED: "DELIVERED",
  RETURNED: "RETURNED",
  SEIZED: "SEIZED_BY_CUSTOMS",
};
/** The reason an event of a step takes (EMSEVT retention / non-delivery). */
const EVENT_REASON: Partial<Record<Step, string>> = { HELD: "INSPECTION", SEIZED: "PROHIBITED_GOODS", RETURNED: "REFUSED_BY_ADDRESSEE" };

/** Steps recorded by the carrier or post; the rest by the destination's customs. */
const TRANSPORT_STEPS = new Set<Step>(["FILED", "ARRIVED", "DELIVERED", "RETURNED"]);

/** [min, max] minutes from the previous step to this one. */
function stepGap(r: Rng, step: Step, prev: Step | undefined, mode: Mode): number {
  switch (step) {
    case "REGISTERED":
      return r.int(1, 20);
    case "RISK_ASSESSED":
      return r.int(1, 15);
    case "CLEARED_TO_LOAD":
      return prev === "RFI" ? r.int(4 * 60, 48 * 60) : r.int(20, 360);
    case "RFI":
    case "SCREENING":
    case "DO_NOT_LOAD":
      return r.int(10, 240);
    case "ARRIVED":
      return mode === "EXPRESS" ? r.int(12 * 60, 72 * 60) : r.int(2 * 24 * 60, 10 * 24 * 60);
    case "DUTIES_ASSESSED":
      return r.int(10, 600);
    case "HELD":
      return r.int(30, 600);
    case "RELEASED":
      return prev === "HELD" ? r.int(24 * 60, 5 * 24 * 60) : r.int(5, 720);
    case "DELIVERED":
      return mode === "EXPRESS" ? r.int(12 * 60, 48 * 60) : r.int(24 * 60, 5 * 24 * 60);
    case "RETURNED":
      return r.int(3 * 24 * 60, 10 * 24 * 60);
    case "SEIZED":
      return r.int(2 * 24 * 60, 8 * 24 * 60);
    default:
      return 0;
  }
}

/** How long a declaration has been sitting in its current status, at most (minutes). */
const CURRENT_AGE: Record<Step, number> = {
  FILED: 90,
  REGISTERED: 30,
  RISK_ASSESSED: 6 * 60,
  CLEARED_TO_LOAD: 48 * 60,
  RFI: 48 * 60,
  SCREENING: 24 * 60,
  DO_NOT_LOAD: 72 * 60,
  ARRIVED: 12 * 60,
  DUTIES_ASSESSED: 24 * 60,
  HELD: 7 * 24 * 60,
  RELEASED: 3 * 24 * 60,
  DELIVERED: 60 * 24 * 60,
  RETURNED: 30 * 24 * 60,
  SEIZED: 30 * 24 * 60,
};

function lifecycle(r: Rng, status: DeclarationStatus): { path: Step[]; answeredRfi: boolean; inspected: boolean } {
  const pre: Step[] = ["FILED", "REGISTERED", "RISK_ASSESSED"];
  if (status === "RFI" || status === "SCREENING" || status === "DO_NOT_LOAD") {
    return { path: [...pre, status], answeredRfi: false, inspected: false };
  }
  const beyond = MAIN_PATH.indexOf("CLEARED_TO_LOAD");
  let path: Step[];
  if (status === "HELD" || status === "RETURNED" || status === "SEIZED") {
    path = [...MAIN_PATH.slice(0, MAIN_PATH.indexOf("DUTIES_ASSESSED") + 1), "HELD"];
    if (status !== "HELD") path.push(status);
  } else {
    path = MAIN_PATH.slice(0, MAIN_PATH.indexOf(status) + 1);
  }
  // Some parcels went through an answered RFI before loading, or an examination after arrival.
  const answeredRfi = path.length > beyond && r.chance(0.03);
  if (answeredRfi) path.splice(beyond, 0, "RFI");
  const inspected = (status === "RELEASED" || status === "DELIVERED") && r.chance(0.015);
  if (inspected) path.splice(path.indexOf("RELEASED"), 0, "HELD");
  return { path, answeredRfi, inspected };
}

// ---- risk

interface RiskReason {
  code: string;
  rule: string | null;
  severity: AlertSeverity;
  text: string;
}

function riskReason(r: Rng, items: GoodsLine[], origin: string, dest: string, step: Step | "LOW"): RiskReason {
  const hs = items.map((g) => g.product.hs);
  if (step === "DO_NOT_LOAD") {
    return { code: "SECURITY", rule: "R-SEC-01", severity: "CRITICAL", text: `Consignor matches a high-risk entity on the ${dest} pre-loading watch list` };
  }
  if (step === "SCREENING") {
    return { code: "SECURITY", rule: "R-SEC-04", severity: "HIGH", text: "Description and weight pattern of an improvised device; high-risk cargo screening required before loading" };
  }
  if (hs.includes("850760") && r.chance(0.7)) {
    return { code: "DANGEROUS_GOODS", rule: "R-DG-02", severity: "HIGH", text: "Lithium-ion batteries shipped as mail without a UN3481 declaration" };
  }
  if (hs.includes("210690") && r.chance(0.7)) {
    return { code: "PROHIBITED_GOODS", rule: null, severity: "MEDIUM", text: "Food supplement may contain substances not authorised in the destination (analyst check)" };
  }
  if (items.some((g) => g.product.ipr) && (step === "HELD" || step === "SEIZED" || step === "RETURNED")) {
    return { code: "IPR_SUSPECTED", rule: "R-IPR-12", severity: "HIGH", text: "Branded goods declared at a fraction of retail price; suspected counterfeit" };
  }
  if (step === "LOW") {
    return r.chance(0.5)
      ? { code: "SPLIT_SHIPMENT", rule: "R-SPLIT-03", severity: "LOW", text: "Several consignments to the same buyer within 48 hours, each below the threshold" }
      : { code: "ROUTE_ANOMALY", rule: "R-ROUTE-09", severity: "LOW", text: `Unusual routing for goods originating in ${origin}` };
  }
  return r.chance(0.5)
    ? { code: "UNDERVALUATION", rule: "R-VAL-07", severity: "MEDIUM", text: `Declared value well below the reference price for HS ${hs[0]} from ${origin}` }
    : { code: "MISDESCRIPTION", rule: null, severity: "MEDIUM", text: "Goods description too vague for classification; invoice and precise description needed" };
}

const HOLD_TEXT: Record<HoldKind, { reason: string; response: string; outcome: string }> = {
  RFI: {
    reason: "Request for information: provide the commercial invoice and a precise description of the goods",
    response: "Invoice uploaded; goods are as described, bought on the platform at the declared price",
    outcome: "Information sufficient; cleared to load",
  },
  HIGH_RISK_SCREENING: {
    reason: "High-risk cargo screening required before loading (explosive trace detection or X-ray)",
    response: "Screening scheduled at origin",
    outcome: "Screened negative",
  },
  DO_NOT_LOAD: {
    reason: "Do not load: imminent threat indicated by pre-loading risk analysis",
    response: "Consignment withheld at origin",
    outcome: "Withheld",
  },
  INSPECTION: {
    reason: "Physical examination ordered on arrival",
    response: "Parcel presented for examination",
    outcome: "Examined; goods match the declaration",
  },
  DOCUMENTS_REQUIRED: {
    reason: "Supporting documents required (proof of origin, certificate of conformity)",
    response: "Documents requested from the seller",
    outcome: "Documents accepted",
  },
};

// =======================================================================================
// Declaration generator

interface GoodsLine {
  product: Product;
  description: string;
  quantity: number;
  grams: number;
  cents: number;
  origin: string;
}

/**
 * Rows of one table, stored by column (what the unnest INSERT wants), so a batch holds
 * arrays of primitives rather than thousands of short-lived row objects. Dates are kept as
 * epoch milliseconds. Every row pushed must have the keys of the first one.
 */
/** A row as the seed builds it: timestamps may be epoch milliseconds. */
export type SeedRow<T> = { [K in keyof T]: Date extends T[K] ? T[K] | number : T[K] };

export class Columnar<T extends object> {
  private names: string[] | null = null;
  private data: unknown[][] = [];
  length = 0;

  push(row: SeedRow<T>): void {
    const r = row as Record<string, unknown>;
    if (!this.names) {
      this.names = Object.keys(r);
      this.data = this.names.map(() => []);
    }
    for (let i = 0; i < this.names.length; i++) {
      const v = r[this.names[i]];
      this.data[i].push(v instanceof Date ? v.getTime() : (v ?? null));
    }
    this.length++;
  }

  columns(): { name: string; values: unknown[] }[] {
    return (this.names ?? []).map((name, i) => ({ name, values: this.data[i] }));
  }
}

export interface SeedBatch {
  declarations: Columnar<Prisma.DeclarationCreateManyInput>;
  goodsItems: Columnar<Prisma.GoodsItemCreateManyInput>;
  statusEvents: Columnar<Prisma.StatusEventCreateManyInput>;
  riskAlerts: Columnar<Prisma.RiskAlertCreateManyInput>;
  holds: Columnar<Prisma.HoldCreateManyInput>;
  duties: Columnar<Prisma.DutyAssessmentCreateManyInput>;
  liveParcels: Columnar<Prisma.LiveParcelCreateManyInput>;
}

function emptyBatch(): SeedBatch {
  return {
    declarations: new Columnar(),
    goodsItems: new Columnar(),
    statusEvents: new Columnar(),
    riskAlerts: new Columnar(),
    holds: new Columnar(),
    duties: new Columnar(),
    liveParcels: new Columnar(),
  };
}

/** "12.50" from 1250 */
function money(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}
/** "0.250" from 250 */
function kg(grams: number): string {
  return `${Math.floor(grams / 1000)}.${String(grams % 1000).padStart(3, "0")}`;
}
/** "0.1900" from 1900 basis points of 1/10000 */
function rate(bp: number): string {
  return `${Math.floor(bp / 10000)}.${String(bp % 10000).padStart(4, "0")}`;
}
/** Canonical decimal text, as the filing normalizer hashes it ("12.5", "3"). */
function canonical(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** Integer half-up of cents × bp / 10000: exact, since both are integers below 2^53. */
function applyRate(cents: number, bp: number): number {
  return Math.floor((cents * bp + 5000) / 10000);
}

class DeclarationFactory {
  constructor(
    private readonly world: SeedWorld,
    private readonly seed: number,
    private readonly now: number,
  ) {}

  private id(key: string): string {
    return party(this.world, key).id;
  }

  /** Appends declaration number n (0-based across the store's seeded declarations) to batch. */
  add(n: number, out: SeedBatch): void {
    const r = new Rng(mix(this.seed, n));
    const origin = r.weighted(ORIGINS);
    let dest = r.weighted(DESTINATIONS);
    while (dest === origin) dest = r.weighted(DESTINATIONS);
    const customs = party(this.world, `customs.${dest}`);

    const category: DeclarationCategory = r.weighted([
      ["SALE_OF_GOODS", 88],
      ["GIFT", 5],
      ["SAMPLE", 3],
      ["RETURNED_GOODS", 2],
      ["DOCUMENTS", 1],
      ["OTHER", 1],
    ]);
    const mode: Mode = r.chance(0.55) ? "POST" : "EXPRESS";
    const postKey = `post.${origin}`;
    const carrierKey = mode === "EXPRESS" ? r.weighted(CARRIERS_BY_ORIGIN[origin]) : null;
    const platformKey = category === "SALE_OF_GOODS" && r.chance(0.85) ? r.weighted(PLATFORMS_BY_ORIGIN[origin]) : null;
    const transportKey = carrierKey ?? postKey;

    // Who files: the platform for most of its orders, a broker for some express parcels to
    // Germany, otherwise the carrier or post itself (ITMATT / express manifest).
    let filerKey = transportKey;
    if (platformKey && r.chance(0.6)) filerKey = platformKey;
    else if (mode === "EXPRESS" && dest === "DE" && r.chance(0.3)) filerKey = "broker.NZ";
    const filerId = this.id(filerKey);

    // Goods.
    const currency = category === "DOCUMENTS" ? "EUR" : r.weighted(ORIGIN_CURRENCIES[origin]);
    const lines: GoodsLine[] = [];
    const lineCount = category === "DOCUMENTS" ? 1 : r.weighted([[1, 60], [2, 25], [3, 10], [4, 5]] as const);
    for (let i = 0; i < lineCount; i++) {
      const product = category === "DOCUMENTS" ? DOCUMENTS : r.weighted(PRODUCT_TABLE);
      const quantity = r.int(1, product.maxQty);
      const unitUsd = category === "DOCUMENTS" ? r.int(100, 500) : r.int(product.price[0], product.price[1]);
      const unit = Math.max(1, convert(unitUsd, "USD", currency));
      lines.push({
        product,
        description: r.pick(product.names),
        quantity,
        grams: quantity * r.int(product.grams[0], product.grams[1]),
        cents: unit * quantity,
        origin: origin !== "CN" && r.chance(0.12) ? "CN" : origin,
      });
    }
    const totalCents = lines.reduce((s, g) => s + g.cents, 0);
    const netGrams = lines.reduce((s, g) => s + g.grams, 0);
    const grossGrams = netGrams + r.int(20, 350);
    const eurCents = convert(totalCents, currency, "EUR");

    // Commercial terms.
    const platform = platformKey ? party(this.world, platformKey) : null;
    const iossNumber = platform && EU.has(dest) && category === "SALE_OF_GOODS" && eurCents <= 15000 && r.chance(0.92) ? platform.iossNumber! : null;
    const incoterm = mode === "EXPRESS" ? (iossNumber || r.chance(0.35) ? "DDP" : "DAP") : r.chance(0.3) ? "DAP" : null;
    const ddp = incoterm === "DDP";

    // Parties to the sale.
    const sellerStyle = SELLER_STYLE[origin];
    const sellerName = sellerStyle.form(r.pick(sellerStyle.words), lines[0].product.trade);
    const sellerAddress = r.pick(sellerStyle.addresses);
    const buyerStyle = BUYERS[dest];
    const first = r.pick(buyerStyle.first);
    const last = r.pick(buyerStyle.last);
    const [buyerAddress, buyerCity] = buyerStyle.address(r);
    const buyerEmail = r.chance(0.7) ? `${ascii(first)}.${ascii(last)}${r.int(1, 99)}@example.${buyerStyle.tld}` : null;

    // Transport identifiers.
    const trackingNumber =
      carrierKey !== null
        ? CARRIER_TRACKING[carrierKey](n)
        : s10(r.weighted([["LX", 30], ["LY", 15], ["LZ", 15], ["CP", 20], ["EE", 10], ["RR", 10]] as const), scramble(n, 1e8, 12_345_678), origin);
    const localReference = filerKey.startsWith("post.")
      ? `${party(this.world, filerKey).upuCode}-ITMATT-${String(n).padStart(9, "0")}`
      : `${LRN_PREFIX[filerKey]}${String(n).padStart(9, "0")}`;
    const platformOrderId = platformKey ? PLATFORM_ORDER[platformKey](r) : null;

    // Lifecycle and timeline.
    const status = r.weighted(STATUS_TABLE);
    const { path, answeredRfi, inspected } = lifecycle(r, status);
    const offsets: number[] = [0];
    for (let i = 1; i < path.length; i++) offsets.push(offsets[i - 1] + stepGap(r, path[i], path[i - 1], mode));
    const lastAge = r.int(1, CURRENT_AGE[status]);
    const filedAt = this.now - (lastAge + offsets[offsets.length - 1]) * MINUTE - r.int(0, 59) * 1000;
    const at = (i: number) => filedAt + offsets[i] * MINUTE; // epoch ms
    const lastAt = at(path.length - 1);
    const releasedIndex = path.lastIndexOf("RELEASED");

    const declarationId = randomUUID();
    const platformId = platform?.id ?? null;
    const carrierId = carrierKey ? this.id(carrierKey) : null;
    const postId = carrierKey ? null : this.id(postKey);
    const totalValue = money(totalCents);
    const grossWeightKg = kg(grossGrams);
    const buyerName = `${first} ${last}`;

    // The hash declarations.filing.ts computes for the same input: JSON of the normalized
    // payload, keys in DeclarationInput's order, canonical decimals ("12.5"), goodsItems
    // last; so re-filing a seeded declaration replays it (the seed test checks). Object
    // literals rather than spreads: this is the hot path of a million-row seed.
    const hashItems = lines.map((g) => ({
      description: g.description,
      quantity: g.quantity,
      netWeightKg: canonical(kg(g.grams)),
      value: canonical(money(g.cents)),
      currency,
      hsCode: g.product.hs,
      originCountry: g.origin,
    }));
    const payloadHash = createHash("sha256")
      .update(
        JSON.stringify({
          localReference,
          trackingNumber,
          platformId,
          carrierId,
          postId,
          originCountry: origin,
          destinationCountry: dest,
          totalValue: canonical(totalValue),
          currency,
          grossWeightKg: canonical(grossWeightKg),
          category,
          iossNumber,
          platformOrderId,
          incoterm,
          ddp,
          sellerName,
          sellerAddress,
          sellerCountry: origin,
          buyerName,
          buyerAddress,
          buyerCountry: dest,
          buyerEmail,
          goodsItems: hashItems,
        }),
      )
      .digest("hex");

    out.declarations.push({
      id: declarationId,
      filerId,
      localReference,
      payloadHash,
      movementReference: status === "FILED" ? null : movementReference(n, dest, new Date(at(1))),
      trackingNumber,
      platformId,
      carrierId,
      postId,
      originCountry: origin,
      destinationCountry: dest,
      totalValue,
      currency,
      grossWeightKg,
      category,
      iossNumber,
      platformOrderId,
      incoterm,
      ddp,
      sellerName,
      sellerAddress,
      sellerCountry: origin,
      buyerName,
      buyerAddress,
      buyerCountry: dest,
      buyerEmail,
      status,
      version: 1,
      // "nothing due" (documents) counts as an assessment: release needs one
      dutiesVersion: path.includes("DUTIES_ASSESSED") ? 1 : 0,
      filedAt,
      updatedAt: lastAt,
      releasedAt: releasedIndex >= 0 ? at(releasedIndex) : null,
    });
    lines.forEach((g, i) =>
      out.goodsItems.push({
        id: randomUUID(),
        declarationId,
        lineNumber: i + 1,
        description: g.description,
        quantity: g.quantity,
        netWeightKg: kg(g.grams),
        value: money(g.cents),
        currency,
        hsCode: g.product.hs,
        originCountry: g.origin,
      }),
    );

    // One parcel, one live declaration per carrier or post, until it is final.
    if (status !== "DELIVERED" && status !== "RETURNED" && status !== "SEIZED") {
      out.liveParcels.push({ trackingNumber, partyId: (carrierId ?? postId)!, declarationId });
    }

    // Status events: one per step, by the carrier/post or by customs.
    const transportId = this.id(transportKey);
    const gateway = GATEWAYS[dest][mode === "POST" ? 0 : 1];
    const originCity = r.pick(ORIGIN_CITIES[origin]);
    path.forEach((step, i) => {
      const occurredAt = i === 0 ? filedAt - r.int(10, 240) * MINUTE : at(i);
      const code = EVENT_CODE[step];
      if (!code) return;
      out.statusEvents.push({
        id: randomUUID(),
        declarationId,
        // a return after arrival is a customs decision (the goods are under customs supervision)
        recordedById: TRANSPORT_STEPS.has(step) && !(step === "RETURNED" && path.includes("ARRIVED")) ? transportId : customs.id,
        code,
        reasonCode: EVENT_REASON[step] ?? null,
        occurredAt,
        place: step === "FILED" ? originCity : step === "DELIVERED" ? buyerCity : gateway,
        note: null,
        customsNote: null,
        createdAt: occurredAt + r.int(1, 300) * 1000,
      });
    });

    // Risk alerts and holds, placed by the destination's customs.
    const hold = (kind: HoldKind, stepIndex: number, open: boolean, outcome?: string) => {
      const t = HOLD_TEXT[kind];
      // A released hold ends when the parcel moves on: at the next step of its path.
      const releasedAt = open ? null : at(Math.min(stepIndex + 1, path.length - 1));
      out.holds.push({
        id: randomUUID(),
        declarationId,
        placedById: customs.id,
        kind,
        reason: t.reason,
        status: open ? "OPEN" : "RELEASED",
        response: open && r.chance(0.6) ? null : t.response,
        outcome: outcome ?? (open ? null : t.outcome),
        placedAt: at(stepIndex),
        releasedAt,
        releasedById: open ? null : customs.id,
        // as placeHold does: addressed to the filer; an RFI asks its question, due in 48 hours
        addresseeId: filerId,
        question: kind === "RFI" ? DEFAULT_RFI_QUESTION : null,
        dueAt: kind === "RFI" ? at(stepIndex) + 48 * HOUR : null,
      });
    };
    const alert = (reason: RiskReason, stepIndex: number, status: AlertStatus, note: string | null) => {
      const createdAt = at(stepIndex);
      out.riskAlerts.push({
        id: randomUUID(),
        declarationId,
        raisedById: customs.id,
        raisedByRule: reason.rule,
        severity: reason.severity,
        reasonCode: reason.code,
        reason: reason.text,
        status,
        resolvedById: status === "OPEN" ? null : customs.id,
        resolutionNote: note,
        createdAt,
        resolvedAt: status === "OPEN" ? null : Math.min(createdAt + r.int(1, 72) * HOUR, lastAt),
      });
    };
    const riskIndex = path.indexOf("RISK_ASSESSED");
    if (status === "RFI" || status === "SCREENING" || status === "DO_NOT_LOAD") {
      const i = path.length - 1;
      alert(riskReason(r, lines, origin, dest, status), riskIndex, "OPEN", null);
      hold(status === "RFI" ? "RFI" : status === "SCREENING" ? "HIGH_RISK_SCREENING" : "DO_NOT_LOAD", i, true);
    }
    if (answeredRfi) {
      alert(riskReason(r, lines, origin, dest, "RFI"), riskIndex, "DISMISSED", "Invoice consistent with the declared value");
      hold("RFI", path.indexOf("RFI"), false);
    }
    const heldIndex = path.indexOf("HELD");
    if (heldIndex >= 0) {
      const reason = riskReason(r, lines, origin, dest, status === "HELD" || inspected ? "HELD" : status);
      const kind: HoldKind = status === "HELD" && r.chance(0.3) ? "DOCUMENTS_REQUIRED" : "INSPECTION";
      if (inspected) {
        alert(reason, heldIndex, "DISMISSED", "Examination found nothing irregular");
        hold(kind, heldIndex, false);
      } else if (status === "HELD") {
        alert(reason, heldIndex, "OPEN", null);
        hold(kind, heldIndex, true);
      } else if (status === "RETURNED") {
        alert(reason, heldIndex, "CONFIRMED", "Goods not admissible; returned to sender");
        hold(kind, heldIndex, false, "Goods refused entry; returned to sender");
      } else {
        alert(reason, heldIndex, "CONFIRMED", "Infringement confirmed by the right holder");
        hold(kind, heldIndex, true, "Goods seized");
      }
    }
    if (heldIndex < 0 && !answeredRfi && riskIndex >= 0 && path.length > riskIndex + 1 && r.chance(0.03)) {
      alert(riskReason(r, lines, origin, dest, "LOW"), riskIndex, r.chance(0.5) ? "DISMISSED" : "OPEN", null);
    }

    // Duties and taxes, in the destination's currency.
    const dutiesIndex = path.indexOf("DUTIES_ASSESSED");
    if (dutiesIndex >= 0 && category !== "DOCUMENTS") {
      const destCurrency = DEST_CURRENCY[dest];
      const base = convert(totalCents, currency, destCurrency);
      const main = lines.reduce((a, b) => (b.cents > a.cents ? b : a));
      const createdAt = at(dutiesIndex);
      const model: CollectionModel = iossNumber || (dest === "GB" && platform && base <= 13500) ? "IOSS" : ddp ? "DDP" : "COLLECTED_ON_DELIVERY";
      const assess = (taxType: TaxType, baseCents: number, bp: number) =>
        out.duties.push({
          id: randomUUID(),
          declarationId,
          assessedById: customs.id,
          taxType,
          base: money(baseCents),
          rate: rate(bp),
          amount: money(applyRate(baseCents, bp)),
          currency: destCurrency,
          collectionModel: model,
          createdAt,
          version: 1,
          supersededAt: null,
          correctionReason: null,
        });
      if (dest === "US") {
        assess("DUTY", base, main.product.usDuty);
      } else {
        const threshold = dest === "GB" ? 13500 : 15000;
        const giftExempt = category === "GIFT" && base <= (dest === "GB" ? 3900 : 4500);
        let duty = 0;
        if (base > threshold && main.product.euDuty > 0) {
          duty = applyRate(base, main.product.euDuty);
          assess("DUTY", base, main.product.euDuty);
        }
        if (!giftExempt) assess("VAT", base + duty, VAT_BP[dest]);
      }
    }
  }
}

// =======================================================================================
// Writing

/**
 * SQL types of every column the seed may write, per table. Typed against Prisma's input
 * types, so a column added to the schema fails compilation here until it is listed.
 */
const SQL_TYPES = {
  Declaration: {
    id: "uuid", filerId: "uuid", localReference: "text", payloadHash: "text", movementReference: "text",
    trackingNumber: "text", platformId: "uuid", carrierId: "uuid", postId: "uuid", originCountry: "bpchar",
    destinationCountry: "bpchar", totalValue: "numeric", currency: "bpchar", grossWeightKg: "numeric",
    category: '"DeclarationCategory"', iossNumber: "text", platformOrderId: "text", incoterm: "text", ddp: "bool",
    sellerName: "text", sellerAddress: "text", sellerCountry: "bpchar", buyerName: "text", buyerAddress: "text",
    buyerCountry: "bpchar", buyerEmail: "text", status: '"DeclarationStatus"', version: "int4", dutiesVersion: "int4",
    filedAt: "timestamp", updatedAt: "timestamp", releasedAt: "timestamp",
  } satisfies Record<keyof Prisma.DeclarationCreateManyInput, string>,
  GoodsItem: {
    id: "uuid", declarationId: "uuid", lineNumber: "int4", description: "text", quantity: "int4",
    netWeightKg: "numeric", value: "numeric", currency: "bpchar", hsCode: "text", originCountry: "bpchar",
  } satisfies Record<keyof Prisma.GoodsItemCreateManyInput, string>,
  StatusEvent: {
    id: "uuid", declarationId: "uuid", recordedById: "uuid", code: "text", reasonCode: "text", occurredAt: "timestamp",
    place: "text", note: "text", customsNote: "text", createdAt: "timestamp",
  } satisfies Record<keyof Prisma.StatusEventCreateManyInput, string>,
  RiskAlert: {
    id: "uuid", declarationId: "uuid", raisedById: "uuid", raisedByRule: "text", severity: '"AlertSeverity"',
    reasonCode: "text", reason: "text", status: '"AlertStatus"', resolvedById: "uuid", resolutionNote: "text",
    createdAt: "timestamp", resolvedAt: "timestamp", ruleId: "uuid", ruleVersion: "int4",
  } satisfies Record<keyof Prisma.RiskAlertCreateManyInput, string>,
  Hold: {
    id: "uuid", declarationId: "uuid", placedById: "uuid", kind: '"HoldKind"', reason: "text", status: '"HoldStatus"',
    response: "text", outcome: "text", placedAt: "timestamp", releasedAt: "timestamp", releasedById: "uuid",
    addresseeId: "uuid", question: "text", dueAt: "timestamp", answerText: "text", answerDocuments: "text[]",
    screeningOutcome: '"ScreeningOutcome"', answeredAt: "timestamp", answeredById: "uuid", ruleId: "uuid",
    ruleVersion: "int4", escalatedToId: "uuid",
  } satisfies Record<keyof Prisma.HoldCreateManyInput, string>,
  DutyAssessment: {
    id: "uuid", declarationId: "uuid", assessedById: "uuid", taxType: '"TaxType"', base: "numeric", rate: "numeric",
    amount: "numeric", currency: "bpchar", collectionModel: '"CollectionModel"', createdAt: "timestamp",
    version: "int4", supersededAt: "timestamp", correctionReason: "text",
    lineKey: "text", method: "text", explanation: "text", basis: "jsonb", computedAmount: "numeric", overrideReason: "text",
  } satisfies Record<keyof Prisma.DutyAssessmentCreateManyInput, string>,
  LiveParcel: { trackingNumber: "text", partyId: "uuid", declarationId: "uuid" } satisfies Record<keyof Prisma.LiveParcelCreateManyInput, string>,
};

/**
 * One multi-row INSERT ... SELECT FROM unnest($1::t1[], $2::t2[], ...): one array parameter
 * per column, so any number of rows fits in one statement (no 65535 bind-parameter limit).
 * Measured on PGlite, 6,000 status events: createMany about 2.0 s, this about 0.4 s (and
 * about 0.27 s of it is PGlite inserting); createMany passes one bind parameter per value.
 * Timestamps travel as epoch milliseconds (cheaper than ISO text on both sides) and become
 * UTC TIMESTAMP(3) values, as Prisma stores them, with exact integer arithmetic.
 */
interface Statement {
  sql: string;
  params: unknown[];
}

function insertRows(table: keyof typeof SQL_TYPES, rows: Columnar<object>): Statement | null {
  if (!rows.length) return null;
  const types = SQL_TYPES[table] as Record<string, string>;
  const columns = rows.columns();
  for (const c of columns) if (!types[c.name]) throw new Error(`seed: no SQL type for ${table}.${c.name}`);
  const names = columns.map((c) => `"${c.name}"`).join(", ");
  const select = columns
    .map((c, i) => (types[c.name] === "timestamp" ? `TIMESTAMP '1970-01-01' + c${i} * INTERVAL '1 millisecond'` : `c${i}`))
    .join(", ");
  const arrays = columns.map((c, i) => `$${i + 1}::${types[c.name] === "timestamp" ? "int8" : types[c.name]}[]`).join(", ");
  const sql = `INSERT INTO "${table}" (${names}) SELECT ${select} FROM unnest(${arrays}) AS t(${columns.map((_, i) => `c${i}`).join(", ")})`;
  return { sql, params: columns.map((c) => c.values) };
}

/** A batch's inserts, parents first so foreign keys hold. */
function batchStatements(b: SeedBatch): Statement[] {
  return [
    insertRows("Declaration", b.declarations),
    insertRows("GoodsItem", b.goodsItems),
    insertRows("StatusEvent", b.statusEvents),
    insertRows("RiskAlert", b.riskAlerts),
    insertRows("Hold", b.holds),
    insertRows("DutyAssessment", b.duties),
    insertRows("LiveParcel", b.liveParcels),
  ].filter((st): st is Statement => st !== null);
}

/** Runs one batch's statements in one transaction: all or nothing. */
export type SeedWriter = (statements: Statement[]) => Promise<void>;

/** Through the application's Prisma client: works on any store, including the embedded one. */
export function prismaWriter(prisma: PrismaClient): SeedWriter {
  return async (statements) => {
    // Prisma's default 5 s transaction timeout is too short for a big batch on a busy machine.
    await prisma.$transaction(
      statements.map((st) => prisma.$executeRawUnsafe(st.sql, ...st.params)),
      { maxWait: 60_000, timeout: 300_000 },
    );
  };
}

/**
 * Straight through `pg`, for bulk seeding: Prisma turns raw-query parameters into tagged
 * JSON and back, which for array parameters costs more CPU than generating the rows
 * (about 200 µs per declaration, measured). On the embedded database, give it a pool of
 * max 1 and do not use the Prisma client meanwhile (PGlite serves one connection).
 */
export function pgWriter(pool: Pool): SeedWriter {
  return async (statements) => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      for (const st of statements) await client.query(st.sql, st.params);
      await client.query("COMMIT");
      client.release();
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  };
}

/**
 * Declarations number `first` to `first + count - 1` with all their child rows, in memory
 * (nothing is written). The content of number n depends only on (world, seed, n, now).
 */
export function generateDeclarations(world: SeedWorld, first: number, count: number, opts: { seed?: number; now?: Date } = {}): SeedBatch {
  const factory = new DeclarationFactory(world, opts.seed ?? DEFAULT_SEED, (opts.now ?? new Date()).getTime());
  const batch = emptyBatch();
  for (let n = first; n < first + count; n++) factory.add(n, batch);
  return batch;
}

export interface SeedCounts {
  declarations: number;
  goodsItems: number;
  statusEvents: number;
  riskAlerts: number;
  holds: number;
  duties: number;
}

export interface SeedDeclarationsOptions {
  /** PRNG seed (default DEFAULT_SEED) */
  seed?: number;
  /** number of the first declaration; pass the store's seeded count to add more (default 0) */
  offset?: number;
  /** declarations per transaction (default 1000) */
  batchSize?: number;
  /** batches in flight at once (default 1); on the embedded database the pool of one connection runs them in turn */
  concurrency?: number;
  /** timestamps end before this instant (default now) */
  now?: Date;
  /** called after each batch is committed */
  onProgress?: (done: number, total: number, counts: SeedCounts) => void;
  /** how batches are written (default: prismaWriter of the given client) */
  writer?: SeedWriter;
}

/**
 * Generates and writes `count` declarations with their children, batch by batch, so
 * memory stays flat whatever the count. Declaration n (from `offset`) depends only on
 * (seed, n); local references and tracking numbers are unique per n.
 */
export async function seedDeclarations(
  prisma: PrismaClient,
  world: SeedWorld,
  count: number,
  opts: SeedDeclarationsOptions = {},
): Promise<SeedCounts> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const now = opts.now ?? new Date();
  const write = opts.writer ?? prismaWriter(prisma);
  const offset = opts.offset ?? 0;
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const counts: SeedCounts = { declarations: 0, goodsItems: 0, statusEvents: 0, riskAlerts: 0, holds: 0, duties: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  for (let start = 0; start < count && failure === undefined; start += batchSize) {
    const batch = generateDeclarations(world, offset + start, Math.min(batchSize, count - start), { seed, now });
    const p: Promise<void> = write(batchStatements(batch)).then(
      () => {
        inFlight.delete(p);
        counts.declarations += batch.declarations.length;
        counts.goodsItems += batch.goodsItems.length;
        counts.statusEvents += batch.statusEvents.length;
        counts.riskAlerts += batch.riskAlerts.length;
        counts.holds += batch.holds.length;
        counts.duties += batch.duties.length;
        opts.onProgress?.(counts.declarations, count, counts);
      },
      (err) => {
        inFlight.delete(p);
        failure ??= err;
      },
    );
    inFlight.add(p);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return counts;
}

// =======================================================================================
// The demo world of a first start

/**
 * Seeds the demo world: parties, agreements, `declarations` declarations (default 3000),
 * and one API key per demo role. Returns the keys with their secrets (shown once).
 */
export async function seedDemoWorld(hub: Hub, opts: { declarations: number; log: Logger; seed?: number }): Promise<DemoKeys> {
  const { log } = opts;
  const started = Date.now();
  const count = opts.declarations ?? DEFAULT_DECLARATIONS;
  const shipped = await loadShippedRuleSets(hub.services.rules);
  log.info(shipped, "demo world: shipped rule sets loaded (illustrative)");
  log.info(await loadShippedRiskRules(hub.services.rules), "demo world: shipped risk rules loaded (illustrative)");
  const { world, createdParties, createdAgreements } = await ensureWorld(hub.prisma);
  log.info({ createdParties, createdAgreements }, "demo world: parties and agreements ready");
  const keys = await issueDemoKeys(hub, world);
  const offset = count > 0 ? await hub.prisma.declaration.count() : 0;
  let lastLogged = 0;
  const counts = await seedDeclarations(hub.prisma, world, count, {
    seed: opts.seed,
    offset,
    // A real server takes a few batches at once. The embedded one serves one connection
    // (the pool of 1 queues the second transaction), but generating the next batch while
    // the previous one is written still overlaps CPU work with PGlite's, in its own thread.
    concurrency: hub.config.DATABASE_URL ? 3 : 2,
    onProgress: (done, total) => {
      if (done - lastLogged >= 10_000 || done === total) {
        lastLogged = done;
        log.info({ done, total }, "demo world: declarations seeded");
      }
    },
  });
  log.info({ ...counts, ms: Date.now() - started }, "demo world seeded");
  return keys;
}
