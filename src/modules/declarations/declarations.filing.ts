import type { PrismaClient } from "../../generated/prisma/client";
import type { Principal } from "../../authz/principal";
import { NAMED_PARTY_COLUMNS } from "../../authz/named-parties";
import { BadUserInputError, ConflictError } from "../../shared/errors";
import { Problems, at, isUuid, type ValueTolerance } from "../../shared/validation";
import type { DeclarationInput, FilingOutcome } from "./declarations.inputs";
import { DeclarationRepository, isUniqueViolation, type AssessedFiling, type DeclarationRow } from "./declarations.repository";
import { destinationOf, normalize } from "./declarations.normalize";
import { liveConflict, settleWithExisting, subjectOf, toFilingError, type Candidate } from "./declarations.outcomes";
import { splitShipmentLocks, type RiskAssessor } from "../risk/risk.assessor";
import type { Subject } from "../risk/risk.engine";
import type { RuleBook } from "../rules/rules.model";

export type { DeclarationRow };
export { MAX_GOODS_ITEMS } from "./declarations.normalize";
export { toBulkResult, toFilingError } from "./declarations.outcomes";

/** Most declarations per bulk call. */
export const MAX_DECLARATIONS_PER_CALL = 1000;
/** Most goods items per bulk call, so one call cannot become a million-row insert. */
export const MAX_GOODS_ITEMS_PER_CALL = 100_000;

/** The destinations' rule books (RulesService.book): the value tolerance filing checks against. */
export interface FilingRules {
  book(destination: string): Promise<RuleBook>;
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

  /**
   * `risk`: registration and risk assessment at filing, where the destination's customs have
   * it on; `rules`: the destinations' value tolerances (without: totals must equal the sum).
   */
  constructor(
    prisma: PrismaClient,
    private readonly risk?: RiskAssessor,
    private readonly rules?: FilingRules,
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

  /**
   * The risk assessment of a batch, to run in the insert's transaction: the rules are loaded
   * now (they may query), the facts and the split-shipment check inside, after the locks.
   */
  private async assessedFiling(risk: RiskAssessor, subjects: Subject[], at: Date): Promise<AssessedFiling> {
    const dests = await risk.inForce(subjects.map((s) => s.destinationCountry), at);
    return { at, locks: splitShipmentLocks(subjects.filter((s) => dests.has(s.destinationCountry)), at), assess: (tx) => risk.assessWith(dests, subjects, at, { tx }) };
  }

  /** Per destination named by the inputs, the value tolerance in force at `at` (null: none). */
  private async tolerances(inputs: DeclarationInput[], at: Date): Promise<Map<string, ValueTolerance | null>> {
    const out = new Map<string, ValueTolerance | null>();
    if (!this.rules) return out;
    const destinations = [...new Set(inputs.map(destinationOf).filter((d): d is string => d !== null))];
    for (const d of destinations) out.set(d, (await this.rules.book(d)).valueTolerance(at));
    return out;
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

    // 1. Validate and normalize every input, collecting all problems, against the value
    //    tolerance each destination's rules have in force now (one book per destination).
    const tolerances = await this.tolerances(inputs, new Date());
    const all: Candidate[] = inputs.map((input, index) => {
      const base = baseOf(index);
      const p = new Problems();
      const normalized = normalize(p, base, input, principal.partyId, tolerances.get(destinationOf(input) ?? "") ?? null);
      return { index, base, normalized: p.ok ? normalized : undefined, problems: p.list };
    });

    // 2. Referenced parties must exist and be of the right kind: one query for the call,
    //    for every well-formed id, so an input's other problems do not hide these.
    const refsOf = (input: DeclarationInput) =>
      // which kind of party each reference must point at (the read policy relies on it)
      NAMED_PARTY_COLUMNS.flatMap(([key, kind]) => {
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
        rows = await this.repo.insertNew(
          inserting.map((c) => c.normalized!),
          { apiKeyId: principal.apiKeyId, idempotencyKey },
          this.risk && (await this.assessedFiling(this.risk, inserting.map((c) => subjectOf(c.normalized!)), at)),
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

