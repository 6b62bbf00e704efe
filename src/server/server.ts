import http from "node:http";
import express from "express";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { SubscribePayload } from "graphql-ws";
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema } from "graphql";
import type { Hub } from "../hub";
import { createContext, type HubContext } from "../context/context";
import { HubError, UnauthenticatedError } from "../shared/errors";
import { KeyedConnections, REVOKED_CLOSE_CODE } from "../authn/authenticate";
import { createErrorFormatter, serviceUnavailablePlugin, unavailableHttp } from "./errors";
import { isDatabaseDown } from "../infra/db-health";
import { createArmor, errorHeaders, RateLimit } from "./limits";
import { observeServer, outcome, WsOperations, type RequestRecord } from "./request-log";
import { metricsHandler } from "../infra/metrics";
import { CSRF_REQUEST_HEADERS, graphqlHttpHandler, isGraphqlPath, perPartyQueryCache } from "./graphql-http";
import { maybeBrowser, mountWeb, noIntrospection, webSettings } from "./web";
import { TOO_MANY_CONNECTIONS_CLOSE_CODE, WsLimits, wsLimitSettings, type WsConnection } from "./ws-limits";
import { multiplexedSubscribe, sharedResult } from "./ws-multiplex";

/** How often the keys of open sockets are checked for revocations made on other instances. */
const REVOCATION_CHECK_MS = 500;

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  port: number;
  /** open WebSocket connections and subscriptions of this instance, per party */
  wsLimits: WsLimits;
  stop(): Promise<void>;
}

/** How long /readyz may take before it answers 503 (a partition must not hold it). */
const READY_TIMEOUT_MS = 3_000;

/** Errors raised before execution (authentication, rate limit) carry their HTTP status. */
function withHttpStatus(err: unknown, retryAfterSeconds: number, onDatabaseDown: (err: unknown) => void): unknown {
  if (!(err instanceof HubError) && isDatabaseDown(err)) {
    // e.g. the party's rate-limit quotas could not be read: retry later, not an internal error
    onDatabaseDown(err);
    return new GraphQLError("The hub cannot reach its database right now; retry shortly", {
      extensions: { code: "SERVICE_UNAVAILABLE", http: unavailableHttp(retryAfterSeconds) },
    });
  }
  if (err instanceof HubError) {
    const code = String(err.extensions.code);
    if (code === "SERVICE_UNAVAILABLE") return new GraphQLError(err.message, { extensions: { ...err.extensions, http: unavailableHttp(retryAfterSeconds) } });
    const status = { UNAUTHENTICATED: 401, RATE_LIMITED: 429 }[code];
    const headers = errorHeaders(err); // 429: Retry-After and RateLimit
    if (status) return new GraphQLError(err.message, { extensions: { ...err.extensions, http: headers ? { status, headers } : { status } } });
  }
  return err;
}

/** Whether the hub is ready, within READY_TIMEOUT_MS; the database's state goes to its health log. */
async function readyWithin(hub: Hub, ready: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)));
  try {
    const ok = await Promise.race([ready(), late]);
    if (ok) hub.dbHealth.ok();
    return ok;
  } catch (err) {
    hub.dbHealth.failed(err);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Access-log records of an operation go to the batch writer once it has finished. */
function flushAccess(ctx: HubContext): void {
  if (!ctx.principal) return;
  ctx.hub.accessLog.enqueue(ctx.authz.recorder.drain(ctx.principal, ctx.operationName));
}

/** Listens, or rejects with a message naming PORT/HOST (EADDRINUSE, EACCES, a wrong HOST). */
export function listen(server: http.Server | import("node:net").Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, port, host));
    server.once("error", onError);
    const done = () => {
      server.removeListener("error", onError);
      resolve();
    };
    if (host) server.listen(port, host, done);
    else server.listen(port, done);
  });
}

export function listenError(err: NodeJS.ErrnoException, port: number, host: string | undefined): Error {
  const where = `port ${port} on ${host ?? "every interface"}`;
  const fix = "set PORT to a free port (or HOST to another interface)";
  const message =
    err.code === "EADDRINUSE"
      ? `PORT=${port}: ${where} is already in use by another program: stop it, or ${fix}`
      : err.code === "EACCES"
        ? `PORT=${port}: not allowed to listen on ${where} (ports below 1024 need privileges): ${fix}`
        : err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND"
          ? `HOST=${host}: no such interface on this machine: set HOST to one of its addresses (e.g. 127.0.0.1 or 0.0.0.0)`
          : `cannot listen on ${where}: ${err.message}`;
  return Object.assign(new Error(message), { code: err.code });
}

export async function startServer(
  hub: Hub,
  schema: GraphQLSchema,
  port: number,
  ready: () => Promise<boolean>,
  /** the address to listen on (default: every interface) */
  opts: { host?: string } = {},
): Promise<RunningServer> {
  const { config, log } = hub;
  const app = express();
  app.disable("x-powered-by");
  // /graphql is served by `graphql` below, everything else (health, readiness, the IDE for
  // browsers opening /graphql, 404s) by Express.
  let graphql: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | null = null;
  const httpServer = http.createServer((req, res) =>
    graphql && isGraphqlPath(req.url, "/graphql") && !maybeBrowser(req) ? graphql(req, res) : app(req, res),
  );
  const armor = createArmor(config);
  const protection = armor.protect();
  const web = webSettings(config);
  const validationRules = [...(protection.validationRules as never[]), ...(web.introspection ? [] : [noIntrospection])];
  const rateLimit = new RateLimit(config, log, (p) => hub.services.rateLimits.quotasFor(p));
  const formatError = createErrorFormatter(log, config.isDevelopment, (err) => hub.dbHealth.failed(err));

  // graphql-ws sends GraphQLErrors as they are: give them the same codes as over HTTP.
  const reformat = (e: GraphQLError) => {
    const f = formatError(e.toJSON(), e);
    return new GraphQLError(f.message, { path: f.path, extensions: f.extensions });
  };

  // A revoked key closes its sockets: at once when revoked here, within REVOCATION_CHECK_MS
  // when revoked on another instance.
  const connections = new KeyedConnections(hub.authenticator, REVOCATION_CHECK_MS, (err) => log.warn({ err }, "revocation check failed"));
  connections.start();

  // Connections and subscriptions per party, subscriptions per connection (src/server/ws-limits.ts).
  const wsLimits = new WsLimits(wsLimitSettings(config));
  // Prometheus metrics and the request log (README "Observability")
  const observe = observeServer(hub, wsLimits);

  type WsExtra = { hubContext?: HubContext; limits?: WsConnection; operations?: WsOperations };
  /** An operation sent on a socket: its execution arguments, or the errors it is refused with. */
  const admitWs = async (wsCtx: { connectionParams?: Record<string, unknown>; extra: WsExtra }, payload: SubscribePayload): Promise<ExecutionArgs | GraphQLError[]> => {
    const base = wsCtx.extra.hubContext!;
    try {
      // Every operation re-checks the socket's key: a revoked one runs nothing more.
      const now = await hub.authenticator.authenticate(wsCtx.connectionParams?.authorization as string | undefined).catch((err) => {
        if (err instanceof UnauthenticatedError && base.principal?.apiKeyId) hub.authenticator.forget(base.principal.apiKeyId); // closes its sockets
        throw err;
      });
      if (now?.apiKeyId !== base.principal?.apiKeyId) throw new UnauthenticatedError();
      await rateLimit.check(base.principal);
      const document = parse(payload.query, { maxTokens: config.HUB_MAX_TOKENS });
      const errors = validate(schema, document, [...specifiedRules, ...validationRules]);
      // as Apollo does over HTTP: a validation error is the client's (BAD_USER_INPUT), not internal
      if (errors.length) return errors.map((e) => reformat(new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })));
      const contextValue = createContext(hub, base.principal, payload.operationName ?? null);
      contextValue.authz.collectDenials(); // onNext adds them to each result
      const args: ExecutionArgs = {
        schema,
        document,
        variableValues: payload.variables,
        operationName: payload.operationName,
        contextValue,
      };
      // A subscription holds a slot until it completes or its socket closes (onComplete).
      if (getOperationAST(document, payload.operationName)?.operation === "subscription") {
        const refused = wsCtx.extra.limits?.reserve(payload);
        if (refused) return [reformat(refused)];
      }
      return args;
    } catch (err) {
      return [reformat(err instanceof GraphQLError ? err : new GraphQLError((err as Error).message, { originalError: err as Error }))];
    }
  };

  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql", maxPayload: 1024 * 1024 });
  // ws re-emits the HTTP server's errors (EADDRINUSE): listen() below reports them
  wsServer.on("error", () => undefined);
  const wsCleanup = useServer<Record<string, unknown>, WsExtra>(
    {
      schema,
      // each event executed once per (party, role, document), not once per subscriber
      subscribe: multiplexedSubscribe(formatError),
      // a socket that does not send connection_init in time is closed (4408)
      connectionInitWaitTimeout: config.HUB_WS_INIT_TIMEOUT_MS,
      // Same authentication and context as HTTP; the key arrives in connectionParams.
      onConnect: async (wsCtx) => {
        try {
          const principal = await hub.authenticator.authenticate(wsCtx.connectionParams?.authorization as string | undefined);
          if (!principal) return false;
          const socket = wsCtx.extra.socket;
          if (socket.readyState !== socket.OPEN) return false; // gone while authenticating
          const limits = wsLimits.connect(principal.partyId);
          if (!limits) {
            socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, wsLimits.tooManyConnectionsReason());
            return false;
          }
          socket.once("close", () => limits.close()); // frees its subscriptions too
          wsCtx.extra.limits = limits;
          if (principal.apiKeyId) {
            const untrack = connections.add(principal.apiKeyId, (reason) => socket.close(REVOKED_CLOSE_CODE, reason));
            socket.once("close", untrack);
          }
          wsCtx.extra.hubContext = createContext(hub, principal);
          if (observe.requests.enabled) wsCtx.extra.operations = new WsOperations(observe.requests, principal);
          return true;
        } catch {
          return false;
        }
      },
      // The HTTP limits (depth, aliases, cost, tokens) and rate limit apply here too.
      onSubscribe: async (wsCtx, id, payload) => {
        const operations = wsCtx.extra.operations;
        operations?.begin(id, payload.operationName ?? null);
        const admitted = await admitWs(wsCtx, payload);
        if (Array.isArray(admitted)) operations?.refused(id, admitted);
        return admitted;
      },
      // a query's or mutation's result, or a subscription's stream (or its refusal)
      onOperation: (wsCtx, id, _payload, args, result) => {
        const operation = wsCtx.extra.operations && getOperationAST(args.document, args.operationName);
        if (!operation) return;
        wsCtx.extra.operations!.operated(id, operation.operation, operation.name?.value ?? null, result as { errors?: readonly GraphQLError[] } | AsyncIterable<unknown>);
      },
      onError: (wsCtx, id, _payload, errors) => {
        wsCtx.extra.operations?.failed(id, errors);
      },
      // every operation graphql-ws ran ends here (completed, failed, or its socket closed)
      onComplete: (wsCtx, id, payload) => {
        wsCtx.extra.limits?.release(payload);
        wsCtx.extra.operations?.completed(id);
      },
      // once per result: a query's or mutation's, and each event of a subscription
      onNext: (_ctx, _id, _payload, args, result) => {
        const ctx = args.contextValue as HubContext;
        const shared = sharedResult(ctx, result); // an event's result, already formatted and reported
        if (shared) return shared;
        flushAccess(ctx);
        const formatted = result.errors?.length ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : result;
        const withDenials = ctx.authz.reportDenials(formatted);
        return withDenials === result ? undefined : withDenials;
      },
    },
    wsServer,
  );

  // Every admitted request's end: its access log, its denials, and what the request log records.
  const responsePlugin: ApolloServerPlugin<HubContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, operation, operationName }) {
          flushAccess(contextValue);
          // the field guards' denials, already in the contract's shape (no formatter needed)
          const { authz } = contextValue;
          const result =
            response.body.kind === "single"
              ? (response.body.singleResult = authz.reportDenials(response.body.singleResult))
              : (response.body.initialResult = authz.reportDenials(response.body.initialResult));
          const record = contextValue.request;
          if (record) {
            record.operation = operationName ?? record.operation;
            record.type = operation?.operation ?? "unknown";
            record.code = outcome(result.errors);
          }
        },
      };
    },
  };

  const apollo = new ApolloServer<HubContext>({
    schema,
    // refused by noIntrospection (validationRules) with the hub's own message when turned off
    introspection: true,
    // GET queries from clients sending a key need no extra header (see CSRF_REQUEST_HEADERS)
    csrfPrevention: { requestHeaders: CSRF_REQUEST_HEADERS },
    // main.ts owns shutdown (drain HTTP and WebSocket, flush the access log, close storage)
    stopOnTerminationSignals: false,
    // stacks go to the log (unexpected errors only), never into responses
    includeStacktraceInErrorResponses: false,
    formatError,
    // Apollo's own parser counts tokens (a syntax error is then Apollo's 400, not a 500 from
    // graphql-armor's parsing plugin, which is left out below)
    parseOptions: { maxTokens: config.HUB_MAX_TOKENS },
    // automatic persisted queries, never shared between parties
    persistedQueries: { cache: perPartyQueryCache() },
    validationRules,
    plugins: [
      // graphql-armor's token limit parses a second time in parsingDidStart and turns every syntax
      // error into a 500 (its unexpectedErrorProcessingRequest hook): parseOptions above instead
      ...(protection.plugins as ApolloServerPlugin<HubContext>[]).filter((p) => !("unexpectedErrorProcessingRequest" in p)),
      responsePlugin,
      rateLimit.plugin(),
      serviceUnavailablePlugin<HubContext>(config.HUB_RETRY_AFTER_SECONDS),
      // No cache hints are used; without this plugin Apollo does not wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      // browsers get the hub's own IDE (src/server/web.ts), not Apollo's CDN-hosted pages
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { drainServer: () => closeSockets(wsServer, wsCleanup) }; } },
    ],
  });
  await apollo.start();

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const ok = await readyWithin(hub, ready);
    if (!ok) res.setHeader("retry-after", String(config.HUB_RETRY_AFTER_SECONDS));
    // Redis is reported, not required: without it this instance still serves (see README).
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not ready", redis: hub.events.redisState() });
  });
  app.get("/metrics", metricsHandler(observe.metrics, config.HUB_METRICS_TOKEN));
  graphql = graphqlHttpHandler(apollo, {
    bodyLimit: config.HUB_BODY_LIMIT,
    partitionOf: (ctx) => ctx.principal?.partyId ?? null,
    observer: observe.requests,
    context: async (req, record: RequestRecord | null) => {
      const body = (req as { body?: { operationName?: unknown } }).body;
      const operationName = typeof body?.operationName === "string" ? body.operationName : null;
      if (record) record.operation = operationName;
      try {
        const principal = await hub.authenticator.authenticate(req.headers.authorization);
        if (record) record.principal = principal;
        const quotas = await rateLimit.check(principal, req.socket.remoteAddress);
        const ctx = createContext(hub, principal, operationName);
        ctx.authz.collectDenials(); // the plugin above adds them to the response
        rateLimit.remember(ctx, quotas);
        ctx.request = record;
        return ctx;
      } catch (err) {
        const answer = withHttpStatus(err, config.HUB_RETRY_AFTER_SECONDS, (e) => hub.dbHealth.failed(e));
        observe.requests.refused(record, answer);
        throw answer;
      }
    },
  });

  mountWeb(app, web, log, (req, res) => graphql!(req, res));

  try {
    await listen(httpServer, port, opts.host);
  } catch (err) {
    connections.stop();
    await apollo.stop().catch(() => undefined);
    await rateLimit.close().catch(() => undefined);
    throw err;
  }
  const address = httpServer.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  log.info({ port: boundPort }, "Luxor Hub listening");

  return {
    httpServer,
    port: boundPort,
    wsLimits,
    url: `http://127.0.0.1:${boundPort}/graphql`,
    // Drain: stop accepting, let in-flight operations finish, close sockets.
    stop: async () => {
      connections.stop();
      await apollo.stop();
      await rateLimit.close();
    },
  };
}

/** A peer that does not answer the close handshake (a frozen browser) is cut off after this (ws waits 30 s). */
const WS_CLOSE_GRACE_MS = 3000;

/** Closes every WebSocket with 1001 (graphql-ws's dispose), then cuts off those still open after the grace. */
async function closeSockets(wsServer: WebSocketServer, wsCleanup: { dispose(): Promise<void> | void }): Promise<void> {
  const cutOff = setTimeout(() => wsServer.clients.forEach((socket) => socket.terminate()), WS_CLOSE_GRACE_MS);
  try {
    await wsCleanup.dispose();
  } finally {
    clearTimeout(cutOff);
  }
}
