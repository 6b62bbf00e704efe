import { createHash } from "node:crypto";
import { Decimal } from "@prisma/client/runtime/client";
import type { PrismaClient } from "../../generated/prisma/client";
import { DeclarationCategory, type PartyKind } from "../../generated/prisma/enums";
import type { Principal } from "../../authz/principal";
import { BadUserInputError, ConflictError, type HubError, type InputProblem } from "../../shared/errors";
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
  hsCode,
  iossNumber,
  isUuid,
  oneOf,
  optionalCountryCode,
  optionalEmail,
  optionalId,
  optionalString,
  positiveDecimal,
  positiveInt,
  requiredString,
  trackingNumber,
} from "../../shared/validation";
import type { BulkFilingResult, DeclarationInput, FilingError, FilingOutcome } from "./declarations.inputs";
import {
  DeclarationRepository,
  isUniqueViolation,
  type DeclarationRow,
  type NewDeclaration,
} from "./declarations.repository";

import type { RiskAssessor } from "../risk/risk.assessor";
import type { Subject } from "../risk/risk.engine";

export type { DeclarationRow };

/** Most declarations per bulk call. */
export const MAX_DECLARATIONS_PER_CALL = 1000;
/** Most goods items per declaration (CN 23 lines). */
export const MAX_GOODS_ITEMS = 999;
/** Most goods items per bulk call, so one call cannot become a million-row insert. */
export const MAX_GOODS_ITEMS_PER_CALL = 100_000;

const LIMITS = { localReference: 64, platformOrderId: 64, name: 200, address: 500, description: 512 };

/** Which kind of party each reference must point at. */
const PARTY_REFS = [
  ["platformId", "PLATFORM"],
  ["carrierId", "CARRIER"],
  ["postId", "POST"],
] as const satisfies readonly (readonly [string, PartyKind])[];

interface Candidate {
  index: number;
  base: string;
  normalized?: NewDeclaration;
  problems: InputProblem[];
  error?: HubError;
  row?: DeclarationRow;
  created?: boolean;
  /** an earlier input of the same call with the same localReference and payload */
  sameAs?: Candidate;
}

/**
 * The write side of declarations. Rules:
 * - the filer is the caller's party (it holds the data it files); the OPERATOR does not file;
 * - idempotent on (filer, localReference): same normalized payload (sha256 `payloadHash`)
 *   returns the stored declaration with created=false; a different payload is a CONFLICT;
 * - every input problem is reported at once, with its full path; nothing partial is stored.
 *
 * Bulk: all inputs are validated first; each declaration then succeeds or fails on its own
 * (a bad one does not reject the good ones), while all good ones are stored with their goods
 * items by ONE atomic statement per call (see DeclarationRepository.insertNew).
 */
export class DeclarationFiling {
  private readonly repo: DeclarationRepository;

  /** `risk`: registration and risk assessment at filing, where the destination's customs have it on */
  constructor(
    prisma: PrismaClient,
    private readonly risk?: RiskAssessor,
  ) {
    this.repo = new DeclarationRepository(prisma);
  }

  /** Files one declaration; throws BAD_USER_INPUT (paths under `input`), CONFLICT or FORBIDDEN. */
  async fileOne(principal: Principal, input: DeclarationInput, idempotencyKey: string | null = null): Promise<{ declaration: DeclarationRow; created: boolean }> {
    const [c] = await this.file(principal, [input], () => "input", "declarations", idempotencyKey);
    if (c.error) throw c.error;
    return { declaration: c.row!, created: c.created! };
  }

  /**
   * Files up to 1,000 declarations; one outcome per input, in input order, with paths under
   * `<argName>[i]` (the GraphQL argument's name). Throws only for the call as a whole
   * (FORBIDDEN, too many inputs).
   */
  async fileMany(principal: Principal, inputs: DeclarationInput[], idempotencyKey: string | null = null, argName = "declarations"): Promise<FilingOutcome[]> {
    const candidates = await this.file(principal, inputs, (i) => `${argName}[${i}]`, argName, idempotencyKey);
    return candidates.map((c) => ({
      index: c.index,
      declaration: c.error ? null : c.row!,
      created: !c.error && c.created!,
      error: c.error ? toFilingError(c.error) : null,
    }));
  }

  /**
   * One parcel, one live declaration per carrier or post (the LiveParcel key enforces it;
   * this names the conflict per input instead of failing the batch): candidates whose
   * tracking number is live for their carrier or post, or taken by an earlier input of
   * this call, fail with CONFLICT. Returns the rest.
   */
  private async withoutLiveConflicts(candidates: Candidate[]): Promise<Candidate[]> {
    const live = await this.repo.liveBindings(candidates.map((c) => c.normalized!.declaration));
    const ok: Candidate[] = [];
    const taken: Candidate[] = [];
    for (const c of candidates) {
      const d = c.normalized!.declaration;
      const keys = [d.carrierId, d.postId].filter((x): x is string => !!x).map((p) => `${d.trackingNumber}|${p}`);
      if (keys.some((k) => live.has(k))) {
        taken.push(c);
        continue;
      }
      for (const k of keys) live.add(k);
      ok.push(c);
    }
    // The parcel may be live because this very filing was stored since the lookup (a
    // concurrent call with the same localReference): that is a replay, or a CONFLICT on content.
    if (taken.length) {
      const refs = taken.map((c) => c.normalized!.declaration.localReference);
      const stored = new Map((await this.repo.findByLocalReferences(taken[0].normalized!.declaration.filerId, refs)).map((r) => [r.localReference, r]));
      for (const c of taken) {
        const row = stored.get(c.normalized!.declaration.localReference);
        if (row) settleWithExisting(c, row);
        else c.error = liveConflict(c.normalized!.declaration.trackingNumber);
      }
    }
    return ok;
  }

  private async file(
    principal: Principal,
    inputs: DeclarationInput[],
    baseOf: (i: number) => string,
    listPath = "declarations",
    idempotencyKey: string | null = null,
  ): Promise<Candidate[]> {
    if (!Array.isArray(inputs)) throw BadUserInputError.at(listPath, "must be a list");
    if (inputs.length > MAX_DECLARATIONS_PER_CALL) {
      throw BadUserInputError.at(listPath, `at most ${MAX_DECLARATIONS_PER_CALL} declarations per call (got ${inputs.length})`);
    }
    const totalItems = inputs.reduce((n, d) => n + (Array.isArray(d?.goodsItems) ? d.goodsItems.length : 0), 0);
    if (totalItems > MAX_GOODS_ITEMS_PER_CALL) {
      throw BadUserInputError.at(listPath, `at most ${MAX_GOODS_ITEMS_PER_CALL} goods items per call (got ${totalItems})`);
    }

    // 1. Validate and normalize every input, collecting all problems.
    const all: Candidate[] = inputs.map((input, index) => {
      const base = baseOf(index);
      const p = new Problems();
      const normalized = normalize(p, base, input, principal.partyId);
      return { index, base, normalized: p.ok ? normalized : undefined, problems: p.list };
    });

    // 2. Referenced parties must exist and be of the right kind: one query for the call,
    //    for every well-formed id, so an input's other problems do not hide these.
    const refsOf = (input: DeclarationInput) =>
      PARTY_REFS.flatMap(([key, kind]) => {
        const id = typeof input?.[key] === "string" ? input[key].trim().toLowerCase() : "";
        return isUuid(id) ? [{ key, kind, id }] : [];
      });
    const kinds = await this.repo.partyKinds([...new Set(inputs.flatMap((input) => refsOf(input).map((r) => r.id)))]);
    for (const c of all) {
      for (const { key, kind, id } of refsOf(inputs[c.index])) {
        const found = kinds.get(id);
        if (!found) c.problems.push({ path: at(c.base, key), message: "no party has this id" });
        else if (found !== kind) c.problems.push({ path: at(c.base, key), message: `is a ${found} party, not a ${kind}` });
      }
    }
    for (const c of all) if (c.problems.length) c.error = new BadUserInputError(c.problems);

    const live = () => all.filter((c) => c.normalized && !c.error);

    // 3. Repeats of a localReference within the call: the first valid one is filed; an
    //    identical repeat shares its outcome, a different one is a CONFLICT.
    const firstByRef = new Map<string, Candidate>();
    for (const c of live()) {
      const ref = c.normalized!.declaration.localReference;
      const first = firstByRef.get(ref);
      if (!first) firstByRef.set(ref, c);
      else if (first.normalized!.declaration.payloadHash === c.normalized!.declaration.payloadHash) c.sameAs = first;
      else c.error = new ConflictError(
        `localReference "${ref}" appears earlier in this call (${first.base}) with different content`,
        { localReference: ref },
      );
    }

    // 4. Already filed? Then it is a replay or a conflict. 5. Store the rest. A concurrent
    //    call may file the same reference in between: the insert skips such rows, and the
    //    next round finds them. Two insert rounds and a final lookup settle every candidate.
    const filerId = principal.partyId;
    let pending = [...firstByRef.values()];
    for (let round = 0; round < 3 && pending.length; round++) {
      const refs = pending.map((c) => c.normalized!.declaration.localReference);
      const byRef = new Map((await this.repo.findByLocalReferences(filerId, refs)).map((r) => [r.localReference, r]));
      const toInsert: Candidate[] = [];
      for (const c of pending) {
        const row = byRef.get(c.normalized!.declaration.localReference);
        if (row) settleWithExisting(c, row);
        else toInsert.push(c);
      }
      pending = await this.withoutLiveConflicts(toInsert);
      if (round === 2 || !pending.length) break;
      let rows: (DeclarationRow | null)[];
      const inserting = pending;
      try {
        // Rules are loaded once for the batch and tested in memory; the alerts and holds
        // they raise are stored by the same statement as the declarations.
        const at = new Date();
        const assessments = this.risk ? await this.risk.assess(inserting.map((c) => subjectOf(c.normalized!)), at) : undefined;
        rows = await this.repo.insertNew(
          inserting.map((c) => c.normalized!),
          { apiKeyId: principal.apiKeyId, idempotencyKey },
          assessments && { at, assessments },
        );
      } catch (err) {
        // Not expected with ON CONFLICT DO NOTHING; should a unique violation surface
        // anyway, look everything up again instead of failing with a 500.
        if (isUniqueViolation(err)) continue;
        throw err;
      }
      pending = [];
      inserting.forEach((c, i) => {
        if (rows[i]) Object.assign(c, { row: rows[i], created: true });
        else pending.push(c);
      });
    }
    for (const c of pending) {
      c.error = new ConflictError(
        `localReference "${c.normalized!.declaration.localReference}" was filed concurrently by another call; retry`,
        { localReference: c.normalized!.declaration.localReference },
      );
    }

    for (const c of all) {
      if (!c.sameAs) continue;
      if (c.sameAs.error) c.error = c.sameAs.error;
      else Object.assign(c, { row: c.sameAs.row, created: false });
    }
    return all;
  }
}

function subjectOf(n: NewDeclaration): Subject {
  return { ...n.declaration, goodsItems: n.goodsItems };
}

function liveConflict(trackingNumber: string): ConflictError {
  return new ConflictError(
    `Tracking number ${trackingNumber} is live on another declaration for the same carrier or post: ` +
      "one parcel has one live declaration per carrier until it is delivered, returned or seized",
    { trackingNumber },
  );
}

function settleWithExisting(c: Candidate, row: DeclarationRow): void {
  if (row.payloadHash === c.normalized!.declaration.payloadHash) {
    Object.assign(c, { row, created: false });
    return;
  }
  c.error = new ConflictError(
    `A declaration with localReference "${row.localReference}" was already filed with different content; ` +
      "use amendDeclaration to change it",
    { localReference: row.localReference, declarationId: row.id },
  );
}

export function toFilingError(err: HubError): FilingError {
  const problems = err instanceof BadUserInputError ? err.problems : [];
  return {
    code: String(err.extensions.code),
    message: err.message,
    path: problems[0]?.path ?? null,
    problems,
  };
}

/** Counts for the bulk mutation's result. */
export function toBulkResult(results: FilingOutcome[]): BulkFilingResult {
  let createdCount = 0;
  let replayedCount = 0;
  let failedCount = 0;
  for (const o of results) {
    if (o.error) failedCount++;
    else if (o.created) createdCount++;
    else replayedCount++;
  }
  return { results, createdCount, replayedCount, failedCount };
}

/**
 * Checks one input and returns it normalized (trimmed strings, upper-case codes, canonical
 * decimals, blank optionals as null) with its payloadHash, or undefined with problems in `p`.
 */
function normalize(p: Problems, base: string, input: DeclarationInput, filerId: string): NewDeclaration | undefined {
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

  // One currency, total = sum of items, no excise goods under IOSS (shared/validation.ts).
  checkDeclarationGoods(p, base, d, items);

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
