import "reflect-metadata";
import { buildSchema } from "type-graphql";
import type { GraphQLSchema } from "graphql";
import { authChecker } from "./auth/auth-checker";
import { validateArgs } from "./common/validation";
import { ViewerResolver } from "./common/viewer.resolver";
import { FollowupResolver } from "./followups/followup.resolver";
import { LeadResolver } from "./leads/lead.resolver";

/** The one schema: served by the app, emitted to schema.graphql, used by the tests. */
export function buildAppSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [ViewerResolver, LeadResolver, FollowupResolver],
    authChecker,
    validateFn: validateArgs,
  });
}
