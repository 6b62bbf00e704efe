import { getLocation, responsePathAsArray, type FieldNode, type GraphQLFormattedError, type GraphQLResolveInfo, type SourceLocation } from "graphql";
import { ALL_CATEGORIES, CATEGORY_BIT, type DataCategory } from "./categories";
import { AccessRecorder } from "./access-recorder";
import { HOLDING_OF } from "./guarded-types";
import { ownCategoryMask } from "./field-guard";
import { Policy, type Basis, type Decision, type GrantingAgreement } from "./policy";
import { describeAction, type Action, type WriteResource } from "./authority";
import type { Principal } from "./principal";
import { ForbiddenError, UnauthenticatedError } from "../shared/errors";

const CATEGORY_INDEX = Object.fromEntries(ALL_CATEGORIES.map((c, i) => [c, i])) as Record<DataCategory, number>;

interface RowState {
  decision: Decision;
  holderId: string;
  /** categories already written to the access recorder for this row */
  logged: number;
}

/**
 * The policy as one request sees it: loaded lazily (one SQL statement for the viewer's
 * agreements in force), then answering field decisions synchronously from memory.
 */
export class RequestAuthz {
  private policyPromise: Promise<Policy> | undefined;
  private loaded: Policy | undefined;
  private readonly rows = new WeakMap<object, RowState | null>();
  /** denied reads not yet reported; null while nobody collects them */
  private denied: DeniedRead[] | null = null;
  /** executions whose denials were reported (their response is gone) */
  private readonly reported = new WeakSet<object>();
  readonly recorder = new AccessRecorder();

  constructor(
    readonly principal: Principal | null,
    private readonly loadAgreements: (partyId: string, now: Date) => Promise<GrantingAgreement[]>,
  ) {}

  policy(): Promise<Policy> {
    const principal = this.principal;
    if (!principal) return Promise.reject(new UnauthenticatedError());
    this.policyPromise ??= this.loadAgreements(principal.partyId, new Date()).then((agreements) => {
      this.loaded = new Policy(principal, agreements);
      return this.loaded;
    });
    return this.policyPromise;
  }

  /**
   * The one question every write asks: may the caller perform `action` on `resource`?
   * Returns the basis (baseline rule or agreement); FORBIDDEN otherwise.
   */
  async assert(action: Action, resource: WriteResource = {}): Promise<Basis> {
    const basis = (await this.policy()).authorityFor(action, resource);
    if (!basis) throw new ForbiddenError(`Your party may not ${describeAction(action)}`, { action });
    return basis;
  }

  /** The boolean twin of assert. */
  async can(action: Action, resource: WriteResource = {}): Promise<boolean> {
    return (await this.policy()).authorityFor(action, resource) !== null;
  }

  /** Reset after a write that changes agreements, so the rest of the request sees it. */
  invalidate(): void {
    this.policyPromise = undefined;
    this.loaded = undefined;
  }

  private state(typeName: string, row: object): RowState | null {
    let s = this.rows.get(row);
    if (s !== undefined) return s;
    s = null;
    const holdingOf = HOLDING_OF[typeName];
    const policy = this.loaded;
    if (holdingOf && policy) {
      const holding = holdingOf(row, policy);
      if (holding) s = { decision: policy.decide(holding.holderId, holding.scope), holderId: holding.holderId, logged: 0 };
    }
    this.rows.set(row, s);
    return s;
  }

  /** The field guard's question; also notes the read for the holder's access log. */
  canRead(typeName: string, row: any, category: DataCategory): boolean {
    const s = this.state(typeName, row);
    const bit = CATEGORY_BIT[category];
    if (!s || !(s.decision.mask & bit)) return false;
    if (!(s.logged & bit)) {
      s.logged |= bit;
      if (s.holderId !== this.principal!.partyId) {
        this.recorder.record(s.holderId, typeName, row.id, bit, s.decision.basis[CATEGORY_INDEX[category]]!);
      }
    }
    return true;
  }

  /** Categories the viewer may read on a row (e.g. to filter child lists). */
  readableMask(typeName: string, row: object): number {
    return this.state(typeName, row)?.decision.mask ?? 0;
  }

  /**
   * May the viewer learn that this record exists, i.e. read at least one of its own fields?
   * Its readable categories meet those its type's fields carry (as the built schema states
   * them): a trade party with STATUS on a declaration does not learn of a risk alert, whose
   * fields are all RISK.
   */
  mayList(typeName: string, row: object): boolean {
    return (this.readableMask(typeName, row) & ownCategoryMask(typeName)) !== 0;
  }

  /**
   * The executor of this request adds the denied reads to the response itself (reportDenials):
   * the field guard then records a denial instead of throwing an error.
   */
  collectDenials(): void {
    this.denied ??= [];
  }

  /** The field guard's report of a denied read; false when nobody collects them (it throws then). */
  recordDenial(info: GraphQLResolveInfo, denial: FieldDenial): boolean {
    if (!this.denied) return false;
    // a resolver that outlived its execution's response (one cut short by an error) must not
    // put an error into the next result of this context (a subscription's next event)
    if (!this.reported.has(info.variableValues)) {
      this.denied.push({ path: info.path, node: info.fieldNodes[0], denial, execution: info.variableValues });
    }
    return true;
  }

  /**
   * `result` with one FORBIDDEN error per read denied since the last call, at the denied
   * field's path, merged with the result's own errors and ordered by path (list indexes by
   * number), so order and count do not depend on which loader answered first. Call once per
   * execution result (every event of a subscription is one).
   */
  reportDenials<R extends { data?: unknown; errors?: ReadonlyArray<unknown> }>(result: R): R {
    const denied = this.denied;
    if (!denied?.length) return result;
    this.denied = [];
    const errors = [...((result.errors ?? []) as { readonly path?: ReadonlyArray<string | number> }[])];
    for (const d of denied) {
      this.reported.add(d.execution);
      const path = responsePathAsArray(d.path);
      // a denied field whose parent an error nulled is no longer in the result (and whether
      // its resolver ran before the error is a matter of timing): no error for it
      if (!inResult(result.data, path)) continue;
      const locations = locationsOf(d.node);
      const error: GraphQLFormattedError = locations
        ? { message: d.denial.message, locations, path, extensions: d.denial.extensions }
        : { message: d.denial.message, path, extensions: d.denial.extensions };
      errors.push(error);
    }
    errors.sort((a, b) => comparePaths(a.path, b.path)); // stable: equal paths keep their order
    return { ...result, errors };
  }
}

/** How the field guard describes a denial of one field; shared by all denials of that field. */
export interface FieldDenial {
  message: string;
  extensions: { readonly code: "FORBIDDEN"; readonly category: DataCategory };
}

interface DeniedRead {
  path: GraphQLResolveInfo["path"];
  node: FieldNode;
  denial: FieldDenial;
  /** made afresh by graphql-js for each execution (each event of a subscription too) */
  execution: object;
}

/** Is the field at `path` in `data`, i.e. are all its parents there? */
function inResult(data: unknown, path: ReadonlyArray<string | number>): boolean {
  let node = data as Record<string | number, unknown> | null | undefined;
  for (let i = 0; i < path.length - 1; i++) {
    if (node == null || typeof node !== "object") return false;
    node = node[path[i]] as Record<string | number, unknown> | null | undefined;
  }
  return node != null && typeof node === "object";
}

const LOCATIONS = new WeakMap<FieldNode, SourceLocation[] | null>();

/** Where the field is in the query, as a thrown error would report it (once per field node). */
function locationsOf(node: FieldNode): SourceLocation[] | null {
  let locations = LOCATIONS.get(node);
  if (locations === undefined) {
    locations = node.loc ? [getLocation(node.loc.source, node.loc.start)] : null;
    LOCATIONS.set(node, locations);
  }
  return locations;
}

/** Response paths in order: errors without a path first, list indexes by number, keys by name. */
function comparePaths(a: ReadonlyArray<string | number> | undefined, b: ReadonlyArray<string | number> | undefined): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}
