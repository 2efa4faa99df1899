/**
 * Whether PostgreSQL can store a string as it is: text and jsonb refuse U+0000, jsonb refuses an
 * unpaired surrogate, and `pg` would silently turn one into U+FFFD in a text column.
 */
export function isStorableText(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

export const UNSTORABLE_TEXT_MESSAGE = "must be well-formed text: no NUL character (U+0000) and no unpaired surrogate";
