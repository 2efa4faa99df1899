import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { openDatabase } from "../../src/db/data-source";

/**
 * The local PostgreSQL: the suite's server when it runs on PostgreSQL (global-setup.ts), else the
 * one every machine has. Tests about PostgreSQL itself (a second session, statement_timeout,
 * several processes on one database) use it in both suite modes.
 */
export const ADMIN_DATABASE_URL =
  process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A database of its own on the local PostgreSQL, migrated unless `migrate` is false; `drop()` removes it. */
export async function createScratchDatabase(label: string, { migrate = true } = {}): Promise<ScratchDatabase> {
  const name = `leads_${label}_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  if (migrate) {
    const db = await openDatabase({ databaseUrl: url.toString(), dataDir: "memory", dbPoolSize: 1 });
    try {
      await db.dataSource.runMigrations({ transaction: "each" });
    } finally {
      await db.close();
    }
  }
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
