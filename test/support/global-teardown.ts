import { dropDatabase } from "./scratch-pg";

export default async function globalTeardown() {
  const admin = process.env.TEST_ADMIN_DATABASE_URL;
  const name = process.env.TEST_DATABASE_NAME;
  if (admin && name) await dropDatabase(admin, name);
}
