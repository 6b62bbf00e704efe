import { GraphQLError } from "graphql";

// One base class; each subclass carries the contract's extensions.code.
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "QUERY_TOO_COMPLEX"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR";

export class HubError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export class UnauthenticatedError extends HubError {
  constructor(message = "A valid API key is required (Authorization: Bearer <key>)") {
    super("UNAUTHENTICATED", message);
  }
}

export class ForbiddenError extends HubError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super("FORBIDDEN", message, extra);
  }
}

export class NotFoundError extends HubError {
  constructor(what: string, key: string) {
    super("NOT_FOUND", `${what} ${key} was not found`);
  }
}

export interface InputProblem {
  path: string;
  message: string;
}

/** Names every offending input path and why, so a partner can fix the payload in one go. */
export class BadUserInputError extends HubError {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[]) {
    const shown = problems.slice(0, 20).map((p) => `${p.path}: ${p.message}`);
    const more = problems.length > 20 ? ` (and ${problems.length - 20} more)` : "";
    super("BAD_USER_INPUT", `Invalid input: ${shown.join("; ")}${more}`, {
      problems: problems.slice(0, 100),
    });
    this.problems = problems;
  }
  static at(path: string, message: string): BadUserInputError {
    return new BadUserInputError([{ path, message }]);
  }
}

export class ConflictError extends HubError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super("CONFLICT", message, extra);
  }
}

export class RateLimitedError extends HubError {
  constructor(retryAfterSeconds: number) {
    super("RATE_LIMITED", `Too many requests; retry in ${retryAfterSeconds}s`, { retryAfterSeconds });
  }
}

export class ServiceUnavailableError extends HubError {
  constructor(message = "The hub cannot reach its database right now; retry shortly") {
    super("SERVICE_UNAVAILABLE", message);
  }
}
