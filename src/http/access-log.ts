import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { Kind, type DocumentNode, type OperationDefinitionNode } from "graphql";
import type { Context, RequestInfo } from "../context";

/** A caller's `X-Request-Id` is kept when it is this sane; anything else is replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** Fastify's `genReqId`: the caller's `X-Request-Id` when sane, else a fresh UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

declare module "fastify" {
  interface FastifyRequest {
    /** The GraphQL side of the request, once its context is built (src/http/graphql.ts). */
    graphql: RequestInfo | null;
  }
}

/**
 * Echoes every request's id in `X-Request-Id` (Fastify's request logger stamps it on each line as
 * `reqId`) and writes one line when the request ends: who, which operation, how long, what status
 * and error codes. Never the query string, body, variables, token or key.
 */
export const accessLog: FastifyPluginCallback = fp(
  (app, _options, done) => {
    app.decorateRequest("graphql", null);
    app.addHook("onRequest", (request, reply, next) => {
      reply.header("x-request-id", request.id);
      // No onResponse for a response that never finished: the client went away first.
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) writeLine(request, reply, true);
      });
      next();
    });
    app.addHook("onResponse", (request, reply, next) => {
      writeLine(request, reply, false);
      next();
    });
    done();
  },
  { name: "access-log" },
);

/** Registers each GraphQL operation with its request, for the request's line. */
export const operationLog: ApolloServerPlugin<Context> = {
  async requestDidStart(requestContext) {
    requestContext.contextValue.request.operations.push(requestContext);
  },
};

function writeLine(request: FastifyRequest, reply: FastifyReply, aborted: boolean) {
  const line = {
    method: request.method,
    path: request.url.split("?")[0].slice(0, 200),
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
    ip: request.ip,
    ...describeCaller(request),
    ...describeOperations(request.graphql?.operations ?? []),
    ...(aborted ? { aborted: true } : {}),
  };
  if (reply.statusCode >= 500) request.log.error(line, "request");
  else request.log.info(line, "request");
}

function describeCaller(request: FastifyRequest) {
  const auth = request.authentication?.auth;
  if (!auth) return {};
  return { actor: auth.actor, org: auth.org, principal: auth.apiKeyId ? "apikey" : "jwt", ...(auth.apiKeyId ? { apiKeyId: auth.apiKeyId } : {}) };
}

function soleOperationName(document: DocumentNode | undefined): string | undefined {
  const operations = document?.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION) ?? [];
  return operations.length === 1 ? (operations[0] as OperationDefinitionNode).name?.value : undefined;
}

function describeOperations(operations: Array<GraphQLRequestContext<Context>>) {
  if (!operations.length) return {};
  // The operation Apollo resolved; else (the document did not parse or validate) the one asked for or written.
  const names = operations.map((op) => op.operationName ?? (op.request.operationName || soleOperationName(op.document))?.slice(0, 100) ?? null);
  const types = operations.map((op) => op.operation?.operation ?? null);
  const codes = new Set<string>();
  for (const op of operations) {
    const body = op.response.body;
    const errors = body?.kind === "single" ? body.singleResult.errors : body?.initialResult.errors;
    for (const error of errors ?? []) if (typeof error.extensions?.code === "string") codes.add(error.extensions.code);
  }
  return {
    // A batch lists its operations in order; a single request names its one.
    operation: operations.length === 1 ? names[0] : names,
    operationType: operations.length === 1 ? types[0] : types,
    ...(codes.size ? { errors: [...codes] } : {}),
  };
}
