import "reflect-metadata";
import { buildSchema, type BuildSchemaOptions } from "type-graphql";
import type { GraphQLInterfaceType, GraphQLSchema } from "graphql";
import { authChecker, requireScopes } from "./auth/auth-checker";
import type { Scope } from "./auth/scopes";
import type { Context } from "./context";
import { DateTimeISO } from "./common/date-time";
import { validateArgs } from "./common/validation";
import { resolveNodeType } from "./node/node.interface";
import { resolveSimpleFieldsDirectly, sortResolverParamsOnce } from "./common/resolver-fast-paths";
// type-graphql orders fields and types as their decorators run: this import order keeps schema.graphql's.
import { ViewerResolver } from "./viewer/viewer.resolver";
import { NodeResolver } from "./node/node.resolver";
import { FollowupResolver } from "./followups/followup.resolver";
import { LeadResolver } from "./leads/lead.resolver";
import { FollowupsOfLeadResolver } from "./followups/followups-of-lead.resolver";
import { EventResolver } from "./events/event.resolver";
import { WebhookResolver } from "./webhooks/webhook.resolver";

/** The one schema: served by the app, emitted to schema.graphql, used by the tests. */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  const options: BuildSchemaOptions = {
    resolvers: [ViewerResolver, NodeResolver, LeadResolver, FollowupsOfLeadResolver, FollowupResolver, EventResolver, WebhookResolver],
    authChecker,
    validateFn: validateArgs,
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    // Every subscription brings its own `subscribe` (the event log, src/events/event-stream.ts);
    // type-graphql asks for a PubSub all the same, and this one is never used.
    pubSub: {
      publish: () => {
        throw new Error("no PubSub: events come from the event log");
      },
      subscribe: () => {
        throw new Error("no PubSub: events come from the event log");
      },
    },
  };
  const schema = await buildSchema(options);
  sortResolverParamsOnce();
  resolveSimpleFieldsDirectly(schema, options.globalMiddlewares, (context, scopes) => requireScopes(context as Context, scopes as Scope[]));
  // type-graphql wraps every resolveType in an async function; graphql-jit (src/execution.ts)
  // calls resolveType synchronously, so Node gets its own, synchronous one back.
  (schema.getType("Node") as GraphQLInterfaceType).resolveType = resolveNodeType;
  // type-graphql has no option for the root types' descriptions.
  schema.getQueryType()!.description = "Reads. Every query needs a bearer token or an API key; each names the scope it needs.";
  schema.getSubscriptionType()!.description =
    "Live change events over WebSocket (graphql-transport-ws) on /graphql, authenticated in connection_init; resumable from an events cursor.";
  schema.getMutationType()!.description =
    "Writes. Each is one transaction, bumps the version of what it changes and returns a payload with warnings.";
  return schema;
}

