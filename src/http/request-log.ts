import { randomUUID } from "node:crypto";
import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import type { RequestHandler } from "express";
import { Kind, type DocumentNode, type OperationDefinitionNode } from "graphql";
import type { Logger } from "pino";
import { logContext, logger as defaultLogger } from "../common/logger";
import type { Context } from "../context";

/** A caller's `X-Request-Id` is kept when it is this sane; anything else is replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** One HTTP request as its log line will tell it; the context and the Apollo plugin fill it in. */
export interface RequestInfo {
  /** `X-Request-Id`: the caller's when sane, else a fresh UUID; always sent back. */
  id: string;
  /** The client's address (through the proxies TRUST_PROXY trusts). */
  ip: string;
  /** The GraphQL operations the request carried (more than one only in a batch). */
  operations: Array<GraphQLRequestContext<Context>>;
}

/** The RequestInfo that `requestLog` attached to this response. */
export function requestInfoOf(res: { locals: Record<string, unknown> }): RequestInfo {
  return res.locals.requestInfo as RequestInfo;
}

/**
 * Gives every request an id (echoed in `X-Request-Id`, stamped on every log line written while it
 * runs) and writes one JSON line when it ends: who, which operation, how long, what status and
 * error codes. Never the query string, body, variables, token or key.
 */
export function requestLog(log: Logger = defaultLogger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.get("x-request-id");
    const id = given && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader("X-Request-Id", id);
    const info: RequestInfo = { id, ip: req.ip ?? req.socket.remoteAddress ?? "unknown", operations: [] };
    res.locals.requestInfo = info;

    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const line = {
        reqId: id,
        method: req.method,
        path: req.originalUrl.split("?")[0].slice(0, 200),
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
        ip: info.ip,
        ...describeOperations(info.operations),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (res.statusCode >= 500) log.error(line, "request");
      else log.info(line, "request");
    };
    res.once("finish", done);
    res.once("close", done);
    logContext.run({ reqId: id }, next);
  };
}

/** Registers each GraphQL operation with its request's RequestInfo, read when the response ends. */
export const requestLogPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart(requestContext) {
    requestContext.contextValue.request.operations.push(requestContext);
  },
};

function soleOperationName(document: DocumentNode | undefined): string | undefined {
  const operations = document?.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION) ?? [];
  return operations.length === 1 ? (operations[0] as OperationDefinitionNode).name?.value : undefined;
}

function describeOperations(operations: Array<GraphQLRequestContext<Context>>) {
  if (!operations.length) return {};
  const auth = operations[0].contextValue.auth;
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
    ...(auth
      ? { actor: auth.actor, org: auth.org, principal: auth.apiKeyId ? "apikey" : "jwt", ...(auth.apiKeyId ? { apiKeyId: auth.apiKeyId } : {}) }
      : {}),
    // A batch lists its operations in order; a single request names its one.
    operation: operations.length === 1 ? names[0] : names,
    operationType: operations.length === 1 ? types[0] : types,
    ...(codes.size ? { errors: [...codes] } : {}),
  };
}
