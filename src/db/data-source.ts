import "reflect-metadata";
import { DataSource, type DataSourceOptions } from "typeorm";
import { PGlite } from "@electric-sql/pglite";
import type { AppConfig } from "../config";
import { embeddedPgModule } from "./embedded-driver";
import { GuardedPgClient, type GuardedPgClientConfig } from "./pg-client";
import { migrations } from "./migrations";
import { pgTypes } from "./pg-types";
import { SqlCounter, type StatementCount } from "./sql-counter";

/** What the rooms above this one put in the database: their entities, statement subscribers and statement count (src/database.ts). */
export interface DatabaseContents {
  entities: NonNullable<DataSourceOptions["entities"]>;
  subscribers: NonNullable<DataSourceOptions["subscribers"]>;
  statementCount?: StatementCount;
}

export interface Database {
  dataSource: DataSource;
  /** Closes the pool and, for the embedded database, PGlite itself (flushing it to DATA_DIR). */
  close(): Promise<void>;
}

type DbConfig = Pick<AppConfig, "databaseUrl" | "dataDir" | "dbPoolSize"> & Partial<Pick<AppConfig, "dbPreparedStatements">> & { statementTimeoutMs?: number };

/** Options shared by the app and the TypeORM CLI (`ormconfig.ts`). `synchronize` is never on. */
function baseOptions(contents: DatabaseContents): Pick<DataSourceOptions, "entities" | "migrations" | "subscribers" | "synchronize" | "migrationsTransactionMode"> {
  return { entities: contents.entities, subscribers: contents.subscribers, migrations, synchronize: false, migrationsTransactionMode: "each" };
}

/** Builds the DataSource for the configured database; `open()` initializes it. */
export function createDatabase(config: DbConfig, contents: DatabaseContents): Database {
  const logger = new SqlCounter(contents.statementCount);
  if (config.databaseUrl) {
    const dataSource = new DataSource({
      type: "postgres",
      url: config.databaseUrl,
      poolSize: config.dbPoolSize,
      applicationName: "leads-gateway",
      logger,
      extra: {
        Client: GuardedPgClient,
        types: pgTypes,
        preparedStatements: config.dbPreparedStatements,
        ...(config.statementTimeoutMs ? { statement_timeout: config.statementTimeoutMs } : {}),
      } satisfies GuardedPgClientConfig,
      ...baseOptions(contents),
    });
    return { dataSource, close: async () => void (dataSource.isInitialized && (await dataSource.destroy())) };
  }

  // No statement_timeout here: PGlite runs a statement synchronously in this thread, with no timer
  // signal to cancel it, so it accepts `SET statement_timeout` and never enforces it.
  const pglite = config.dataDir === "memory" ? new PGlite() : new PGlite(config.dataDir);
  const dataSource = new DataSource({
    type: "postgres",
    driver: embeddedPgModule(pglite),
    extra: { types: pgTypes },
    logger,
    // PGlite ships neither uuid-ossp nor pgcrypto; ids are made by the app.
    installExtensions: false,
    ...baseOptions(contents),
  });
  return {
    dataSource,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

export async function openDatabase(config: DbConfig, contents: DatabaseContents): Promise<Database> {
  const db = createDatabase(config, contents);
  try {
    await db.dataSource.initialize();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
