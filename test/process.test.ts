import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The server as a user runs it: the compiled `node dist/src/main.js` (what `npm start` runs),
 * on a fresh embedded DATA_DIR, stopped with signals (built once by the system project's global setup).
 */
const ROOT = path.join(__dirname, "..");
const MAIN = path.join(ROOT, "dist", "src", "main.js");

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  url: string;
  token: string;
}

async function startServer(env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 100_000;
  while (!/Development token[\s\S]*\n\n {2}(\S+)\n/.test(output)) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /GraphQL endpoint: (\S+)/.exec(output)![1];
  const token = /Development token[\s\S]*\n\n {2}(\S+)\n/.exec(output)![1];
  return { child, output: () => output, url, token };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

async function leadIds(server: Running): Promise<string[]> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ query: "{ leads(first: 100, filter: { status: [OPEN, WON, LOST, ON_HOLD, DELETED] }) { edges { node { id } } } }" }),
  });
  const body = (await res.json()) as { data: { leads: { edges: Array<{ node: { id: string } }> } } };
  return body.data.leads.edges.map((e) => e.node.id).sort();
}

describe("npm start on a fresh machine", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "leads-main-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves demo data with a printed token, stops cleanly on SIGTERM and SIGINT, and keeps its data", async () => {
    const env = baseEnv({ NODE_ENV: "development", PORT: "0", DATA_DIR: dir, LOG_LEVEL: "warn" });
    const first = await startServer(env);
    const ids = await leadIds(first);
    expect(ids.length).toBeGreaterThanOrEqual(24); // a few dozen demo leads
    first.child.kill("SIGTERM");
    expect(await exited(first.child)).toBe(0);

    const second = await startServer(env);
    expect(await leadIds(second)).toEqual(ids); // intact, and not seeded twice
    second.child.kill("SIGINT");
    expect(await exited(second.child)).toBe(0);
  }, 240_000);

  it("refuses to start in production without JWT_SECRET", async () => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: baseEnv({ NODE_ENV: "production", PORT: "0", DATA_DIR: "memory" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    expect(await exited(child)).toBe(1);
    expect(output).toMatch(/JWT_SECRET is required/);
    expect(output).not.toMatch(/Development token/);
  });
});
