import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import { runInScope } from "./request-scope";

/**
 * MAX_CONCURRENT_REQUESTS: at most `max` GraphQL requests of this process run at once; the others
 * wait their turn, first come first served, once their body is read (a client that uploads slowly
 * holds no turn). The process runs JavaScript on one core, so running 32 requests at once
 * finishes none sooner than running a few: it only keeps every request's rows and half-built
 * answer alive for the whole time, long enough for the garbage collector to move them to the old
 * generation and collect them there at many times the cost (bench/RESULTS.md). A few at once
 * still keep the database busy while others compute.
 *
 * A waiting request still counts towards REQUEST_TIMEOUT_MS; one whose client went away, or that
 * timed out, while it waited is dropped without running. `max` 0 turns the limit off.
 */
export const concurrencyLimit: FastifyPluginCallback<{ max: number }> = fp<{ max: number }>(
  (app, { max }, done) => {
    if (max <= 0) return done();
    let running = 0;
    const waiting: Array<() => void> = [];
    const release = () => {
      running--;
      while (running < max && waiting.length > 0) waiting.shift()!();
    };

    app.addHook("preHandler", (request, reply, next) => {
      const run = () => {
        // Answered (503 TIMEOUT) or abandoned by its client while it waited: nothing to run.
        if (reply.sent || request.scope.abandoned) return;
        running++;
        // However the response ends: sent, or cut off.
        reply.raw.once("close", release);
        next();
      };
      if (running < max) run();
      // It resumes from another request's `close`: back into its own request scope.
      else waiting.push(() => runInScope(request.scope, run));
    });
    done();
  },
  { name: "concurrency-limit", dependencies: ["request-scope"] },
);
