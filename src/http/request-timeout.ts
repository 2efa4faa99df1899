import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import { EventSubscriber, type EntitySubscriberInterface } from "typeorm";
import type { BeforeQueryEvent } from "typeorm";
import { HttpRefusal } from "../common/errors";
import { RequestLimitError } from "./query-limits";
import { currentScope, runInScope } from "./request-scope";

export const TIMEOUT_MESSAGE = "The request took too long and was abandoned; retry it later.";

/**
 * REQUEST_TIMEOUT_MS: after `ms` the client gets 503 `TIMEOUT`, and the work is abandoned: no
 * statement of it starts after that (see `AbandonedRequestGuard`), and the late answer is dropped
 * (src/http/graphql.ts). A statement already running in the database is bounded by
 * STATEMENT_TIMEOUT_MS instead. `ms` 0 turns the timeout off (the request is still abandoned when
 * its client disconnects: src/http/request-scope.ts).
 *
 * Not Fastify's `handlerTimeout`: in Fastify 5.12 it also fires its abort when a request body has
 * merely been read (fastify/fastify#6725).
 */
export const requestTimeout: FastifyPluginCallback<{ ms: number }> = fp<{ ms: number }>(
  (app, { ms }, done) => {
    if (ms > 0) {
      app.addHook("onRequest", (request, reply, next) => {
        const timer = setTimeout(() => {
          request.scope.abandoned = true;
          if (!reply.sent && !reply.raw.headersSent) reply.send(new HttpRefusal(503, "TIMEOUT", TIMEOUT_MESSAGE));
        }, ms);
        reply.raw.once("close", () => clearTimeout(timer));
        next();
      });
    }
    done();
  },
  { name: "request-timeout", dependencies: ["request-scope"] },
);

/**
 * Once the request is abandoned, none of its statements starts: the loaders' nested lists and a
 * write's next statement (its COMMIT included) fail instead, so a transaction still open rolls
 * back. Checked per statement rather than per field, so that plain fields keep no wrapper.
 * A ROLLBACK always goes through: refusing it would hand the connection back to the pool still
 * inside the abandoned transaction, holding its row locks, for the next request to inherit.
 */
@EventSubscriber()
export class AbandonedRequestGuard implements EntitySubscriberInterface {
  beforeQuery(event: BeforeQueryEvent): void {
    if (!currentScope()?.abandoned || ENDS_TRANSACTION.test(event.query)) return;
    throw new RequestLimitError("TIMEOUT", TIMEOUT_MESSAGE, { status: 503 });
  }
}

/**
 * Runs `fn` as if its request had not been abandoned: its statements go through even once it is.
 * For bookkeeping that must finish whatever became of the request (an idempotency key's response
 * or release), never for the request's own work.
 */
export function despiteAbandonment<T>(fn: () => T): T {
  const scope = currentScope();
  // A scope of its own: the request may be abandoned while `fn` runs.
  return scope ? runInScope({ ...scope, abandoned: false }, fn) : fn();
}

/** TypeORM's `ROLLBACK` and `ROLLBACK TO SAVEPOINT typeorm_n`. */
const ENDS_TRANSACTION = /^\s*ROLLBACK\b/i;
