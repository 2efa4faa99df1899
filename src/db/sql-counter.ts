import type { Logger } from "typeorm";
import { logger } from "../common/logger";

/** Where the statement now running is counted (the current request's count), if anywhere. */
export type StatementCount = () => { statements: number } | undefined;

/** TypeORM logger: counts statements (per request, as `countIn` says), and logs failures and migrations without SQL parameters. */
export class SqlCounter implements Logger {
  constructor(private readonly countIn: StatementCount = () => undefined) {}

  logQuery(): void {
    const count = this.countIn();
    if (count) count.statements++;
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
