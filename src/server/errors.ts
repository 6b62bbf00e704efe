import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Logger } from "../infra/logger";

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

function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  if (!e) return false;
  return (
    ["ECONNREFUSED", "ECONNRESET", "57P01", "57P03", "08006", "08001", "P1001", "P1017", "P2024"].includes(String(e.code)) ||
    /Can't reach database|Connection terminated|connect ECONNREFUSED|Timed out fetching a new connection/i.test(String(e.message))
  );
}

/**
 * Every error leaves with a contract code. Outside development, anything unexpected is
 * reported as a plain internal error: no stack, SQL or driver message reaches a client.
 */
export function createErrorFormatter(log: Logger, development: boolean) {
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
    if (isDatabaseDown(original) || isDatabaseDown((original as { cause?: unknown })?.cause)) {
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
