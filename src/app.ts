import "reflect-metadata";
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { AppConfig } from "./config";
import { ApiKeyService } from "./auth/api-key.service";
import { signToken } from "./auth/jwt";
import { formatError, withoutSuggestions } from "./common/format-error";
import { logger } from "./common/logger";
import { createContext, type Context } from "./context";
import { openDatabase, type Database } from "./db/data-source";
import { sqlStatementsSoFar, withSqlStats } from "./db/sql-counter";
import { seedDemoData } from "./demo/seed";
import { concurrencyLimit } from "./http/concurrency-limit";
import { corsFor } from "./http/cors";
import { mountHealth } from "./http/health";
import { mountPlayground } from "./http/playground";
import { createIdempotency, type Idempotency } from "./idempotency/idempotency.plugin";
import { createRateLimiter, type RateLimiter } from "./http/rate-limit";
import { requestInfoOf, requestLog, requestLogPlugin } from "./http/request-log";
import { limitBatchSize, queryLimitsRule } from "./http/query-limits";
import { requestErrorHandler } from "./http/request-errors";
import { requestTimeout } from "./http/request-timeout";
import { buildAppSchema } from "./schema";
import { createServices } from "./services";
import { compiledExecution } from "./execution";

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
  let rateLimiter: RateLimiter | undefined;
  let idempotency: Idempotency | undefined;
  try {
    const { dataSource } = db;
    if (config.migrationsRun) await dataSource.runMigrations({ transaction: "each" });
    if (config.demoData) await seedDemoData(dataSource);

    const schema = await buildAppSchema();
    const services = createServices(dataSource);
    const apiKeys = new ApiKeyService(dataSource);
    rateLimiter = await createRateLimiter(config);
    idempotency = createIdempotency(dataSource, { ttlHours: config.idempotencyTtlHours, waitMs: config.idempotencyWaitMs });
    const app = express();
    app.disable("x-powered-by");
    // Express would hash every answer for a weak ETag (a SHA-1 over 118 KB for a page of leads with
    // their lists); no GraphQL client sends If-None-Match, so none is computed.
    app.set("etag", false);
    app.set("trust proxy", config.trustProxy);
    app.use(requestLog());
    const server = http.createServer(app);

    const apollo = new ApolloServer<Context>({
      gateway: compiledExecution(schema, { compileAfter: config.jitCompileAfter }),
      formatError: config.fieldSuggestions ? formatError : withoutSuggestions(formatError),
      includeStacktraceInErrorResponses: false,
      // Introspection is refused by the rule below, with graphql-js's message rather than Apollo's.
      introspection: true,
      parseOptions: config.maxTokens > 0 ? { maxTokens: config.maxTokens } : {},
      validationRules: [
        queryLimitsRule({ maxDepth: config.maxQueryDepth, maxCost: config.maxQueryCost, maxAliases: config.maxAliases, maxDirectives: config.maxDirectives }),
        ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
      ],
      allowBatchedHttpRequests: config.maxBatch > 1,
      // main.ts owns SIGTERM/SIGINT; Apollo's own handlers would race it into a second stop().
      stopOnTerminationSignals: false,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer: server, stopGracePeriodMillis: config.shutdownGraceMs }),
        ApolloServerPluginLandingPageDisabled(),
        // No @cacheControl hints here; the default plugin would wrap every field's resolver to collect them.
        ApolloServerPluginCacheControlDisabled(),
        ...(config.sqlStats ? [sqlStatsPlugin] : []),
        requestLogPlugin,
        rateLimiter.plugin,
        idempotency.plugin,
      ],
    });
    await apollo.start();

    const devToken = config.devSecret ? signToken({ sub: "dev", org: "demo" }, config.jwtSecret) : undefined;
    mountHealth(app, dataSource);
    const playground: express.RequestHandler = config.playground
      ? mountPlayground(app, { endpoint: "/graphql", token: devToken })
      : (_req, _res, next) => next();
    app.use(
      "/graphql",
      corsFor(config.corsOrigins),
      requestTimeout(config.requestTimeoutMs),
      playground,
      (_req, _res, next) => (config.sqlStats ? withSqlStats(next) : next()),
      express.json({ limit: config.bodyLimitBytes }),
      limitBatchSize(config.maxBatch),
      // After the body is read: a client that uploads slowly holds no turn.
      concurrencyLimit(config.maxConcurrentRequests),
      idempotency.scope,
      expressMiddleware(apollo, {
        context: ({ req, res }) =>
          createContext(
            { dataSource, services, jwtSecret: config.jwtSecret, apiKeys },
            { authorization: req.headers.authorization, apiKey: req.get("x-api-key") },
            requestInfoOf(res),
          ),
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
        await apiKeys.flush();
        await rateLimiter?.close();
        await idempotency?.close();
        await db.close();
      })());
    return { url, server, db, devToken, close };
  } catch (err) {
    await rateLimiter?.close();
    await idempotency?.close();
    await db.close().catch(() => undefined);
    throw err;
  }
}

