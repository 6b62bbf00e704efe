import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { ApolloServerPlugin } from "@apollo/server";
import type { Logger } from "../infra/logger";
import { isDatabaseDown } from "../infra/db-health";

const CONTRACT_CODES = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "CONFLICT",
  "RATE_LIMITED",
  "QUERY_TOO_COMPLEX",
  "SERVICE_UNAVAILABLE",
  // Apollo's automatic persisted queries: the client sends the query text and retries
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/**
 * graphql-armor reports limits as "Syntax Error: ... limit ..."; the parser's own token limit
 * as "Syntax Error: Document contains more than N tokens": they are QUERY_TOO_COMPLEX.
 */
const LIMIT_MESSAGE = /^Syntax Error: (.*limit of \d+ exceeded|Document contains more tha[nt] \d+ tokens)/i; // sic: graphql 16 says "more that"

/** The HTTP status Apollo gave an error it raised itself (e.g. 400 for a persisted query's wrong hash). */
function httpStatusOf(err: unknown): number | undefined {
  const status = (err as GraphQLError | undefined)?.extensions?.http as { status?: unknown } | undefined;
  return typeof status?.status === "number" ? status.status : undefined;
}

/**
 * Every error leaves with a contract code. Outside development, anything unexpected is
 * reported as a plain internal error: no stack, SQL or driver message reaches a client.
 */
export function createErrorFormatter(log: Logger, development: boolean, onDatabaseDown: (err: unknown) => void = () => undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? "");
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    // before the pass-through: graphql-armor labels its rejections BAD_USER_INPUT
    if (LIMIT_MESSAGE.test(formatted.message)) {
      return { message: formatted.message.replace(/^Syntax Error: /, ""), extensions: { code: "QUERY_TOO_COMPLEX" } };
    }
    if (CONTRACT_CODES.has(code)) {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    // (the WebSocket server parses itself: its syntax errors come without a code)
    const unparsable = code === "" && /^Syntax Error: /.test(formatted.message);
    if (unparsable || code === "GRAPHQL_PARSE_FAILED" || code === "GRAPHQL_VALIDATION_FAILED" || code === "BAD_REQUEST") {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: "BAD_USER_INPUT" } };
    }
    // a request Apollo refused as the client's fault, without a code of its own
    const status = httpStatusOf(error);
    if (status !== undefined && status >= 400 && status < 500) {
      return { message: formatted.message, extensions: { code: "BAD_USER_INPUT" } };
    }
    if (isDatabaseDown(original)) {
      onDatabaseDown(original);
      return {
        message: "The hub cannot reach its database right now; retry shortly",
        path: formatted.path,
        extensions: { code: "SERVICE_UNAVAILABLE" },
      };
    }
    log.error({ err: original, path: formatted.path }, "unexpected error");
    if (development) return formatted;
    return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}

/** The HTTP side of SERVICE_UNAVAILABLE: status 503 and when to retry. */
export function unavailableHttp(retryAfterSeconds: number): { status: number; headers: Map<string, string> } {
  return { status: 503, headers: new Map([["retry-after", String(retryAfterSeconds)]]) };
}

/**
 * A response with any SERVICE_UNAVAILABLE error (the database could not answer a resolver,
 * or the connection dropped mid-query) is HTTP 503 with Retry-After, not 200: clients and
 * load balancers then back off and retry rather than take a partial answer as final.
 */
export function serviceUnavailablePlugin<C extends object>(retryAfterSeconds: number): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const body = response.body;
          const errors = body.kind === "single" ? body.singleResult.errors : body.initialResult.errors;
          if (!errors?.some((e) => e.extensions?.code === "SERVICE_UNAVAILABLE")) return;
          response.http.status = 503;
          response.http.headers.set("retry-after", String(retryAfterSeconds));
        },
      };
    },
  };
}
