import pino from "pino";

/** Structured JSON logs on stdout. Never log tokens, keys or request variables. */
export const logger = pino({
  level: process.env.LOG_LEVEL || (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: undefined,
  redact: ["req.headers.authorization", "req.headers['x-api-key']"],
});
