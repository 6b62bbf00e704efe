import type http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import express from "express";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { outcomeOfBody, type RequestObserver, type RequestRecord } from "./request-log";

/** The shape of Apollo's KeyValueCache (@apollo/utils.keyvaluecache), which the APQ cache takes. */
export interface KeyValueCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/** Who the request being served is for: known once its context is made (before Apollo reads APQ). */
interface RequestScope {
  partition: string | null;
}
const requestScope = new AsyncLocalStorage<RequestScope>();

/**
 * Apollo's automatic persisted queries, kept apart per party: every key is prefixed with the
 * party of the request being served, so a hash registered by one party is unknown to every
 * other (PERSISTED_QUERY_NOT_FOUND), never run for it. Outside a request served by
 * graphqlHttpHandler, or for an anonymous one, it stores and finds nothing. In memory, at
 * most `maxChars` characters of queries, least recently used dropped first.
 */
export function perPartyQueryCache(maxChars = 16 * 1024 * 1024): KeyValueCache {
  const entries = new Map<string, { value: string; until: number }>();
  let chars = 0;
  const keyOf = (key: string) => {
    const partition = requestScope.getStore()?.partition;
    return partition ? `${partition}:${key}` : null;
  };
  const drop = (k: string) => {
    const e = entries.get(k);
    if (e) chars -= e.value.length + k.length;
    return entries.delete(k);
  };
  return {
    async get(key) {
      const k = keyOf(key);
      const e = k ? entries.get(k) : undefined;
      if (!e || !k) return undefined;
      if (e.until <= Date.now()) {
        drop(k);
        return undefined;
      }
      entries.delete(k); // most recently used last
      entries.set(k, e);
      return e.value;
    },
    async set(key, value, options) {
      const k = keyOf(key);
      if (!k) return;
      drop(k);
      entries.set(k, { value, until: options?.ttl ? Date.now() + options.ttl * 1000 : Infinity });
      chars += value.length + k.length;
      for (const oldest of entries.keys()) {
        if (chars <= maxChars) break;
        drop(oldest);
      }
    },
    async delete(key) {
      const k = keyOf(key);
      return k ? drop(k) : false;
    },
  };
}

/**
 * Apollo's CSRF prevention lets a request through when it cannot have been sent by another
 * site without a CORS preflight: a JSON (non-"simple") content type, or one of these headers.
 * Besides Apollo's two, `authorization`: the hub's only credential is a bearer key in that
 * header, which a browser never adds by itself (unlike a cookie) and which a page of another
 * origin cannot set without a preflight, and the hub grants no preflight (it sends no CORS
 * headers). So a GET query carrying a key, as urql and Apollo Client send it, is served; a
 * request without a key and without these headers is still refused, as Apollo does.
 */
export const CSRF_REQUEST_HEADERS = ["authorization", "x-apollo-operation-name", "apollo-require-preflight"];

/** Is this request for the GraphQL endpoint (with or without a query string)? */
export function isGraphqlPath(url: string | undefined, path: string): boolean {
  return url === path || (url !== undefined && url.startsWith(path) && url[path.length] === "?");
}

/**
 * Serves the GraphQL endpoint straight from node:http through Apollo's integration API
 * (executeHTTPGraphQLRequest), doing what @as-integrations/express5 does without Express's
 * router, request/response decoration and ETag hashing: on the carriers' clearanceStatus
 * lookup those cost about as much as GraphQL execution itself. Bodies are still read and
 * limited by body-parser's JSON reader, the one express.json() uses.
 */
export function graphqlHttpHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  opts: {
    bodyLimit: string;
    /** the request's context; `record` (null while the request log and metrics are off) is filled in by it */
    context: (req: http.IncomingMessage, record: RequestRecord | null) => Promise<C>;
    /** the request log and metrics: every request is recorded once its response is sent, refusals included */
    observer: RequestObserver;
    /** the partition of per-party caches (perPartyQueryCache) a request's context belongs to; null: none */
    partitionOf: (context: C) => string | null;
  },
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const readJson = express.json({ limit: opts.bodyLimit });

  const { observer } = opts;
  const sendError = (res: http.ServerResponse, status: number, message: string, code: string, record: RequestRecord | null) => {
    const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
    if (record) {
      record.code = code;
      record.status = status;
      observer.finish(record);
    }
  };

  const execute = async (req: http.IncomingMessage & { body?: unknown }, res: http.ServerResponse, record: RequestRecord | null) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = req.url ?? "";
    const q = url.indexOf("?");
    // Apollo makes the context before it looks up a persisted query: from then on, the
    // request's caches are its party's.
    const scope: RequestScope = { partition: null };
    const response = await requestScope.run(scope, () =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? "GET").toUpperCase(), headers, search: q >= 0 ? url.slice(q) : "", body: req.body },
        context: async () => {
          const context = await opts.context(req, record);
          scope.partition = opts.partitionOf(context);
          return context;
        },
      }),
    );
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.setHeader("content-length", Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      // Apollo refused it before any plugin saw it (CSRF, a GET without a query): its code is in the body
      if (record) record.code ??= outcomeOfBody(response.body.string, res.statusCode);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
    if (record) {
      record.status = res.statusCode;
      observer.finish(record);
    }
  };

  return (req, res) => {
    const record = observer.begin("http");
    readJson(req as express.Request, res as express.Response, (err?: { type?: string; status?: number }) => {
      // Oversized or malformed JSON bodies get a contract error, not an HTML page.
      if (err) {
        const tooLarge = err.type === "entity.too.large";
        return tooLarge
          ? sendError(res, 413, `Request body exceeds ${opts.bodyLimit}`, "QUERY_TOO_COMPLEX", record)
          : sendError(res, err.status ?? 400, "Request body is not valid JSON", "BAD_USER_INPUT", record);
      }
      execute(req, res, record).catch(() => {
        if (!res.headersSent) return sendError(res, 500, "Internal server error", "INTERNAL_SERVER_ERROR", record);
        res.destroy();
        if (record) observer.finish(Object.assign(record, { code: "INTERNAL_SERVER_ERROR", status: 500 }));
      });
    });
  };
}
