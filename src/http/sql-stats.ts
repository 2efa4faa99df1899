import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import { currentScope, runInScope } from "./request-scope";

/** The current request's SQL statement count, where TypeORM's logger (src/db/sql-counter.ts) adds each statement. */
export const requestStatementCount = () => currentScope()?.sql;

/** Runs `fn` with a fresh SQL statement count; the count follows every async continuation of it. */
export function withSqlStats<T>(fn: () => T): T {
  return runInScope({ ...currentScope(), sql: { statements: 0 } }, fn);
}

/** Statements run so far by the current request (when SQL_STATS is on, or within `withSqlStats`). */
export function sqlStatementsSoFar(): number | undefined {
  return currentScope()?.sql?.statements;
}

/** SQL_STATS: `X-SQL-Statements`, the SQL statements the request ran (counted in its scope through requestStatementCount). */
export const sqlStats: FastifyPluginCallback = fp(
  (app, _options, done) => {
    app.addHook("onSend", (request, reply, payload, next) => {
      const sql = request.scope.sql;
      if (sql) reply.header("x-sql-statements", String(sql.statements));
      next(null, payload);
    });
    done();
  },
  { name: "sql-stats", dependencies: ["request-scope"] },
);
