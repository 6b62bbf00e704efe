import fs from "node:fs";
import path from "node:path";
import type http from "node:http";
import express from "express";
import { GraphQLError, type ValidationRule } from "graphql";
import type { Config } from "../config";
import type { Logger } from "../infra/logger";

/**
 * The hub's browser pages (the GraphQL IDE, the measurement dashboard), bundled from npm packages into dist/web at build
 * time (scripts/build-web.ts) and served from here: no CDN, so they work on closed networks.
 */

export interface WebSettings {
  /** the GraphQL IDE at /graphql for browsers (HUB_IDE) */
  ide: boolean;
  /** __schema / __type queries (HUB_INTROSPECTION) */
  introspection: boolean;
  /** the measurement page at /dashboard (HUB_DASHBOARD) */
  dashboard: boolean;
}

/** Each on unless set, except with NODE_ENV=production, where each is off unless set. */
export function webSettings(config: Config): WebSettings {
  const on = (v: "on" | "off" | undefined) => (v ?? (config.isProduction ? "off" : "on")) === "on";
  return { ide: on(config.HUB_IDE), introspection: on(config.HUB_INTROSPECTION), dashboard: on(config.HUB_DASHBOARD) };
}

export const INTROSPECTION_OFF_MESSAGE =
  "Introspection is turned off on this hub (HUB_INTROSPECTION=off, the default with NODE_ENV=production). " +
  "The schema is published as schema/schema.graphql with the hub; its operator can turn introspection on with HUB_INTROSPECTION=on.";

/** Refuses __schema and __type (not __typename), over HTTP and WebSocket alike. */
export const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === "__schema" || node.name.value === "__type") {
      context.reportError(new GraphQLError(INTROSPECTION_OFF_MESSAGE, { nodes: [node] }));
    }
  },
});

/** Could this be a browser opening /graphql (a GET accepting HTML)? Cheap: checked on every request. */
export function maybeBrowser(req: http.IncomingMessage): boolean {
  return req.method === "GET" && (req.headers.accept?.includes("text/html") ?? false);
}

/** What GraphQL clients accept; a request preferring HTML over all of them is a browser's. */
const GRAPHQL_TYPES = ["application/graphql-response+json", "application/json", "multipart/mixed", "text/event-stream"];

// The pages load only their own script and style; connect-src 'self' covers the hub's
// WebSocket too. Inline styles: the editors set style attributes.
const PAGE_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

function webRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return path.join(dir, "dist", "web");
}

/** Serves the page `name` (dist/web/<name>) at `at` and its assets under /assets/<name>. */
function servePage(app: express.Express, name: string, log: Logger): express.RequestHandler {
  const dir = path.join(webRoot(), name);
  const html = path.join(dir, "index.html");
  if (!fs.existsSync(html)) log.warn({ dir }, `the ${name} page is not built; run npm run build`);
  app.use(`/assets/${name}`, express.static(dir, { index: false, setHeaders: (res) => res.set(PAGE_HEADERS) }));
  return (_req, res) => {
    if (!fs.existsSync(html)) {
      res.status(503).type("text/plain").send(`The ${name} page is not built on this hub: run npm run build.\n`);
      return;
    }
    res.set(PAGE_HEADERS).set("cache-control", "no-cache").sendFile(html);
  };
}

/** A plain 404 naming the setting that turned a page off. */
const turnedOff = (text: string): express.RequestHandler => (_req, res) => {
  res.status(404).type("text/plain").send(`${text}\n`);
};

/**
 * /dashboard is the measurement page (src/web/dashboard), or with HUB_DASHBOARD=off a plain
 * 404 saying so (its assets are not served either). Browsers opening /graphql get the IDE (or,
 * with HUB_IDE=off, a plain 404 saying so); every other request there goes on to `graphql`.
 */
export function mountWeb(app: express.Express, settings: WebSettings, log: Logger, graphql: express.RequestHandler): void {
  app.get(
    "/dashboard",
    settings.dashboard
      ? servePage(app, "dashboard", log)
      : turnedOff("The measurement page is turned off on this hub (HUB_DASHBOARD=off). Its numbers are the declarationStats query at /graphql."),
  );
  const ide = settings.ide ? servePage(app, "ide", log) : null;
  const ideOff = turnedOff("The GraphQL IDE is turned off on this hub (HUB_IDE=off). Send GraphQL requests here with Accept: application/json.");
  app.get("/graphql", (req, res, next) => {
    if (req.accepts([...GRAPHQL_TYPES, "text/html"]) !== "text/html") return graphql(req, res, next);
    return (ide ?? ideOff)(req, res, next);
  });
}
