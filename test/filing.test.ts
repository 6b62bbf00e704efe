import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { createTestDatabase } from "./testkit/database";
import type { Party, PrismaClient } from "../src/generated/prisma/client";
import type { Role } from "../src/generated/prisma/enums";
import type { Principal } from "../src/authz/principal";
import { BadUserInputError } from "../src/shared/errors";
import { s10CheckDigit } from "../src/shared/s10";
import { loadConfig } from "../src/config";
import { createHub, type Hub } from "../src/hub";
import { createContext } from "../src/context/context";
import { createLogger } from "../src/infra/logger";
import { createHubPubSub } from "../src/infra/pubsub";
import { DeclarationFiling, toBulkResult } from "../src/modules/declarations/declarations.filing";
import { DeclarationRepository } from "../src/modules/declarations/declarations.repository";
import type { DeclarationInput, GoodsItemInput } from "../src/modules/declarations/declarations.inputs";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
let filing: DeclarationFiling;
/** the hub's services on the same database, for what the policy decides (who may file) */
let hub: Hub;
let platform: Party; // files most declarations
let carrier: Party;
let post: Party;
let operator: Party;

const as = (party: Party, role: Role = "AGENT"): Principal => ({
  partyId: party.id,
  partyKind: party.kind,
  country: party.country,
  role,
  apiKeyId: null,
});

let seq = 0;
const ref = () => `LRN-${++seq}-${randomUUID().slice(0, 8)}`;

/**
 * A UPU S10 number of its own for each declaration: one parcel has one live declaration per
 * carrier or post, so two declarations may not share a tracking number for the same carrier.
 */
let parcel = 20_000_000;
function s10(): string {
  const serial = String(++parcel);
  return `RR${serial}${s10CheckDigit(serial)}CN`;
}

const item = (over: Partial<GoodsItemInput> = {}): GoodsItemInput => ({
  description: "Cotton T-shirt",
  quantity: 2,
  netWeightKg: "0.400",
  value: "39.80",
  currency: "EUR",
  hsCode: "610910",
  originCountry: "CN",
  ...over,
});

function input(over: Partial<DeclarationInput> = {}): DeclarationInput {
  return {
    localReference: ref(),
    trackingNumber: s10(),
    platformId: platform.id,
    carrierId: carrier.id,
    postId: null,
    originCountry: "CN",
    destinationCountry: "DE",
    totalValue: "39.80",
    currency: "EUR",
    grossWeightKg: "0.650",
    category: "SALE_OF_GOODS",
    iossNumber: "IM2760000001",
    platformOrderId: "ORD-1",
    incoterm: "DAP",
    ddp: false,
    sellerName: "Shenzhen Tees Ltd",
    sellerCountry: "CN",
    buyerName: "Erika Mustermann",
    buyerAddress: "Heidestr. 17, 51147 Köln",
    buyerCountry: "DE",
    buyerEmail: "erika@example.de",
    goodsItems: [item()],
    ...over,
  };
}

/** The problems of a BAD_USER_INPUT rejection (fails the test on any other outcome). */
async function problemsOf(p: Promise<unknown>): Promise<{ path: string; message: string }[]> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BadUserInputError);
  return (err as BadUserInputError).problems;
}

async function rejectsAt(over: Partial<DeclarationInput>, path: string, message?: RegExp) {
  const before = await prisma.declaration.count();
  const problems = await problemsOf(filing.fileOne(as(platform), input(over)));
  expect(problems).toContainEqual({ path, message: message ? expect.stringMatching(message) : expect.any(String) });
  expect(await prisma.declaration.count()).toBe(before); // nothing partial stored
}

const countItems = () => prisma.goodsItem.count();

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  filing = new DeclarationFiling(prisma);
  hub = createHub(
    loadConfig({ NODE_ENV: "test", HUB_SEED: "none", LOG_LEVEL: "silent", HUB_AGREEMENT_CACHE_MS: "0" }),
    prisma,
    createLogger("silent"),
    createHubPubSub(undefined),
  );
  const party = (name: string, kind: Party["kind"], country: string) => prisma.party.create({ data: { name, kind, country } });
  platform = await party("Shopfront", "PLATFORM", "CN");
  carrier = await party("Fastwings", "CARRIER", "FR");
  post = await party("Deutsche Post", "POST", "DE");
  operator = await party("Luxor Hub", "OPERATOR", "NL");
});

afterAll(async () => {
  await hub?.accessLog.close();
  await hub?.events.close();
  await db?.close();
});

describe("fileOne", () => {
  it("files a valid declaration with its goods items, normalized", async () => {
    const localReference = ref();
    const { declaration, created } = await filing.fileOne(
      as(platform),
      input({
        localReference: `  ${localReference} `,
        trackingNumber: "rr 123 456 785 cn",
        originCountry: "cn",
        currency: "eur",
        totalValue: "39.8",
        iossNumber: "im2760000001",
        goodsItems: [item({ value: "19.90" }), item({ description: "Socks", hsCode: "6115.95", value: "19.9", currency: "eur" })],
        grossWeightKg: "1",
      }),
    );
    expect(created).toBe(true);
    expect(declaration).toMatchObject({
      filerId: platform.id,
      localReference,
      trackingNumber: "RR123456785CN",
      originCountry: "CN",
      currency: "EUR",
      iossNumber: "IM2760000001",
      status: "FILED",
      version: 1,
      ddp: false,
    });
    expect(declaration.totalValue.toFixed(2)).toBe("39.80");
    expect(declaration.payloadHash).toMatch(/^[0-9a-f]{64}$/);
    const items = await prisma.goodsItem.findMany({ where: { declarationId: declaration.id }, orderBy: { lineNumber: "asc" } });
    expect(items.map((i) => [i.lineNumber, i.description, i.hsCode, i.currency, i.value.toFixed(2)])).toEqual([
      [1, "Cotton T-shirt", "610910", "EUR", "19.90"],
      [2, "Socks", "611595", "EUR", "19.90"],
    ]);
  });

  it("is idempotent: the same payload again (even written differently) returns the same declaration", async () => {
    const first = input();
    const a = await filing.fileOne(as(platform), first);
    const items = await countItems();
    const b = await filing.fileOne(as(platform), { ...first });
    const c = await filing.fileOne(as(platform), {
      ...first,
      currency: " eur",
      totalValue: "39.800",
      trackingNumber: first.trackingNumber.toLowerCase().replace(/^(..)(\d{4})/, "$1 $2 "),
      goodsItems: [item({ hsCode: "6109.10", value: "39.8" })],
    });
    expect(a.created).toBe(true);
    expect([b.created, c.created]).toEqual([false, false]);
    expect(b.declaration.id).toBe(a.declaration.id);
    expect(c.declaration.id).toBe(a.declaration.id);
    expect(await countItems()).toBe(items);
  });

  it("accepts a heading of a chapter whose headings were not checked before (8485, new in HS 2022)", async () => {
    const r = await filing.fileOne(as(platform), input({ goodsItems: [item({ hsCode: "8485.10", value: "39.80" })] }));
    expect(r.created).toBe(true);
  });

  it("refuses a different payload under the same localReference with CONFLICT naming it", async () => {
    const first = input();
    const a = await filing.fileOne(as(platform), first);
    const err = await filing.fileOne(as(platform), { ...first, buyerName: "Max Mustermann" }).catch((e) => e);
    expect(err.extensions).toMatchObject({ code: "CONFLICT", localReference: first.localReference, declarationId: a.declaration.id });
    expect(err.message).toContain(first.localReference);
    const stored = await prisma.declaration.findUniqueOrThrow({ where: { id: a.declaration.id } });
    expect(stored.totalValue.toFixed(2)).toBe("39.80");
  });

  it("keeps references per filer: another filer may use the same localReference", async () => {
    const shared = input();
    await filing.fileOne(as(platform), shared);
    // (its own tracking number: the parcel of `shared` is live for this carrier already)
    const other = await filing.fileOne(as(carrier), { ...shared, buyerName: "Max Mustermann", trackingNumber: s10() });
    expect(other.created).toBe(true);
    expect(other.declaration.filerId).toBe(carrier.id);
  });

  it("accepts a post filing with its own S10 number and no platform", async () => {
    const r = await filing.fileOne(
      as(post),
      input({ platformId: null, carrierId: null, postId: post.id, iossNumber: null, category: "GIFT", trackingNumber: "EE473124829DE" }),
    );
    expect(r.declaration).toMatchObject({ postId: post.id, platformId: null, trackingNumber: "EE473124829DE" });
  });

  it("does not let the hub operator, nor customs, file (the policy's declaration:file)", async () => {
    const customs = await prisma.party.create({ data: { name: "Zoll", kind: "CUSTOMS", country: "DE" } });
    const before = await prisma.declaration.count();
    for (const who of [as(operator, "OPERATOR"), as(customs, "OFFICER")]) {
      const err = await hub.services.declarations.fileOne(createContext(hub, who), input()).catch((e) => e);
      expect(err.extensions.code).toBe("FORBIDDEN");
      const many = await hub.services.declarations.fileMany(createContext(hub, who), [input()]).catch((e) => e);
      expect(many.extensions.code).toBe("FORBIDDEN");
    }
    expect(await prisma.declaration.count()).toBe(before);
    // a trade party files through the same service
    await expect(hub.services.declarations.fileOne(createContext(hub, as(platform)), input())).resolves.toMatchObject({ created: true });
  });

  it("refuses a tracking number live for the same carrier or post on another declaration (CONFLICT)", async () => {
    const first = await filing.fileOne(as(platform), input());
    const tn = first.declaration.trackingNumber;
    const err = await filing.fileOne(as(platform), input({ trackingNumber: tn })).catch((e) => e);
    expect(err.extensions).toMatchObject({ code: "CONFLICT", trackingNumber: tn });
    // another filer is refused too: the parcel is bound to its carrier, not to its filer
    const err2 = await filing.fileOne(as(post), input({ trackingNumber: tn })).catch((e) => e);
    expect(err2.extensions).toMatchObject({ code: "CONFLICT", trackingNumber: tn });
    // the same number for another carrier or post is another parcel's
    const other = await prisma.party.create({ data: { name: "Slowboat", kind: "CARRIER", country: "NL" } });
    await expect(filing.fileOne(as(platform), input({ trackingNumber: tn, carrierId: other.id }))).resolves.toMatchObject({ created: true });
    await expect(filing.fileOne(as(post), input({ trackingNumber: tn, carrierId: null, postId: post.id }))).resolves.toMatchObject({ created: true });
  });
});

describe("validation names every problem with its path", () => {
  it.each<[string, Partial<DeclarationInput>, string, RegExp?]>([
    ["bad country", { originCountry: "XX" }, "input.originCountry", /ISO 3166-1 alpha-2/],
    ["alpha-3 country", { destinationCountry: "DEU" }, "input.destinationCountry"],
    ["same origin and destination", { destinationCountry: "CN", iossNumber: null }, "input.destinationCountry", /differ/],
    ["bad currency", { currency: "EURO" }, "input.currency", /ISO 4217/],
    ["bad S10 check digit", { trackingNumber: "RR123456784CN" }, "input.trackingNumber", /check digit \(expected 5\)/],
    ["malformed tracking number", { trackingNumber: "abc" }, "input.trackingNumber"],
    ["zero value", { totalValue: "0.00" }, "input.totalValue", /greater than 0/],
    ["negative value", { totalValue: "-5" }, "input.totalValue", /positive decimal/],
    ["too many decimals", { totalValue: "39.805" }, "input.totalValue", /at most 2 decimal places/],
    ["too many weight decimals", { grossWeightKg: "0.6505" }, "input.grossWeightKg", /at most 3 decimal places/],
    ["float-like value", { totalValue: "4e1" }, "input.totalValue"],
    ["too long string", { localReference: "R".repeat(65) }, "input.localReference", /at most 64 characters/],
    ["blank localReference", { localReference: "   " }, "input.localReference", /required/],
    ["too long buyer name", { buyerName: "B".repeat(201) }, "input.buyerName", /at most 200/],
    ["bad e-mail", { buyerEmail: "erika at example" }, "input.buyerEmail"],
    ["empty goods list", { goodsItems: [] }, "input.goodsItems", /at least one/],
    ["bad IOSS format", { iossNumber: "IM12345" }, "input.iossNumber", /IM, the member state's 3-digit country code and 7 digits/],
    ["IOSS number of no member state", { iossNumber: "IM8260000001" }, "input.iossNumber", /826 is not the numeric code/],
    ["total value not the sum of the items", { totalValue: "45.00" }, "input.totalValue", /sum of the goods items' values \(39.80\) exactly \(no VALUE_TOLERANCE rule/],
    ["IOSS on a gift", { category: "GIFT" }, "input.iossNumber", /SALE_OF_GOODS/],
    ["IOSS outside the EU", { destinationCountry: "US" }, "input.iossNumber", /EU member state/],
    ["unknown incoterm", { incoterm: "XYZ" }, "input.incoterm"],
    ["ddp contradicting incoterm", { incoterm: "DDP", ddp: false }, "input.ddp", /contradicts incoterm DDP/],
    ["gross below net", { grossWeightKg: "0.300" }, "input.grossWeightKg", /net weights \(0.4 kg\)/],
    ["unknown category", { category: "BRIBE" as never }, "input.category"],
  ])("%s", async (...[, over, path, message]) => {
    // rest parameters: jest would take a 4th named parameter for a `done` callback
    await rejectsAt(over, path, message);
  });

  it.each<[string, Partial<GoodsItemInput>, string, RegExp?]>([
    ["bad HS code", { hsCode: "61091" }, "hsCode", /6 to 10 digits/],
    ["HS code of no chapter", { hsCode: "000000" }, "hsCode", /no chapter 00/],
    ["HS code of no heading", { hsCode: "611800" }, "hsCode", /no heading 6118/],
    ["HS code of no heading in chapter 84", { hsCode: "849910" }, "hsCode", /chapter 84 has no heading 8499/],
    ["item in another currency than the declaration", { currency: "JPY" }, "currency", /must be EUR, the declaration's currency/],
    ["excise goods under IOSS", { hsCode: "220421" }, "hsCode", /excise goods .* cannot be declared under IOSS/],
    ["bad item currency", { currency: "XAU" }, "currency"],
    ["bad item origin", { originCountry: "China" }, "originCountry"],
    ["zero quantity", { quantity: 0 }, "quantity"],
    ["too many value decimals", { value: "1.999" }, "value", /at most 2 decimal places/],
    ["negative net weight", { netWeightKg: "-0.1" }, "netWeightKg"],
    ["blank description", { description: " " }, "description"],
  ])("goods item: %s", async (...[, over, key, message]) => {
    await rejectsAt({ goodsItems: [item(), item(), item(over)] }, `input.goodsItems[2].${key}`, message);
  });

  it("reports all problems of one input at once", async () => {
    const problems = await problemsOf(
      filing.fileOne(
        as(platform),
        input({ currency: "EURO", originCountry: "XX", goodsItems: [item({ hsCode: "1" }), item({ value: "0" })] }),
      ),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(
      ["input.currency", "input.originCountry", "input.goodsItems[0].hsCode", "input.goodsItems[1].value"].sort(),
    );
  });

  it("refuses more than 999 goods items", async () => {
    await rejectsAt({ goodsItems: Array.from({ length: 1000 }, () => item({ netWeightKg: "0.001" })) }, "input.goodsItems", /at most 999/);
  });

  it("checks referenced parties exist and are of the right kind", async () => {
    await rejectsAt({ platformId: randomUUID() }, "input.platformId", /no party has this id/);
    await rejectsAt({ carrierId: post.id }, "input.carrierId", /is a POST party, not a CARRIER/);
    await rejectsAt({ postId: "not-a-uuid" }, "input.postId");
  });
});

describe("fileMany", () => {
  it("files the good ones, reports the bad ones by index and path, replays and conflicts", async () => {
    const existing = input();
    const stored = await filing.fileOne(as(platform), existing);
    const dup = input();
    const before = await prisma.declaration.count();

    const outcomes = await filing.fileMany(as(platform), [
      input(), // 0 good
      input({ currency: "EURO" }), // 1 bad
      input(), // 2 good
      existing, // 3 replay of a stored one
      { ...existing, buyerName: "Someone Else" }, // 4 conflict with a stored one
      dup, // 5 good
      { ...dup }, // 6 identical repeat within the call: same outcome as 5
      { ...dup, buyerName: "Someone Else" }, // 7 different repeat within the call: conflict
      input({ carrierId: randomUUID(), goodsItems: [item({ hsCode: "x" })] }), // 8 bad twice
    ]);

    expect(outcomes.map((o) => [o.index, o.created, o.error?.code ?? null])).toEqual([
      [0, true, null],
      [1, false, "BAD_USER_INPUT"],
      [2, true, null],
      [3, false, null],
      [4, false, "CONFLICT"],
      [5, true, null],
      [6, false, null],
      [7, false, "CONFLICT"],
      [8, false, "BAD_USER_INPUT"],
    ]);
    expect(outcomes[1].error).toMatchObject({ path: "declarations[1].currency", problems: [{ path: "declarations[1].currency" }] });
    expect(outcomes[1].declaration).toBeNull();
    expect(outcomes[3].declaration!.id).toBe(stored.declaration.id);
    expect(outcomes[6].declaration!.id).toBe(outcomes[5].declaration!.id);
    expect(outcomes[7].error!.message).toContain("declarations[5]");
    // every problem of the input, the unknown party included
    expect(outcomes[8].error!.problems.map((p) => p.path)).toEqual([
      "declarations[8].goodsItems[0].hsCode",
      "declarations[8].carrierId",
    ]);
    expect(await prisma.declaration.count()).toBe(before + 3);
    expect(toBulkResult(outcomes)).toMatchObject({ createdCount: 3, replayedCount: 2, failedCount: 4 });
  });

  it("reports an unknown party at its indexed path", async () => {
    const [ok, bad] = await filing.fileMany(as(platform), [input(), input({ platformId: randomUUID() })]);
    expect(ok.created).toBe(true);
    expect(bad.error).toMatchObject({ code: "BAD_USER_INPUT", path: "declarations[1].platformId" });
  });

  it("a tracking number taken by an earlier input of the call for the same carrier is a CONFLICT at its index", async () => {
    const tn = s10();
    const outcomes = await filing.fileMany(as(platform), [input({ trackingNumber: tn }), input({ trackingNumber: tn }), input()]);
    expect(outcomes.map((o) => [o.created, o.error?.code ?? null])).toEqual([
      [true, null],
      [false, "CONFLICT"],
      [true, null],
    ]);
    expect(outcomes[1].error!.message).toContain(tn);
  });

  it("names the list after the GraphQL argument when told", async () => {
    const [o] = await filing.fileMany(as(platform), [input({ currency: "?" })], null, "inputs");
    expect(o.error!.path).toBe("inputs[0].currency");
  });

  it("refuses more than 1,000 declarations per call, storing nothing", async () => {
    const before = await prisma.declaration.count();
    const problems = await problemsOf(filing.fileMany(as(platform), Array.from({ length: 1001 }, () => input())));
    expect(problems).toEqual([{ path: "declarations", message: expect.stringMatching(/at most 1000/) }]);
    expect(await prisma.declaration.count()).toBe(before);
  });

  it("returns an empty list for an empty call", async () => {
    expect(await filing.fileMany(as(platform), [])).toEqual([]);
  });

  it("files 1,000 declarations of 3 items in one call", async () => {
    const inputs = Array.from({ length: 1000 }, () => input({ goodsItems: [item({ value: "13.27" }), item({ value: "13.27" }), item({ value: "13.26" })], grossWeightKg: "1.5" }));
    const t0 = performance.now();
    const outcomes = await filing.fileMany(as(platform), inputs);
    const ms = performance.now() - t0;
    expect(outcomes.every((o) => o.created)).toBe(true);
    const ids = outcomes.map((o) => o.declaration!.id);
    expect(await prisma.goodsItem.count({ where: { declarationId: { in: ids } } })).toBe(3000);
    // eslint-disable-next-line no-console
    console.log(`bulk filing (${db.embedded ? "embedded PGlite" : "PostgreSQL"}): 1000 x 3 items in ${ms.toFixed(0)} ms`);
  });
});

describe("concurrent filing of the same reference", () => {
  it("same payload: one call creates, the other replays; never an error", async () => {
    const same = input();
    const [a, b] = await Promise.all([filing.fileOne(as(platform), same), filing.fileOne(as(platform), { ...same })]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.declaration.id).toBe(b.declaration.id);
  });

  it("different payloads: one is filed, the other gets CONFLICT", async () => {
    const same = input();
    const results = await Promise.allSettled([
      filing.fileOne(as(platform), same),
      filing.fileOne(as(platform), { ...same, buyerName: "Someone Else" }),
    ]);
    const codes = results.map((r) => (r.status === "fulfilled" ? "OK" : (r.reason as { extensions: { code: string } }).extensions.code));
    expect(codes.sort()).toEqual(["CONFLICT", "OK"]);
    expect(await prisma.declaration.count({ where: { filerId: platform.id, localReference: same.localReference } })).toBe(1);
  });

  it("a reference filed between lookup and insert is settled as a replay or a CONFLICT", async () => {
    const same = input();
    const first = await filing.fileOne(as(platform), same);
    // A filing whose first lookup misses the row, as if another call stored it just after.
    const racing = () => {
      const f = new DeclarationFiling(prisma);
      const repo = (f as unknown as { repo: DeclarationRepository }).repo;
      const lookup = repo.findByLocalReferences.bind(repo);
      let calls = 0;
      repo.findByLocalReferences = async (...args) => (calls++ === 0 ? [] : lookup(...args));
      return f;
    };
    const replay = await racing().fileOne(as(platform), { ...same });
    expect(replay).toMatchObject({ created: false, declaration: { id: first.declaration.id } });
    const err = await racing().fileOne(as(platform), { ...same, buyerName: "Someone Else" }).catch((e) => e);
    expect(err.extensions).toMatchObject({ code: "CONFLICT", localReference: same.localReference });
  });

  it("the repository skips a reference stored meanwhile and writes no orphan items", async () => {
    const repo = new DeclarationRepository(prisma);
    const stored = await filing.fileOne(as(platform), input());
    const items = await countItems();
    const { id, filedAt, updatedAt, status, version, releasedAt, movementReference, ...row } = stored.declaration;
    const [again] = await repo.insertNew([
      {
        declaration: { ...row, totalValue: "1", grossWeightKg: "1" },
        goodsItems: [{ description: "x", quantity: 1, netWeightKg: "1", value: "1", currency: "EUR", hsCode: "610910", originCountry: "CN" }],
      },
    ], { apiKeyId: null, idempotencyKey: null });
    expect(again).toBeNull();
    expect(await countItems()).toBe(items);
  });
});
