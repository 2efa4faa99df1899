/**
 * Every code an error the server sends can carry (API.md, "Errors"; README, "Query limits"), and
 * the domain exception services throw. `format-error.ts` is the one place that turns any error,
 * GraphQL or HTTP-level, into what the client sees, with a case for each code below.
 */

/** The rules' answers: services, the auth checker and the rate limiter throw them as DomainErrors. */
export type DomainErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "BAD_USER_INPUT" | "NOT_FOUND" | "CONFLICT" | "FAILED_PRECONDITION" | "CURSOR_EXPIRED" | "RATE_LIMITED";

/** Requests refused for their shape, size or duration, each limit its own. */
export type RequestLimitCode =
  | "QUERY_TOO_DEEP"
  | "QUERY_TOO_COMPLEX"
  | "TOO_MANY_ALIASES"
  | "TOO_MANY_DIRECTIVES"
  | "TOO_MANY_TOKENS"
  | "BATCH_TOO_LARGE"
  | "TOO_MANY_SUBSCRIPTIONS"
  | "TIMEOUT";

/** What graphql-js and Apollo call a request they cannot run as sent (never a failure of ours). */
export type RequestErrorCode =
  | "GRAPHQL_PARSE_FAILED"
  | "GRAPHQL_VALIDATION_FAILED"
  | "BAD_REQUEST"
  | "OPERATION_RESOLUTION_FAILURE"
  | "PERSISTED_QUERY_NOT_FOUND"
  | "PERSISTED_QUERY_NOT_SUPPORTED";

export type ErrorCode = DomainErrorCode | RequestLimitCode | RequestErrorCode | "INTERNAL_SERVER_ERROR";

const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set<RequestErrorCode>([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

export const isRequestErrorCode = (code: unknown): code is RequestErrorCode => typeof code === "string" && REQUEST_ERROR_CODES.has(code);

/** For the `default` of a switch over a union: a compile error when a member has no case. */
export function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}

/** Offending input paths (`input.email`, `input.followUpConfig.0.channel`) mapped to their messages. */
export type FieldErrors = Record<string, string[]>;

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/**
 * A request refused at the HTTP level, before or instead of GraphQL (a body that is not JSON, too
 * large, a timeout): its status, and the code and message of its one error.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: Exclude<ErrorCode, "INTERNAL_SERVER_ERROR">,
    message: string,
  ) {
    super(message);
    this.name = "HttpRefusal";
  }
}

export const unauthenticated = (message = "Authentication required: send a valid bearer token or API key") =>
  new DomainError("UNAUTHENTICATED", message);

export const forbidden = (scope: string) => new DomainError("FORBIDDEN", `This operation needs the "${scope}" scope`);

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);

export const conflict = (message: string) => new DomainError("CONFLICT", message);

export const failedPrecondition = (message: string) => new DomainError("FAILED_PRECONDITION", message);

/** BAD_USER_INPUT; the message names the first offending path. */
export function badInput(fields: FieldErrors, message?: string): DomainError {
  const [path, messages] = Object.entries(fields)[0] ?? ["input", ["is invalid"]];
  return new DomainError("BAD_USER_INPUT", message ?? `Invalid input at ${path}: ${messages[0]}`, fields);
}

/** A single offending path. */
export const invalidField = (path: string, message: string) => badInput({ [path]: [message] });

export const versionConflict = (current: number) =>
  conflict(`Version conflict: expectedVersion does not match the current version ${current}; read it again and retry`);
