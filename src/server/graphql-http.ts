import type http from "node:http";
import express from "express";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";

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
  opts: { bodyLimit: string; context: (req: http.IncomingMessage) => Promise<C> },
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const readJson = express.json({ limit: opts.bodyLimit });

  const sendError = (res: http.ServerResponse, status: number, message: string, code: string) => {
    const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  const execute = async (req: http.IncomingMessage & { body?: unknown }, res: http.ServerResponse) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? "GET").toUpperCase(), headers, search: q >= 0 ? url.slice(q) : "", body: req.body },
      context: () => opts.context(req),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.setHeader("content-length", Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  return (req, res) => {
    readJson(req as express.Request, res as express.Response, (err?: { type?: string; status?: number }) => {
      // Oversized or malformed JSON bodies get a contract error, not an HTML page.
      if (err) {
        const tooLarge = err.type === "entity.too.large";
        return tooLarge
          ? sendError(res, 413, `Request body exceeds ${opts.bodyLimit}`, "QUERY_TOO_COMPLEX")
          : sendError(res, err.status ?? 400, "Request body is not valid JSON", "BAD_USER_INPUT");
      }
      execute(req, res).catch(() => {
        if (!res.headersSent) sendError(res, 500, "Internal server error", "INTERNAL_SERVER_ERROR");
        else res.destroy();
      });
    });
  };
}
