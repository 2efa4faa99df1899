import { createHash } from "node:crypto";
import pg from "pg";
import { logger } from "../common/logger";

/** Pool options the pool hands to each client it makes (pg-pool passes its options on). */
export interface GuardedPgClientConfig extends pg.PoolConfig {
  /** Run parameterized statements as named prepared statements (see `AppConfig.dbPreparedStatements`). */
  preparedStatements?: boolean;
}

/** Most statements one connection keeps prepared; texts beyond them run unnamed, as before. */
export const MAX_PREPARED_PER_CONNECTION = 100;

/**
 * The `pg` client of the PostgreSQL pool.
 *
 * Never without an `error` listener: pg-pool hands a freshly connected client to TypeORM and stops
 * listening to its errors at once; TypeORM starts listening a microtask later. A backend
 * terminated just as its connection comes up (pg_terminate_backend, a restart, a failover) sends
 * its FATAL error in the same packet as the end of the handshake, and the client emits it in
 * between, to no listener: the process crashed. With this listener the client is merely unusable,
 * and the pool drops it when it comes back (the query that used it fails as INTERNAL_SERVER_ERROR).
 *
 * With `preparedStatements`, `query(text, values)` with at least one value runs as a statement named
 * after its text: PostgreSQL parses and plans it on first use on this connection and reuses the
 * plan (custom plans for five runs, then the generic one when it costs no more), which saves
 * PostgreSQL most of its planning on the hot reads (bench/RESULTS.md). Prepared statements belong to the session and survive ROLLBACK; a client that loses its
 * connection is replaced by one with none. Statements without values (BEGIN, COMMIT, …) and the
 * 101st distinct text onwards stay unnamed.
 */
export class GuardedPgClient extends pg.Client {
  private readonly prepared: Set<string> | undefined;

  constructor(config?: string | GuardedPgClientConfig) {
    super(config);
    this.prepared = typeof config === "object" && config.preparedStatements ? new Set() : undefined;
    this.on("error", (err) => logger.debug({ err }, "database connection lost"));
  }

  static {
    const query = pg.Client.prototype.query as (this: GuardedPgClient, ...args: unknown[]) => unknown;
    Object.defineProperty(this.prototype, "query", {
      value: function (this: GuardedPgClient, ...args: unknown[]) {
        const [text, values] = args;
        if (this.prepared && args.length === 2 && typeof text === "string" && Array.isArray(values) && values.length > 0) {
          const name = statementName(text);
          if (this.prepared.has(name)) return query.call(this, { name, text, values });
          if (this.prepared.size < MAX_PREPARED_PER_CONNECTION) {
            this.prepared.add(name);
            const result = query.call(this, { name, text, values }) as Promise<unknown>;
            // A text PostgreSQL refused while parsing it was not prepared: it takes no place.
            result.catch((err: unknown) => {
              if (refusedAtParse(err)) this.prepared!.delete(name);
            });
            return result;
          }
        }
        return query.apply(this, args);
      },
      writable: true,
      configurable: true,
    });
  }
}

/**
 * Errors PostgreSQL raises while parsing and analysing a statement are of SQLSTATE class 42 (syntax
 * error, unknown table, column, type or function); errors of binding or running it come later, when
 * the statement exists. (42501, a privilege refused while running, is the exception: that statement
 * was prepared, and is only left uncounted.)
 */
function refusedAtParse(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("42");
}

const names = new Map<string, string>();

/** A name for a statement's text: the same text gets the same name on every connection. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `s_${createHash("sha256").update(text).digest("base64url").slice(0, 24)}`;
    if (names.size >= 1000) names.clear(); // texts can follow the caller's selection: keep the memo bounded
    names.set(text, name);
  }
  return name;
}
