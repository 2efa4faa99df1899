import "reflect-metadata";
import { DataSource, type DataSourceOptions } from "typeorm";
import { PGlite } from "@electric-sql/pglite";
import type { AppConfig } from "../config";
import { Lead } from "../leads/lead.entity";
import { FollowUpDetail } from "../leads/follow-up-detail.entity";
import { StatusLog } from "../leads/status-log.entity";
import { LeadReason } from "../leads/lead-reason.entity";
import { LeadSubStatus } from "../leads/lead-sub-status.entity";
import { Followup } from "../followups/followup.entity";
import { ApiKey } from "../auth/api-key.entity";
import { IdempotencyKey } from "../idempotency/idempotency-key.entity";
import { AbandonedRequestGuard } from "../http/request-timeout";
import { embeddedPgModule } from "./embedded-driver";
import { GuardedPgClient, type GuardedPgClientConfig } from "./pg-client";
import { migrations } from "./migrations";
import { pgTypes } from "./pg-types";
import { SqlCounter } from "./sql-counter";

export const entities = [Lead, FollowUpDetail, StatusLog, LeadReason, LeadSubStatus, Followup, ApiKey, IdempotencyKey];

export interface Database {
  dataSource: DataSource;
  /** Closes the pool and, for the embedded database, PGlite itself (flushing it to DATA_DIR). */
  close(): Promise<void>;
}

type DbConfig = Pick<AppConfig, "databaseUrl" | "dataDir" | "dbPoolSize"> & Partial<Pick<AppConfig, "dbPreparedStatements">> & { statementTimeoutMs?: number };

/** Options shared by the app and the TypeORM CLI (`ormconfig.ts`). `synchronize` is never on. */
export function baseOptions(): Pick<DataSourceOptions, "entities" | "migrations" | "subscribers" | "synchronize" | "migrationsTransactionMode"> {
  return { entities, migrations, subscribers: [AbandonedRequestGuard], synchronize: false, migrationsTransactionMode: "each" };
}

/** Builds the DataSource for the configured database; `open()` initializes it. */
export function createDatabase(config: DbConfig): Database {
  const logger = new SqlCounter();
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
      ...baseOptions(),
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
    ...baseOptions(),
  });
  return {
    dataSource,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

export async function openDatabase(config: DbConfig): Promise<Database> {
  const db = createDatabase(config);
  try {
    await db.dataSource.initialize();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
