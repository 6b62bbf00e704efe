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
]);

/** graphql-armor reports limits as "Syntax Error: ... limit ..."; they are QUERY_TOO_COMPLEX. */
const LIMIT_MESSAGE = /^Syntax Error: .*limit of \d+ exceeded/i;

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
    if (code === "GRAPHQL_PARSE_FAILED" || code === "GRAPHQL_VALIDATION_FAILED" || code === "BAD_REQUEST") {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: "BAD_USER_INPUT" } };
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
