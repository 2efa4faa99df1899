/** The scopes of API.md; each operation needs one (see the resolvers' `@Authorized`). */
export const SCOPES = ["leads:read", "leads:write", "followups:read", "followups:write"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the token's `sub`, `org` and scopes, or those of an API key. */
export interface Principal {
  actor: string;
  org: string;
  scopes: ReadonlySet<string>;
  /** Set when the caller authenticated with an API key (`key_…`). */
  apiKeyId?: string;
}
