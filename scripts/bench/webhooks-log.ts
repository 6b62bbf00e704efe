// The hub's webhook delivery log as the webhooks section reads it (scripts/bench/webhooks.ts),
// through the bench's own pool (not counted as the hub's statements).
import type { Pool } from "pg";
import type { ClientProcess } from "./child";
import { nowMs, sleep } from "./util";
import type { ReceiversCommand, ReceiverStats } from "./webhook-receivers";

export interface DeliveryState {
  byStatus: Record<string, { n: number; attempts: number }>;
  retried: number;
  maxAttempts: number;
  /** the furthest-behind cursor of the enabled endpoints */
  minCursor: number;
  disabled: number;
}

export async function deliveryState(pool: Pool): Promise<DeliveryState> {
  const [s, c] = await Promise.all([
    pool.query<{ status: string; n: string; attempts: string; retried: string; max: number }>(
      `SELECT "status"::text AS "status", count(*) AS n, coalesce(sum("attempts"), 0) AS attempts,
              count(*) FILTER (WHERE "attempts" > 1) AS retried, coalesce(max("attempts"), 0) AS max
       FROM "WebhookDelivery" GROUP BY "status"`,
    ),
    pool.query<{ min: string | null; disabled: string }>(
      `SELECT min("cursorSeq") FILTER (WHERE "enabled" AND "deletedAt" IS NULL) AS min, count(*) FILTER (WHERE NOT "enabled") AS disabled FROM "WebhookEndpoint"`,
    ),
  ]);
  const byStatus: DeliveryState["byStatus"] = {};
  let retried = 0;
  let maxAttempts = 0;
  for (const r of s.rows) {
    byStatus[r.status] = { n: Number(r.n), attempts: Number(r.attempts) };
    retried += Number(r.retried);
    maxAttempts = Math.max(maxAttempts, Number(r.max));
  }
  return { byStatus, retried, maxAttempts, minCursor: Number(c.rows[0].min ?? 0), disabled: Number(c.rows[0].disabled) };
}

export interface LogRow {
  endpointId: string;
  seq: number;
  attempts: number;
  status: string;
  /** epoch ms: the event's `at`, the delivery row's creation (fan-out), its delivery */
  at: number;
  created: number;
  delivered: number | null;
}

/** The hub's own delivery log for the run's events. */
export async function deliveryLog(pool: Pool, after: number, until: number): Promise<LogRow[]> {
  const { rows } = await pool.query<{ endpointId: string; seq: string; attempts: number; status: string; at: Date; created: Date; delivered: Date | null }>(
    `SELECT d."endpointId", d."eventSeq" AS seq, d."attempts", d."status"::text AS status, e."at", d."createdAt" AS created, d."deliveredAt" AS delivered
     FROM "WebhookDelivery" d JOIN "HubEvent" e ON e."seq" = d."eventSeq"
     WHERE d."eventSeq" > $1 AND d."eventSeq" <= $2`,
    [after, until],
  );
  return rows.map((r) => ({
    endpointId: r.endpointId,
    seq: Number(r.seq),
    attempts: r.attempts,
    status: r.status,
    at: r.at.getTime(),
    created: r.created.getTime(),
    delivered: r.delivered?.getTime() ?? null,
  }));
}

export const latestSeq = async (pool: Pool) => Number((await pool.query<{ last: string }>(`SELECT "last" FROM "HubEventCounter" WHERE "id" = 1`)).rows[0]?.last ?? 0);

/** Waits until the hub has fanned out up to `seq` and has nothing pending, or `maxMs`. */
export async function drain(pool: Pool, rx: ClientProcess, seq: number, maxMs: number): Promise<{ done: boolean; ms: number; state: DeliveryState }> {
  const t0 = nowMs();
  for (;;) {
    const state = await deliveryState(pool);
    const done = state.minCursor >= seq && !state.byStatus.PENDING?.n;
    if (done || nowMs() - t0 > maxMs) {
      // stragglers (a reply in flight) and anything beyond what is due still arrive, and are counted
      let last = await rx.ask<ReceiverStats>({ cmd: "stats" } satisfies ReceiversCommand);
      for (let quiet = 0; quiet < 3; ) {
        await sleep(500);
        const s = await rx.ask<ReceiverStats>({ cmd: "stats" } satisfies ReceiversCommand);
        quiet = s.received === last.received ? quiet + 1 : 0;
        last = s;
      }
      return { done, ms: nowMs() - t0, state: await deliveryState(pool) };
    }
    await sleep(250);
  }
}
