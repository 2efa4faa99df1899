import pino from "pino";
import { logLevel } from "../config";
import { currentScope } from "../http/request-scope";

const stdout = pino.destination(1);
let destination: pino.DestinationStream = stdout;

/** Sends log lines elsewhere (the CLI to stderr, tests to a buffer); no argument restores stdout. */
export function setLogDestination(stream?: pino.DestinationStream) {
  destination = stream ?? stdout;
}

/**
 * Structured JSON logs on stdout; also Fastify's logger, whose per-request children carry the
 * request's `reqId`. Never log tokens, keys or request variables: the paths below cover what could
 * carry them by accident (a driver error's SQL parameters and its `detail`, which quotes the
 * offending values).
 */
export const logger: pino.Logger = pino(
  {
    level: logLevel(),
    base: undefined,
    redact: [
      "req.headers.authorization",
      "req.headers['x-api-key']",
      "err.parameters",
      "err.detail",
      "err.driverError.parameters",
      "err.driverError.detail",
    ],
    // A line written through this logger while a request runs (format-error.ts's, a service's)
    // names the request too; Fastify's per-request children already carry it.
    mixin: (_line, _level, instance) => {
      const id = instance === logger ? currentScope()?.id : undefined;
      return id ? { reqId: id } : {};
    },
  },
  { write: (line: string) => destination.write(line) },
);
