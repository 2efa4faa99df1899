import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { HttpRefusal } from "../common/errors";
import { errorResponseBody, refusalOf } from "../common/format-error";

/** Fastify's own refusals, told the API's way; anything else passes on (to be masked when it is not a refusal of ours). */
function asRefusal(error: unknown): unknown {
  if (error instanceof HttpRefusal) return error;
  const { code, statusCode } = (error ?? {}) as Partial<FastifyError>;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return new HttpRefusal(413, "BAD_REQUEST", "The request body is too large");
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return new HttpRefusal(400, "BAD_REQUEST", "The Content-Type header is not a valid media type");
  // The rest of Fastify's 4xx: a body short of its Content-Length, one that does not inflate, a malformed URL …
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) return new HttpRefusal(statusCode, "BAD_REQUEST", "Bad request");
  return error;
}

function send(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body } = refusalOf(asRefusal(error));
  return reply.code(status).send(body);
}

/**
 * Every error Fastify handles (thrown or passed by a hook, the body parser, the handler) and every
 * unknown route become a JSON error body of format-error.ts, never Fastify's own shape.
 */
export const errorReplies: FastifyPluginCallback = fp(
  (app, _options, done) => {
    app.setErrorHandler((error, _request, reply) => send(reply, error));
    app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorResponseBody("NOT_FOUND", "Not found")));
    done();
  },
  { name: "error-replies" },
);

/** Fastify's `frameworkErrors`: a URL it cannot route (before any hook runs). */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  send(reply.header("x-request-id", request.id), error);
}

/** Fastify's `clientErrorHandler`: a request Node's parser refused (malformed, headers too large, too slow to arrive). */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  const body = JSON.stringify(errorResponseBody(status === 408 ? "TIMEOUT" : "BAD_REQUEST", STATUS_CODES[status]!));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
