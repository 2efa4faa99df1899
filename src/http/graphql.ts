import type { ApolloServer } from "@apollo/server";
import { fastifyApolloHandler } from "@as-integrations/fastify";
import type { FastifyPluginCallback, FastifyRequest, RouteHandlerMethod } from "fastify";
import { HttpRefusal } from "../common/errors";
import type { Context } from "../context";

export interface GraphQLRouteOptions {
  apollo: ApolloServer<Context>;
  context: (request: FastifyRequest) => Context;
}

/**
 * `/graphql`: every method goes to Apollo (@as-integrations/fastify), which answers GET and POST
 * and refuses the rest (405) the GraphQL-over-HTTP way. The hooks registered with this route
 * (src/app.ts) guard it.
 */
export const graphqlRoute: FastifyPluginCallback<GraphQLRouteOptions> = (app, { apollo, context }, done) => {
  const handle = fastifyApolloHandler<Context>(apollo, {
    context: async (request) => {
      const value = context(request);
      request.graphql = value.request;
      return value;
    },
  });
  const handler: RouteHandlerMethod = async function (request, reply) {
    // (the integration types its route's reply as a string)
    const body = await (handle as RouteHandlerMethod).call(this, request, reply);
    // Answered already (503 TIMEOUT): the late answer has nowhere to go.
    return reply.sent ? undefined : body;
  };
  app.route({
    method: app.supportedMethods,
    url: "/graphql",
    onRequest(request, reply, next) {
      // The integration reads the URL relative to the Host header (X-Forwarded-Host/-Proto behind a
      // trusted proxy), and a malformed one would throw there.
      if (URL.canParse(`${request.protocol}://${request.hostname}/`)) next();
      else reply.send(new HttpRefusal(400, "BAD_REQUEST", "Bad request"));
    },
    handler,
  });
  done();
};
