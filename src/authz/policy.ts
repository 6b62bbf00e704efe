import type { Prisma } from "../generated/prisma/client";
import type { Contribution, PartyKind } from "../generated/prisma/enums";
import { ALL_CATEGORIES, ALL_MASK, CATEGORY_BIT, DataCategory, maskOf } from "./categories";
import { isCustoms, type Principal } from "./principal";
import { permissionsFor, RELATIONS, type Action, type Actor, type WriteResource } from "./authority";

/** What of a declaration decides who may see data attached to it. */
export interface DeclarationScope {
  id: string;
  filerId: string;
  carrierId: string | null;
  postId: string | null;
  platformId: string | null;
  originCountry: string;
  destinationCountry: string;
}

/** An agreement in force for the viewer (the grantee), as the policy needs it. */
export interface GrantingAgreement {
  id: string;
  grantorId: string;
  grantorKind: PartyKind;
  grantorCountry: string;
  categories: DataCategory[];
  contributions: Contribution[];
  scopeDestinations: string[];
  scopeOrigins: string[];
  scopeOnlyCarried: boolean;
}

/** Why a category was granted: recorded in the access log. */
export interface Basis {
  rule: string;
  agreementId: string | null;
}

export interface Decision {
  mask: number;
  /** indexed like ALL_CATEGORIES */
  basis: (Basis | undefined)[];
}

const OWN: Basis = { rule: "own-data", agreementId: null };
const CUSTOMS: Basis = { rule: "baseline:destination-customs", agreementId: null };
const CARRIER: Basis = { rule: "baseline:named-carrier", agreementId: null };
const FILER: Basis = { rule: "baseline:filer", agreementId: null };
const PLATFORM: Basis = { rule: "baseline:named-platform", agreementId: null };

export const STATUS_TRANSPORT = CATEGORY_BIT.STATUS | CATEGORY_BIT.TRANSPORT;
/** The named platform's baseline: the sale is its own, and it knows the tracking number. */
export const PLATFORM_BASELINE = STATUS_TRANSPORT | CATEGORY_BIT.COMMERCIAL;
const DENIED: Decision = Object.freeze({ mask: 0, basis: [] }) as Decision;

/**
 * The one policy engine: the statutory baseline plus the viewer's agreements in force,
 * compiled into (a) Prisma row filters pushed into SQL and (b) per-row category masks.
 * Built once per request; decisions are memoized per (holder, relation, route).
 */
export class Policy {
  private readonly decisions = new Map<string, Decision>();
  private readonly scopes = new Map<string, DeclarationScope>();
  private readonly byGrantor = new Map<string, GrantingAgreement[]>();

  constructor(
    readonly principal: Principal,
    readonly agreements: GrantingAgreement[],
  ) {
    for (const a of agreements) {
      const list = this.byGrantor.get(a.grantorId) ?? [];
      list.push(a);
      this.byGrantor.set(a.grantorId, list);
    }
  }

  get partyId(): string {
    return this.principal.partyId;
  }

  /** The viewer's relation to a declaration, as bits; part of the memo key. */
  private relation(scope: DeclarationScope): number {
    const me = this.principal.partyId;
    return (
      (scope.filerId === me ? 1 : 0) |
      (scope.carrierId === me || scope.postId === me ? 2 : 0) |
      (scope.platformId === me ? 4 : 0) |
      (isCustoms(this.principal) && scope.destinationCountry === this.principal.country ? 8 : 0)
    );
  }

  private static agreementCovers(a: GrantingAgreement, scope: DeclarationScope, carried: boolean): boolean {
    if (a.scopeDestinations.length && !a.scopeDestinations.includes(scope.destinationCountry)) return false;
    if (a.scopeOrigins.length && !a.scopeOrigins.includes(scope.originCountry)) return false;
    if (a.scopeOnlyCarried && !carried) return false;
    return true;
  }

  /** Which categories of data held by `holderId` on this declaration the viewer may read. */
  decide(holderId: string, scope: DeclarationScope): Decision {
    const rel = this.relation(scope);
    const key = `${holderId}|${rel}|${scope.destinationCountry}|${scope.originCountry}`;
    let decision = this.decisions.get(key);
    if (decision) return decision;

    const basis: (Basis | undefined)[] = new Array(ALL_CATEGORIES.length);
    let mask = 0;
    const grant = (bits: number, why: Basis) => {
      ALL_CATEGORIES.forEach((c, i) => {
        if (bits & CATEGORY_BIT[c] && !(mask & CATEGORY_BIT[c])) basis[i] = why;
      });
      mask |= bits;
    };
    if (holderId === this.principal.partyId) grant(ALL_MASK, OWN);
    if (rel & 8) grant(ALL_MASK, CUSTOMS);
    if (rel & 2) grant(STATUS_TRANSPORT, CARRIER);
    if (rel & 1) grant(CATEGORY_BIT.STATUS, FILER);
    if (rel & 4) grant(PLATFORM_BASELINE, PLATFORM);
    for (const a of this.byGrantor.get(holderId) ?? []) {
      if (Policy.agreementCovers(a, scope, (rel & 2) !== 0)) {
        grant(maskOf(a.categories), { rule: "agreement", agreementId: a.id });
      }
    }
    decision = mask === 0 ? DENIED : { mask, basis };
    this.decisions.set(key, decision);
    return decision;
  }

  /** Declarations pass through here as they are loaded, so their children can be judged. */
  rememberScope(scope: DeclarationScope): void {
    this.scopes.set(scope.id, scope);
  }

  scopeOf(declarationId: string): DeclarationScope | undefined {
    return this.scopes.get(declarationId);
  }

  /**
   * SQL filter: declarations whose own (filer-held) data the viewer may read in every one
   * of `categories`, or in at least one category when none is given. Filters and sorting
   * on a category are ANDed with this, so they never touch a value the viewer cannot read.
   */
  declarationWhere(categories: DataCategory[] = []): Prisma.DeclarationWhereInput {
    const need = maskOf(categories);
    const me = this.principal.partyId;
    const covers = (granted: number) => (need === 0 ? granted !== 0 : (granted & need) === need);
    const or: Prisma.DeclarationWhereInput[] = [{ filerId: me }];
    if (isCustoms(this.principal)) or.push({ destinationCountry: this.principal.country });
    if (covers(STATUS_TRANSPORT)) or.push({ carrierId: me }, { postId: me });
    if (covers(PLATFORM_BASELINE)) or.push({ platformId: me });
    for (const a of this.agreements) {
      if (!covers(maskOf(a.categories))) continue;
      const clause: Prisma.DeclarationWhereInput = { filerId: a.grantorId };
      if (a.scopeDestinations.length) clause.destinationCountry = { in: a.scopeDestinations };
      if (a.scopeOrigins.length) clause.originCountry = { in: a.scopeOrigins };
      if (a.scopeOnlyCarried) clause.OR = [{ carrierId: me }, { postId: me }];
      or.push(clause);
    }
    // A filer whose row grants only STATUS through the filer baseline still owns it: the
    // filer clause is first and unconditional because the filer holds all of its data.
    return { OR: or };
  }

  /**
   * May the caller perform `action` on `resource`? By the authority table (authority.ts):
   * a row whose relation the caller holds, or an agreement in force whose grantor holds it
   * and which carries the row's contribution. Null: no basis (deny by default).
   */
  authorityFor(action: Action, resource: WriteResource): Basis | null {
    const me = this.principal;
    const rows = permissionsFor(action, resource);
    for (const row of rows) {
      const rel = row.who.find((r) => RELATIONS[r].holds(me, resource));
      if (rel) return { rule: `authority:${rel}`, agreementId: null };
    }
    const d = resource.declaration;
    if (!d || me.role === "OPERATOR") return null;
    const carried = d.carrierId === me.partyId || d.postId === me.partyId;
    for (const row of rows) {
      const contribution = row.delegable;
      if (!contribution) continue;
      if (row.customsDecision && !(me.partyKind === "CUSTOMS" && me.role === "OFFICER")) continue;
      if (row.delegatedOnlyAs && !RELATIONS[row.delegatedOnlyAs].holds(me, resource)) continue;
      for (const a of this.agreements) {
        if (!a.contributions.includes(contribution) || !Policy.agreementCovers(a, d, carried)) continue;
        // The grantor acts as its party would: a customs officer, or a trade party's agent.
        const grantor: Actor = {
          partyId: a.grantorId,
          partyKind: a.grantorKind,
          country: a.grantorCountry,
          role: a.grantorKind === "CUSTOMS" ? "OFFICER" : "AGENT",
        };
        if (row.who.some((r) => RELATIONS[r].holds(grantor, resource))) return { rule: "agreement", agreementId: a.id };
      }
    }
    return null;
  }
}
