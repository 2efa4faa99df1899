import "reflect-metadata";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import Fastify, { LogController } from "fastify";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { AppConfig } from "./config";
import { ApiKeyService } from "./auth/api-key.service";
import { signToken } from "./auth/jwt";
import { formatError, withoutSuggestions } from "./common/format-error";
import { logger } from "./common/logger";
import { createContext, type Context } from "./context";
import { openAppDatabase } from "./database";
import type { Database } from "./db/data-source";
import { seedDemoData } from "./demo/seed";
import { startEventRetention } from "./events/event-retention";
import { onEventsCommitted } from "./events/event-log";
import { connectEventSignal } from "./events/event-signals";
import { subscriptions } from "./http/subscriptions";
import { startFollowUpTimers } from "./leads/follow-up-timers";
import { compiledExecution } from "./execution";
import { accessLog, operationLog, requestId } from "./http/access-log";
import { auth } from "./http/auth";
import { concurrencyLimit } from "./http/concurrency-limit";
import { cors } from "./http/cors";
import { clientErrorHandler, errorReplies, frameworkErrors } from "./http/error-replies";
import { graphqlRoute } from "./http/graphql";
import { health } from "./http/health";
import { jsonBody } from "./http/json-body";
import { playground } from "./http/playground";
import { batchLimit, queryLimitsRule } from "./http/query-limits";
import { createRateLimiter } from "./http/rate-limit";
import { requestScope } from "./http/request-scope";
import { requestTimeout } from "./http/request-timeout";
import { shutdown } from "./http/shutdown";
import { sqlStats } from "./http/sql-stats";
import { createIdempotency } from "./idempotency/idempotency.plugin";
import { buildAppSchema } from "./schema";
import { createServices } from "./services";
import { WebhookDispatcher } from "./webhooks/webhook-dispatcher";
import { systemLookup, type TargetRules } from "./webhooks/webhook-target";

export interface App {
  url: string;
  server: http.Server;
  db: Database;
  /** A token for org `demo` with every scope, when the development secret is in use. */
  devToken?: string;
  /** Stops accepting connections, lets requests in flight finish, then closes the database. */
  close(): Promise<void>;
}

export async function startApp(config: AppConfig): Promise<App> {
  const db = await openAppDatabase(config);
  // What the app holds, freed in the reverse order (the database last) once the server has closed.
  const held: Array<() => Promise<unknown>> = [() => db.close()];
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= (async () => {
      for (const free of [...held].reverse()) await free();
    })());
  let fastify: { close(): Promise<void> } | undefined;
  try {
    const { dataSource } = db;
    if (config.migrationsRun) await dataSource.runMigrations({ transaction: "each" });
    if (config.demoData) await seedDemoData(dataSource);

    const retention = startEventRetention(dataSource, config.eventsRetentionDays);
    held.push(() => retention.stop());
    if (config.timerPollSeconds > 0) {
      // Runs once now, so that timers that passed while no instance ran fire at this start.
      const timers = startFollowUpTimers(dataSource, config.timerPollSeconds * 1000);
      held.push(() => timers.stop());
    }
    const schema = await buildAppSchema();
    const webhookTargets: TargetRules = {
      httpsOnly: config.env === "production",
      allowPrivate: config.webhookAllowPrivate,
      lookup: config.webhookLookup ?? systemLookup,
    };
    const services = createServices(dataSource, config, webhookTargets);
    const webhooks = new WebhookDispatcher(dataSource, {
      pollMs: config.webhookPollMs,
      retrySchedule: config.webhookRetrySchedule,
      timeoutMs: config.webhookTimeoutMs,
      disableAfterMs: config.webhookDisableAfterMs,
      target: webhookTargets,
    }).start();
    held.push(() => webhooks.stop());
    const apiKeys = new ApiKeyService(dataSource);
    held.push(() => apiKeys.flush());
    const rateLimiter = await createRateLimiter(config);
    held.push(() => rateLimiter.close());
    // The live event stream: woken by this process's commits and, through the signal, other instances'.
    const stream = services.events.stream;
    await stream.start();
    held.push(() => stream.stop());
    const signal = await connectEventSignal(config, dataSource, () => stream.wake());
    held.push(() => signal.close());
    const unlisten = onEventsCommitted(dataSource, () => {
      stream.wake();
      signal.publish();
    });
    held.push(async () => unlisten());
    const idempotency = createIdempotency(dataSource, { ttlHours: config.idempotencyTtlHours, waitMs: config.idempotencyWaitMs });
    held.push(() => idempotency.close());

    const validationRules = [
      queryLimitsRule({ maxDepth: config.maxQueryDepth, maxCost: config.maxQueryCost, maxAliases: config.maxAliases, maxDirectives: config.maxDirectives }),
      ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
    ];
    const format = config.fieldSuggestions ? formatError : withoutSuggestions(formatError);
    const apollo = new ApolloServer<Context>({
      gateway: compiledExecution(schema, { compileAfter: config.jitCompileAfter }),
      formatError: format,
      includeStacktraceInErrorResponses: false,
      // Introspection is refused by the rule below, with graphql-js's message rather than Apollo's.
      introspection: true,
      parseOptions: config.maxTokens > 0 ? { maxTokens: config.maxTokens } : {},
      validationRules,
      allowBatchedHttpRequests: config.maxBatch > 1,
      // main.ts owns SIGTERM/SIGINT; Apollo's own handlers would race it into a second stop().
      stopOnTerminationSignals: false,
      plugins: [
        ApolloServerPluginLandingPageDisabled(),
        // No @cacheControl hints here; the default plugin would wrap every field's resolver to collect them.
        ApolloServerPluginCacheControlDisabled(),
        operationLog,
        rateLimiter.plugin,
        idempotency.plugin,
      ],
    });
    await apollo.start();
    held.push(() => apollo.stop());
    const devToken = config.devSecret ? signToken({ sub: "dev", org: "demo" }, config.jwtSecret) : undefined;
    const pages = config.playground ? playground({ endpoint: "/graphql", token: devToken }) : undefined;

    const app = Fastify({
      loggerInstance: logger,
      // One line per request, written by accessLog.
      logController: new LogController({ disableRequestLogging: true }),
      genReqId: requestId,
      trustProxy: trustProxy(config.trustProxy),
      bodyLimit: config.bodyLimitBytes,
      // Node's own default, which Fastify would turn off: a request must have arrived within 5 minutes.
      requestTimeout: 300_000,
      // Requests that arrive on a kept-alive connection while the server drains are still served.
      return503OnClosing: false,
      routerOptions: { ignoreTrailingSlash: true },
      frameworkErrors,
      clientErrorHandler,
    });
    fastify = app;

    // Every request, in this order of their hooks.
    await app.register(requestScope, { sqlStats: config.sqlStats });
    await app.register(accessLog);
    await app.register(errorReplies);
    await app.register(shutdown, { graceMs: config.shutdownGraceMs, release });
    await app.register(health, { dataSource });
    if (pages) await app.register(pages.assets);

    // WebSocket upgrades of /graphql: subscriptions, outside the HTTP endpoint's hooks.
    await app.register(subscriptions, {
      schema,
      dataSource,
      services,
      jwtSecret: config.jwtSecret,
      apiKeys,
      validationRules,
      maxTokens: config.maxTokens,
      maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
      authCheckMs: config.subscriptionAuthCheckMs,
      format,
    });

    // /graphql, and what guards it.
    await app.register(async (graphql) => {
      await graphql.register(cors, { origins: config.corsOrigins });
      await graphql.register(requestTimeout, { ms: config.requestTimeoutMs });
      if (pages) await graphql.register(pages.page);
      await graphql.register(jsonBody);
      await graphql.register(batchLimit, { maxBatch: config.maxBatch });
      await graphql.register(concurrencyLimit, { max: config.maxConcurrentRequests });
      await graphql.register(auth, { jwtSecret: config.jwtSecret, apiKeys });
      await graphql.register(idempotency.hooks);
      if (config.sqlStats) await graphql.register(sqlStats);
      await graphql.register(graphqlRoute, { apollo, context: (request) => createContext({ dataSource, services }, request) });
    });

    await app.listen({ port: config.port, host: config.host });
    const { port } = app.server.address() as AddressInfo;
    const url = `http://${config.host}:${port}/graphql`;

    let closing: Promise<void> | undefined;
    // Fastify drains requests in flight (up to SHUTDOWN_GRACE_MS), then `release` runs (src/http/shutdown.ts).
    const close = () => (closing ??= app.close());
    return { url, server: app.server, db, devToken, close };
  } catch (err) {
    await fastify?.close().catch(() => undefined);
    await release().catch(() => undefined);
    throw err;
  }
}

/** TRUST_PROXY as Fastify takes it (a hop count as the function Fastify would make of it). */
function trustProxy(value: AppConfig["trustProxy"]): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof value === "number" ? (_address, hop) => hop < value : value;
}
