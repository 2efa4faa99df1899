import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";

/**
 * Graceful shutdown, on `app.close()`: no new connection is accepted; requests in flight finish,
 * each answered with `Connection: close`, for up to `graceMs` (SHUTDOWN_GRACE_MS), after which
 * their connections are cut; then `release` frees what the app holds (the database last).
 * Fastify closes idle keep-alive connections itself.
 */
export const shutdown: FastifyPluginCallback<{ graceMs: number; release: () => Promise<void> }> = fp<{ graceMs: number; release: () => Promise<void> }>(
  (app, { graceMs, release }, done) => {
    let closing = false;
    let cut: NodeJS.Timeout | undefined;
    app.addHook("preClose", (next) => {
      closing = true;
      cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
      next();
    });
    app.addHook("onSend", (_request, reply, payload, next) => {
      if (closing) reply.header("connection", "close");
      next(null, payload);
    });
    // Fastify runs onClose hooks once the server has closed: every request has been answered or cut.
    app.addHook("onClose", async () => {
      clearTimeout(cut);
      await release();
    });
    done();
  },
  { name: "shutdown" },
);
