import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "typeorm";
import { logger } from "../common/logger";

interface SqlStats {
  statements: number;
}

const current = new AsyncLocalStorage<SqlStats>();

/** Runs `fn` with a fresh SQL statement count; the count follows every async continuation of it. */
export function withSqlStats<T>(fn: () => T): T {
  return current.run({ statements: 0 }, fn);
}

/** Statements run so far by the current request (see `withSqlStats`), or undefined outside one. */
export function sqlStatementsSoFar(): number | undefined {
  return current.getStore()?.statements;
}

/** TypeORM logger: counts statements per request, and logs failures and migrations without SQL parameters. */
export class SqlCounter implements Logger {
  logQuery(): void {
    const stats = current.getStore();
    if (stats) stats.statements++;
  }
  logQueryError(error: string | Error, query: string): void {
    logger.debug({ err: error, query }, "query failed");
  }
  logQuerySlow(time: number, query: string): void {
    logger.warn({ time, query }, "slow query");
  }
  logSchemaBuild(message: string): void {
    logger.debug(message);
  }
  logMigration(message: string): void {
    logger.info(message);
  }
  log(level: "log" | "info" | "warn", message: unknown): void {
    if (level === "warn") logger.warn(String(message));
    else logger.debug(String(message));
  }
}
