// What the demo world's parcels contain and how they travel: products with their HS codes
// and price ranges, origins and destinations, carriers and platforms per origin, and the
// identifiers each party uses. Prices are the sellers' (fixed rates, to pick a price in the
// sale currency); customs values, duties and taxes come from the rules in force.
import type { Rng } from "./rng";
import { scramble } from "./identifiers";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type Currency = "EUR" | "USD" | "GBP" | "CNY";
/** Fixed seed exchange rates: micro-EUR per unit of currency. */
export const EUR_PER: Record<Currency, number> = { EUR: 1_000_000, USD: 920_000, GBP: 1_170_000, CNY: 128_000 };

export function convert(cents: number, from: Currency, to: Currency): number {
  return from === to ? cents : Math.round((cents * EUR_PER[from]) / EUR_PER[to]);
}

export interface Product {
  hs: string;
  names: string[];
  trade: string;
  /** unit price range, USD cents */
  price: [number, number];
  /** unit net weight range, grams */
  grams: [number, number];
  maxQty: number;
  weight: number;
  /** brand-sensitive goods: infringement alerts pick these */
  ipr?: boolean;
}

export const PRODUCTS: Product[] = [
  { hs: "851830", names: ["Bluetooth wireless headphones", "True wireless earbuds with charging case", "Over-ear noise cancelling headphones"], trade: "Electronics", price: [800, 12000], grams: [40, 350], maxQty: 2, weight: 10, ipr: true },
  { hs: "610910", names: ["Men's cotton T-shirt, printed", "Women's cotton T-shirt, short sleeves", "Children's cotton T-shirt"], trade: "Apparel", price: [300, 2500], grams: [110, 220], maxQty: 6, weight: 12 },
  { hs: "640411", names: ["Running shoes, textile upper, rubber sole", "Sports sneakers, textile upper", "Training shoes, knitted upper"], trade: "Footwear", price: [1500, 9000], grams: [550, 900], maxQty: 2, weight: 8, ipr: true },
  { hs: "950300", names: ["Plastic building blocks set", "Plush toy bear", "Remote control toy car", "Wooden puzzle for children"], trade: "Toys", price: [300, 4500], grams: [80, 900], maxQty: 3, weight: 8 },
  { hs: "420222", names: ["Women's handbag, PU leather", "Shoulder bag, polyester textile", "Tote bag, plastic sheeting"], trade: "Leather Goods", price: [900, 6000], grams: [300, 900], maxQty: 1, weight: 6, ipr: true },
  { hs: "847130", names: ["Laptop computer, 14 inch", "Tablet computer, 10.1 inch, 64 GB", "Ultrabook, 13.3 inch"], trade: "Technology", price: [12000, 90000], grams: [450, 1900], maxQty: 1, weight: 3 },
  { hs: "330499", names: ["Facial moisturising cream, 50 ml", "Vitamin C face serum, 30 ml", "Eyeshadow palette", "Sheet face masks, pack of 10"], trade: "Cosmetics", price: [300, 4000], grams: [40, 250], maxQty: 4, weight: 9 },
  { hs: "711719", names: ["Imitation jewellery necklace, base metal", "Fashion earrings, base metal, gilded", "Bracelet set, base metal"], trade: "Jewelry", price: [100, 1500], grams: [10, 60], maxQty: 10, weight: 8 },
  { hs: "851713", names: ["Smartphone, 6.5 inch, 128 GB", "Smartphone, 6.1 inch, 256 GB"], trade: "Electronics", price: [8000, 50000], grams: [170, 240], maxQty: 1, weight: 4, ipr: true },
  { hs: "392690", names: ["Silicone phone case", "Plastic phone holder for car", "Plastic storage organiser"], trade: "Trading", price: [100, 1200], grams: [20, 150], maxQty: 5, weight: 9 },
  { hs: "611030", names: ["Knitted sweater of synthetic fibres", "Hooded sweatshirt, polyester"], trade: "Apparel", price: [900, 4000], grams: [300, 650], maxQty: 3, weight: 6 },
  { hs: "850760", names: ["Lithium-ion power bank, 10000 mAh", "Lithium-ion power bank, 20000 mAh"], trade: "Electronics", price: [900, 4500], grams: [180, 420], maxQty: 2, weight: 4 },
  { hs: "910211", names: ["Wrist watch, quartz, stainless steel case", "Wrist watch, quartz, leather strap"], trade: "Trading", price: [800, 20000], grams: [40, 160], maxQty: 2, weight: 4, ipr: true },
  { hs: "940542", names: ["LED strip light, 5 m, with remote", "LED desk lamp, USB"], trade: "Technology", price: [500, 3500], grams: [150, 800], maxQty: 3, weight: 5 },
  { hs: "847160", names: ["Wireless keyboard and mouse set", "Mechanical gaming keyboard"], trade: "Technology", price: [1500, 9000], grams: [400, 1100], maxQty: 1, weight: 4 },
  { hs: "392410", names: ["Silicone kitchen utensil set", "Plastic food storage containers, set of 6"], trade: "Trading", price: [500, 3000], grams: [200, 900], maxQty: 2, weight: 4 },
  { hs: "650500", names: ["Knitted beanie hat", "Cotton baseball cap"], trade: "Apparel", price: [200, 1800], grams: [60, 150], maxQty: 4, weight: 4 },
  { hs: "210690", names: ["Vitamin D3 food supplement capsules", "Protein powder food supplement, 1 kg"], trade: "Trading", price: [600, 4500], grams: [100, 1100], maxQty: 3, weight: 3 },
  { hs: "950450", names: ["Handheld video game console", "Video game console controller"], trade: "Electronics", price: [2500, 40000], grams: [200, 700], maxQty: 1, weight: 2 },
  { hs: "620462", names: ["Women's trousers of cotton denim", "Women's cotton shorts"], trade: "Apparel", price: [1200, 6000], grams: [250, 700], maxQty: 2, weight: 4 },
];
export const DOCUMENTS: Product = { hs: "491199", names: ["Business documents (contracts, invoices)", "Printed catalogue"], trade: "Trading", price: [0, 0], grams: [50, 400], maxQty: 1, weight: 0 };
export const PRODUCT_TABLE = PRODUCTS.map((p) => [p, p.weight] as const);

export const ORIGINS = [["CN", 55], ["US", 12], ["GB", 10], ["TR", 8], ["HK", 5], ["DE", 4], ["FR", 3], ["NL", 3]] as const;
export const DESTINATIONS = [["DE", 30], ["FR", 17], ["NL", 12], ["BE", 5], ["US", 18], ["GB", 18]] as const;
export const EU = new Set(["DE", "FR", "NL", "BE"]);

export const ORIGIN_CURRENCIES: Record<string, readonly (readonly [Currency, number])[]> = {
  CN: [["USD", 50], ["EUR", 25], ["CNY", 25]],
  HK: [["USD", 80], ["EUR", 20]],
  US: [["USD", 1]],
  GB: [["GBP", 1]],
  TR: [["EUR", 60], ["USD", 40]],
  DE: [["EUR", 1]],
  FR: [["EUR", 1]],
  NL: [["EUR", 1]],
};


// ---- routing

export type Mode = "POST" | "EXPRESS";

export const CARRIERS_BY_ORIGIN: Record<string, readonly (readonly [string, number])[]> = {
  CN: [["carrier.JDX", 55], ["carrier.SWX", 45]],
  HK: [["carrier.JDX", 50], ["carrier.SWX", 50]],
  US: [["carrier.SWX", 80], ["carrier.MRD", 20]],
  TR: [["carrier.BCX", 70], ["carrier.SWX", 30]],
  GB: [["carrier.MRD", 60], ["carrier.SWX", 40]],
  DE: [["carrier.MRD", 60], ["carrier.SWX", 40]],
  FR: [["carrier.MRD", 60], ["carrier.SWX", 40]],
  NL: [["carrier.MRD", 70], ["carrier.SWX", 30]],
};

export const PLATFORMS_BY_ORIGIN: Record<string, readonly (readonly [string, number])[]> = {
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
export const CARRIER_TRACKING: Record<string, (n: number) => string> = {
  "carrier.SWX": (n) => `SWX${String(scramble(n, 1e10, 3_141_592)).padStart(10, "0")}`,
  "carrier.MRD": (n) => String(scramble(n, 1e12, 271_828_182)).padStart(12, "0").replace(/^0/, "7"),
  "carrier.JDX": (n) => `JDX${String(scramble(n, 1e12, 161_803_398)).padStart(12, "0")}`,
  "carrier.BCX": (n) => `BCX-${String(scramble(n, 1e9, 141_421_356)).padStart(9, "0")}-TR`,
};

export const PLATFORM_ORDER: Record<string, (r: Rng) => string> = {
  "platform.SV": (r) => `SV-${r.digits(3)}-${r.digits(7)}-${r.digits(7)}`,
  "platform.DM": (r) => `DM${r.digits(16)}`,
  "platform.BZ": (r) => `BZ-${r.digits(10)}`,
  "platform.AG": (r) => `AG${r.digits(4)}-${r.digits(6)}`,
};

export const LRN_PREFIX: Record<string, string> = {
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

