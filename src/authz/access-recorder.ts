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
  /** set when the data was not read as fields but used by a filter, sort, count or aggregate */
  inference?: string | null;
  /** how many records an inference read (their ids are not listed) */
  recordCount?: number | null;
}

interface Pending {
  holderId: string;
  recordType: string;
  basis: Basis;
  recordIds: Set<string>;
  mask: number;
  inference: string | null;
  recordCount: number | null;
}

/** Collects, per request, whose data was read under which basis; summarised at the end. */
export class AccessRecorder {
  private readonly pending = new Map<string, Pending>();

  record(holderId: string, recordType: string, recordId: string, bit: number, basis: Basis): void {
    const key = `${holderId}|${recordType}|${basis.rule}|${basis.agreementId ?? ""}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { holderId, recordType, basis, recordIds: new Set(), mask: 0, inference: null, recordCount: null };
      this.pending.set(key, p);
    }
    p.recordIds.add(recordId);
    p.mask |= bit;
  }

  /**
   * Data used without being read as fields (filter, sort, count, aggregate over `count`
   * records): one entry per holder, kind of record, basis and kind of use.
   */
  recordInference(holderId: string, recordType: string, basis: Basis, mask: number, count: number, inference: string, recordId?: string): void {
    const key = `${holderId}|${recordType}|${basis.rule}|${basis.agreementId ?? ""}|${inference}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { holderId, recordType, basis, recordIds: new Set(), mask: 0, inference, recordCount: 0 };
      this.pending.set(key, p);
    }
    p.mask |= mask;
    p.recordCount = (p.recordCount ?? 0) + count;
    if (recordId) p.recordIds.add(recordId);
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
      inference: p.inference,
      recordCount: p.recordCount,
    }));
    this.pending.clear();
    return out;
  }
}
