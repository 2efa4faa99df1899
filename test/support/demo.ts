import type { DataSource } from "typeorm";
import { DEMO_ORG, seedDemoData } from "../../src/demo/seed";
import { Lead } from "../../src/leads/lead.entity";

/**
 * Fills org "demo" unless it has data. On PostgreSQL several test files share one database: when
 * two seed at once, the loser's transaction fails on the unique reason names and rolls back, and
 * the winner's data is there.
 */
export async function ensureDemoData(ds: DataSource): Promise<void> {
  try {
    await seedDemoData(ds);
  } catch (err) {
    if (!(await ds.getRepository(Lead).existsBy({ orgId: DEMO_ORG }))) throw err;
  }
}
