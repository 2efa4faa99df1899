/**
 * The API's error codes (API.md, "Errors"). Services throw `DomainError`s; `formatError` in
 * `format-error.ts` is the one place that turns them into GraphQL errors and masks the rest.
 */
export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "FAILED_PRECONDITION"
  | "RATE_LIMITED";

/** Offending input paths (`input.email`, `input.followUpConfig.0.channel`) mapped to their messages. */
export type FieldErrors = Record<string, string[]>;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = "DomainError";
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
