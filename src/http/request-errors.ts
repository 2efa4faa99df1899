import type { ErrorRequestHandler } from "express";
import { errorResponseBody, INTERNAL_MESSAGE } from "../common/format-error";
import { logger } from "../common/logger";

const BODY_ERRORS: Record<string, string> = {
  "entity.parse.failed": "The request body is not valid JSON",
  "entity.too.large": "The request body is too large",
  "encoding.unsupported": "The request body's encoding is not supported",
  "charset.unsupported": "The request body's charset is not supported",
};

/**
 * Errors raised before GraphQL runs (a malformed or oversized body) answered as GraphQL errors in
 * JSON, never Express's HTML page with its stack trace.
 */
export const requestErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) return next(err);
  const status: number = typeof err?.status === "number" && err.status >= 400 && err.status < 500 ? err.status : 500;
  if (status === 500) logger.error({ err }, "unexpected error");
  const message = status === 500 ? INTERNAL_MESSAGE : (BODY_ERRORS[err?.type] ?? "Bad request");
  res.status(status).json(errorResponseBody(status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST", message));
};
