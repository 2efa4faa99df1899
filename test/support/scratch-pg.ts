import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { openAppDatabase } from "../../src/database";
import { LOCAL_POSTGRES_URL } from "./services";

/**
 * The local PostgreSQL: the suite's server when it runs on PostgreSQL (global-setup.ts), else the
 * one every machine has. Tests about PostgreSQL itself (a second session, statement_timeout,
 * several processes on one database) use it in both suite modes.
 */
export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? LOCAL_POSTGRES_URL;

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Drops database `name` on the server of `adminUrl`, connections and all. */
export const dropDatabase = (adminUrl: string, name: string) => onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);

/**
 * A database of its own (`leads_<label>_<random>`) on the server of `adminUrl` (the local
 * PostgreSQL by default), migrated unless `migrate` is false; `drop()` removes it.
 */
export async function createScratchDatabase(label: string, { migrate = true, adminUrl = ADMIN_DATABASE_URL } = {}): Promise<ScratchDatabase> {
  const name = `leads_${label}_${randomBytes(6).toString("hex")}`;
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (migrate) {
    const db = await openAppDatabase({ databaseUrl: url.toString(), dataDir: "memory", dbPoolSize: 1 });
    try {
      await db.dataSource.runMigrations({ transaction: "each" });
    } finally {
      await db.close();
    }
  }
  return { name, url: url.toString(), drop: () => dropDatabase(adminUrl, name) };
}
