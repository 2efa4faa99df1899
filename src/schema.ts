import "reflect-metadata";
import { buildSchema, getMetadataStorage } from "type-graphql";
import type { GraphQLInterfaceType, GraphQLSchema } from "graphql";
import { authChecker } from "./auth/auth-checker";
import { DateTimeISO } from "./common/date-time";
import { validateArgs } from "./common/validation";
import { resolveNodeType } from "./common/node";
import { ViewerResolver } from "./common/viewer.resolver";
import { FollowupResolver } from "./followups/followup.resolver";
import { LeadResolver } from "./leads/lead.resolver";

/** The one schema: served by the app, emitted to schema.graphql, used by the tests. */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [ViewerResolver, LeadResolver, FollowupResolver],
    authChecker,
    validateFn: validateArgs,
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
  });
  sortResolverParamsOnce();
  // type-graphql wraps every resolveType in an async function; graphql-jit (src/execution.ts)
  // calls resolveType synchronously, so Node gets its own, synchronous one back.
  (schema.getType("Node") as GraphQLInterfaceType).resolveType = resolveNodeType;
  // type-graphql has no option for the root types' descriptions.
  schema.getQueryType()!.description = "Reads. Every query needs a bearer token or an API key; each names the scope it needs.";
  schema.getMutationType()!.description =
    "Writes. Each is one transaction, bumps the version of what it changes and returns a payload with warnings.";
  return schema;
}

/**
 * type-graphql's resolvers call `params.sort(byIndex)` on their parameter list at every call, and
 * V8's sort allocates a work array each time: on a page of 50 leads with their nested lists (400
 * field-resolver calls) that was 11 % of all the bytes the request allocated (bench/RESULTS.md,
 * session 3). The lists are sorted here once, after the schema is built, and given a `sort` that
 * keeps them as they are; the order type-graphql reads is the same.
 */
function sortResolverParamsOnce(): void {
  const storage = getMetadataStorage();
  const all = [...storage.queries, ...storage.mutations, ...storage.subscriptions, ...storage.fieldResolvers, ...storage.fields];
  for (const { params } of all) {
    if (!params || Object.hasOwn(params, "sort")) continue;
    params.sort((a, b) => a.index - b.index);
    Object.defineProperty(params, "sort", { value: sortedAlready, configurable: true });
  }
}

function sortedAlready<T>(this: T[]): T[] {
  return this;
}
