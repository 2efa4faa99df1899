import { validate, type ValidationError } from "class-validator";
import { getNullableType, isInputObjectType, isListType, type GraphQLInputType, type GraphQLResolveInfo } from "graphql";
import type { ValidatorFn } from "type-graphql";
import { badInput, type FieldErrors } from "./errors";

/**
 * type-graphql's `validateFn`: runs class-validator on every @ArgsType/@InputType argument and
 * throws BAD_USER_INPUT with `fields` keyed by input path. Built here instead of using
 * type-graphql's ArgumentValidationError, which echoes the submitted values.
 */
export const validateArgs: ValidatorFn = async (argValue, _argType, { args, info }) => {
  const nul = nulCharacterPaths(args, info);
  if (nul.length) throw badInput(Object.fromEntries(nul.map((path) => [path, [NUL_MESSAGE]])));
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

const NUL_MESSAGE = "must not contain the NUL character (U+0000)";

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so a string carrying one would fail in the database
 * as an unexpected error. Every argument of the field is searched, following the schema's input
 * types so that each hit is reported at its input path (inside a JSON scalar, at the scalar: its
 * keys are the caller's data, never echoed back).
 */
function nulCharacterPaths(args: Record<string, unknown> | undefined, info: GraphQLResolveInfo | undefined): string[] {
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
    } else if (containsNul(value, 64)) paths.push(path);
  };
  for (const arg of field?.args ?? []) walk(args[arg.name], arg.type, arg.name);
  return paths;
}

/** A string with U+0000, anywhere in a (JSON) value's strings and keys, looking `levels` deep at most. */
function containsNul(value: unknown, levels: number): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (value === null || typeof value !== "object" || levels === 0) return false;
  return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v, levels - 1));
}
