/**
 * Partner API keys on the configured database (DATABASE_URL, else the embedded DATA_DIR):
 *
 *   npm run apikey -- create --org <org> --scopes "<scopes>" --name <label>
 *   npm run apikey -- list [--org <org>] [--json]
 *   npm run apikey -- revoke <id>
 *
 * Runs the compiled file: `npm run build` first (`npm start` builds too).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { ApiKeyService } from "../src/auth/api-key.service";
import type { ApiKey } from "../src/auth/api-key.entity";
import { SCOPES } from "../src/auth/scopes";
import { DomainError } from "../src/common/errors";
import { logger, setLogDestination } from "../src/common/logger";
import { ConfigError, loadConfig } from "../src/config";
import { openAppDatabase } from "../src/database";

const USAGE = `Usage:
  npm run apikey -- create --org <org> --scopes "<scopes>" --name <label>
  npm run apikey -- list [--org <org>] [--json]
  npm run apikey -- revoke <id>

Scopes (space- or comma-separated): ${SCOPES.join(" ")}
The database is DATABASE_URL's, else the embedded one in DATA_DIR (default ./.data).`;

class UsageError extends Error {}
/** A well-formed command that cannot be carried out (exit 1, no usage text). */
class Refusal extends Error {}

// stdout carries only what was asked for (the key, the list); logs go to stderr.
setLogDestination(pino.destination(2));
logger.level = process.env.LOG_LEVEL || "warn";

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: "string" },
      scopes: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command !== "create" && command !== "list" && command !== "revoke") throw new UsageError(command ? `Unknown command "${command}"` : "No command given");
  if (command === "create" && (values.org === undefined || values.scopes === undefined || values.name === undefined))
    throw new UsageError("create needs --org, --scopes and --name");
  if (command === "revoke" && args.length !== 1) throw new UsageError("revoke needs exactly one key id (see list)");
  if (command !== "revoke" && args.length) throw new UsageError(`Unexpected argument "${args[0]}"`);

  const config = loadConfig();
  if (!config.databaseUrl) {
    if (config.dataDir === "memory") throw new Refusal("DATA_DIR=memory: a key made here would vanish with this process; set DATA_DIR or DATABASE_URL");
    // PGlite serves one process: a second one on the same directory would corrupt it, and the
    // server would not see this command's changes (a revoke included) until it restarts.
    if (existsSync(path.join(config.dataDir, "postmaster.pid")) && !values.force)
      throw new Refusal(
        `The embedded database in ${config.dataDir} is open in another process (a running server?). ` +
          "Stop it first, or use PostgreSQL (DATABASE_URL), where keys can be managed while servers run. " +
          "If no process has it open (one crashed), pass --force.",
      );
  }

  const db = await openAppDatabase(config);
  try {
    if (config.migrationsRun) await db.dataSource.runMigrations({ transaction: "each" });
    const keys = new ApiKeyService(db.dataSource);
    switch (command) {
      case "create": {
        const scopes = values.scopes!.split(/[\s,]+/).filter(Boolean);
        const { apiKey, key } = await keys.create({ org: values.org!, name: values.name!, scopes });
        process.stderr.write(
          `Created API key ${apiKey.id} "${apiKey.name}" for org "${apiKey.orgId}" with scopes ${apiKey.scopes.join(" ")}.\n` +
            "This is the only time the key is shown; store it now:\n",
        );
        process.stdout.write(`${key}\n`);
        break;
      }
      case "list": {
        const rows = await keys.list(values.org);
        process.stdout.write(values.json ? `${JSON.stringify(rows.map(describe), null, 2)}\n` : table(rows));
        break;
      }
      case "revoke": {
        const result = await keys.revoke(args[0]);
        if (!result) throw new Refusal(`No API key with id "${args[0]}" (see list)`);
        const { apiKey, revokedNow } = result;
        process.stdout.write(
          revokedNow
            ? `Revoked ${apiKey.id} "${apiKey.name}" of org "${apiKey.orgId}": it is refused from now on.\n`
            : `${apiKey.id} "${apiKey.name}" of org "${apiKey.orgId}" was already revoked (${apiKey.revokedOn!.toISOString()}).\n`,
        );
        break;
      }
    }
  } finally {
    await db.close();
  }
}

/** What may be shown of a key: everything but its hash. */
function describe(k: ApiKey) {
  return {
    id: k.id,
    org: k.orgId,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdOn: k.createdOn.toISOString(),
    lastUsedOn: k.lastUsedOn?.toISOString() ?? null,
    revokedOn: k.revokedOn?.toISOString() ?? null,
  };
}

function table(rows: ApiKey[]): string {
  if (!rows.length) return "No API keys.\n";
  const when = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, "Z") : "-");
  const lines = [
    ["ID", "ORG", "NAME", "PREFIX", "SCOPES", "CREATED", "LAST USED", "REVOKED"],
    ...rows.map((k) => [k.id, k.orgId, k.name, `${k.prefix}…`, k.scopes.join(" "), when(k.createdOn), when(k.lastUsedOn), when(k.revokedOn)]),
  ];
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n") + "\n";
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof Refusal) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    if (err instanceof DomainError) {
      const fields = Object.entries(err.fields ?? {}).map(([field, messages]) => `\n  --${field}: ${messages.join("; ")}`);
      process.stderr.write(`${fields.length ? `Invalid input:${fields.join("")}` : err.message}\n`);
      process.exit(1);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(1);
    }
    logger.error({ err }, "apikey failed");
    process.stderr.write(`apikey failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
