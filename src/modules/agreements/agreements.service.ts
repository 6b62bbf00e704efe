import type { PrismaClient } from "../../generated/prisma/client";
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

/** Who takes part in an agreement's lifecycle. */
type Side = "grantor" | "grantee";

function sideOf(p: Principal, a: AgreementRow): Side | null {
  if (a.grantorId === p.partyId) return "grantor";
  if (a.granteeId === p.partyId) return "grantee";
  return null;
}

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

  async get(ctx: HubContext, id: string): Promise<AgreementRow> {
    const p = requirePrincipal(ctx);
    const a = isUuid(id) ? await this.repo.findById(id) : null;
    if (!a || (p.role !== "OPERATOR" && !sideOf(p, a))) throw new NotFoundError("Agreement", id);
    return a;
  }

  async list(ctx: HubContext, filter: Partial<AgreementFilter> = {}): Promise<AgreementRow[]> {
    const p = requirePrincipal(ctx);
    const role = filter.role ?? "ANY";
    // For the operator, ANY means the whole hub; the other roles still mean its own side.
    const everyone = p.role === "OPERATOR" && role === "ANY";
    return this.repo.list({
      partyId: everyone ? null : p.partyId,
      side: role === "AS_GRANTOR" ? "grantor" : role === "AS_GRANTEE" ? "grantee" : "either",
      status: filter.status ?? null,
    });
  }

  async propose(ctx: HubContext, input: ProposeAgreementInput): Promise<AgreementRow> {
    const p = requirePrincipal(ctx);
    if (p.role === "OPERATOR") throw new ForbiddenError("The OPERATOR role cannot enter into agreements");

    const problems = new Problems();
    for (const key of ["grantorId", "granteeId"] as const) {
      if (!isUuid(input[key] ?? "")) problems.add(at("input", key), "must be a party id");
    }
    if (input.grantorId === input.granteeId) problems.add("input.granteeId", "must differ from grantorId");
    if (problems.ok && input.grantorId !== p.partyId && input.granteeId !== p.partyId) {
      throw new ForbiddenError("Your party must be the grantor or the grantee of an agreement it proposes");
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
      const found = await this.repo.existingParties([input.grantorId, input.granteeId]);
      if (!found.has(input.grantorId)) problems.add("input.grantorId", "no such party");
      if (!found.has(input.granteeId)) problems.add("input.granteeId", "no such party");
    }
    problems.throwIfAny();

    const created = await this.repo.create(
      {
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
      },
      now,
    );
    ctx.authz.invalidate();
    return created;
  }

  /** Accepts a proposal (the non-proposing party) or lifts a suspension (the party that imposed it). */
  async accept(ctx: HubContext, id: string, expectedVersion?: number | null): Promise<AgreementRow> {
    const { p, a } = await this.forChange(ctx, id, expectedVersion);
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
      return this.move(ctx, p, a, "ACTIVE", "ACCEPT", null);
    }
    if (a.status === "SUSPENDED") {
      const suspension = await this.repo.lastEvent(a.id, "SUSPEND");
      if (suspension && suspension.actorPartyId !== p.partyId) {
        throw new ForbiddenError("Only the party that suspended an agreement can re-activate it");
      }
      return this.move(ctx, p, a, "ACTIVE", "RESUME", null);
    }
    throw this.illegal(a, "ACTIVE");
  }

  async suspend(ctx: HubContext, id: string, note?: string | null, expectedVersion?: number | null): Promise<AgreementRow> {
    const { p, a } = await this.forChange(ctx, id, expectedVersion);
    if (a.status !== "ACTIVE") throw this.illegal(a, "SUSPENDED");
    return this.move(ctx, p, a, "SUSPENDED", "SUSPEND", this.note(note));
  }

  async revoke(ctx: HubContext, id: string, note?: string | null, expectedVersion?: number | null): Promise<AgreementRow> {
    const { p, a } = await this.forChange(ctx, id, expectedVersion);
    if (a.status === "REVOKED") throw this.illegal(a, "REVOKED");
    return this.move(ctx, p, a, "REVOKED", "REVOKE", this.note(note));
  }

  // ---- helpers ----

  /** Loads an agreement the caller may change, checking its expected version. */
  private async forChange(ctx: HubContext, id: string, expectedVersion?: number | null) {
    const p = requirePrincipal(ctx);
    const a = await this.get(ctx, id);
    if (!sideOf(p, a)) throw new ForbiddenError("The OPERATOR role cannot change agreements between parties");
    if (expectedVersion != null && expectedVersion !== a.version) {
      throw new ConflictError(`Agreement ${a.id} is at version ${a.version}, not ${expectedVersion}; reload and retry`, {
        currentVersion: a.version,
      });
    }
    return { p, a };
  }

  private async move(
    ctx: HubContext,
    p: Principal,
    a: AgreementRow,
    to: AgreementStatus,
    action: string,
    note: string | null,
  ): Promise<AgreementRow> {
    // Strictly after the previous change, so history stays ordered within one millisecond.
    const at = new Date(Math.max(Date.now(), a.updatedAt.getTime() + 1));
    const updated = await this.repo.transition({
      id: a.id,
      fromVersion: a.version,
      fromStatus: a.status,
      toStatus: to,
      action,
      actorPartyId: p.partyId,
      note,
      at,
    });
    if (!updated) {
      throw new ConflictError(`Agreement ${a.id} was changed concurrently; reload and retry`, {
        currentVersion: (await this.repo.findById(a.id))?.version,
      });
    }
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
