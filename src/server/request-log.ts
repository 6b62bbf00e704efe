import { performance } from "node:perf_hooks";
import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLFormattedError } from "graphql";
import type { HubContext } from "../context/context";
import type { Principal } from "../authz/principal";
import type { Logger } from "../infra/logger";
import { HubMetrics } from "../infra/metrics";
import { poolOf } from "../infra/prisma";
import type { Hub } from "../hub";
import type { WsLimits } from "./ws-limits";

/** What one request's log line and metrics say. Never variables, query text or secrets. */
export interface RequestRecord {
  operation: string | null;
  type: string;
  principal: Principal | null;
  code: string;
  status: number;
  startedAt: number;
}

const HTTP_STATUS: Record<string, number> = { UNAUTHENTICATED: 401, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503 };

/**
 * One structured log line (HUB_REQUEST_LOG) and the request metrics (HUB_METRICS) per
 * GraphQL request over HTTP, timed from the start of its authentication. Requests refused
 * before execution (no key, rate limit) are told by the context factory (refused).
 */
export class RequestObserver {
  private readonly started = new WeakMap<object, number>();

  constructor(
    private readonly log: Logger | null,
    private readonly metrics: HubMetrics | null,
  ) {}

  get enabled(): boolean {
    return this.log !== null || this.metrics !== null;
  }

  /** The context of a request admitted at `startedAt` (performance.now()). */
  began(context: HubContext, startedAt: number): void {
    // keyed by the request's own authz: Apollo hands plugins a shallow copy of the context
    if (this.enabled) this.started.set(context.authz, startedAt);
  }

  /** A request refused before execution (authentication, rate limit, database down). */
  refused(err: unknown, principal: Principal | null, operationName: string | null, startedAt: number): void {
    if (!this.enabled) return;
    const extensions = (err as { extensions?: { code?: unknown; http?: { status?: unknown } } })?.extensions;
    const code = String(extensions?.code ?? "INTERNAL_SERVER_ERROR");
    const status = typeof extensions?.http?.status === "number" ? extensions.http.status : (HTTP_STATUS[code] ?? 500);
    this.finish({ operation: operationName, type: "unknown", principal, code, status, startedAt });
  }

  plugin(): ApolloServerPlugin<HubContext> {
    const observer = this;
    return {
      async requestDidStart({ contextValue }) {
        const startedAt = observer.started.get(contextValue.authz);
        if (startedAt === undefined) return;
        return {
          async willSendResponse({ response, operation, operationName }) {
            const body = response.body.kind === "single" ? response.body.singleResult : response.body.initialResult;
            observer.finish({
              operation: operationName ?? contextValue.operationName,
              type: operation?.operation ?? "unknown",
              principal: contextValue.principal,
              code: outcome(body.errors),
              status: response.http.status ?? 200,
              startedAt,
            });
          },
        };
      },
    };
  }

  private finish(r: RequestRecord): void {
    const ms = performance.now() - r.startedAt;
    this.metrics?.observe(r.operation, r.type, r.code, ms / 1000);
    this.log?.info(
      {
        operation: r.operation,
        type: r.type,
        partyId: r.principal?.partyId ?? null,
        role: r.principal?.role ?? null,
        apiKeyId: r.principal?.apiKeyId ?? null,
        durationMs: Math.round(ms * 100) / 100,
        code: r.code,
        status: r.status,
      },
      "request",
    );
  }
}

/** OK, or the code of the first error (the contract's codes; see src/server/errors.ts). */
function outcome(errors: readonly GraphQLFormattedError[] | undefined): string {
  if (!errors?.length) return "OK";
  return String(errors[0].extensions?.code ?? "INTERNAL_SERVER_ERROR");
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
