import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, release: (err?: Error | boolean) => void) => void;

/**
 * A `pg` module for TypeORM's postgres driver over one in-process PGlite database.
 *
 * PGlite is a single PostgreSQL session. Sharing it between callers (as the `typeorm-pglite`
 * adapter does) interleaves concurrent transactions: one caller's ROLLBACK undoes another's
 * writes, or leaves them in. Here the session is a pool of exactly one `pg` client, lent to one
 * caller at a time: a transaction holds it from BEGIN to COMMIT and everyone else waits in the
 * pool's queue. On every checkout a transaction left open by a broken client is rolled back, so
 * no caller inherits another's half-done work.
 */
export function embeddedPgModule(pglite: PGlite) {
  class ExclusiveSessionPool extends pg.Pool {
    constructor(options: pg.PoolConfig = {}) {
      super({ ...options, ...createPgConfig(pglite), max: 1 });
    }

    // pg.Pool#connect is overloaded (promise or callback); TypeORM uses the callback form.
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
      const lease = super.connect().then(async (client) => {
        try {
          if (pglite.isInTransaction()) await client.query("ROLLBACK");
          return client;
        } catch (err) {
          client.release(err as Error);
          throw err;
        }
      });
      if (!callback) return lease;
      lease.then(
        (client) => callback(undefined, client, (err) => client.release(err)),
        (err: Error) => callback(err, undefined, () => undefined),
      );
    }
  }
  return { ...pg, Pool: ExclusiveSessionPool };
}
