import type { AuthChecker } from "type-graphql";
import { forbidden, unauthenticated } from "../common/errors";
import type { Context } from "../context";
import type { Scope } from "./scopes";

/**
 * `@Authorized(scope)`: the caller must be authenticated and hold every scope named.
 * Throws instead of returning false so that each failure keeps its own code and message.
 */
export const authChecker: AuthChecker<Context, Scope> = ({ context }, scopes) => {
  const auth = context.auth;
  if (!auth) throw unauthenticated(context.authError);
  for (const scope of scopes) if (!auth.scopes.has(scope)) throw forbidden(scope);
  return true;
};
