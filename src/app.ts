import "reflect-metadata";
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import type { AppConfig } from "./config";
import { signToken } from "./auth/jwt";
import { formatError } from "./common/format-error";
import { logger } from "./common/logger";
import { createContext, type Context } from "./context";
import { openDatabase, type Database } from "./db/data-source";
import { sqlStatementsSoFar, withSqlStats } from "./db/sql-counter";
import { seedDemoData } from "./demo/seed";
import { mountHealth } from "./http/health";
import { mountPlayground } from "./http/playground";
import { requestErrorHandler } from "./http/request-errors";
import { buildAppSchema } from "./schema";
import { createServices } from "./services";

export interface App {
  url: string;
  server: http.Server;
  db: Database;
  /** A token for org `demo` with every scope, when the development secret is in use. */
  devToken?: string;
  /** Stops accepting connections, lets requests in flight finish, then closes the database. */
  close(): Promise<void>;
}

/** Reports the SQL statements a request ran in `X-SQL-Statements` (when `SQL_STATS` is on). */
const sqlStatsPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        const n = sqlStatementsSoFar();
        if (n !== undefined) response.http.headers.set("x-sql-statements", String(n));
      },
    };
  },
};

export async function startApp(config: AppConfig): Promise<App> {
  const db = await openDatabase(config);
  try {
    const { dataSource } = db;
    if (config.migrationsRun) await dataSource.runMigrations({ transaction: "each" });
    if (config.demoData) await seedDemoData(dataSource);

    const schema = await buildAppSchema();
    const services = createServices(dataSource);
    const app = express();
    app.disable("x-powered-by");
    const server = http.createServer(app);

    const apollo = new ApolloServer<Context>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: false,
      // main.ts owns SIGTERM/SIGINT; Apollo's own handlers would race it into a second stop().
      stopOnTerminationSignals: false,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer: server, stopGracePeriodMillis: config.shutdownGraceMs }),
        ApolloServerPluginLandingPageDisabled(),
        ...(config.sqlStats ? [sqlStatsPlugin] : []),
      ],
    });
    await apollo.start();

    const devToken = config.devSecret ? signToken({ sub: "dev", org: "demo" }, config.jwtSecret) : undefined;
    mountHealth(app, dataSource);
    const playground = mountPlayground(app, { endpoint: "/graphql", token: devToken });
    app.use(
      "/graphql",
      playground,
      (_req, _res, next) => (config.sqlStats ? withSqlStats(next) : next()),
      express.json({ limit: "1mb" }),
      expressMiddleware(apollo, {
        context: async ({ req }) => createContext({ dataSource, services, jwtSecret: config.jwtSecret }, req.headers.authorization),
      }),
    );
    app.use(requestErrorHandler);

    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host}:${port}/graphql`;

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        await apollo.stop(); // stops accepting, lets requests in flight finish (up to SHUTDOWN_GRACE_MS)
        await db.close();
      })());
    return { url, server, db, devToken, close };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

