import type { FastifyPluginCallback } from "fastify";
import type { DataSource } from "typeorm";

const READY_TIMEOUT_MS = 2000;

/** `/healthz`: the process runs. `/readyz`: the database answers (503 with a reason while it does not). */
export const health: FastifyPluginCallback<{ dataSource: DataSource }> = (app, { dataSource }, done) => {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      await withTimeout(dataSource.query("SELECT 1"), READY_TIMEOUT_MS);
      return { status: "ok" };
    } catch {
      return reply.code(503).send({ status: "unavailable", reason: "database unreachable" });
    }
  });
  done();
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
