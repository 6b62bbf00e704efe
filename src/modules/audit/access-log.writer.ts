import type { PrismaClient } from "../../generated/prisma/client";
import type { AccessLogRecord } from "../../authz/access-recorder";
import type { Logger } from "../../infra/logger";

/**
 * Writes access-log records in batches, off the request path. A failed batch is kept and
 * retried on the next tick; close() flushes everything before the database is closed.
 */
export class AccessLogWriter {
  private queue: AccessLogRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly batchSize = 1000,
  ) {}

  enqueue(records: AccessLogRecord[]): void {
    if (!records.length) return;
    this.queue.push(...records);
    if (this.queue.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Resolves once everything queued before the call is stored (or has failed to be). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (!this.queue.length) return;
    const batch = this.queue.splice(0, this.batchSize);
    this.flushing = this.prisma.accessLogEntry
      .createMany({ data: batch })
      .then(() => undefined)
      .catch((err: unknown) => {
        this.log.error({ err, count: batch.length }, "access log batch failed; will retry");
        this.queue.unshift(...batch);
        this.timer ??= setTimeout(() => void this.flush(), this.intervalMs * 4);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
    if (this.queue.length >= this.batchSize) await this.flush();
  }

  async close(): Promise<void> {
    for (let attempt = 0; attempt < 3 && this.queue.length; attempt++) await this.flush();
    if (this.timer) clearTimeout(this.timer);
    if (this.queue.length) this.log.error({ lost: this.queue.length }, "access log records could not be stored at shutdown");
  }
}
