import { isApiKey, type ApiKeyService } from "./api-key.service";
import { verifyToken } from "./jwt";
import type { Principal } from "./scopes";
import { DomainError } from "../common/errors";

/** What the caller sent to say who they are. */
export interface Credentials {
  /** `Bearer <JWT>` or `Bearer lgk_…` (an API key). */
  authorization?: string;
  /** An API key (`lgk_…`), the alternative to `Authorization`. */
  apiKey?: string;
}

export interface Authentication {
  auth: Principal | null;
  /** Why `auth` is null when a credential was sent but refused. */
  authError?: string;
}

/** The caller the credentials name, or why they were refused. A JWT is checked in memory, an API key in the database. */
export async function authenticate(credentials: Credentials, deps: { jwtSecret: string; apiKeys: ApiKeyService }): Promise<Authentication> {
  const { authorization, apiKey } = credentials;
  if (!authorization && !apiKey) return { auth: null };
  if (authorization && apiKey) return { auth: null, authError: "Send one credential: Authorization or X-API-Key, not both" };
  let credential: string;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return { auth: null, authError: "The Authorization header must be `Bearer <token>`" };
    credential = match[1];
  } else credential = apiKey!;
  try {
    if (apiKey || isApiKey(credential)) return { auth: await deps.apiKeys.authenticate(credential) };
    return { auth: verifyToken(credential, deps.jwtSecret) };
  } catch (err) {
    // Only refusals become authError; a database failure while looking a key up is ours (500).
    if (!(err instanceof DomainError)) throw err;
    return { auth: null, authError: err.message };
  }
}
