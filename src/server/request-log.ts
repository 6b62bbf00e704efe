import { performance } from "node:perf_hooks";
import type { GraphQLFormattedError } from "graphql";
import type { Principal } from "../authz/principal";
import { preparedLine, type LineValue, type Logger } from "../infra/logger";
import { HubMetrics } from "../infra/metrics";
import { poolOf } from "../infra/prisma";
import type { Hub } from "../hub";
import type { WsLimits } from "./ws-limits";

/**
 * What one request's log line and metrics say, filled in as the request goes: by the HTTP
 * handler (arrival, status), the context factory (party, or the refusal), and the response
 * plugin (operation type and outcome). Never variables, query text or secrets.
 */
export interface RequestRecord {
  /** performance.now() at arrival */
  startedAt: number;
  transport: "http" | "ws";
  operation: string | null;
  /** query, mutation, subscription; unknown when refused before GraphQL read the operation */
  type: string;
  principal: Principal | null;
  /** OK or the first error's code; null until known */
  code: string | null;
  /** HTTP status (WebSocket: 0) */
  status: number;
  /** WebSocket subscriptions: "start" or "end" */
  event?: "start" | "end";
}

/** The request log line's fields, in order: never variables, query text or secrets. */
const LINE_FIELDS = ["transport", "operation", "type", "event", "partyId", "role", "apiKeyId", "durationMs", "code", "status"] as const;

const HTTP_STATUS: Record<string, number> = { UNAUTHENTICATED: 401, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503 };

/**
 * One structured log line (HUB_REQUEST_LOG) and the request metrics (HUB_METRICS) per
 * GraphQL request over HTTP (src/server/graphql-http.ts records it when its response is
 * sent, refusals before GraphQL included) and per operation over WebSocket. No Apollo
 * plugin of its own: a plugin's per-request hooks cost more promises than the record
 * itself (README "Observability", cost).
 */
export class RequestObserver {
  /** the request log's line (HUB_REQUEST_LOG), or null while it is off */
  private readonly line: ((values: readonly LineValue[]) => void) | null;

  constructor(
    log: Logger | null,
    private readonly metrics: HubMetrics | null,
  ) {
    this.line = log && preparedLine(log, "info", "request", LINE_FIELDS);
  }

  get enabled(): boolean {
    return this.line !== null || this.metrics !== null;
  }

  /** A record for a request arriving now, or null while both are off. */
  begin(transport: "http" | "ws", operation: string | null = null, principal: Principal | null = null): RequestRecord | null {
    if (!this.enabled) return null;
    return { startedAt: performance.now(), transport, operation, type: "unknown", principal, code: null, status: 0 };
  }

  /** The request was refused with `err` (authentication, rate limit, database down, a bad operation). */
  refused(record: RequestRecord | null, err: unknown): void {
    if (!record) return;
    const extensions = (err as { extensions?: { code?: unknown; http?: { status?: unknown } } })?.extensions;
    record.code = String(extensions?.code ?? "INTERNAL_SERVER_ERROR");
    if (record.transport === "http") record.status = typeof extensions?.http?.status === "number" ? extensions.http.status : (HTTP_STATUS[record.code] ?? 500);
  }

  /** Logs and counts a finished record. */
  finish(r: RequestRecord): void {
    const ms = performance.now() - r.startedAt;
    const code = r.code ?? "INTERNAL_SERVER_ERROR";
    this.metrics?.observe(r.transport, r.operation, r.type, code, ms / 1000, r.event);
    // in LINE_FIELDS' order; undefined fields are left out
    this.line?.([
      r.transport,
      r.operation,
      r.type,
      r.event, // subscriptions only
      r.principal?.partyId ?? null,
      r.principal?.role ?? null,
      r.principal?.apiKeyId ?? null,
      Math.round(ms * 100) / 100,
      code,
      r.transport === "http" ? r.status : undefined,
    ]);
  }
}

/** OK, or the code of the first error (the contract's codes; see src/server/errors.ts). */
export function outcome(errors: readonly GraphQLFormattedError[] | undefined): string {
  if (!errors?.length) return "OK";
  return String(errors[0].extensions?.code ?? "INTERNAL_SERVER_ERROR");
}

/** The code of the first error of a JSON response body Apollo wrote before any plugin ran (CSRF, a bad GET). */
export function outcomeOfBody(body: string, status: number): string {
  try {
    return outcome((JSON.parse(body) as { errors?: GraphQLFormattedError[] }).errors);
  } catch {
    return status < 400 ? "OK" : "BAD_REQUEST";
  }
}

/** The metrics (HUB_METRICS) and request log (HUB_REQUEST_LOG) of a server, as configured. */
export function observeServer(hub: Hub, ws: WsLimits): { metrics: HubMetrics | null; requests: RequestObserver } {
  const { config } = hub;
  const pool = (() => {
    try {
      return poolOf(hub.prisma);
    } catch {
      return undefined; // a client not made by createPrismaClient: no pool gauges
    }
  })();
  const metrics =
    config.HUB_METRICS === "on"
      ? new HubMetrics({
          pool,
          poolMax: (pool as { options?: { max?: number } } | undefined)?.options?.max,
          ws,
          feed: { get running() { return hub.feed.running; }, get seen() { return hub.feed.seen; }, head: () => hub.feed.repo.latestSeq() },
          accessLogQueue: () => hub.accessLog.queued,
        })
      : null;
  return { metrics, requests: new RequestObserver(config.HUB_REQUEST_LOG === "on" ? hub.log : null, metrics) };
}

/**
 * The operations of one WebSocket as the request log and metrics see them: a query or
 * mutation is one record when its result is sent; a subscription is a "start" record when
 * it is subscribed (or refused) and an "end" record when it completes, fails or its socket
 * closes (its duration: the subscription's life).
 */
export class WsOperations {
  private readonly open = new Map<string, RequestRecord>();

  constructor(
    private readonly observer: RequestObserver,
    private readonly principal: Principal | null,
  ) {}

  /** Operation `id` was sent. */
  begin(id: string, operationName: string | null): void {
    const record = this.observer.begin("ws", operationName, this.principal);
    if (record) this.open.set(id, record);
  }

  /** Refused before it ran (key, rate limit, syntax, validation, subscription limits). */
  refused(id: string, errors: readonly GraphQLFormattedError[]): void {
    const record = this.take(id);
    if (!record) return;
    record.code = outcome(errors);
    this.observer.finish(record);
  }

  /** It ran: a result (query, mutation, a subscription refused by its resolver), or a subscription's stream. */
  operated(id: string, type: string, name: string | null, result: { errors?: readonly GraphQLFormattedError[] } | AsyncIterable<unknown>): void {
    const record = this.open.get(id);
    if (!record) return;
    record.type = type;
    record.operation ??= name;
    if (Symbol.asyncIterator in result) {
      this.observer.finish({ ...record, event: "start", code: "OK" });
      record.event = "end"; // kept until onComplete
      return;
    }
    this.open.delete(id);
    record.code = outcome(result.errors);
    if (type === "subscription") record.event = "start";
    this.observer.finish(record);
  }

  /** A subscription ended with errors (it fell behind, its stream failed): its end's outcome. */
  failed(id: string, errors: readonly GraphQLFormattedError[]): void {
    const record = this.open.get(id);
    if (record) record.code = outcome(errors);
  }

  /** It completed (by the client, the server, or its socket closing). */
  completed(id: string): void {
    const record = this.take(id);
    if (!record) return;
    record.code ??= "OK";
    this.observer.finish(record);
  }

  private take(id: string): RequestRecord | undefined {
    const record = this.open.get(id);
    this.open.delete(id);
    return record;
  }
}
