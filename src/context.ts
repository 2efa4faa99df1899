import type { DataSource } from "typeorm";
import { isApiKey, type ApiKeyService } from "./auth/api-key.service";
import { verifyToken } from "./auth/jwt";
import type { Principal } from "./auth/scopes";
import { DomainError } from "./common/errors";
import type { RequestInfo } from "./http/request-log";
import { createLoaders, type Loaders } from "./loaders";
import type { Services } from "./services";

/** Built fresh for every request: who is calling, and loaders scoped to their org. */
export interface Context {
  auth: Principal | null;
  /** Why `auth` is null when a credential was sent but refused. */
  authError?: string;
  /** The request's id and client address, and what its log line will say. */
  request: RequestInfo;
  services: Services;
  loaders: Loaders;
}

export interface ContextDeps {
  dataSource: DataSource;
  services: Services;
  jwtSecret: string;
  apiKeys: ApiKeyService;
}

/** What the caller sent to say who they are. */
export interface Credentials {
  /** `Bearer <JWT>` or `Bearer lgk_…` (an API key). */
  authorization?: string;
  /** An API key (`lgk_…`), the alternative to `Authorization`. */
  apiKey?: string;
}

export async function createContext(deps: ContextDeps, credentials: Credentials, request: RequestInfo): Promise<Context> {
  const { auth, authError } = await authenticate(deps, credentials);
  return {
    auth,
    authError,
    request,
    services: deps.services,
    // Without a caller the loaders are never reached (every resolver that loads is @Authorized).
    loaders: createLoaders(deps.dataSource, auth?.org ?? ""),
  };
}

/** The caller the credentials name, or why they were refused. A JWT is checked in memory, an API key in the database. */
async function authenticate(deps: ContextDeps, credentials: Credentials): Promise<{ auth: Principal | null; authError?: string }> {
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
