import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { AuthenticationError, AuthorizationError } from "type-graphql";
import { assertUnreachable, DomainError, HttpRefusal, isRequestErrorCode, type ErrorCode, type FieldErrors } from "./errors";
import { logger } from "./logger";
import { requestLimitOf } from "../http/query-limits";

export const INTERNAL_MESSAGE = "Internal server error";

/** Where in the document and the result an error belongs (GraphQL errors only). */
interface ErrorPlace {
  locations?: GraphQLFormattedError["locations"];
  path?: GraphQLFormattedError["path"];
}

/**
 * The one builder of what a client is told about an error: every GraphQL error (through
 * `formatError`) and the sole error of every HTTP-level refusal (through `errorResponseBody`).
 * Each code says what its error may carry.
 */
export function errorBody(code: ErrorCode, message: string, options: ErrorPlace & { fields?: FieldErrors } = {}): GraphQLFormattedError {
  const place = { locations: options.locations, path: options.path };
  switch (code) {
    case "INTERNAL_SERVER_ERROR":
      // whatever went wrong, the client learns nothing more
      return { ...place, message: INTERNAL_MESSAGE, extensions: { code } };
    case "BAD_USER_INPUT":
      return { ...place, message, extensions: { code, ...(options.fields ? { fields: options.fields } : {}) } };
    case "UNAUTHENTICATED":
    case "FORBIDDEN":
    case "NOT_FOUND":
    case "CONFLICT":
    case "FAILED_PRECONDITION":
    case "CURSOR_EXPIRED":
    case "RATE_LIMITED":
    case "QUERY_TOO_DEEP":
    case "QUERY_TOO_COMPLEX":
    case "TOO_MANY_ALIASES":
    case "TOO_MANY_DIRECTIVES":
    case "TOO_MANY_TOKENS":
    case "BATCH_TOO_LARGE":
    case "TOO_MANY_SUBSCRIPTIONS":
    case "TIMEOUT":
      // our own messages, which name no input
      return { ...place, message, extensions: { code } };
    case "GRAPHQL_PARSE_FAILED":
    case "GRAPHQL_VALIDATION_FAILED":
    case "BAD_REQUEST":
    case "OPERATION_RESOLUTION_FAILURE":
    case "PERSISTED_QUERY_NOT_FOUND":
    case "PERSISTED_QUERY_NOT_SUPPORTED":
      // graphql-js's and Apollo's messages, which may quote the document
      return { ...place, message: stripValues(message), extensions: { code } };
    default:
      return assertUnreachable(code);
  }
}

/** The body of a response that refuses the whole request: one error, no data. */
export function errorResponseBody(code: ErrorCode, message: string, fields?: FieldErrors): { errors: GraphQLFormattedError[] } {
  return { errors: [errorBody(code, message, { fields })] };
}

/** An HTTP-level refusal's body; anything that is not one is ours, logged and masked. */
export function refusalOf(error: unknown): { status: number; body: { errors: GraphQLFormattedError[] } } {
  if (error instanceof HttpRefusal) return { status: error.status, body: errorResponseBody(error.code, error.message) };
  logger.error({ err: error }, "unexpected error");
  return { status: 500, body: errorResponseBody("INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE) };
}

/**
 * Apollo's `formatError`: domain errors keep their code and field map, request errors lose any
 * echo of the submitted values, everything else is logged and masked.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapDomainError(unwrapResolverError(error));
  const place = { locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) return errorBody(original.code, original.message, { ...place, fields: original.fields });
  if (original instanceof AuthenticationError) return errorBody("UNAUTHENTICATED", "Authentication required", place);
  if (original instanceof AuthorizationError) return errorBody("FORBIDDEN", "Access denied", place);
  // Refused by a query limit or the request timeout: the limit's own code, a message of numbers only.
  const limit = requestLimitOf(error);
  if (limit) return errorBody(limit.code, limit.message, place);

  const code = formatted.extensions?.code;
  // Only graphql-js's and Apollo's own errors: a resolver's GraphQLError claiming such a code is masked.
  if (original === error && (code === "BAD_USER_INPUT" || isRequestErrorCode(code))) return requestError(formatted, code, error);

  logger.error({ err: original, path: formatted.path }, "unexpected error");
  return errorBody("INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE, place);
}

/** A DomainError thrown by a plugin hook (a rate limit) reaches here wrapped by Apollo, without a path. */
function unwrapDomainError(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError instanceof DomainError ? error.originalError : error;
}

function requestError(formatted: GraphQLFormattedError, code: ErrorCode, error: unknown): GraphQLFormattedError {
  const place = { locations: formatted.locations, path: formatted.path };
  // A coercion error's `originalError` is the bare reason that graphql-js appended to the message.
  const reason = error instanceof GraphQLError ? error.originalError?.message : undefined;
  const coercion = parseVariableError(formatted.message, reason);
  if (coercion) {
    const where = coercion.path ?? `$${coercion.variable}`;
    return errorBody("BAD_USER_INPUT", `Variable "$${coercion.variable}" has an invalid value at "${where}": ${coercion.reason}`, {
      ...place,
      fields: { [coercion.path ?? coercion.variable]: [coercion.reason] },
    });
  }
  // (errorBody strips the request-error codes' messages itself; BAD_USER_INPUT's are usually ours)
  return errorBody(code, code === "BAD_USER_INPUT" ? stripValues(formatted.message) : formatted.message, place);
}

/**
 * graphql-js reports a bad variable as `Variable "$v" got invalid value <the value> at "v.a.b"; <why>`.
 * The value is the caller's input, so it is dropped; the path and the reason's type names are kept.
 * `reason` is the `<why>` on its own (the error's `originalError`), when known: some reasons quote the
 * value again, unescaped, so without it the path and the reason can only be guessed from the end.
 */
export function parseVariableError(
  message: string,
  reason?: string,
): { variable: string; path?: string; reason: string } | undefined {
  const head = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (!head) return undefined;
  const variable = head[1];
  const pathPattern = `(${variable}(?:\\.\\w+|\\[\\d+\\])*)`;
  const result = (printedPath: string | undefined, why: string) => {
    let path = printedPath?.replace(/\[(\d+)\]/g, ".$1");
    // A missing or unknown field is reported on its parent object; point at the field itself.
    const field = FIELD_REASON.exec(why);
    if (field) path = `${path ?? variable}.${field[1]}`;
    return { variable, path, reason: describeReason(why) };
  };
  if (reason !== undefined && message.endsWith(`; ${reason}`)) {
    // The printed value ends in a quote, bracket or brace, never in ` at "v…"`, so the path is exact.
    const prefix = message.slice(0, message.length - reason.length - 2);
    return result(new RegExp(` at "${pathPattern}"$`).exec(prefix)?.[1], reason);
  }
  // The path and the reason follow the value; search from the end so that a value cannot fake them.
  const tail = [...message.matchAll(new RegExp(` at "${pathPattern}"; `, "g"))].pop();
  const reasonStart = tail ? tail.index! + tail[0].length : message.lastIndexOf("; ") + 2;
  return result(tail?.[1], message.slice(reasonStart));
}

/** A missing or unknown input field, matched whole so that a crafted field name cannot pass for one. */
const FIELD_REASON = /^Field "(\w+)" (?:of required type "[\w![\]]+" was not provided|is not defined by type "\w+")\.(?: Did you mean [\w" ,?]*)?$/;

/** A fixed sentence naming only schema types; never any of the reason's quoted value. */
function describeReason(reason: string): string {
  let m: RegExpExecArray | null | undefined;
  if ((m = /^Expected type "(\w+)"/.exec(reason))) return `Expected a value of type "${m[1]}".`;
  // graphql-scalars' DateTimeISO reports itself as "DateTime"; the value follows, so only the start is read
  if ((m = /^(\w+) cannot represent/.exec(reason))) return `Expected a value of type "${m[1] === "DateTime" ? "DateTimeISO" : m[1]}".`;
  if ((m = /^Enum "(\w+)" cannot represent/.exec(reason))) return `Expected a value of the "${m[1]}" enum.`;
  // `Value "<the value, unescaped>" does not exist in "E" enum.` and suggestions: the last match is the real one
  if (reason.startsWith("Value ") && (m = [...reason.matchAll(/ does not exist in "(\w+)" enum/g)].pop()))
    return `Expected a value of the "${m[1]}" enum.`;
  if ((m = FIELD_REASON.exec(reason))) return `${m[0].split(".")[0]}.`;
  if ((m = /^(Expected non-nullable type "[\w![\]]+" not to be null)/.exec(reason))) return `${m[1]}.`;
  return "Invalid value.";
}

/**
 * Validation messages quote literal argument values (`…, found "x"`) and syntax errors the token
 * they stopped at (`found String "x"`); keep only what names the schema.
 */
export function stripValues(message: string): string {
  return message
    .replace(/^(Expected value of type "[\w![\]]+"), found [\s\S]*$/, "$1.")
    .replace(/^Value [\s\S]* does not exist in "(\w+)" enum[\s\S]*$/, 'Value does not exist in "$1" enum.')
    .replace(/^Enum "(\w+)" cannot represent [\s\S]*$/, 'Expected a value of the "$1" enum.')
    .replace(/^(\w+) cannot represent [\s\S]*$/, (_all, type: string) => `Expected a value of type "${type === "DateTime" ? "DateTimeISO" : type}".`)
    .replace(/^(Syntax Error: [\s\S]*?(?:found|Unexpected) (?:String|BlockString|Int|Float)) "[\s\S]*"\.$/, "$1.");
}

/** graphql-js appends its "Did you mean …?" hints at the end of a message. */
const SUGGESTION = /\s*Did you mean [^?]*\?\s*$/;

/** `format` without "Did you mean …?" hints: with introspection off they would still reveal the schema's names. */
export function withoutSuggestions(format: typeof formatError): typeof formatError {
  return (formatted, error) => {
    const out = format(formatted, error);
    return SUGGESTION.test(out.message) ? { ...out, message: out.message.replace(SUGGESTION, "") } : out;
  };
}
