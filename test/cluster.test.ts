import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { signToken } from "../src/auth/jwt";
import { ConfigError, loadConfig } from "../src/config";
import { newOrg } from "./support/app";
import { createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith } from "./support/services";

/**
 * Cluster mode (WEB_CONCURRENCY): the compiled server as `npm run start:prod` runs it, with two
 * workers behind one port. Needs PostgreSQL (the embedded database belongs to one process): the
 * local one, in a scratch database, in both suite modes.
 */
const ROOT = path.join(__dirname, "..");
const MAIN = path.join(ROOT, "dist", "src", "main.js");
const SECRET = "cluster-test-secret-0123456789abcdef0123";

it("refuses WEB_CONCURRENCY above 1 on the embedded database", () => {
  expect(() => loadConfig({ WEB_CONCURRENCY: "2" })).toThrow(ConfigError);
  expect(loadConfig({ WEB_CONCURRENCY: "2", DATABASE_URL: "postgres://x@localhost/db" }).webConcurrency).toBe(2);
  expect(loadConfig({}).webConcurrency).toBe(1);
});

/** Child pids of a process (every thread's children). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, fn: () => T | undefined | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWith("PostgreSQL")("WEB_CONCURRENCY=2", () => {
  let child: ChildProcess;
  let output = "";
  let scratch: ScratchDatabase;

  beforeAll(async () => {
    scratch = await createScratchDatabase("cluster");
  }, 120_000);
  afterAll(async () => {
    if (child?.exitCode === null) child.kill("SIGKILL");
    await scratch?.drop();
  });

  it("serves from two workers, replaces one that dies, and stops them all on SIGTERM", async () => {
    child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        JWT_SECRET: SECRET,
        DATABASE_URL: scratch.url,
        PORT: "0",
        WEB_CONCURRENCY: "2",
        DB_POOL_SIZE: "2",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const url = await until("the listening line", () => child.exitCode === null && /"workers":2[^\n]*"msg":"listening"/.test(output) && /"url":"([^"]+)"/.exec(output)?.[1]);
    const workers = childrenOf(child.pid!);
    expect(workers).toHaveLength(2);

    const token = signToken({ sub: "tester", org: newOrg("cluster") }, SECRET);
    const viewer = async () => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ viewer { actor } leads(first: 1) { edges { node { id } } } }" }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const answers = await Promise.all(Array.from({ length: 20 }, viewer));
    for (const a of answers) expect(a).toEqual({ status: 200, body: { data: { viewer: { actor: "tester" }, leads: { edges: [] } } } });

    process.kill(workers[0], "SIGKILL");
    const replaced = await until("a replacement worker", () => {
      const now = childrenOf(child.pid!);
      return now.length === 2 && !now.includes(workers[0]) && now;
    });
    await until("the replacement to serve", () => /a worker died; starting another/.test(output));
    expect((await viewer()).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect({ code: await exited, output }).toEqual({ code: 0, output });
    for (const pid of replaced) await until(`worker ${pid} to exit`, () => !alive(pid), 20_000);
  }, 180_000);
});
