import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { AuthenticationError, AuthorizationError } from "type-graphql";
import { DomainError } from "./errors";
import { logger } from "./logger";

/** Codes that graphql-js / Apollo give to problems with the request itself (never to a failure of ours). */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

export const INTERNAL_MESSAGE = "Internal server error";

/**
 * The single place where errors become what the client sees: domain errors keep their code and
 * field map, request errors lose any echo of the submitted values, everything else is masked.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };

  if (original instanceof DomainError) {
    return {
      ...base,
      message: original.message,
      extensions: { code: original.code, ...(original.fields ? { fields: original.fields } : {}) },
    };
  }
  if (original instanceof AuthenticationError) {
    return { ...base, message: "Authentication required", extensions: { code: "UNAUTHENTICATED" } };
  }
  if (original instanceof AuthorizationError) {
    return { ...base, message: "Access denied", extensions: { code: "FORBIDDEN" } };
  }

  const code = formatted.extensions?.code;
  if (typeof code === "string" && REQUEST_ERROR_CODES.has(code) && original === error) {
    return sanitizeRequestError(formatted, code);
  }

  logger.error({ err: original, path: formatted.path }, "unexpected error");
  return { ...base, message: INTERNAL_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR" } };
}

function sanitizeRequestError(formatted: GraphQLFormattedError, code: string): GraphQLFormattedError {
  const base = { locations: formatted.locations, path: formatted.path };
  const coercion = parseVariableError(formatted.message);
  if (coercion) {
    const where = coercion.path ?? `$${coercion.variable}`;
    return {
      ...base,
      message: `Variable "$${coercion.variable}" has an invalid value at "${where}": ${coercion.reason}`,
      extensions: { code: "BAD_USER_INPUT", fields: { [coercion.path ?? coercion.variable]: [coercion.reason] } },
    };
  }
  return { ...base, message: stripValues(formatted.message), extensions: { code } };
}

/**
 * graphql-js reports a bad variable as `Variable "$v" got invalid value <the value> at "v.a.b"; <why>`.
 * The value is the caller's input, so it is dropped; the path and the reason's type names are kept.
 */
export function parseVariableError(message: string): { variable: string; path?: string; reason: string } | undefined {
  const head = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (!head) return undefined;
  const variable = head[1];
  // The path and the reason follow the value; search from the end so that a value cannot fake them.
  const tail = [...message.matchAll(new RegExp(` at "(${variable}(?:\\.\\w+|\\[\\d+\\])*)"; `, "g"))].pop();
  const reasonStart = tail ? tail.index! + tail[0].length : message.lastIndexOf("; ") + 2;
  const path = tail?.[1].replace(/\[(\d+)\]/g, ".$1");
  return { variable, path, reason: describeReason(message.slice(reasonStart)) };
}

function describeReason(reason: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^Expected type "(\w+)"/.exec(reason))) return `Expected a value of type "${m[1]}".`;
  if ((m = /does not exist in "(\w+)" enum/.exec(reason))) return `Expected a value of the "${m[1]}" enum.`;
  // graphql-scalars' DateTimeISO reports itself as "DateTime"
  if ((m = /^(\w+) cannot represent/.exec(reason))) return `Expected a value of type "${m[1] === "DateTime" ? "DateTimeISO" : m[1]}".`;
  if ((m = /^(Field "\w+" (?:of required type "[\w![\]]+" was not provided|is not defined by type "\w+"))/.exec(reason)))
    return `${m[1]}.`;
  if ((m = /^(Expected non-nullable type "[\w![\]]+" not to be null)/.exec(reason))) return `${m[1]}.`;
  return "Invalid value.";
}

/** Validation messages quote literal argument values (`…, found "x"`); keep only what names the schema. */
export function stripValues(message: string): string {
  return message
    .replace(/^(Expected value of type "[\w![\]]+"), found [\s\S]*$/, "$1.")
    .replace(/^Value [\s\S]* does not exist in "(\w+)" enum[\s\S]*$/, 'Value does not exist in "$1" enum.')
    .replace(/^(\w+) cannot represent [\s\S]*$/, 'Expected a value of type "$1".');
}
