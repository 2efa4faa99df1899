import { AsyncLocalStorage } from "node:async_hooks";
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import type { IdempotencyScope } from "../idempotency/idempotency.plugin";

/**
 * What code far below a request needs of it: TypeORM's hooks (the SQL count, the abandoned
 * request's guard, the idempotency fence) and the logger, none of which is handed the request.
 * Code that is handed it reads `request.scope` or the GraphQL context instead.
 */
export interface RequestScope {
  /** The request's id (X-Request-Id), stamped on every log line written while it runs. */
  readonly id?: string;
  /** The request was abandoned: it timed out, or its client went away. */
  abandoned?: boolean;
  /** SQL statements run so far (SQL_STATS). */
  readonly sql?: { statements: number };
  /** The request's Idempotency-Key, when it sent one. */
  idempotency?: IdempotencyScope;
}

declare module "fastify" {
  interface FastifyRequest {
    scope: RequestScope;
  }
}

/** The one request-scoped store of the process; it follows every async continuation of the request. */
const storage = new AsyncLocalStorage<RequestScope>();

export const currentScope = (): RequestScope | undefined => storage.getStore();

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/**
 * Opens every request's scope first thing, so that each later hook, the body parser, the handler
 * and all they start run inside it.
 */
export const requestScope: FastifyPluginCallback<{ sqlStats: boolean }> = fp<{ sqlStats: boolean }>(
  (app, { sqlStats }, done) => {
    app.decorateRequest("scope", null as unknown as RequestScope);
    app.addHook("onRequest", (request, reply, next) => {
      const scope: RequestScope = { id: request.id, abandoned: false, ...(sqlStats ? { sql: { statements: 0 } } : {}) };
      request.scope = scope;
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) scope.abandoned = true; // the client went away first
      });
      storage.run(scope, next);
    });
    done();
  },
  { name: "request-scope" },
);
