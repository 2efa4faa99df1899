import path from "node:path";

/** Everything the process reads from its environment, parsed once. The README's table mirrors this file. */
export interface AppConfig {
  env: "development" | "production" | "test";
  host: string;
  port: number;
  /** `postgres://…` for PostgreSQL; undefined for the embedded PGlite database. */
  databaseUrl?: string;
  /** Embedded database directory, or "memory" for an in-memory database. */
  dataDir: string;
  /** Run pending migrations at start. */
  migrationsRun: boolean;
  /** Fill the embedded database with demo data when it has no leads yet. */
  demoData: boolean;
  jwtSecret: string;
  /** True when no JWT_SECRET was given and the development secret is in use. */
  devSecret: boolean;
  /** Size of the PostgreSQL connection pool (the embedded database always has one session). */
  dbPoolSize: number;
  /** How long shutdown waits for requests in flight before cutting their connections. */
  shutdownGraceMs: number;
  /** Report the SQL statements a request ran in the `X-SQL-Statements` response header. */
  sqlStats: boolean;
}

export const DEV_JWT_SECRET = "development-secret-do-not-use-in-production";

export class ConfigError extends Error {}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`expected a boolean, got "${value}"`);
}

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = source.NODE_ENV === "production" ? "production" : source.NODE_ENV === "test" ? "test" : "development";
  const secret = source.JWT_SECRET;
  if (!secret && env === "production") {
    throw new ConfigError("JWT_SECRET is required when NODE_ENV=production");
  }
  if (secret && secret.length < 32 && env === "production") {
    throw new ConfigError("JWT_SECRET must be at least 32 characters in production");
  }
  const dataDir = source.DATA_DIR || "./.data";
  const databaseUrl = source.DATABASE_URL || undefined;
  return {
    env,
    host: source.HOST || "127.0.0.1",
    port: int("PORT", source.PORT, 4000, 0, 65535),
    databaseUrl,
    dataDir: dataDir === "memory" ? "memory" : path.resolve(dataDir),
    migrationsRun: bool(source.MIGRATIONS_RUN, true),
    demoData: bool(source.DEMO_DATA, !databaseUrl && env !== "production"),
    jwtSecret: secret || DEV_JWT_SECRET,
    devSecret: !secret,
    dbPoolSize: int("DB_POOL_SIZE", source.DB_POOL_SIZE, 10, 1, 200),
    shutdownGraceMs: int("SHUTDOWN_GRACE_MS", source.SHUTDOWN_GRACE_MS, 10_000, 0, 600_000),
    sqlStats: bool(source.SQL_STATS, env !== "production"),
  };
}
