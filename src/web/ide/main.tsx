/**
 * The hub's GraphQL IDE: GraphiQL, bundled at build time (scripts/build-web.ts) and served by
 * the hub itself at /graphql for browsers, so it works on a closed network.
 */
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { createGraphiQLFetcher, type Fetcher, type FetcherOpts } from "@graphiql/toolkit";
import { createClient, type Client } from "graphql-ws";
import { getOperationAST, parse, type ExecutionResult } from "graphql";
import "graphiql/style.css";
import "./ide.css";

const DEFAULT_QUERY = `# Luxor Hub GraphQL IDE
#
# Put your API key in Headers, below:
#   "Authorization": "Bearer <key>"
# The browser does not store headers.
#
# Ctrl-Enter runs the operation.

query Me {
  me {
    role
    party { id name kind country }
  }
}
`;

const DEFAULT_HEADERS = `{
  "Authorization": "Bearer "
}`;

/** The Authorization header typed in the Headers tab; "Bearer " with no key yet counts as none. */
function authorizationOf(headers: FetcherOpts["headers"]): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === "authorization" && typeof value === "string" && /\S+\s+\S+/.test(value.trim())) return value.trim();
  }
  return undefined;
}

/** Headers without an Authorization that holds no key yet (so the schema loads before one is typed). */
function withoutEmptyAuthorization(headers: FetcherOpts["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === "authorization" && !authorizationOf({ [name]: value })) continue;
    out[name] = String(value);
  }
  return out;
}

/**
 * GraphiQL's storage, minus every "headers" entry: with shouldPersistHeaders off it still
 * keeps them in its history, and the Authorization header holds an API key.
 */
const storage: Storage = {
  get length() {
    return localStorage.length;
  },
  key: (i) => localStorage.key(i),
  getItem: (k) => localStorage.getItem(k),
  removeItem: (k) => localStorage.removeItem(k),
  clear: () => localStorage.clear(),
  setItem: (k, value) => {
    let kept = value;
    try {
      kept = JSON.stringify(JSON.parse(value, (name, v: unknown) => (name === "headers" ? undefined : v)));
    } catch {
      // not JSON (a query's text): no headers in it
    }
    localStorage.setItem(k, kept);
  },
};

const endpoint = new URL("/graphql", window.location.href);
const http = createGraphiQLFetcher({ url: endpoint.href });

// Subscriptions go over WebSocket (graphql-ws); the hub reads the key from connectionParams,
// so each key has its own connection.
let socket: { authorization: string | undefined; client: Client } | null = null;
function wsClient(authorization: string | undefined): Client {
  if (socket && socket.authorization === authorization) return socket.client;
  socket?.client.dispose();
  const url = new URL(endpoint.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const client = createClient({ url: url.href, lazy: true, connectionParams: authorization ? { authorization } : {} });
  socket = { authorization, client };
  return client;
}

function isSubscription(query: string, operationName: string | null | undefined, opts?: FetcherOpts): boolean {
  try {
    const document = opts?.documentAST ?? parse(query);
    return getOperationAST(document, operationName ?? undefined)?.operation === "subscription";
  } catch {
    return false; // the server reports the syntax error
  }
}

const fetcher: Fetcher = (params, opts) => {
  if (isSubscription(params.query, params.operationName, opts)) {
    return wsClient(authorizationOf(opts?.headers)).iterate({
      query: params.query,
      operationName: params.operationName ?? undefined,
      variables: params.variables,
    }) as AsyncIterable<ExecutionResult>; // formatted errors: what GraphiQL shows anyway
  }
  return http(params, { ...opts, headers: withoutEmptyAuthorization(opts?.headers) });
};

createRoot(document.getElementById("ide")!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={DEFAULT_QUERY}
    defaultHeaders={DEFAULT_HEADERS}
    defaultEditorToolsVisibility="headers"
    // an API key typed into the Headers tab is never written to localStorage
    shouldPersistHeaders={false}
    storage={storage}
    showPersistHeadersSettings={false}
  />,
);
