import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import type { ApiKeyService } from "../auth/api-key.service";
import { authenticate, type Authentication } from "../auth/authenticate";

declare module "fastify" {
  interface FastifyRequest {
    /** Who is calling, or why the credentials sent were refused; set just before the handler. */
    authentication: Authentication | null;
  }
}

/**
 * Reads the caller's credentials (`Authorization: Bearer …` or `X-API-Key`) once the request is
 * let through the limits, for the GraphQL context to build on. A refused credential is not an
 * HTTP error: the resolvers' auth check answers UNAUTHENTICATED where one is needed.
 */
export const auth: FastifyPluginCallback<{ jwtSecret: string; apiKeys: ApiKeyService }> = fp<{ jwtSecret: string; apiKeys: ApiKeyService }>(
  (app, deps, done) => {
    app.decorateRequest("authentication", null);
    app.addHook("preHandler", (request, _reply, next) => {
      const apiKey = request.headers["x-api-key"];
      authenticate({ authorization: request.headers.authorization, apiKey: typeof apiKey === "string" ? apiKey : apiKey?.[0] }, deps).then((result) => {
        request.authentication = result;
        next();
      }, next);
    });
    done();
  },
  { name: "auth" },
);
