import type { DataSource } from "typeorm";
import { verifyToken } from "./auth/jwt";
import type { Principal } from "./auth/scopes";
import { DomainError } from "./common/errors";
import { createLoaders, type Loaders } from "./loaders";
import type { Services } from "./services";

/** Built fresh for every request: who is calling, and loaders scoped to their org. */
export interface Context {
  auth: Principal | null;
  /** Why `auth` is null when a credential was sent but refused. */
  authError?: string;
  services: Services;
  loaders: Loaders;
}

export interface ContextDeps {
  dataSource: DataSource;
  services: Services;
  jwtSecret: string;
}

export function createContext(deps: ContextDeps, authorization: string | undefined): Context {
  let auth: Principal | null = null;
  let authError: string | undefined;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) authError = "The Authorization header must be `Bearer <token>`";
    else {
      try {
        auth = verifyToken(match[1], deps.jwtSecret);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        authError = err.message;
      }
    }
  }
  return {
    auth,
    authError,
    services: deps.services,
    // Without a caller the loaders are never reached (every resolver that loads is @Authorized).
    loaders: createLoaders(deps.dataSource, auth?.org ?? ""),
  };
}
