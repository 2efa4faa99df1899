import { createScratchDatabase } from "./scratch-pg";
import { LOCAL_POSTGRES_URL, probeServices } from "./services";

/**
 * The api and system projects' setup, run once however many projects ask for it. With
 * DATABASE_URL set, the suite runs on PostgreSQL in a database of its own, created and migrated
 * here and dropped in global-teardown.ts; without it, each test file starts the app on an
 * in-memory embedded database. Either way the local PostgreSQL and Redis are probed (services.ts).
 */
export default async function globalSetup() {
  if (process.env.TEST_SETUP_DONE) return;
  process.env.TEST_SETUP_DONE = "1";
  process.env.NODE_ENV = "test";
  const base = process.env.DATABASE_URL;
  await probeServices(base ?? LOCAL_POSTGRES_URL);
  if (!base) return;
  if (process.env.TEST_POSTGRES === "absent")
    throw new Error(`DATABASE_URL is set, but PostgreSQL does not answer: ${process.env.TEST_POSTGRES_WHY}`);
  const db = await createScratchDatabase("test", { adminUrl: base });
  process.env.TEST_ADMIN_DATABASE_URL = base;
  process.env.TEST_DATABASE_NAME = db.name;
  process.env.DATABASE_URL = db.url;
}
