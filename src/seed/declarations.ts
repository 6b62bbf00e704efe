// The filings of the demo world: declaration n as its filer would send it (already in the
// filing's normalized form, with the payloadHash the filing computes), when it was filed,
// and how it travels. Content depends only on (world, seed, n, now). A realistic share is
// crafted to meet the shipped risk rules: undervalued goods, restricted goods, watch-listed
// sellers, IOSS numbers on the wrong consignment, parcels split for one buyer.
import { createHash, randomUUID } from "node:crypto";
import type { DeclarationCategory } from "../generated/prisma/enums";
import type { NewDeclaration } from "../modules/declarations/declarations.repository";
import {
  CARRIER_TRACKING,
  CARRIERS_BY_ORIGIN,
  convert,
  DESTINATIONS,
  DOCUMENTS,
  EU,
  HOUR,
  LRN_PREFIX,
  MINUTE,
  ORIGIN_CURRENCIES,
  ORIGINS,
  PLATFORM_ORDER,
  PLATFORMS_BY_ORIGIN,
  PRODUCT_TABLE,
  type Currency,
  type Mode,
  type Product,
} from "./catalogue";
import { CRAFTED, craftedKind, type Crafted } from "./crafted";
import { scramble, s10 } from "./identifiers";
import { party, type SeedWorld } from "./parties";
import { ascii, BUYERS, GATEWAYS, ORIGIN_CITIES, SELLER_STYLE } from "./people";
import { mix, Rng } from "./rng";

/** One seeded filing: what was filed, by whom and when, and the rest of its journey's setting. */
export interface SeedFiling {
  n: number;
  id: string;
  filing: NewDeclaration;
  /** epoch ms */
  filedAt: number;
  mode: Mode;
  /** the carrier or post that carries it, and the customs of its destination */
  transportId: string;
  customsId: string;
  originCity: string;
  buyerCity: string;
  gateway: string;
  /** what the seed crafted it to meet, if anything (for the README's figures; the rules decide) */
  crafted: Crafted | null;
  /** its own stream of randomness, continued by its history */
  r: Rng;
}

/** How long ago parcels were filed: [weight, min, max] in hours. */
const AGE_TABLE = [[30, 0.2, 72], [30, 72, 12 * 24], [40, 12 * 24, 60 * 24]] as const;

/** "12.50" from 1250 */
export function money(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}
/** "0.250" from 250 */
function kg(grams: number): string {
  return `${Math.floor(grams / 1000)}.${String(grams % 1000).padStart(3, "0")}`;
}
/** Canonical decimal text, as the filing normalizer stores and hashes it ("12.5", "3"). */
function canonical(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

interface Line {
  product: Product;
  description: string;
  quantity: number;
  grams: number;
  cents: number;
  origin: string;
}

interface Core {
  origin: string;
  dest: string;
  category: DeclarationCategory;
  mode: Mode;
  platformKey: string | null;
  filedAt: number;
  buyer: { name: string; address: string; city: string; email: string | null };
}

export class DeclarationFactory {
  constructor(
    private readonly world: SeedWorld,
    private readonly seed: number,
    private readonly now: number,
  ) {}

  private id(key: string): string {
    return party(this.world, key).id;
  }

  /** Where it goes, what kind of sale, who buys and when it was filed (what a split parcel copies). */
  private core(n: number, r: Rng): Core {
    const origin = r.weighted(ORIGINS);
    let dest = r.weighted(DESTINATIONS);
    while (dest === origin) dest = r.weighted(DESTINATIONS);
    const category: DeclarationCategory = r.weighted([["SALE_OF_GOODS", 88], ["GIFT", 5], ["SAMPLE", 3], ["RETURNED_GOODS", 2], ["DOCUMENTS", 1], ["OTHER", 1]]);
    const mode: Mode = r.chance(0.55) ? "POST" : "EXPRESS";
    const platformKey = category === "SALE_OF_GOODS" && r.chance(0.85) ? r.weighted(PLATFORMS_BY_ORIGIN[origin]) : null;
    const [, lo, hi] = r.weighted(AGE_TABLE.map((a) => [a, a[0]] as const));
    const filedAt = this.now - Math.round((lo + r.float() * (hi - lo)) * HOUR);
    const style = BUYERS[dest];
    const first = r.pick(style.first);
    const last = r.pick(style.last);
    const [address, city] = style.address(r);
    const email = r.chance(0.7) ? `${ascii(first)}.${ascii(last)}${r.int(1, 99)}@example.${style.tld}` : null;
    return { origin, dest, category, mode, platformKey, filedAt, buyer: { name: `${first} ${last}`, address, city, email } };
  }

  /** Declaration number n (0-based across the store's seeded declarations). */
  build(n: number): SeedFiling {
    const r = new Rng(mix(this.seed, n));
    let core = this.core(n, r);
    let crafted = craftedKind(r, core.category, core.platformKey !== null);
    if (crafted === "SPLIT") {
      // a second parcel for the buyer of declaration n-1, through the same platform, hours later
      const lead = n > 0 ? this.core(n - 1, new Rng(mix(this.seed, n - 1))) : null;
      if (lead?.platformKey && lead.category === "SALE_OF_GOODS") {
        core = { ...lead, mode: core.mode, filedAt: Math.min(lead.filedAt + r.int(20, 360) * MINUTE, this.now - MINUTE) };
      } else crafted = null;
    }
    return this.assemble(n, r, core, crafted);
  }

  private assemble(n: number, r: Rng, core: Core, crafted: Crafted | null): SeedFiling {
    const { origin, dest, category, mode, platformKey } = core;
    const { postKey, carrierKey, transportKey, filerKey } = this.route(r, core);

    const currency = category === "DOCUMENTS" ? "EUR" : r.weighted(ORIGIN_CURRENCIES[origin]);
    const lines = this.goods(r, category, origin, currency, crafted);
    const totalCents = lines.reduce((s, g) => s + g.cents, 0);
    const grossGrams = lines.reduce((s, g) => s + g.grams, 0) + r.int(20, 350);
    const eurCents = convert(totalCents, currency, "EUR");

    const platform = platformKey ? party(this.world, platformKey) : null;
    let iossNumber = platform && EU.has(dest) && category === "SALE_OF_GOODS" && eurCents <= 15000 && r.chance(0.92) ? platform.iossNumber! : null;
    if (crafted === "IOSS" && platform && EU.has(dest)) iossNumber = CRAFTED.iossNumber(r, eurCents, platform.iossNumber!);
    const incoterm = mode === "EXPRESS" ? (iossNumber || r.chance(0.35) ? "DDP" : "DAP") : r.chance(0.3) ? "DAP" : null;

    const seller = crafted === "WATCH_LIST" ? CRAFTED.seller(r) : this.seller(r, origin, lines[0].product.trade);
    const { trackingNumber, localReference } = this.references(n, r, origin, carrierKey, filerKey);

    // Keys in the filing's order (DeclarationInput), decimals canonical, optionals null:
    // the payloadHash is then the one the filing computes, so re-filing replays.
    const d = {
      localReference,
      trackingNumber,
      platformId: platform?.id ?? null,
      carrierId: carrierKey ? this.id(carrierKey) : null,
      postId: carrierKey ? null : this.id(postKey),
      originCountry: origin,
      destinationCountry: dest,
      totalValue: canonical(money(totalCents)),
      currency,
      grossWeightKg: canonical(kg(grossGrams)),
      category,
      iossNumber,
      platformOrderId: platformKey ? PLATFORM_ORDER[platformKey](r) : null,
      incoterm,
      ddp: incoterm === "DDP",
      sellerName: seller.name,
      sellerAddress: seller.address,
      sellerCountry: origin,
      buyerName: core.buyer.name,
      buyerAddress: core.buyer.address,
      buyerCountry: dest,
      buyerEmail: core.buyer.email,
    };
    const goodsItems = lines.map((g) => ({ description: g.description, quantity: g.quantity, netWeightKg: canonical(kg(g.grams)), value: canonical(money(g.cents)), currency, hsCode: g.product.hs, originCountry: g.origin }));
    const payloadHash = createHash("sha256").update(JSON.stringify({ ...d, goodsItems })).digest("hex");
    return {
      n,
      id: randomUUID(),
      filing: { declaration: { ...d, filerId: this.id(filerKey), payloadHash }, goodsItems },
      filedAt: core.filedAt,
      mode,
      transportId: this.id(transportKey),
      customsId: this.id(`customs.${dest}`),
      originCity: r.pick(ORIGIN_CITIES[origin]),
      buyerCity: core.buyer.city,
      gateway: GATEWAYS[dest][mode === "POST" ? 0 : 1],
      crafted,
      r,
    };
  }

  /** The carrier's tracking number (S10 for posts) and the filer's local reference: unique per n. */
  private references(n: number, r: Rng, origin: string, carrierKey: string | null, filerKey: string): { trackingNumber: string; localReference: string } {
    const trackingNumber =
      carrierKey !== null
        ? CARRIER_TRACKING[carrierKey](n)
        : s10(r.weighted([["LX", 30], ["LY", 15], ["LZ", 15], ["CP", 20], ["EE", 10], ["RR", 10]] as const), scramble(n, 1e8, 12_345_678), origin);
    const localReference = filerKey.startsWith("post.")
      ? `${party(this.world, filerKey).upuCode}-ITMATT-${String(n).padStart(9, "0")}`
      : `${LRN_PREFIX[filerKey]}${String(n).padStart(9, "0")}`;
    return { trackingNumber, localReference };
  }

  /** Who carries it, and who files: the platform for most of its orders, a broker for some
   * express parcels to Germany, otherwise the carrier or post itself (ITMATT / express manifest). */
  private route(r: Rng, { origin, dest, mode, platformKey }: Core): { postKey: string; carrierKey: string | null; transportKey: string; filerKey: string } {
    const postKey = `post.${origin}`;
    const carrierKey = mode === "EXPRESS" ? r.weighted(CARRIERS_BY_ORIGIN[origin]) : null;
    const transportKey = carrierKey ?? postKey;
    let filerKey = transportKey;
    if (platformKey && r.chance(0.6)) filerKey = platformKey;
    else if (mode === "EXPRESS" && dest === "DE" && r.chance(0.3)) filerKey = "broker.NZ";
    return { postKey, carrierKey, transportKey, filerKey };
  }

  private goods(r: Rng, category: DeclarationCategory, origin: string, currency: Currency, crafted: Crafted | null): Line[] {
    const lines: Line[] = [];
    const count = category === "DOCUMENTS" ? 1 : r.weighted([[1, 60], [2, 25], [3, 10], [4, 5]] as const);
    for (let i = 0; i < count; i++) {
      let product = category === "DOCUMENTS" ? DOCUMENTS : r.weighted(PRODUCT_TABLE);
      let unitUsd = category === "DOCUMENTS" ? r.int(100, 500) : r.int(product.price[0], product.price[1]);
      if (i === 0 && (crafted === "UNDERVALUED" || crafted === "RESTRICTED")) {
        const c = crafted === "UNDERVALUED" ? CRAFTED.undervalued(r) : CRAFTED.restricted(r);
        product = c.product;
        unitUsd = c.unitUsd;
      }
      const quantity = r.int(1, product.maxQty);
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
    return lines;
  }

  private seller(r: Rng, origin: string, trade: string): { name: string; address: string } {
    const style = SELLER_STYLE[origin];
    return { name: style.form(r.pick(style.words), trade), address: r.pick(style.addresses) };
  }
}
