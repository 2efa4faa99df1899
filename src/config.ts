import { availableParallelism } from "node:os";
import path from "node:path";
import { parseRetrySchedule } from "./webhooks/webhook-schedule";
import type { WebhookLookup } from "./webhooks/webhook-target";

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
  /**
   * PostgreSQL: run each parameterized statement as a named prepared statement of its connection
   * (at most 100 per connection), so PostgreSQL parses and plans it once. Turn off behind a pooler
   * that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  dbPreparedStatements: boolean;
  /** How long shutdown waits for requests in flight before cutting their connections. */
  shutdownGraceMs: number;
  /** Report the SQL statements a request ran in the `X-SQL-Statements` response header. */
  sqlStats: boolean;
  /** Server processes: 1 serves in this process; more forks that many cluster workers (PostgreSQL only). */
  webConcurrency: number;
  /** How long an `Idempotency-Key` and the first response to it are kept, from its first use. */
  idempotencyTtlHours: number;
  /** How long a retry waits for the request it repeats to finish before answering CONFLICT (in progress). */
  idempotencyWaitMs: number;
  /** Largest `extendedFields` a lead may hold: bytes of its JSON text after a merge (API.md, "Input limits"). */
  maxExtendedFieldsBytes: number;
  /** Query limits (src/http/query-limits.ts); 0 turns one off. Deepest field nesting. */
  maxQueryDepth: number;
  /** Highest estimated query cost: objects the response can hold, lists weighted by `first`. */
  maxQueryCost: number;
  maxAliases: number;
  /** Lexical tokens in the document; counted while parsing. */
  maxTokens: number;
  maxDirectives: number;
  /** Operations in one batched (JSON array) request; 1 means batching is off. */
  maxBatch: number;
  /** Schema introspection (`__schema`, `__type`). */
  introspection: boolean;
  /** GraphiQL on `GET /graphql` for browsers. */
  playground: boolean;
  /** graphql-js's "Did you mean …?" hints in error messages (off in production: they reveal the schema). */
  fieldSuggestions: boolean;
  /** Origins that get CORS headers on `/graphql`; "*" for every origin. */
  corsOrigins: "*" | string[];
  /** Largest request body accepted, in bytes (413 above). */
  bodyLimitBytes: number;
  /** A request still running after this long is answered 503 TIMEOUT and abandoned; 0 = no timeout. */
  requestTimeoutMs: number;
  /** Runs of an operation by graphql-js before graphql-jit compiles it (src/execution.ts); 0: on its first run. */
  jitCompileAfter: number;
  /** GraphQL requests one process runs at once; the rest wait in turn (src/http/concurrency-limit.ts). 0: no limit. */
  maxConcurrentRequests: number;
  /** PostgreSQL `statement_timeout` for the app's connections; 0 = none. Not enforced by the embedded database. */
  statementTimeoutMs: number;
  /** Queries (reads) each principal may run per rate-limit window. */
  rateLimitReads: number;
  /** Mutations (writes) each principal may run per rate-limit window, counted apart from reads. */
  rateLimitWrites: number;
  rateLimitWindowSeconds: number;
  /** Prefix of the rate-limit counters' keys in Redis. */
  rateLimitPrefix: string;
  /** `redis://…`: rate-limit counts shared by every instance; undefined keeps them in this process. */
  redisUrl?: string;
  /** Fastify's `trustProxy`: whose `X-Forwarded-For` names the client (false: the socket's peer). */
  trustProxy: boolean | number | string;
  /** Days change events are kept; an events cursor older than that is CURSOR_EXPIRED. */
  eventsRetentionDays: number;
  /** Subscriptions one WebSocket connection may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** How often the live event stream reads the log without a wake-up signal: the bound on a lost signal's delay. */
  eventsPollMs: number;
  /** How often a WebSocket connection's credentials are checked again (closed with 4403 once expired or revoked). */
  subscriptionAuthCheckMs: number;
  /** How often this instance looks for follow-up timers that have passed (fractions allowed); 0 turns its timer runner off. */
  timerPollSeconds: number;
  /** How often each instance fans new events out to webhook deliveries and attempts the due ones (besides the in-process wake-up). */
  webhookPollMs: number;
  /** Waits before each retry of a failed delivery, in ms; after the last one the delivery is FAILED. */
  webhookRetrySchedule: number[];
  /** One delivery attempt's whole time (connect, send, answer), in ms. */
  webhookTimeoutMs: number;
  /** Webhook targets may be any address (loopback, private…): for development and tests only. */
  webhookAllowPrivate: boolean;
  /** Webhook endpoints one org may have. */
  webhookMaxEndpoints: number;
  /** An endpoint that has had no successful delivery for this long while failing is disabled. */
  webhookDisableAfterMs: number;
  /** How webhook hosts are resolved; the system resolver unless a test injects its own (not read from the environment). */
  webhookLookup?: WebhookLookup;
}

export const DEV_JWT_SECRET = "development-secret-do-not-use-in-production";

export class ConfigError extends Error {}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`expected a boolean, got "${value}"`);
}

/** A number of seconds, fractions allowed (`0.5`). */
function seconds(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${name} must be a number of seconds from ${min} to ${max}`);
  return n;
}

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** `*`, or comma-separated origins such as `https://app.example.com, http://localhost:3000`. */
function corsOrigins(value: string | undefined, fallback: "*" | string[]): "*" | string[] {
  if (value === undefined) return fallback;
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.includes("*")) return "*";
  return items.map((item) => {
    let origin: string | undefined;
    try {
      origin = new URL(item).origin;
    } catch {
      origin = undefined;
    }
    if (!origin || origin === "null" || origin !== item.replace(/\/$/, "")) {
      throw new ConfigError(`CORS_ORIGINS: "${item}" is not an origin (scheme://host[:port])`);
    }
    return origin;
  });
}

/** A byte size: `1048576`, `512kb`, `1mb`. */
function bytes(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[(m[2] ?? "b").toLowerCase() as "b" | "kb" | "mb"] : NaN;
  if (!(n >= 1024 && n <= 100 * 1024 * 1024)) throw new ConfigError(`${name} must be a size from 1kb to 100mb, such as 512kb or 1mb`);
  return n;
}

function redisUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!/^rediss?:\/\//.test(value)) throw new ConfigError("REDIS_URL must be a redis:// or rediss:// URL");
  return value;
}

/** true/false, a number of proxy hops, or addresses and subnets (`loopback, 10.0.0.0/8`). */
function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === "") return false;
  if (/^\d+$/.test(value)) return int("TRUST_PROXY", value, 0, 0, 100);
  if (/^(true|yes|on|false|no|off)$/i.test(value)) return bool(value, false);
  return value;
}

/** TIMER_POLL_SECONDS: 0 (off), or from 10 ms to an hour. */
function timerPollSeconds(value: string | undefined): number {
  const n = seconds("TIMER_POLL_SECONDS", value, 5, 0, 3600);
  if (n > 0 && n < 0.01) throw new ConfigError("TIMER_POLL_SECONDS must be 0 (off) or at least 0.01");
  return n;
}

/** `WEB_CONCURRENCY`: a number of processes, or `auto` for one per CPU core. */
function webConcurrency(value: string | undefined, databaseUrl: string | undefined): number {
  const n = value === "auto" ? availableParallelism() : int("WEB_CONCURRENCY", value, 1, 1, 64);
  if (n > 1 && !databaseUrl) throw new ConfigError("WEB_CONCURRENCY above 1 needs DATABASE_URL: the embedded database belongs to one process");
  return n;
}

function retrySchedule(value: string | undefined): number[] {
  try {
    return parseRetrySchedule(value || "5s,5m,30m,2h,5h,10h,10h");
  } catch (err) {
    throw new ConfigError(`WEBHOOK_RETRY_SCHEDULE ${(err as Error).message}`);
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * LOG_LEVEL: `info` by default, `silent` in tests. Read by the process-wide logger when it is made
 * (src/common/logger.ts), before the rest of the config; not part of AppConfig, since the several
 * apps a test process starts share that one logger.
 */
export function logLevel(source: NodeJS.ProcessEnv = process.env): string {
  const level = source.LOG_LEVEL || (source.NODE_ENV === "test" ? "silent" : "info");
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  return level;
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
    dbPreparedStatements: bool(source.DB_PREPARED_STATEMENTS, true),
    shutdownGraceMs: int("SHUTDOWN_GRACE_MS", source.SHUTDOWN_GRACE_MS, 10_000, 0, 600_000),
    sqlStats: bool(source.SQL_STATS, env !== "production"),
    webConcurrency: webConcurrency(source.WEB_CONCURRENCY, databaseUrl),
    idempotencyTtlHours: int("IDEMPOTENCY_TTL_HOURS", source.IDEMPOTENCY_TTL_HOURS, 24, 1, 24 * 31),
    idempotencyWaitMs: int("IDEMPOTENCY_WAIT_MS", source.IDEMPOTENCY_WAIT_MS, 10_000, 0, 120_000),
    maxExtendedFieldsBytes: int("MAX_EXTENDED_FIELDS_BYTES", source.MAX_EXTENDED_FIELDS_BYTES, 64 * 1024, 2, 64 * 1024 * 1024),
    // Defaults fit the real clients: a page of 100 leads with every field and nested list costs 5,301.
    maxQueryDepth: int("MAX_QUERY_DEPTH", source.MAX_QUERY_DEPTH, 10, 0, 1000),
    maxQueryCost: int("MAX_QUERY_COST", source.MAX_QUERY_COST, 10_000, 0, 1_000_000_000),
    maxAliases: int("MAX_ALIASES", source.MAX_ALIASES, 30, 0, 100_000),
    maxTokens: int("MAX_TOKENS", source.MAX_TOKENS, 2000, 0, 1_000_000),
    maxDirectives: int("MAX_DIRECTIVES", source.MAX_DIRECTIVES, 20, 0, 100_000),
    maxBatch: int("MAX_BATCH", source.MAX_BATCH, 1, 1, 100),
    introspection: bool(source.INTROSPECTION, env !== "production"),
    playground: bool(source.PLAYGROUND, env !== "production"),
    fieldSuggestions: env !== "production",
    corsOrigins: corsOrigins(source.CORS_ORIGINS, env === "production" ? [] : "*"),
    eventsRetentionDays: int("EVENTS_RETENTION_DAYS", source.EVENTS_RETENTION_DAYS, 30, 1, 3650),
    maxSubscriptionsPerConnection: int("MAX_SUBSCRIPTIONS_PER_CONNECTION", source.MAX_SUBSCRIPTIONS_PER_CONNECTION, 20, 1, 1000),
    eventsPollMs: int("EVENTS_POLL_MS", source.EVENTS_POLL_MS, 500, 10, 60_000),
    subscriptionAuthCheckMs: int("SUBSCRIPTION_AUTH_CHECK_MS", source.SUBSCRIPTION_AUTH_CHECK_MS, 30_000, 50, 60_000),
    timerPollSeconds: timerPollSeconds(source.TIMER_POLL_SECONDS),
    webhookPollMs: int("WEBHOOK_POLL_MS", source.WEBHOOK_POLL_MS, 1000, 10, 60_000),
    webhookRetrySchedule: retrySchedule(source.WEBHOOK_RETRY_SCHEDULE),
    webhookTimeoutMs: int("WEBHOOK_TIMEOUT_MS", source.WEBHOOK_TIMEOUT_MS, 10_000, 100, 120_000),
    webhookAllowPrivate: bool(source.WEBHOOK_ALLOW_PRIVATE, false),
    webhookMaxEndpoints: int("WEBHOOK_MAX_ENDPOINTS", source.WEBHOOK_MAX_ENDPOINTS, 20, 1, 1000),
    webhookDisableAfterMs: int("WEBHOOK_DISABLE_AFTER_HOURS", source.WEBHOOK_DISABLE_AFTER_HOURS, 72, 1, 24 * 365) * 3_600_000,
    bodyLimitBytes: bytes("BODY_LIMIT", source.BODY_LIMIT, 1024 * 1024),
    requestTimeoutMs: int("REQUEST_TIMEOUT_MS", source.REQUEST_TIMEOUT_MS, 30_000, 0, 3_600_000),
    jitCompileAfter: int("JIT_COMPILE_AFTER", source.JIT_COMPILE_AFTER, 2, 0, 1_000_000),
    maxConcurrentRequests: int("MAX_CONCURRENT_REQUESTS", source.MAX_CONCURRENT_REQUESTS, 8, 0, 10_000),
    statementTimeoutMs: int("STATEMENT_TIMEOUT_MS", source.STATEMENT_TIMEOUT_MS, 15_000, 0, 3_600_000),
    // GetBill's 1,000 reads and 500 writes an hour; the test suite must never meet them by accident.
    rateLimitReads: int("RATE_LIMIT_READS", source.RATE_LIMIT_READS, env === "test" ? 1_000_000 : 1000, 1, 1_000_000_000),
    rateLimitWrites: int("RATE_LIMIT_WRITES", source.RATE_LIMIT_WRITES, env === "test" ? 1_000_000 : 500, 1, 1_000_000_000),
    rateLimitWindowSeconds: int("RATE_LIMIT_WINDOW_SECONDS", source.RATE_LIMIT_WINDOW_SECONDS, 3600, 1, 31 * 24 * 3600),
    rateLimitPrefix: source.RATE_LIMIT_PREFIX || "leads-gateway:rl",
    redisUrl: redisUrl(source.REDIS_URL),
    trustProxy: trustProxy(source.TRUST_PROXY),
  };
}
