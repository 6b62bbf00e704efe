import { timingSafeEqual, createHash } from "node:crypto";
import type http from "node:http";
import client from "prom-client";
import type { Pool } from "pg";
import { RequestMetrics } from "./request-metrics";

/** What the gauges read at scrape time; each is optional (a part the process does not run). */
export interface MetricSources {
  /** the pg pool under Prisma */
  pool?: Pick<Pool, "totalCount" | "idleCount" | "waitingCount">;
  poolMax?: number;
  /** open WebSocket connections and subscriptions on this instance */
  ws?: { connections(): number; subscriptions(): number };
  /** this instance's outbox reader: its position, and the outbox head (read from the database) */
  feed?: { running: boolean; seen: bigint; head(): Promise<bigint> };
  /** access-log entries waiting to be stored */
  accessLogQueue?: () => number;
}

/** Distinct operation names kept as label values; the rest are counted as "_other". */
const MAX_OPERATION_LABELS = 500;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * The hub's Prometheus metrics (README "Observability"), on their own registry. No label
 * carries party data: operations are labelled by the operation name clients give (bounded:
 * MAX_OPERATION_LABELS names, then "_other"), its type and the outcome code.
 */
export class HubMetrics {
  readonly registry = new client.Registry();
  /** hub_graphql_requests_total and hub_graphql_request_duration_seconds */
  private readonly requests: RequestMetrics;
  private readonly subscriptionsEnded: client.Counter<"operation" | "code">;
  private readonly operations = new Set<string>();

  constructor(sources: MetricSources = {}) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: "hub_" });
    this.requests = new RequestMetrics(
      { requests: "hub_graphql_requests_total", duration: "hub_graphql_request_duration_seconds" },
      {
        requests:
          "GraphQL requests by operation name, operation type, outcome code (OK or the first error's code) and transport " +
          "(http; ws: a query or mutation sent on a socket, or a subscription started)",
        duration: "Time from a request's arrival to its response (a subscription: to its start), by operation name, type and transport",
      },
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    this.requests.register(this.registry);
    this.subscriptionsEnded = new client.Counter({
      name: "hub_ws_subscriptions_ended_total",
      help: "GraphQL subscriptions ended, by operation name and outcome (OK: completed or its socket closed; else the error's code)",
      labelNames: ["operation", "code"],
      registers,
    });
    const { pool, ws, feed, accessLogQueue } = sources;
    if (pool) {
      new client.Gauge({
        name: "hub_db_pool_connections",
        help: "Connections of the database pool, by state (busy or idle)",
        labelNames: ["state"],
        registers,
        collect() {
          this.set({ state: "busy" }, pool.totalCount - pool.idleCount);
          this.set({ state: "idle" }, pool.idleCount);
        },
      });
      new client.Gauge({ name: "hub_db_pool_waiting", help: "Queries waiting for a pool connection", registers, collect() { this.set(pool.waitingCount); } });
      if (sources.poolMax) {
        const max = sources.poolMax;
        new client.Gauge({ name: "hub_db_pool_max", help: "Size of the database pool", registers, collect() { this.set(max); } });
      }
    }
    if (ws) {
      new client.Gauge({ name: "hub_ws_connections", help: "Open WebSocket connections on this instance", registers, collect() { this.set(ws.connections()); } });
      new client.Gauge({ name: "hub_ws_subscriptions", help: "Open GraphQL subscriptions on this instance", registers, collect() { this.set(ws.subscriptions()); } });
    }
    if (feed) this.eventGauges(feed);
    if (accessLogQueue) {
      new client.Gauge({ name: "hub_access_log_queue", help: "Access-log entries waiting to be stored", registers, collect() { this.set(accessLogQueue()); } });
    }
  }

  /** One finished request, or a WebSocket subscription's start or end. */
  observe(transport: string, operationName: string | null, type: string, code: string, seconds: number, event?: "start" | "end"): void {
    const operation = this.operationLabel(operationName);
    if (event === "end") {
      this.subscriptionsEnded.inc({ operation, code });
      return;
    }
    this.requests.observe(operation, type, code, transport, seconds);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private operationLabel(name: string | null): string {
    if (!name) return "_anonymous";
    if (this.operations.has(name)) return name;
    if (!OPERATION_NAME.test(name) || this.operations.size >= MAX_OPERATION_LABELS) return "_other";
    this.operations.add(name);
    return name;
  }

  private eventGauges(feed: NonNullable<MetricSources["feed"]>): void {
    const registers = [this.registry];
    const head = new client.Gauge({ name: "hub_event_outbox_head", help: "Sequence number of the newest event in the outbox", registers });
    const delivered = new client.Gauge({
      name: "hub_event_delivered",
      help: "Sequence number of the last event this instance handed to its subscribers (0 while it has none)",
      registers,
    });
    new client.Gauge({
      name: "hub_event_lag",
      help: "Events committed to the outbox that this instance has not yet handed to its subscribers (0 while it has none)",
      registers,
      // One query per scrape; a database that does not answer leaves the gauges as they were.
      async collect() {
        try {
          const newest = await feed.head();
          head.set(Number(newest));
          delivered.set(Number(feed.seen));
          this.set(feed.running ? Math.max(0, Number(newest - feed.seen)) : 0);
        } catch {
          /* the scrape still answers; hub_db_pool_waiting and /readyz tell the rest */
        }
      },
    });
  }
}

/** GET /metrics: the exposition for a caller metricsAccess admits; 404 while HUB_METRICS=off. */
export function metricsHandler(metrics: HubMetrics | null, token: string | undefined) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const refused = metrics ? metricsAccess(token, req) : 404;
    if (refused) {
      const message = refused === 401 ? "send Authorization: Bearer <HUB_METRICS_TOKEN>" : "metrics are not published (set HUB_METRICS_TOKEN; see README, Observability)";
      res.writeHead(refused, { "content-type": "text/plain; charset=utf-8", ...(refused === 401 ? { "www-authenticate": "Bearer" } : {}) });
      res.end(message + "\n");
      return;
    }
    metrics!.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { "content-type": contentType });
        res.end(body);
      },
      () => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("metrics could not be collected\n");
      },
    );
  };
}

/**
 * Who may read /metrics: with HUB_METRICS_TOKEN, a request bearing it (compared in constant
 * time); without, nobody (404: metrics are not published). Returns the HTTP status to refuse with, or null.
 */
export function metricsAccess(token: string | undefined, req: http.IncomingMessage): 401 | 404 | null {
  if (!token) return 404;
  const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token)) ? null : 401;
}
