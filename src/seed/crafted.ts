// Filings crafted to meet the shipped risk rules (src/modules/risk/data/risk.json): the
// seed only shapes what a filer sends; whether a rule hits, and what follows, is the
// engine's call at filing, as for any other filing.
import type { DeclarationCategory } from "../generated/prisma/enums";
import type { Product } from "./catalogue";
import type { Rng } from "./rng";

export type Crafted = "UNDERVALUED" | "RESTRICTED" | "WATCH_LIST" | "IOSS" | "SPLIT";

/** Shares of filings crafted for each rule (the rest are ordinary; some of those hit too). */
const SHARES: [Crafted | null, number][] = [
  ["UNDERVALUED", 2.5],
  ["RESTRICTED", 0.5],
  ["WATCH_LIST", 0.7],
  ["IOSS", 2],
  ["SPLIT", 2.5],
  [null, 91.8],
];

/** What, if anything, filing n is crafted to meet (sales only: rules look at sales). */
export function craftedKind(r: Rng, category: DeclarationCategory, viaPlatform: boolean): Crafted | null {
  const kind = r.weighted(SHARES);
  if (kind === null || category !== "SALE_OF_GOODS") return null;
  if ((kind === "IOSS" || kind === "SPLIT") && !viaPlatform) return null;
  return kind;
}

/** Goods declared at a fraction of what they sell for (unit price in USD cents). */
const UNDERVALUED: { product: Product; unitUsd: [number, number] }[] = [
  { product: { hs: "851713", names: ["Smartphone, 6.7 inch, 256 GB", "Smartphone, 6.1 inch, 128 GB"], trade: "Electronics", price: [0, 0], grams: [170, 240], maxQty: 1, weight: 0 }, unitUsd: [1500, 4500] },
  { product: { hs: "847130", names: ["Laptop computer, 15.6 inch", "Tablet computer, 11 inch, 128 GB"], trade: "Technology", price: [0, 0], grams: [450, 1900], maxQty: 1, weight: 0 }, unitUsd: [2500, 5500] },
  { product: { hs: "910211", names: ["Wrist watch, automatic, stainless steel case", "Chronograph wrist watch, quartz"], trade: "Trading", price: [0, 0], grams: [60, 180], maxQty: 2, weight: 0 }, unitUsd: [400, 1100] },
  { product: { hs: "640411", names: ["Basketball shoes, textile upper", "Running shoes, branded design"], trade: "Footwear", price: [0, 0], grams: [600, 900], maxQty: 2, weight: 0 }, unitUsd: [150, 480] },
];

/** Goods the destination restricts: arms by HS heading, others named by their description. */
const RESTRICTED: { product: Product; unitUsd: [number, number] }[] = [
  { product: { hs: "930400", names: ["Air pistol, spring powered, 4.5 mm", "Gas-operated air rifle"], trade: "Trading", price: [0, 0], grams: [600, 1800], maxQty: 1, weight: 0 }, unitUsd: [3000, 12000] },
  { product: { hs: "360410", names: ["Fireworks assortment, consumer category F2", "Sparklers and firecrackers set"], trade: "Trading", price: [0, 0], grams: [300, 1500], maxQty: 3, weight: 0 }, unitUsd: [1000, 5000] },
  { product: { hs: "854370", names: ["Stun gun, rechargeable, marketed as taser", "Self-defence taser flashlight"], trade: "Electronics", price: [0, 0], grams: [150, 400], maxQty: 1, weight: 0 }, unitUsd: [1500, 6000] },
];

/** Sellers and addresses on the shipped watch lists. */
const WATCHED_SELLERS = [
  { name: "Golden Dragon Trading Co.", address: "Unit 5, Building 2, Futian Market District 4, Yiwu, Zhejiang 322000" },
  { name: "Rapid Parts Wholesale", address: "No. 88 Keji Road, Nanshan District, Shenzhen, Guangdong 518057" },
  { name: "Pearl River Trading (HK) Limited", address: "88 Harbour Road, Wan Chai, Hong Kong" },
];

const OTHER_IOSS = ["IM3720001234", "IM5280004821", "IM4420000917", "IM3720007755"];

export const CRAFTED = {
  undervalued(r: Rng): { product: Product; unitUsd: number } {
    const c = r.pick(UNDERVALUED);
    return { product: c.product, unitUsd: r.int(c.unitUsd[0], c.unitUsd[1]) };
  },
  restricted(r: Rng): { product: Product; unitUsd: number } {
    const c = r.pick(RESTRICTED);
    return { product: c.product, unitUsd: r.int(c.unitUsd[0], c.unitUsd[1]) };
  },
  seller(r: Rng): { name: string; address: string } {
    return r.pick(WATCHED_SELLERS);
  },
  /** An IOSS number where it does not belong: above the ceiling, or another platform's. */
  iossNumber(r: Rng, eurCents: number, platformIoss: string): string {
    if (eurCents > 15000) return platformIoss; // the platform's own, on a consignment above EUR 150
    return r.pick(OTHER_IOSS.filter((x) => x !== platformIoss));
  },
};
