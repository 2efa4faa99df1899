import { validate, type ValidationError } from "class-validator";
import type { ValidatorFn } from "type-graphql";
import { badInput, type FieldErrors } from "./errors";

/**
 * type-graphql's `validateFn`: runs class-validator on every @ArgsType/@InputType argument and
 * throws BAD_USER_INPUT with `fields` keyed by input path. Built here instead of using
 * type-graphql's ArgumentValidationError, which echoes the submitted values.
 */
export const validateArgs: ValidatorFn = async (argValue) => {
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
