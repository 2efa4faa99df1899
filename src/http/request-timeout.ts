import { AsyncLocalStorage } from "node:async_hooks";
import type { RequestHandler, Response } from "express";
import { EventSubscriber, type EntitySubscriberInterface } from "typeorm";
import type { BeforeQueryEvent } from "typeorm/subscriber/event/QueryEvent";
import { errorResponseBody } from "../common/format-error";
import { RequestLimitError } from "./query-limits";

/** Aborted when the request times out or its client goes away; follows every async continuation of the request. */
const requestSignal = new AsyncLocalStorage<AbortSignal>();

export const TIMEOUT_MESSAGE = "The request took too long and was abandoned; retry it later.";

/**
 * REQUEST_TIMEOUT_MS: after `ms` the client gets 503 `TIMEOUT`, and the work is abandoned: no
 * statement of it starts after that (see `AbandonedRequestGuard`), and the late answer is dropped.
 * A statement already running in the database is bounded by STATEMENT_TIMEOUT_MS instead.
 * `ms` 0 turns the timeout off (the request is still abandoned when its client disconnects).
 */
export function requestTimeout(ms: number): RequestHandler {
  return (_req, res, next) => {
    const controller = new AbortController();
    const timer =
      ms > 0
        ? setTimeout(() => {
            controller.abort();
            if (res.headersSent) return;
            res.status(503).json(errorResponseBody("TIMEOUT", TIMEOUT_MESSAGE));
            dropLateWrites(res);
          }, ms)
        : undefined;
    res.once("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished) controller.abort(); // the client went away first
    });
    requestSignal.run(controller.signal, next);
  };
}

/** The GraphQL handler still answers when its work ends; that answer has nowhere to go. */
function dropLateWrites(res: Response) {
  const ignore = function (this: Response) {
    return this;
  };
  Object.assign(res, { setHeader: ignore, writeHead: ignore, status: ignore, set: ignore, send: ignore, json: ignore, end: ignore, write: () => true });
}

/**
 * Once the request's signal is aborted, none of its statements starts: the loaders' nested lists
 * and a write's next statement (its COMMIT included) fail instead, so a transaction still open
 * rolls back. Checked per statement rather than per field, so that plain fields keep no wrapper.
 * A ROLLBACK always goes through: refusing it would hand the connection back to the pool still
 * inside the abandoned transaction, holding its row locks, for the next request to inherit.
 */
@EventSubscriber()
export class AbandonedRequestGuard implements EntitySubscriberInterface {
  beforeQuery(event: BeforeQueryEvent): void {
    if (!requestSignal.getStore()?.aborted || ENDS_TRANSACTION.test(event.query)) return;
    throw new RequestLimitError("TIMEOUT", TIMEOUT_MESSAGE, { status: 503 });
  }
}

/**
 * Runs `fn` outside the request's timeout: its statements go through even once the request is
 * abandoned. For bookkeeping that must finish whatever became of the request (an idempotency
 * key's response or release), never for the request's own work.
 */
export function despiteAbandonment<T>(fn: () => T): T {
  return requestSignal.exit(fn);
}

/** TypeORM's `ROLLBACK` and `ROLLBACK TO SAVEPOINT typeorm_n`. */
const ENDS_TRANSACTION = /^\s*ROLLBACK\b/i;
