import { AsyncResource } from "node:async_hooks";
import type { RequestHandler } from "express";

/**
 * MAX_CONCURRENT_REQUESTS: at most `max` GraphQL requests of this process run at once; the others
 * wait their turn, first come first served. The process runs JavaScript on one core, so running
 * 32 requests at once finishes none sooner than running a few: it only keeps every request's rows
 * and half-built answer alive for the whole time, long enough for the garbage collector to move
 * them to the old generation and collect them there at many times the cost (bench/RESULTS.md).
 * A few at once still keep the database busy while others compute.
 *
 * A waiting request still counts towards REQUEST_TIMEOUT_MS; one whose client went away, or that
 * timed out, while it waited is dropped without running. `max` 0 turns the limit off.
 */
export function concurrencyLimit(max: number): RequestHandler {
  if (max <= 0) return (_req, _res, next) => next();
  let running = 0;
  const waiting: Array<() => void> = [];

  const release = () => {
    running--;
    while (running < max && waiting.length > 0) waiting.shift()!();
  };

  return (_req, res, next) => {
    const run = () => {
      // The client left or the request timed out (503 sent) while it waited: nothing to run.
      if (res.headersSent || res.writableEnded || res.destroyed) return;
      running++;
      let released = false;
      const done = () => {
        if (released) return;
        released = true;
        release();
      };
      res.once("finish", done);
      res.once("close", done);
      next();
    };
    if (running < max) run();
    // Bound to this request's async context: it resumes from another request's `finish`, and the
    // request's log id, timeout signal and SQL count (AsyncLocalStorage) must come with it.
    else waiting.push(AsyncResource.bind(run));
  };
}
