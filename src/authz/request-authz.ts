import { ALL_CATEGORIES, CATEGORY_BIT, type DataCategory } from "./categories";
import { AccessRecorder } from "./access-recorder";
import { HOLDING_OF } from "./guarded-types";
import { Policy, type Decision, type GrantingAgreement } from "./policy";
import type { Principal } from "./principal";
import { UnauthenticatedError } from "../shared/errors";

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
}
