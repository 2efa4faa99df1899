import cluster, { type Worker } from "node:cluster";
import type { AppConfig } from "./config";
import { signToken } from "./auth/jwt";
import { logger } from "./common/logger";
import { openAppDatabase } from "./database";
import { seedDemoData } from "./demo/seed";

/**
 * Cluster mode (WEB_CONCURRENCY > 1): this process runs the migrations (and demo seeding) once,
 * then forks the workers, which serve on the shared port and skip both. A worker that dies while
 * serving is replaced; one that dies before it listens stops the whole server, since its siblings
 * would die the same way. SIGTERM/SIGINT stop every worker gracefully, then this process.
 */
export async function runPrimary(config: AppConfig): Promise<void> {
  const db = await openAppDatabase(config);
  try {
    if (config.migrationsRun) await db.dataSource.runMigrations({ transaction: "each" });
    if (config.demoData) await seedDemoData(db.dataSource);
  } finally {
    await db.close();
  }

  const listening = new Set<number>();
  let stopping = false;
  let exitCode = 0;
  let announced = false;

  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ reason, workers: workers().length }, "shutting down");
    for (const worker of workers()) worker.process.kill("SIGTERM");
    // Each worker waits up to SHUTDOWN_GRACE_MS for its requests in flight; past that, cut them.
    setTimeout(() => {
      for (const worker of workers()) worker.process.kill("SIGKILL");
      process.exit(1);
    }, config.shutdownGraceMs + 5_000).unref();
    if (workers().length === 0) process.exit(exitCode);
  };

  cluster.on("listening", (worker, address) => {
    listening.add(worker.id);
    if (announced || listening.size < config.webConcurrency) return;
    announced = true;
    const url = `http://${config.host}:${address.port}/graphql`;
    logger.info({ url, database: "postgresql", workers: config.webConcurrency }, "listening");
    if (config.devSecret) {
      const token = signToken({ sub: "dev", org: "demo" }, config.jwtSecret);
      process.stdout.write(`\nGraphQL endpoint: ${url}\nDevelopment token (org "demo", every scope):\n\n  ${token}\n\n`);
    }
  });
  cluster.on("exit", (worker, code, signal) => {
    const served = listening.delete(worker.id);
    if (stopping) {
      // A worker still starting has no handler yet: our SIGTERM ends it, which is fine too.
      if (code !== 0 && signal !== "SIGTERM") exitCode = 1;
      if (workers().length === 0) process.exit(exitCode);
      return;
    }
    if (!served) {
      logger.fatal({ pid: worker.process.pid, code, signal }, "a worker failed to start");
      stop("worker failed to start", 1);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "a worker died; starting another");
    cluster.fork();
  });
  process.on("SIGTERM", () => stop("SIGTERM", 0));
  process.on("SIGINT", () => stop("SIGINT", 0));

  for (let i = 0; i < config.webConcurrency; i++) cluster.fork();
}
