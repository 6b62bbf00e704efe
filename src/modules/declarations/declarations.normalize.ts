import { createHash } from "node:crypto";
import { Decimal } from "@prisma/client/runtime/client";
import { DeclarationCategory } from "../../generated/prisma/enums";
import {
  EU_MEMBER_STATES,
  checkDeclarationGoods,
  INCOTERMS,
  MONEY,
  Problems,
  WEIGHT_KG,
  at,
  countryCode,
  currencyCode,
  oneOf,
  optionalCountryCode,
  optionalEmail,
  optionalId,
  optionalString,
  positiveDecimal,
  positiveInt,
  requiredString,
  type ValueTolerance,
} from "../../shared/validation";
import { hsCode } from "../../shared/hs-code";
import { iossNumber } from "../../shared/ioss";
import { trackingNumber } from "../../shared/s10";
import type { DeclarationInput } from "./declarations.inputs";
import type { NewDeclaration } from "./declarations.repository";

/*
 * One filing input, checked and normalized on its own (no database): what every input of
 * fileDeclaration and fileDeclarations goes through before anything is looked up or stored.
 */

/** Most goods items per declaration (CN 23 lines). */
export const MAX_GOODS_ITEMS = 999;

const LIMITS = { localReference: 64, platformOrderId: 64, name: 200, address: 500, description: 512 };

/** The destination an input names, upper-cased, for loading its rules before the checks. */
export function destinationOf(input: DeclarationInput | null | undefined): string | null {
  const s = typeof input?.destinationCountry === "string" ? input.destinationCountry.trim().toUpperCase() : "";
  return /^[A-Z]{2}$/.test(s) ? s : null;
}

/**
 * Checks one input and returns it normalized (trimmed strings, upper-case codes, canonical
 * decimals, blank optionals as null) with its payloadHash, or undefined with problems in `p`.
 */
export function normalize(
  p: Problems,
  base: string,
  input: DeclarationInput,
  filerId: string,
  tolerance: ValueTolerance | null,
): NewDeclaration | undefined {
  if (!input || typeof input !== "object") {
    p.add(base, "must be a declaration");
    return undefined;
  }
  const path = (...k: (string | number)[]) => at(base, ...k);
  const category = oneOf(p, path("category"), input.category, Object.values(DeclarationCategory));
  const d = {
    localReference: requiredString(p, path("localReference"), input.localReference, LIMITS.localReference),
    trackingNumber: trackingNumber(p, path("trackingNumber"), input.trackingNumber),
    platformId: optionalId(p, path("platformId"), input.platformId),
    carrierId: optionalId(p, path("carrierId"), input.carrierId),
    postId: optionalId(p, path("postId"), input.postId),
    originCountry: countryCode(p, path("originCountry"), input.originCountry),
    destinationCountry: countryCode(p, path("destinationCountry"), input.destinationCountry),
    totalValue: positiveDecimal(p, path("totalValue"), input.totalValue, MONEY),
    currency: currencyCode(p, path("currency"), input.currency),
    grossWeightKg: positiveDecimal(p, path("grossWeightKg"), input.grossWeightKg, WEIGHT_KG),
    category,
    iossNumber: iossNumber(p, path("iossNumber"), input.iossNumber),
    platformOrderId: optionalString(p, path("platformOrderId"), input.platformOrderId, LIMITS.platformOrderId),
    incoterm: null as string | null | undefined,
    ddp: false as boolean | undefined,
    sellerName: optionalString(p, path("sellerName"), input.sellerName, LIMITS.name),
    sellerAddress: optionalString(p, path("sellerAddress"), input.sellerAddress, LIMITS.address),
    sellerCountry: optionalCountryCode(p, path("sellerCountry"), input.sellerCountry),
    buyerName: optionalString(p, path("buyerName"), input.buyerName, LIMITS.name),
    buyerAddress: optionalString(p, path("buyerAddress"), input.buyerAddress, LIMITS.address),
    buyerCountry: optionalCountryCode(p, path("buyerCountry"), input.buyerCountry),
    buyerEmail: optionalEmail(p, path("buyerEmail"), input.buyerEmail),
  };

  // A declaration here is for a cross-border movement.
  if (d.originCountry && d.destinationCountry && d.originCountry === d.destinationCountry) {
    p.add(path("destinationCountry"), "must differ from originCountry (the hub is for cross-border parcels)");
  }

  // IOSS covers distance sales of goods imported into the EU (EU VAT e-commerce package);
  // the EUR 150 ceiling is not checked here since it needs an exchange rate.
  if (d.iossNumber) {
    if (d.category && d.category !== "SALE_OF_GOODS") p.add(path("iossNumber"), "applies only to category SALE_OF_GOODS");
    if (d.destinationCountry && !EU_MEMBER_STATES.has(d.destinationCountry)) {
      p.add(path("iossNumber"), "applies only to a destination in an EU member state");
    }
  }

  // Incoterm and DDP flag must tell the same story; ddp defaults to what the incoterm says.
  const incotermRaw = typeof input.incoterm === "string" ? input.incoterm.trim().toUpperCase() : input.incoterm;
  d.incoterm = incotermRaw == null || incotermRaw === "" ? null : oneOf(p, path("incoterm"), incotermRaw, INCOTERMS);
  if (input.ddp != null && typeof input.ddp !== "boolean") {
    p.add(path("ddp"), "must be true or false");
    d.ddp = undefined;
  } else {
    d.ddp = input.ddp ?? d.incoterm === "DDP";
    if (d.incoterm && d.ddp !== (d.incoterm === "DDP")) {
      p.add(path("ddp"), `contradicts incoterm ${d.incoterm}`);
    }
  }

  // Goods items: 1 to 999 lines.
  const items: NewDeclaration["goodsItems"] = [];
  if (!Array.isArray(input.goodsItems) || input.goodsItems.length === 0) {
    p.add(path("goodsItems"), "must list at least one goods item");
  } else if (input.goodsItems.length > MAX_GOODS_ITEMS) {
    p.add(path("goodsItems"), `must list at most ${MAX_GOODS_ITEMS} goods items (got ${input.goodsItems.length})`);
  } else {
    input.goodsItems.forEach((g, i) => {
      if (!g || typeof g !== "object") return p.add(path("goodsItems", i), "must be a goods item");
      const ip = (k: string) => path("goodsItems", i, k);
      items.push({
        description: requiredString(p, ip("description"), g.description, LIMITS.description)!,
        quantity: positiveInt(p, ip("quantity"), g.quantity)!,
        netWeightKg: positiveDecimal(p, ip("netWeightKg"), g.netWeightKg, WEIGHT_KG)!,
        value: positiveDecimal(p, ip("value"), g.value, MONEY)!,
        currency: currencyCode(p, ip("currency"), g.currency)!,
        hsCode: hsCode(p, ip("hsCode"), g.hsCode)!,
        originCountry: countryCode(p, ip("originCountry"), g.originCountry)!,
      });
    });
  }

  // One currency, total = sum of items within the destination's tolerance, no excise goods
  // under IOSS (shared/validation.ts; amendments are checked again by the same function).
  checkDeclarationGoods(p, base, d, items, tolerance);

  // Gross weight includes the packaging, so it cannot be below the goods' net weight.
  if (p.ok && d.grossWeightKg) {
    const net = items.reduce((s, g) => s.plus(g.netWeightKg), new Decimal(0));
    if (net.gt(d.grossWeightKg)) {
      p.add(path("grossWeightKg"), `must not be below the sum of the goods items' net weights (${net.toFixed()} kg)`);
    }
  }

  if (!p.ok) return undefined;
  // The hash covers the normalized payload only, so cosmetic differences replay cleanly.
  // Plain JSON.stringify is canonical here: `d` and the items are built with keys in a fixed
  // order, and every optional is null rather than absent.
  const payloadHash = createHash("sha256").update(JSON.stringify({ ...d, goodsItems: items })).digest("hex");
  // Every field is defined once `p` is ok: a validator returns undefined only with a problem.
  return { declaration: { ...d, filerId, payloadHash } as NewDeclaration["declaration"], goodsItems: items };
}
