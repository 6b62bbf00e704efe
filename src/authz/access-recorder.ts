import { categoriesOf, type DataCategory } from "./categories";
import type { Basis } from "./policy";

export interface AccessLogRecord {
  holderId: string;
  viewerPartyId: string;
  apiKeyId: string | null;
  operationName: string | null;
  recordType: string;
  recordIds: string[];
  categories: DataCategory[];
  basis: string;
  agreementId: string | null;
  at: Date;
}

interface Pending {
  holderId: string;
  recordType: string;
  basis: Basis;
  recordIds: Set<string>;
  mask: number;
}

/** Collects, per request, whose data was read under which basis; summarised at the end. */
export class AccessRecorder {
  private readonly pending = new Map<string, Pending>();

  record(holderId: string, recordType: string, recordId: string, bit: number, basis: Basis): void {
    const key = `${holderId}|${recordType}|${basis.rule}|${basis.agreementId ?? ""}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { holderId, recordType, basis, recordIds: new Set(), mask: 0 };
      this.pending.set(key, p);
    }
    p.recordIds.add(recordId);
    p.mask |= bit;
  }

  drain(viewer: { partyId: string; apiKeyId: string | null }, operationName: string | null): AccessLogRecord[] {
    const at = new Date();
    const out = [...this.pending.values()].map((p) => ({
      holderId: p.holderId,
      viewerPartyId: viewer.partyId,
      apiKeyId: viewer.apiKeyId,
      operationName,
      recordType: p.recordType,
      recordIds: [...p.recordIds],
      categories: categoriesOf(p.mask),
      basis: p.basis.rule,
      agreementId: p.basis.agreementId,
      at,
    }));
    this.pending.clear();
    return out;
  }
}
