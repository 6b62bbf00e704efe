// Valid filing inputs for the bulk-filing benchmark: what a platform's system would send.
// Every declaration is unique (localReference, tracking number) and passes the hub's rules:
// ISO currencies and countries, 6-digit HS codes, decimals as strings, gross weight not
// below the net weights, IOSS only for sales into the EU of at most EUR 150, one buyer each.

const ROUTES = [
  { origin: "CN", destination: "DE", currency: "EUR", eu: true },
  { origin: "CN", destination: "FR", currency: "EUR", eu: true },
  { origin: "HK", destination: "NL", currency: "EUR", eu: true },
  { origin: "CN", destination: "US", currency: "USD", eu: false },
  { origin: "TR", destination: "GB", currency: "GBP", eu: false },
] as const;

const GOODS = [
  { description: "Bluetooth wireless headphones", hsCode: "851830", grams: 250, cents: 3490 },
  { description: "Men's cotton T-shirt, printed", hsCode: "610910", grams: 180, cents: 990 },
  { description: "Silicone phone case", hsCode: "392690", grams: 40, cents: 450 },
  { description: "Running shoes, textile upper, rubber sole", hsCode: "640411", grams: 700, cents: 4590 },
  { description: "Plastic building blocks set", hsCode: "950300", grams: 600, cents: 2190 },
  { description: "Lithium-ion power bank, 10000 mAh", hsCode: "850760", grams: 230, cents: 1890 },
] as const;

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
const kg = (grams: number) => `${Math.floor(grams / 1000)}.${String(grams % 1000).padStart(3, "0")}`;

export interface FilingParties {
  platformId: string;
  carrierId: string;
}

/** Declaration number `n` of run `runId` (unique across runs and batches), with 3 goods items. */
export function declarationInput(runId: string, n: number, parties: FilingParties) {
  const route = ROUTES[n % ROUTES.length];
  const items = [0, 1, 2].map((k) => {
    const g = GOODS[(n + k * 2) % GOODS.length];
    const quantity = 1 + ((n + k) % 3);
    return {
      description: g.description,
      quantity,
      netWeightKg: kg(g.grams * quantity),
      value: money(g.cents * quantity),
      currency: route.currency,
      hsCode: g.hsCode,
      originCountry: route.origin,
    };
  });
  const totalCents = items.reduce((s, g, k) => s + GOODS[(n + k * 2) % GOODS.length].cents * g.quantity, 0);
  const netGrams = items.reduce((s, g, k) => s + GOODS[(n + k * 2) % GOODS.length].grams * g.quantity, 0);
  return {
    localReference: `BENCH-${runId}-${n}`,
    trackingNumber: `SWXB${runId.toUpperCase()}${String(n).padStart(9, "0")}`,
    platformId: parties.platformId,
    carrierId: parties.carrierId,
    originCountry: route.origin,
    destinationCountry: route.destination,
    totalValue: money(totalCents),
    currency: route.currency,
    grossWeightKg: kg(netGrams + 120),
    category: "SALE_OF_GOODS",
    // a platform quotes its IOSS number only on consignments it may (EUR 150 or less)
    iossNumber: route.eu && totalCents <= 15000 ? "IM3720001234" : null,
    platformOrderId: `SV-BENCH-${runId}-${n}`,
    incoterm: route.eu ? "DDP" : "DAP",
    // one in 47 (all routes in turn) from a seller on the shipped illustrative watch lists (EU, US): with risk
    // assessment on, those raise an alert and a screening hold in the same statement
    sellerName: n % 47 === 46 ? "Golden Dragon Trading Co." : "Huatai Electronics Co., Ltd.",
    sellerAddress: "No. 88 Keji Road, Nanshan District, Shenzhen, Guangdong 518057",
    sellerCountry: route.origin,
    buyerName: `Erika Mustermann ${n}`,
    buyerAddress: "Hauptstraße 1, 10115 Berlin",
    buyerCountry: route.destination,
    buyerEmail: `buyer${n}@example.com`,
    goodsItems: items,
  };
}
