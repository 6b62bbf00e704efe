// Who may hear what, for the events and webhooks sections: an independent statement of the
// contract (README "Who sees what"), not the policy engine, and the run's events as the
// database holds them.
import type { DataCategory, PartyKind, Role } from "../../src/generated/prisma/enums";

export interface AgreementRow {
  grantorId: string;
  granteeId: string;
  categories: DataCategory[];
  scopeDestinations: string[];
  scopeOrigins: string[];
  scopeOnlyCarried: boolean;
  status: string;
  validFrom: Date;
  validTo: Date | null;
}

export interface DeclarationRow {
  id: string;
  filerId: string;
  platformId: string | null;
  carrierId: string | null;
  postId: string | null;
  destinationCountry: string;
  originCountry: string;
  hasOrderId: boolean;
}

export interface RunEvent {
  seq: number;
  /** the event's `at`, epoch ms: stamped in the write's transaction just before it commits */
  at: number;
  type: "HOLD_PLACED" | "STATUS_CHANGED";
  declaration: DeclarationRow;
  /** whose STATUS the event is: a hold's, the customs that placed it; a status change's, the filer */
  holder: string;
}

/** A SQL query with positional parameters, returning rows: the hub's Prisma client or the bench's own pool. */
export type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/**
 * A party hears an event when it may read the STATUS of the record the event is about (a
 * hold: held by the customs that placed it; a status change: by the filer), and reads the
 * declaration's trackingNumber (TRANSPORT) and platformOrderId (COMMERCIAL), held by the filer,
 * by the same rules.
 */
export class Model {
  private readonly grants = new Map<string, AgreementRow[]>();

  constructor(
    agreements: AgreementRow[],
    private readonly now: Date,
  ) {
    for (const a of agreements) {
      const k = `${a.grantorId}>${a.granteeId}`;
      this.grants.set(k, [...(this.grants.get(k) ?? []), a]);
    }
  }

  /** May `viewer`, with a key of `role`, read `category` of data held by `holder` on `d`? */
  may(viewer: { id: string; kind: PartyKind; country: string }, role: Role, holder: string, d: DeclarationRow, category: DataCategory): boolean {
    if (viewer.id === holder) return true;
    if (viewer.kind === "CUSTOMS" && (role === "OFFICER" || role === "ANALYST") && viewer.country === d.destinationCountry) return true;
    const carries = viewer.id === d.carrierId || viewer.id === d.postId;
    if (carries && (category === "STATUS" || category === "TRANSPORT")) return true;
    if (viewer.id === d.filerId && category === "STATUS") return true;
    if (viewer.id === d.platformId && (category === "STATUS" || category === "TRANSPORT" || category === "COMMERCIAL")) return true;
    for (const a of this.grants.get(`${holder}>${viewer.id}`) ?? []) {
      if (a.status !== "ACTIVE" || a.validFrom > this.now || (a.validTo && a.validTo <= this.now)) continue;
      if (!a.categories.includes(category)) continue;
      if (a.scopeDestinations.length && !a.scopeDestinations.includes(d.destinationCountry)) continue;
      if (a.scopeOrigins.length && !a.scopeOrigins.includes(d.originCountry)) continue;
      if (a.scopeOnlyCarried && !carries) continue;
      return true;
    }
    return false;
  }
}

/** The outbox events after `after` up to `until` that subscribers and endpoints hear, with their declarations. */
export async function eventsBetween(query: Query, after: number | bigint, until: number | bigint): Promise<RunEvent[]> {
  const rows = await query<DeclarationRow & { seq: bigint | string; type: string; at: Date; placedById: string | null }>(
    `SELECT e."seq", e."type", e."at", d."id", d."filerId", d."platformId", d."carrierId", d."postId", d."destinationCountry", d."originCountry",
            d."platformOrderId" IS NOT NULL AS "hasOrderId", h."placedById"
     FROM "HubEvent" e
     JOIN "Declaration" d ON d."id" = e."declarationId"
     LEFT JOIN "Hold" h ON h."id"::text = e."payload"->>'holdId'
     WHERE e."seq" > $1 AND e."seq" <= $2 AND e."type" IN ('HOLD_PLACED', 'STATUS_CHANGED')
     ORDER BY e."seq"`,
    [after, until],
  );
  return rows.map((r) => {
    if (r.type === "HOLD_PLACED" && !r.placedById) throw new Error(`event ${r.seq}: its hold is not found`);
    return {
      seq: Number(r.seq),
      at: r.at.getTime(),
      type: r.type as RunEvent["type"],
      holder: r.type === "HOLD_PLACED" ? r.placedById! : r.filerId,
      declaration: r,
    };
  });
}

export async function loadAgreements(query: Query): Promise<AgreementRow[]> {
  return query<AgreementRow>(
    `SELECT "grantorId", "granteeId", "categories"::text[] AS "categories", "scopeDestinations", "scopeOrigins", "scopeOnlyCarried",
            "status"::text AS "status", "validFrom", "validTo" FROM "Agreement"`,
    [],
  );
}
