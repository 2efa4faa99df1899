import { createScratchDatabase } from "./scratch-pg";

/**
 * With DATABASE_URL set, the suite runs on PostgreSQL in a database of its own, created and
 * migrated here and dropped in global-teardown.ts. Without it, each test file starts the app on
 * an in-memory embedded database.
 */
export default async function globalSetup() {
  process.env.NODE_ENV = "test";
  const base = process.env.DATABASE_URL;
  if (!base) return;
  const db = await createScratchDatabase("test", { adminUrl: base });
  process.env.TEST_ADMIN_DATABASE_URL = base;
  process.env.TEST_DATABASE_NAME = db.name;
  process.env.DATABASE_URL = db.url;
}
