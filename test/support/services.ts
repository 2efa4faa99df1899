import net from "node:net";
import { Client } from "pg";

/**
 * The services some tests need besides the app: the local PostgreSQL (in both suite modes, for
 * tests about PostgreSQL itself) and Redis. global-setup.ts probes them once and records the
 * answer in the environment the test files inherit; a test that needs a missing one is skipped
 * with the reason printed. Every machine and CI has both, so there nothing is skipped.
 */
export type Service = "PostgreSQL" | "Redis";

const ENV: Record<Service, string> = { PostgreSQL: "TEST_POSTGRES", Redis: "TEST_REDIS" };
export const LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres";
export const LOCAL_REDIS = { host: "127.0.0.1", port: 6379 };

export function available(service: Service): boolean {
  return process.env[ENV[service]] !== "absent";
}

/** `describe`, or `describe.skip` saying why when `service` did not answer global-setup's probe. */
export function describeWith(service: Service): jest.Describe {
  if (available(service)) return describe;
  return ((name: string, fn: () => void) => {
    process.stdout.write(`skipped "${name}": no ${service} (${process.env[`${ENV[service]}_WHY`] ?? "it did not answer"})\n`);
    describe.skip(`${name} (skipped: no ${service} on this machine)`, fn);
  }) as jest.Describe;
}

/** Probes both services and records the answers for the test files (see `available`). */
export async function probeServices(postgresUrl: string): Promise<void> {
  const [pg, redis] = await Promise.all([probePostgres(postgresUrl), probeRedis()]);
  record("PostgreSQL", pg);
  record("Redis", redis);
}

function record(service: Service, why: string | undefined) {
  process.env[ENV[service]] = why ? "absent" : "available";
  if (why) process.env[`${ENV[service]}_WHY`] = why;
}

async function probePostgres(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    return `${url.replace(/\/\/[^@]*@/, "//")}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function probeRedis(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(LOCAL_REDIS);
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(2000, () => done(`${LOCAL_REDIS.host}:${LOCAL_REDIS.port}: no answer in 2 s`));
    socket.once("error", (err) => done(`${LOCAL_REDIS.host}:${LOCAL_REDIS.port}: ${err.message}`));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG") ? undefined : `${LOCAL_REDIS.host}:${LOCAL_REDIS.port}: not Redis`));
  });
}
