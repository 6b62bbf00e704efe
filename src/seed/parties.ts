// The demo world's parties (customs, posts, carriers, platforms, a broker) and its demo API keys.
import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "../generated/prisma/client";
import type { PartyKind, Role } from "../generated/prisma/enums";
import type { Hub } from "../hub";

export type DemoKeys = { role: string; party: string; secret: string }[];

const DAY = 86_400_000;

export interface PartySpec {
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


export const PARTY_SPECS: PartySpec[] = [
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

export function party(world: SeedWorld, key: string): WorldParty {
  const p = world.parties[key];
  if (!p) throw new Error(`seed world has no party ${key}`);
  return p;
}

/** Finds the world's parties (by kind and name) and creates the missing ones. */
export async function ensureParties(prisma: PrismaClient, now: Date): Promise<{ world: SeedWorld; createdParties: number }> {
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
  return { world: { parties }, createdParties: missing.length };
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
