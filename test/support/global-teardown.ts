import { dropDatabase } from "./scratch-pg";

/** Drops the suite's PostgreSQL database (global-setup.ts), once, whichever project ends last. */
export default async function globalTeardown() {
  const admin = process.env.TEST_ADMIN_DATABASE_URL;
  const name = process.env.TEST_DATABASE_NAME;
  if (!admin || !name) return;
  delete process.env.TEST_DATABASE_NAME;
  await dropDatabase(admin, name);
}
