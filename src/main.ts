import cluster from "node:cluster";
import { startApp } from "./app";
import { runPrimary } from "./cluster";
import { ConfigError, loadConfig } from "./config";
import { logger } from "./common/logger";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal(`configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  if (cluster.isPrimary && config.webConcurrency > 1) return runPrimary(config);

  // A cluster worker: the primary ran the migrations and the demo seeding, and announces the URL.
  const worker = cluster.isWorker;
  const app = await startApp(worker ? { ...config, migrationsRun: false, demoData: false } : config);
  if (!worker) {
    logger.info({ url: app.url, database: config.databaseUrl ? "postgresql" : `embedded (${config.dataDir})` }, "listening");
    if (app.devToken) {
      // Printed plainly so it can be copied; only ever the development secret's token.
      process.stdout.write(
        `\nGraphQL endpoint: ${app.url}\nDevelopment token (org "demo", every scope):\n\n  ${app.devToken}\n\n` +
          `Try: curl -s ${app.url} -H 'content-type: application/json' -H "authorization: Bearer <token>" -d '{"query":"{ viewer { actor org scopes } }"}'\n\n`,
      );
    }
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // A worker whose primary is gone has nobody to hand it connections: stop too.
  if (worker) process.on("disconnect", () => stop("primary gone"));
}

main().catch((err) => {
  logger.fatal({ err }, "failed to start");
  process.exit(1);
});
