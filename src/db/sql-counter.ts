import type { Logger } from "typeorm";
import { logger } from "../common/logger";
import { currentScope, runInScope } from "../http/request-scope";

/** Runs `fn` with a fresh SQL statement count; the count follows every async continuation of it. */
export function withSqlStats<T>(fn: () => T): T {
  return runInScope({ ...currentScope(), sql: { statements: 0 } }, fn);
}

/** Statements run so far by the current request (when SQL_STATS is on, or within `withSqlStats`). */
export function sqlStatementsSoFar(): number | undefined {
  return currentScope()?.sql?.statements;
}

/** TypeORM logger: counts statements per request, and logs failures and migrations without SQL parameters. */
export class SqlCounter implements Logger {
  logQuery(): void {
    const sql = currentScope()?.sql;
    if (sql) sql.statements++;
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
