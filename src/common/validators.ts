import { ValidateIf, registerDecorator, type ValidationOptions } from "class-validator";

/**
 * For optional input fields whose value, when given, must not be null: validation runs unless
 * the field is absent, so an explicit `null` fails the field's other rules.
 */
export const IfGiven = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);

/** A class-validator decorator from a predicate; the message is prefixed with the property name. */
export function customRule(name: string, message: string, test: (value: unknown, object: object) => boolean) {
  return (options?: ValidationOptions) => (target: object, propertyName: string) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} ${message}`, ...options },
      validator: { validate: (value, args) => test(value, args!.object) },
    });
}

/** An IANA tz database name such as `America/New_York` or `UTC` (not an offset like `+05:00`). */
export function isIanaTimeZone(value: unknown): boolean {
  if (typeof value !== "string" || value.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const IsIanaTimeZone = customRule("isIanaTimeZone", "must be an IANA time zone name, e.g. America/New_York", isIanaTimeZone);

/** E.164: `+`, country code, subscriber number; 15 digits at most. */
export const IsE164 = customRule("isE164", "must be a phone number in E.164 format, e.g. +14155550123", (value) =>
  typeof value === "string" && /^\+[1-9]\d{1,14}$/.test(value),
);

export const IsHttpUrl = customRule("isHttpUrl", "must be an http or https URL", (value) => {
  if (typeof value !== "string" || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname.length > 0;
  } catch {
    return false;
  }
});

/** Not after now (a small allowance for clock skew between the caller and us). */
export const CLOCK_SKEW_MS = 60_000;
export const IsNotInFuture = customRule("isNotInFuture", "must not be in the future", (value) =>
  value instanceof Date && value.getTime() <= Date.now() + CLOCK_SKEW_MS,
);

/** PostgreSQL's jsonb refuses values nested a few thousand levels deep; a partner's fields never need more than a few. */
export const MAX_JSON_DEPTH = 32;

export const IsJsonObject = customRule("isJsonObject", `must be a JSON object nested at most ${MAX_JSON_DEPTH} levels deep`, (value) =>
  value !== null && typeof value === "object" && !Array.isArray(value) && nestsAtMost(value, MAX_JSON_DEPTH),
);

/** Whether a JSON value nests at most `levels` objects or arrays deep; never looks deeper than that. */
function nestsAtMost(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== "object") return true;
  if (levels === 0) return false;
  return Object.values(value).every((v) => nestsAtMost(v, levels - 1));
}
