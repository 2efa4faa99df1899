import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { openDatabase } from "../../src/db/data-source";

/**
 * With DATABASE_URL set, the suite runs on PostgreSQL in a database of its own, created here and
 * dropped in global-teardown.ts; its migrations run once here. Without it, each test file starts
 * the app on an in-memory embedded database.
 */
export default async function globalSetup() {
  process.env.NODE_ENV = "test";
  const base = process.env.DATABASE_URL;
  if (!base) return;
  const name = `leads_test_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  process.env.TEST_ADMIN_DATABASE_URL = base;
  process.env.TEST_DATABASE_NAME = name;
  process.env.DATABASE_URL = url.toString();

  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: "memory", dbPoolSize: 2 });
  try {
    await db.dataSource.runMigrations({ transaction: "each" });
  } finally {
    await db.close();
  }
}
