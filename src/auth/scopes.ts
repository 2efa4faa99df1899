import { isStorableText } from "../common/text";

/** The scopes of API.md; each operation needs one (see the resolvers' `@Authorized`). */
export const SCOPES = ["leads:read", "leads:write", "followups:read", "followups:write", "webhooks:manage"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the token's `sub`, `org` and scopes, or those of an API key. */
export interface Principal {
  actor: string;
  org: string;
  scopes: ReadonlySet<string>;
  /** Set when the caller authenticated with an API key (`key_…`). */
  apiKeyId?: string;
}

/** API.md: `sub` and `org` are at most 128 characters, the width of the columns that store them. */
export const MAX_PRINCIPAL_ID_LENGTH = 128;

/** A `sub` or `org`: non-empty text PostgreSQL can store, no wider than its columns. */
export function isPrincipalId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_PRINCIPAL_ID_LENGTH && isStorableText(value);
}
