import type { PrismaClient } from "../../generated/prisma/client";
import type { AccessLogRecord } from "../../authz/access-recorder";
import type { Logger } from "../../infra/logger";

/** Reads by the same viewer, key and operation of the same holder's data under the same basis. */
function mergeKey(r: AccessLogRecord): string {
  return [r.holderId, r.viewerPartyId, r.apiKeyId, r.operationName, r.recordType, r.basis, r.agreementId, r.inference ?? ""].join("|");
}

/**
 * Writes access-log records in batches, off the request path. Records that differ only in
 * the records and categories read are merged within one flush window (at most
 * HUB_ACCESS_LOG_FLUSH_MS apart; `at` is the first read), so a carrier polling thousands of
 * parcels makes a few rows, not thousands. A failed batch is kept and retried; close()
 * flushes everything before the database is closed.
 */
export class AccessLogWriter {
  private pending = new Map<string, AccessLogRecord>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly maxRecordIds = 5000,
  ) {}

  /** Entries waiting to be stored (merged reads count once); for metrics. */
  get queued(): number {
    return this.pending.size;
  }

  enqueue(records: AccessLogRecord[]): void {
    for (const r of records) {
      const key = mergeKey(r);
      const seen = this.pending.get(key);
      if (seen && seen.recordIds.length < this.maxRecordIds) {
        for (const id of r.recordIds) if (!seen.recordIds.includes(id)) seen.recordIds.push(id);
        for (const c of r.categories) if (!seen.categories.includes(c)) seen.categories.push(c);
        if (r.recordCount != null) seen.recordCount = (seen.recordCount ?? 0) + r.recordCount;
      } else {
        // a full entry is stored as it is; the next reads start a new one
        this.pending.set(seen ? `${key}|${r.at.getTime()}|${this.pending.size}` : key, {
          ...r,
          recordIds: [...r.recordIds],
          categories: [...r.categories],
        });
      }
    }
    if (this.pending.size) this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Resolves once everything queued before the call is stored (or has failed to be). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (!this.pending.size) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.insert(batch)
      .catch((err: unknown) => {
        this.log.error({ err, count: batch.length }, "access log batch failed; will retry");
        for (const r of batch) this.pending.set(`${mergeKey(r)}|retry|${r.at.getTime()}`, r);
        this.timer ??= setTimeout(() => void this.flush(), this.intervalMs * 4);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  /** One statement per batch: the rows travel as a single JSON parameter. */
  private async insert(batch: AccessLogRecord[]): Promise<void> {
    const rows = JSON.stringify(batch);
    await this.prisma.$executeRaw`
      INSERT INTO "AccessLogEntry"
        ("id", "holderId", "viewerPartyId", "apiKeyId", "operationName", "recordType", "recordIds", "categories", "basis", "agreementId", "at", "inference", "recordCount")
      SELECT gen_random_uuid(), r."holderId", r."viewerPartyId", r."apiKeyId", r."operationName", r."recordType",
             ARRAY(SELECT json_array_elements_text(r."recordIds")),
             ARRAY(SELECT json_array_elements_text(r."categories"))::"DataCategory"[],
             r."basis", r."agreementId", r."at" AT TIME ZONE 'UTC', r."inference", r."recordCount"
      FROM json_to_recordset(${rows}::json) AS r(
        "holderId" uuid, "viewerPartyId" uuid, "apiKeyId" uuid, "operationName" text, "recordType" text,
        "recordIds" json, "categories" json, "basis" text, "agreementId" uuid, "at" timestamptz, "inference" text, "recordCount" int)`;
  }

  async close(): Promise<void> {
    for (let attempt = 0; attempt < 3 && (this.pending.size || this.flushing); attempt++) await this.flush();
    if (this.timer) clearTimeout(this.timer);
    if (this.pending.size) this.log.error({ lost: this.pending.size }, "access log records could not be stored at shutdown");
  }
}
