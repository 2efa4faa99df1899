import { validate, type ValidationError } from "class-validator";
import { getNullableType, isInputObjectType, isListType, type GraphQLInputType, type GraphQLResolveInfo } from "graphql";
import type { ValidatorFn } from "type-graphql";
import { badInput, type FieldErrors } from "./errors";
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from "./text";

/**
 * type-graphql's `validateFn`: runs class-validator on every @ArgsType/@InputType argument and
 * throws BAD_USER_INPUT with `fields` keyed by input path. Built here instead of using
 * type-graphql's ArgumentValidationError, which echoes the submitted values.
 */
export const validateArgs: ValidatorFn = async (argValue, _argType, { args, info }) => {
  const unstorable = unstorableTextPaths(args, info);
  if (unstorable.length) throw badInput(Object.fromEntries(unstorable.map((path) => [path, [UNSTORABLE_TEXT_MESSAGE]])));
  if (argValue === null || typeof argValue !== "object") return;
  const errors = await validate(argValue as object, {
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length) {
    throw badInput(flattenValidationErrors(errors));
  }
};

/** `[{property:"input", children:[{property:"email"}]}]` → `{ "input.email": ["…"] }`. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ""): FieldErrors {
  const out: FieldErrors = {};
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) out[path] = Object.values(error.constraints);
    if (error.children?.length) Object.assign(out, flattenValidationErrors(error.children, path));
  }
  return out;
}

/**
 * A string that PostgreSQL cannot store (see isStorableText) would fail in the database as an
 * unexpected error. Every argument of the field is searched, following the schema's input types so
 * that each hit is reported at its input path (inside a JSON scalar, at the scalar: its keys are
 * the caller's data, never echoed back).
 */
function unstorableTextPaths(args: Record<string, unknown> | undefined, info: GraphQLResolveInfo | undefined): string[] {
  const paths: string[] = [];
  if (!args || !info) return paths;
  const field = info.parentType.getFields()[info.fieldName];
  const walk = (value: unknown, type: GraphQLInputType, path: string) => {
    if (value === null || value === undefined) return;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      if (Array.isArray(value)) value.forEach((item, i) => walk(item, nullable.ofType, `${path}.${i}`));
    } else if (isInputObjectType(nullable)) {
      for (const [name, f] of Object.entries(nullable.getFields())) walk((value as Record<string, unknown>)[name], f.type, `${path}.${name}`);
    } else if (holdsUnstorableText(value, MAX_SEARCH_DEPTH)) paths.push(path);
  };
  for (const arg of field?.args ?? []) walk(args[arg.name], arg.type, arg.name);
  return paths;
}

/** Deeper than any JSON value the validators let through (MAX_JSON_DEPTH), so nothing storable goes unsearched. */
const MAX_SEARCH_DEPTH = 64;

/** A string PostgreSQL cannot store, anywhere in a (JSON) value's strings and keys, looking `levels` deep at most. */
function holdsUnstorableText(value: unknown, levels: number): boolean {
  if (typeof value === "string") return !isStorableText(value);
  if (value === null || typeof value !== "object" || levels === 0) return false;
  for (const key in value) {
    if (!isStorableText(key) || holdsUnstorableText((value as Record<string, unknown>)[key], levels - 1)) return true;
  }
  return false;
}

/**
 * An update must change something: an input whose `fields` are all absent (`expectedVersion`
 * alone, say) is BAD_USER_INPUT. Returns the fields given.
 */
export function requireSomeChange<T extends object, K extends keyof T>(input: T, fields: readonly K[]): K[] {
  const given = fields.filter((key) => input[key] !== undefined);
  if (!given.length) throw badInput({ input: ["give at least one field to change"] });
  return given;
}
