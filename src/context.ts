import type { GraphQLRequestContext } from "@apollo/server";
import type { FastifyRequest } from "fastify";
import type { DataSource } from "typeorm";
import type { Principal } from "./auth/scopes";
// `request.authentication` is declared by the auth plugin.
import type {} from "./http/auth";
import { createLoaders, type Loaders } from "./loaders";
import type { Services } from "./services";

/** The HTTP request as the GraphQL layer sees it. */
export interface RequestInfo {
  /** `X-Request-Id`: the caller's when sane, else a fresh UUID; always sent back. */
  id: string;
  /** The client's address (through the proxies TRUST_PROXY trusts). */
  ip: string;
  /** The GraphQL operations the request carried (more than one only in a batch), for its log line. */
  operations: Array<GraphQLRequestContext<Context>>;
}

/** Built fresh for every request: who is calling, and loaders scoped to their org. */
export interface Context {
  auth: Principal | null;
  /** Why `auth` is null when a credential was sent but refused. */
  authError?: string;
  request: RequestInfo;
  services: Services;
  loaders: Loaders;
  /** A subscription's context lives as long as it does: a new set of loaders for each event, so that none serves stale rows. */
  renewLoaders?(): void;
}

export interface ContextDeps {
  dataSource: DataSource;
  services: Services;
}

/** The context of a request the auth hook (src/http/auth.ts) has seen. */
export function createContext(deps: ContextDeps, request: FastifyRequest): Context {
  const auth = request.authentication?.auth ?? null;
  return {
    auth,
    authError: request.authentication?.authError,
    request: { id: request.id, ip: request.ip, operations: [] },
    services: deps.services,
    // Without a caller the loaders are never reached (every resolver that loads is @Authorized).
    loaders: createLoaders(deps.dataSource, auth?.org ?? ""),
  };
}
