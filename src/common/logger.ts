import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";

/** The request a log line belongs to: src/http/request-log.ts enters it for every HTTP request. */
export const logContext = new AsyncLocalStorage<{ reqId: string }>();

const stdout = pino.destination(1);
let destination: pino.DestinationStream = stdout;

/** Sends log lines elsewhere (the CLI to stderr, tests to a buffer); no argument restores stdout. */
export function setLogDestination(stream?: pino.DestinationStream) {
  destination = stream ?? stdout;
}

/**
 * Structured JSON logs on stdout. Never log tokens, keys or request variables: the paths below
 * cover what could carry them by accident (a driver error's SQL parameters and its `detail`,
 * which quotes the offending values).
 */
export const logger = pino(
  {
    level: process.env.LOG_LEVEL || (process.env.NODE_ENV === "test" ? "silent" : "info"),
    base: undefined,
    redact: [
      "req.headers.authorization",
      "req.headers['x-api-key']",
      "err.parameters",
      "err.detail",
      "err.driverError.parameters",
      "err.driverError.detail",
    ],
    // Every line written while a request runs names it, the errors of format-error.ts included.
    mixin: () => {
      const context = logContext.getStore();
      return context ? { reqId: context.reqId } : {};
    },
  },
  { write: (line: string) => destination.write(line) },
);
