import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";

/** SQL_STATS: `X-SQL-Statements`, the SQL statements the request ran (counted in its scope by src/db/sql-counter.ts). */
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
