/**
 * Resets the demo data: `npm run seed [-- --force]`.
 *
 * On the configured database (DATABASE_URL, else the embedded one in DATA_DIR), runs the pending
 * migrations (unless MIGRATIONS_RUN=false), then replaces everything of org "demo" with fresh demo
 * data in one transaction. Other orgs are not touched. Refuses with NODE_ENV=production.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config";
import { openAppDatabase } from "../src/database";
import { DEMO_ORG, resetDemoData } from "../src/demo/seed";
import { Followup } from "../src/followups/followup.entity";
import { Lead } from "../src/leads/lead.entity";

export const USAGE = `Usage:
  npm run seed [-- --force]

Replaces org "${DEMO_ORG}"'s data with fresh demo data on DATABASE_URL's database, else the
embedded one in DATA_DIR (default ./.data), after running pending migrations.
The embedded database serves one process: stop the server first (--force skips that check).`;

export class UsageError extends Error {}

export interface SeedResult {
  database: string;
  leads: number;
  followups: number;
}

export async function seed(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<SeedResult> {
  let force: boolean | undefined;
  try {
    ({ values: { force } } = parseArgs({ args: argv, options: { force: { type: "boolean" } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (env.NODE_ENV === "production") throw new UsageError(`Refusing to replace org "${DEMO_ORG}"'s data with NODE_ENV=production`);
  const config = loadConfig(env);
  if (!config.databaseUrl) {
    if (config.dataDir === "memory") throw new UsageError("DATA_DIR=memory: the demo data would vanish with this process; set DATA_DIR or DATABASE_URL");
    // PGlite serves one process: a second one on the same directory would corrupt it.
    if (existsSync(path.join(config.dataDir, "postmaster.pid")) && !force)
      throw new UsageError(`The embedded database in ${config.dataDir} is open in another process (a running server?). Stop it first, or pass --force if none is.`);
  }

  const db = await openAppDatabase(config);
  try {
    const ds = db.dataSource;
    if (config.migrationsRun) await ds.runMigrations({ transaction: "each" });
    await resetDemoData(ds);
    return {
      database: config.databaseUrl ? "PostgreSQL (DATABASE_URL)" : `embedded (${config.dataDir})`,
      leads: await ds.getRepository(Lead).countBy({ orgId: DEMO_ORG }),
      followups: await ds.getRepository(Followup).countBy({ orgId: DEMO_ORG }),
    };
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  seed(process.argv.slice(2)).then(
    (result) => {
      process.stdout.write(`Demo data reset in ${result.database}: org "${DEMO_ORG}" has ${result.leads} leads and ${result.followups} followups.\n`);
      process.exit(0);
    },
    (err: unknown) => {
      if (err instanceof UsageError || err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n\n${USAGE}\n`);
        process.exit(2);
      }
      process.stderr.write(`seed failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
