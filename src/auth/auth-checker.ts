import type { AuthChecker } from "type-graphql";
import { forbidden, unauthenticated } from "../common/errors";
import type { Context } from "../context";
import type { Scope } from "./scopes";

/**
 * The caller must be authenticated and hold every scope named. Throws instead of returning false
 * so that each failure keeps its own code and message. Synchronous: the resolver fast paths
 * (src/common/resolver-fast-paths.ts) call it directly for `@Authorized` fields resolved per row.
 */
export function requireScopes(context: Context, scopes: readonly Scope[]): void {
  const auth = context.auth;
  if (!auth) throw unauthenticated(context.authError);
  for (const scope of scopes) if (!auth.scopes.has(scope)) throw forbidden(scope);
}

/** `@Authorized(scope)`: `requireScopes` as type-graphql's auth checker. */
export const authChecker: AuthChecker<Context, Scope> = ({ context }, scopes) => {
  requireScopes(context, scopes);
  return true;
};
