import pg from "pg";
import { logger } from "../common/logger";

/**
 * The `pg` client of the PostgreSQL pool, never without an `error` listener.
 *
 * pg-pool hands a freshly connected client to TypeORM and stops listening to its errors at once;
 * TypeORM starts listening a microtask later. A backend terminated just as its connection comes
 * up (pg_terminate_backend, a restart, a failover) sends its FATAL error in the same packet as
 * the end of the handshake, and the client emits it in between, to no listener: the process
 * crashed. With this listener the client is merely unusable, and the pool drops it when it
 * comes back (the query that used it fails as INTERNAL_SERVER_ERROR).
 */
export class GuardedPgClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on("error", (err) => logger.debug({ err }, "database connection lost"));
  }
}
