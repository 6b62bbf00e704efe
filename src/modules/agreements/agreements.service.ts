import type { PrismaClient } from "../../generated/prisma/client";
import { grantableContributions, mayReceive } from "../../authz/authority";
import { changesOf, type Kept, type WriteService } from "../writes";
import { AgreementStatus, Contribution } from "../../generated/prisma/enums";
import { ALL_CATEGORIES, type DataCategory } from "../../authz/categories";
import type { GrantingAgreement } from "../../authz/policy";
import type { Principal } from "../../authz/principal";
import { requirePrincipal, type HubContext } from "../../context/context";
import { ConflictError, ForbiddenError, NotFoundError } from "../../shared/errors";
import { isUuid, at, countryCode, optionalString, Problems, requiredString } from "../../shared/validation";
import { AgreementRepository, type ActiveAgreement, type AgreementRow } from "./agreements.repository";
import { TOPICS, type HubPubSub } from "../../infra/pubsub";
import type { AgreementFilter, ProposeAgreementInput } from "./agreements.inputs";

const MAX_TEXT = 2000;
const ALL_CONTRIBUTIONS = Object.values(Contribution) as Contribution[];

/**
 * Agreements between a data holder (grantor) and a recipient (grantee).
 *
 * Lifecycle:
 *   PROPOSED --accept (the party that did not propose)--> ACTIVE
 *   ACTIVE   --suspend (either party)--> SUSPENDED
 *   SUSPENDED --accept (the party that suspended it)--> ACTIVE   (recorded as RESUME)
 *   PROPOSED | ACTIVE | SUSPENDED --revoke (either party)--> REVOKED (final)
 * A suspension is lifted only by the party that imposed it, so neither side can override
 * the other's pause. EXPIRED is never stored: it is computed from validTo.
 *
 * Visibility: a party sees only agreements it is grantor or grantee of; anything else is
 * NOT_FOUND, like a missing id. The OPERATOR role runs the hub and may read every
 * agreement but may not propose or change one: agreements bind the two parties only.
 */
export class AgreementService {
  private readonly repo: AgreementRepository;
  /** grantee party -> its ACTIVE agreements, for at most cacheMs (0: no cache) */
  private readonly active = new Map<string, { until: number; rows: Promise<ActiveAgreement[]> }>();

  constructor(
    prisma: PrismaClient,
    private readonly writes: WriteService,
    private readonly events?: HubPubSub,
    private readonly cacheMs = 0,
  ) {
    this.repo = new AgreementRepository(prisma);
    // Every instance drops its cached agreements of the parties an agreement change touched.
    if (events && cacheMs > 0) {
      void (async () => {
        for await (const e of events.pubsub.subscribe(TOPICS.AGREEMENTS_CHANGED)) for (const id of e.partyIds) this.active.delete(id);
      })();
    }
  }

  get repository(): AgreementRepository {
    return this.repo;
  }

  /**
   * Agreements in force for the grantee at `now`, for the policy engine: one SQL statement,
   * or none while cached. Validity is checked against `now` on every call, so expiry needs
   * no job and no cache flush; status changes made through this service flush the cache of
   * both parties on every instance (pub/sub) at once.
   */
  async inForceFor(partyId: string, now: Date): Promise<GrantingAgreement[]> {
    if (!isUuid(partyId)) return []; // e.g. a token-only operator: no party, no grants
    let hit = this.active.get(partyId);
    if (!hit || hit.until <= Date.now()) {
      hit = { until: Date.now() + this.cacheMs, rows: this.repo.activeFor(partyId) };
      if (this.cacheMs > 0) this.active.set(partyId, hit);
      hit.rows.catch(() => this.active.delete(partyId));
    }
    const rows = await hit.rows;
    return rows
      .filter((a) => a.validFrom <= now && (a.validTo === null || a.validTo > now))
      .map(({ validFrom: _f, validTo: _t, ...granting }) => granting);
  }

  /** The grantor, the grantee and the operator see an agreement; anyone else gets NOT_FOUND. */
  async get(ctx: HubContext, id: string): Promise<AgreementRow> {
    requirePrincipal(ctx);
    const a = isUuid(id) ? await this.repo.findById(id) : null;
    if (!a || !(await ctx.authz.can("agreement:read", { agreement: a }))) throw new NotFoundError("Agreement", id);
    return a;
  }

  async list(ctx: HubContext, filter: Partial<AgreementFilter> = {}): Promise<AgreementRow[]> {
    const p = requirePrincipal(ctx);
    const role = filter.role ?? "ANY";
    // For whoever may read any agreement (the operator), ANY means the whole hub.
    const everyone = role === "ANY" && (await ctx.authz.can("agreement:read"));
    return this.repo.list({
      partyId: everyone ? null : p.partyId,
      side: role === "AS_GRANTOR" ? "grantor" : role === "AS_GRANTEE" ? "grantee" : "either",
      status: filter.status ?? null,
    });
  }

  async propose(ctx: HubContext, input: ProposeAgreementInput, idempotencyKey?: string | null): Promise<AgreementRow> {
    const p = requirePrincipal(ctx);
    const problems = new Problems();
    for (const key of ["grantorId", "granteeId"] as const) {
      if (!isUuid(input[key] ?? "")) problems.add(at("input", key), "must be a party id");
    }
    if (input.grantorId === input.granteeId) problems.add("input.granteeId", "must differ from grantorId");
    if (!(await ctx.authz.can("agreement:propose", { agreement: { grantorId: input.grantorId, granteeId: input.granteeId } }))) {
      throw new ForbiddenError("Your party may not propose this agreement: it must be its grantor or its grantee");
    }

    const purpose = requiredString(problems, "input.purpose", input.purpose, MAX_TEXT);
    const legalBasis = requiredString(problems, "input.legalBasis", input.legalBasis, MAX_TEXT);

    const categories = [...new Set(input.categories ?? [])] as DataCategory[];
    const contributions = [...new Set(input.contributions ?? [])] as Contribution[];
    categories.forEach((c, i) => {
      if (!ALL_CATEGORIES.includes(c)) problems.add(at("input", "categories", i), `unknown category ${c}`);
    });
    contributions.forEach((c, i) => {
      if (!ALL_CONTRIBUTIONS.includes(c)) problems.add(at("input", "contributions", i), `unknown contribution ${c}`);
    });
    if (!categories.length && !contributions.length) {
      problems.add("input.categories", "grant at least one data category or contribution");
    }

    const scope = input.scope ?? { destinationCountries: [], originCountries: [], onlyCarried: false };
    const scopeDestinations = countryList(problems, "destinationCountries", scope.destinationCountries);
    const scopeOrigins = countryList(problems, "originCountries", scope.originCountries);

    const now = new Date();
    const validFrom = input.validFrom ?? now;
    const validTo = input.validTo ?? null;
    if (validTo && validTo.getTime() <= validFrom.getTime()) problems.add("input.validTo", "must be after validFrom");

    // Look parties up only once both ids are well formed; report every problem together.
    if (isUuid(input.grantorId) && isUuid(input.granteeId)) {
      const kinds = await this.repo.partyKinds([input.grantorId, input.granteeId]);
      const grantorKind = kinds.get(input.grantorId);
      const granteeKind = kinds.get(input.granteeId);
      if (!grantorKind) problems.add("input.grantorId", "no such party");
      if (!granteeKind) problems.add("input.granteeId", "no such party");
      // Nobody delegates what it may not do itself; customs decisions go to customs only.
      if (grantorKind && granteeKind) {
        const grantable = grantableContributions(grantorKind);
        contributions.forEach((c, i) => {
          if (!grantable.has(c)) problems.add(at("input", "contributions", i), `${c}: a ${grantorKind} grantor does not hold this right itself, so it cannot grant it`);
          else if (!mayReceive(c, granteeKind)) problems.add(at("input", "contributions", i), `${c}: customs decisions are delegated only to customs, not to a ${granteeKind}`);
        });
      }
    }
    problems.throwIfAny();

    const created = await this.writes.run<AgreementRow>(
      ctx,
      {
        operation: "proposeAgreement",
        idempotencyKey,
        request: input,
        keep: (a) => ({ ids: [a.id] }),
        replay: (kept) => this.get(ctx, (kept as { ids: string[] }).ids[0]),
      },
      (journal) =>
        journal.transaction(async (tx) => {
          const row = await this.repo.create(tx, {
        grantorId: input.grantorId,
        granteeId: input.granteeId,
        proposedById: p.partyId,
        purpose: purpose!,
        legalBasis: legalBasis!,
        categories,
        contributions,
        scopeDestinations,
        scopeOrigins,
        scopeOnlyCarried: scope.onlyCarried ?? false,
        validFrom,
        validTo,
      }, now);
          journal.record({ recordType: "Agreement", recordId: row.id, holderId: row.grantorId, changes: changesOf(null, row) }, now);
          journal.emit("AGREEMENT_CHANGED", null, { agreementId: row.id, status: row.status, grantorId: row.grantorId, granteeId: row.granteeId }, now);
          return row;
        }),
    );
    ctx.authz.invalidate();
    return created;
  }

  /** Accepts a proposal (the non-proposing party) or lifts a suspension (the party that imposed it). */
  async accept(ctx: HubContext, id: string, expectedVersion?: number | null, idempotencyKey?: string | null): Promise<AgreementRow> {
    const { p, a, replayed } = await this.forChange(ctx, "accept", id, { expectedVersion }, idempotencyKey);
    if (replayed) return replayed;
    if (a.status === "PROPOSED") {
      if (a.proposedById === p.partyId) {
        throw new ForbiddenError("The party that proposed an agreement cannot accept it; the other party must");
      }
      if (a.validTo && a.validTo.getTime() <= Date.now()) {
        throw new ConflictError(`Agreement ${a.id} expired on ${a.validTo.toISOString()} and cannot be accepted`, {
          from: a.status,
          to: "ACTIVE",
        });
      }
      return this.move(ctx, p, a, "ACTIVE", "ACCEPT", null, idempotencyKey, { expectedVersion });
    }
    if (a.status === "SUSPENDED") {
      const suspension = await this.repo.lastEvent(a.id, "SUSPEND");
      if (suspension && suspension.actorPartyId !== p.partyId) {
        throw new ForbiddenError("Only the party that suspended an agreement can re-activate it");
      }
      return this.move(ctx, p, a, "ACTIVE", "RESUME", null, idempotencyKey, { expectedVersion });
    }
    throw this.illegal(a, "ACTIVE");
  }

  async suspend(ctx: HubContext, id: string, note?: string | null, expectedVersion?: number | null, idempotencyKey?: string | null): Promise<AgreementRow> {
    const { p, a, replayed } = await this.forChange(ctx, "suspend", id, { expectedVersion, note }, idempotencyKey);
    if (replayed) return replayed;
    if (a.status !== "ACTIVE") throw this.illegal(a, "SUSPENDED");
    return this.move(ctx, p, a, "SUSPENDED", "SUSPEND", this.note(note), idempotencyKey, { expectedVersion, note });
  }

  async revoke(ctx: HubContext, id: string, note?: string | null, expectedVersion?: number | null, idempotencyKey?: string | null): Promise<AgreementRow> {
    const { p, a, replayed } = await this.forChange(ctx, "revoke", id, { expectedVersion, note }, idempotencyKey);
    if (replayed) return replayed;
    if (a.status === "REVOKED") throw this.illegal(a, "REVOKED");
    return this.move(ctx, p, a, "REVOKED", "REVOKE", this.note(note), idempotencyKey, { expectedVersion, note });
  }

  // ---- helpers ----

  /**
   * Loads an agreement the caller may change, checking its expected version. A retried
   * call with the same idempotency key answers with the first result instead.
   */
  private async forChange(
    ctx: HubContext,
    verb: "accept" | "suspend" | "revoke",
    id: string,
    request: { expectedVersion?: number | null; note?: string | null },
    idempotencyKey?: string | null,
  ): Promise<{ p: Principal; a: AgreementRow; replayed?: AgreementRow }> {
    const p = requirePrincipal(ctx);
    const a = await this.get(ctx, id);
    await ctx.authz.assert(`agreement:${verb}`, { agreement: a });
    if (idempotencyKey) {
      const replayed = await this.writes.replayOnly(ctx, this.spec(ctx, verb, id, request, idempotencyKey));
      if (replayed) return { p, a, replayed };
    }
    const { expectedVersion } = request;
    if (expectedVersion != null && expectedVersion !== a.version) {
      throw new ConflictError(`Agreement ${a.id} is at version ${a.version}, not ${expectedVersion}; reload and retry`, {
        currentVersion: a.version,
      });
    }
    return { p, a };
  }

  private spec(ctx: HubContext, verb: string, id: string, request: object, idempotencyKey?: string | null) {
    return {
      operation: `${verb}Agreement`,
      idempotencyKey,
      request: { id, ...request },
      keep: (row: AgreementRow): Kept => ({ ids: [row.id] }),
      replay: () => this.get(ctx, id),
    };
  }

  private async move(
    ctx: HubContext,
    p: Principal,
    a: AgreementRow,
    to: AgreementStatus,
    action: string,
    note: string | null,
    idempotencyKey: string | null | undefined,
    request: object,
  ): Promise<AgreementRow> {
    // Strictly after the previous change, so history stays ordered within one millisecond.
    const at = new Date(Math.max(Date.now(), a.updatedAt.getTime() + 1));
    const verb = action === "ACCEPT" || action === "RESUME" ? "accept" : action.toLowerCase();
    const updated = await this.writes.run<AgreementRow>(ctx, this.spec(ctx, verb, a.id, request, idempotencyKey), (journal) =>
      journal.transaction(async (tx) => {
        const row = await this.repo.transition(tx, { id: a.id, fromVersion: a.version, fromStatus: a.status, toStatus: to, action, actorPartyId: p.partyId, note, at });
        if (!row) {
          throw new ConflictError(`Agreement ${a.id} was changed concurrently; reload and retry`, {
            currentVersion: (await this.repo.findById(a.id, tx))?.version,
          });
        }
        journal.record({ recordType: "Agreement", recordId: a.id, holderId: a.grantorId, changes: changesOf(a, row, ["status", "version"]) }, at);
        journal.emit("AGREEMENT_CHANGED", null, { agreementId: a.id, status: row.status, grantorId: a.grantorId, granteeId: a.granteeId }, at);
        return row;
      }),
    );
    this.active.delete(a.grantorId);
    this.active.delete(a.granteeId);
    void this.events?.pubsub.publish(TOPICS.AGREEMENTS_CHANGED, { partyIds: [a.grantorId, a.granteeId] });
    ctx.authz.invalidate();
    return updated;
  }

  private note(note: string | null | undefined): string | null {
    const problems = new Problems();
    const v = optionalString(problems, "note", note, MAX_TEXT);
    problems.throwIfAny();
    return v ?? null;
  }

  private illegal(a: AgreementRow, to: AgreementStatus): ConflictError {
    return new ConflictError(`Agreement ${a.id} cannot go from ${a.status} to ${to}`, { from: a.status, to });
  }
}

/** Scope countries: ISO 3166-1 alpha-2, upper-cased (as declarations store them), deduplicated. */
function countryList(problems: Problems, key: string, codes: string[] | null | undefined): string[] {
  const out = new Set<string>();
  (codes ?? []).forEach((raw, i) => {
    const code = countryCode(problems, at("input", "scope", key, i), raw);
    if (code) out.add(code);
  });
  return [...out];
}
