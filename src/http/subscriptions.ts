import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import fastifyWebsocket, { type WebSocket } from "@fastify/websocket";
import { makeServer } from "graphql-ws";
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from "graphql";
import type { ApiKeyService } from "../auth/api-key.service";
import { authenticate } from "../auth/authenticate";
import type { Principal } from "../auth/scopes";
import type { Context } from "../context";
import { formatError } from "../common/format-error";
import { logger } from "../common/logger";
import { createLoaders } from "../loaders";
import type { Services } from "../services";
import type { DataSource } from "typeorm";
import { RequestLimitError } from "./query-limits";
import { sharedSubscriptionExecution } from "./subscription-execution";
import { graphqlWsHandler } from "./ws-transport";

export interface SubscriptionOptions {
  schema: GraphQLSchema;
  dataSource: DataSource;
  services: Services;
  jwtSecret: string;
  apiKeys: ApiKeyService;
  /** The HTTP endpoint's validation rules (query limits, introspection), applied to subscriptions too. */
  validationRules: ValidationRule[];
  maxTokens: number;
  maxSubscriptionsPerConnection: number;
  authCheckMs: number;
  format: typeof formatError;
}

/** graphql-transport-ws close codes this server uses besides the protocol's own. */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_GOING_AWAY = 1001;
/** API.md: a connection's credentials must arrive within 3 s. */
const CONNECTION_INIT_WAIT_MS = 3_000;
/** How long shutdown waits for events already read to reach their sockets before closing them. */
const DRAIN_MS = 2_000;

/** What a connection holds once authenticated. */
interface Connection {
  principal: Principal;
  credentials: { authorization?: string; apiKey?: string };
  recheck: NodeJS.Timeout;
}

type Extra = { socket: WebSocket; request: FastifyRequest; connection?: Connection };

/**
 * Subscriptions (API.md "Subscriptions"): graphql-ws on WebSocket upgrades of `GET /graphql`, in a
 * context of its own so that none of the HTTP endpoint's hooks (CORS, limits, the request timeout)
 * apply to a long-lived socket; only upgrades reach it (route constraint `upgrade: websocket`).
 * The credentials come in `connection_init` (4401 when missing or refused) and are checked again
 * every `authCheckMs` (4403 once expired or revoked). On close, events already read are sent,
 * then every socket is closed with 1001.
 */
export const subscriptions: FastifyPluginAsync<SubscriptionOptions> = async (app, options) => {
  const { services } = options;
  app.addConstraintStrategy({
    name: "upgrade",
    storage() {
      const stores = new Map<string, unknown>();
      return { get: (value: string) => (stores.get(value) as never) ?? null, set: (value: string, store: unknown) => void stores.set(value, store) };
    },
    deriveConstraint: (request) => (String(request.headers.upgrade ?? "").toLowerCase() === "websocket" ? "websocket" : undefined),
    mustMatchWhenDerived: true,
  } as Parameters<typeof app.addConstraintStrategy>[0]);

  await app.register(fastifyWebsocket, {
    options: { maxPayload: 1024 * 1024 },
    preClose: (done) => {
      closeAll(app.websocketServer.clients, services).then(() => done(), done);
    },
  });

  /** The text of each subscription's document, by its context (see sharedSubscriptionExecution). */
  const documents = new WeakMap<object, string>();
  const server = makeServer<Record<string, unknown>, Extra>({
    schema: options.schema,
    subscribe: sharedSubscriptionExecution((args) => documents.get(args.contextValue as object) ?? ""),
    connectionInitWaitTimeout: CONNECTION_INIT_WAIT_MS,
    async onConnect(ctx) {
      const params = ctx.connectionParams ?? {};
      const credentials = credentialsOf(params);
      const result = await authenticate(credentials, options).catch((err) => {
        logger.error({ err }, "authenticating a WebSocket connection failed");
        return { auth: null };
      });
      if (!result.auth) {
        ctx.extra.socket.close(CLOSE_UNAUTHORIZED, "Unauthorized");
        return false;
      }
      // Closed while the credentials were looked up: onClose has run already, with nothing to clear.
      if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
      const recheck = setInterval(() => void recheckCredentials(ctx.extra, options), options.authCheckMs);
      ctx.extra.connection = { principal: result.auth, credentials, recheck };
      return true;
    },
    onClose(ctx) {
      if (ctx.extra.connection) clearInterval(ctx.extra.connection.recheck);
    },
    onSubscribe(ctx, _id, payload) {
      if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerConnection)
        return [new RequestLimitError("TOO_MANY_SUBSCRIPTIONS", `A connection may hold at most ${options.maxSubscriptionsPerConnection} subscriptions at once.`)];
      let document: DocumentNode;
      try {
        document = parse(payload.query, options.maxTokens > 0 ? { maxTokens: options.maxTokens } : {});
      } catch (err) {
        return [new GraphQLError((err as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
      }
      const errors = validate(options.schema, document, [...specifiedRules, ...options.validationRules]);
      if (errors.length) return errors.map((e) => (e instanceof RequestLimitError ? e : new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })));
      const operation = getOperationAST(document, payload.operationName);
      if (operation?.operation !== "subscription")
        return [new GraphQLError("Only subscriptions are served over WebSocket; send queries and mutations over HTTP", { extensions: { code: "BAD_REQUEST" } })];
      const connection = ctx.extra.connection!;
      const context: Context = {
        auth: connection.principal,
        request: { id: randomUUID(), ip: ctx.extra.request.ip, operations: [] },
        services,
        loaders: createLoaders(options.dataSource, connection.principal.org),
        renewLoaders() {
          this.loaders = createLoaders(options.dataSource, connection.principal.org);
        },
      };
      documents.set(context, payload.query);
      return { schema: options.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: context };
    },
    onNext(_ctx, _id, _payload, _args, result) {
      if (!result.errors?.length) return undefined;
      return { ...result, errors: result.errors.map((e) => options.format(e.toJSON(), e)) };
    },
    onError(_ctx, _id, _payload, errors) {
      return errors.map((e) => options.format(e.toJSON(), e));
    },
  });

  app.route({
    method: "GET",
    url: "/graphql",
    constraints: { upgrade: "websocket" },
    handler: (_request, reply) => reply.code(426).send(),
    wsHandler: graphqlWsHandler(server),
  });
};

function credentialsOf(params: Record<string, unknown>): { authorization?: string; apiKey?: string } {
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return { authorization: text(params.authorization ?? params.Authorization), apiKey: text(params["x-api-key"] ?? params["X-API-Key"]) };
}

/** Closes the socket with 4403 once its credentials no longer authenticate the same caller. */
async function recheckCredentials(extra: Extra, deps: Pick<SubscriptionOptions, "jwtSecret" | "apiKeys">): Promise<void> {
  const connection = extra.connection!;
  const result = await authenticate(connection.credentials, deps).catch(() => undefined);
  // A database failure is not a revocation: the next check decides.
  if (result === undefined) return;
  const auth = result.auth;
  if (!auth || auth.org !== connection.principal.org || auth.actor !== connection.principal.actor) {
    clearInterval(connection.recheck);
    extra.socket.close(CLOSE_FORBIDDEN, "Forbidden: the credentials expired or were revoked");
  }
}

/** Shutdown: the events already read reach their sockets (for up to DRAIN_MS), then each closes with 1001. */
async function closeAll(clients: Set<WebSocket>, services: Services): Promise<void> {
  await services.events.stream.stop(DRAIN_MS);
  await Promise.all(
    [...clients].map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState !== socket.OPEN) return resolve();
          socket.once("close", () => resolve());
          socket.close(CLOSE_GOING_AWAY, "Server shutting down");
          // A client that never answers the close frame is cut.
          setTimeout(() => {
            socket.terminate();
            resolve();
          }, 1_000).unref();
        }),
    ),
  );
}
