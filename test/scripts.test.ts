import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import jwt from "jsonwebtoken";
import { SCOPES } from "../src/auth/scopes";
import { DEV_JWT_SECRET } from "../src/config";
import { DEMO_ORG } from "../src/demo/seed";
import { newOrg, startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app";
import { createScratchDatabase } from "./support/scratch-pg";

/**
 * `npm run token` and `npm run seed` as users run them: the compiled scripts (built once by the
 * system project's global setup), spawned with a clean environment.
 */
const ROOT = path.join(__dirname, "..");
const OUT = path.join(ROOT, "dist");

function run(script: "token" | "seed", args: string[], env: Record<string, string>) {
  const res = spawnSync(process.execPath, [path.join(OUT, "scripts", `${script}.js`), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn", ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const VIEWER = "{ viewer { actor org scopes } }";

describe("npm run token", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it("prints a JWT signed with JWT_SECRET that carries the claims, and the server accepts it", async () => {
    const org = newOrg("token");
    const res = run("token", ["--org", org, "--sub", "till-07", "--scopes", "leads:read followups:read", "--expires-in", "600"], { JWT_SECRET: TEST_JWT_SECRET });
    expect(res.stderr).toContain(`org "${org}"`);
    expect(res.status).toBe(0);
    const token = res.stdout.trim();
    expect(token.split(".")).toHaveLength(3); // only the token on stdout

    const claims = jwt.verify(token, TEST_JWT_SECRET, { algorithms: ["HS256"] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: "till-07", org, scope: "leads:read followups:read" });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(() => jwt.verify(token, DEV_JWT_SECRET)).toThrow();

    const viewer = await t.gql(VIEWER, undefined, { token });
    expect(viewer.body.errors).toBeUndefined();
    expect(viewer.body.data.viewer).toEqual({ actor: "till-07", org, scopes: ["followups:read", "leads:read"] });
    // the scopes are what it was given: no leads:write
    const write = await t.gql(`mutation { createLeadReason(reason: "x") { id } }`, undefined, { token });
    expect(write.body.errors?.[0].extensions?.code).toBe("FORBIDDEN");
  });

  it("signs with the development secret outside production when JWT_SECRET is unset", () => {
    const res = run("token", ["--org", DEMO_ORG, "--sub", "dev", "--scopes", SCOPES.join(",")], {});
    expect(res.status).toBe(0);
    const claims = jwt.verify(res.stdout.trim(), DEV_JWT_SECRET, { algorithms: ["HS256"] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: "dev", org: DEMO_ORG, scope: SCOPES.join(" ") });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it("refuses in production without JWT_SECRET", () => {
    const res = run("token", ["--org", DEMO_ORG, "--sub", "dev", "--scopes", "leads:read"], { NODE_ENV: "production" });
    expect(res.status).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain("JWT_SECRET is required");
    // with it, production is fine
    const ok = run("token", ["--org", DEMO_ORG, "--sub", "dev", "--scopes", "leads:read"], { NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET });
    expect(ok.status).toBe(0);
    expect((jwt.verify(ok.stdout.trim(), TEST_JWT_SECRET) as jwt.JwtPayload).scope).toBe("leads:read");
  });

  it("refuses unknown scopes, missing claims and bad lifetimes with the usage", () => {
    for (const args of [
      ["--org", "a", "--sub", "b", "--scopes", "leads:reed"],
      ["--org", "a", "--scopes", "leads:read"],
      ["--org", "a", "--sub", "b", "--scopes", "leads:read", "--expires-in", "soon"],
      ["--org", "a", "--sub", "b", "--scopes", "leads:read", "--bogus"],
      ["--org", "x".repeat(129), "--sub", "b", "--scopes", "leads:read"],
    ]) {
      const res = run("token", args, { JWT_SECRET: TEST_JWT_SECRET });
      expect({ args, status: res.status, stdout: res.stdout }).toEqual({ args, status: 2, stdout: "" });
      expect(res.stderr).toContain("Usage:");
    }
  });
});

describe("npm run seed", () => {
  /** A database of this test's own: PostgreSQL when the suite runs on it, else an embedded DATA_DIR. */
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (process.env.DATABASE_URL) {
      const scratch = await createScratchDatabase("seed", { migrate: false }); // `npm run seed` migrates it
      env = { DATABASE_URL: scratch.url };
      cleanup = scratch.drop;
    } else {
      const dir = mkdtempSync(path.join(tmpdir(), "leads-seed-"));
      env = { DATA_DIR: dir };
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(() => cleanup?.());

  /** Starts the app on the seeded database and runs `fn` against it. */
  async function withApp<T>(fn: (t: TestApp, demo: string) => Promise<T>): Promise<T> {
    const t = await startTestApp(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, migrationsRun: false } : { databaseUrl: undefined, dataDir: env.DATA_DIR });
    try {
      return await fn(t, t.token({ org: DEMO_ORG, sub: "seed-test" }));
    } finally {
      await t.close();
    }
  }

  const ALL = `{
    leads(first: 100, filter: { status: [OPEN, WON, LOST, ON_HOLD, DELETED] }) { totalCount edges { node { id leadFor } } }
    followups(first: 100) { totalCount }
    leadReasons { reason }
    leadSubStatuses { status subStatus }
  }`;

  async function snapshot(t: TestApp, token: string) {
    const res = await t.gql(ALL, undefined, { token });
    expect(res.body.errors).toBeUndefined();
    const d = res.body.data;
    return {
      leads: d.leads.totalCount as number,
      leadFors: (d.leads.edges as Array<{ node: { leadFor: string } }>).map((e) => e.node.leadFor).sort(),
      ids: (d.leads.edges as Array<{ node: { id: string } }>).map((e) => e.node.id),
      followups: d.followups.totalCount as number,
      reasons: (d.leadReasons as Array<{ reason: string }>).map((r) => r.reason),
      subStatuses: d.leadSubStatuses.length as number,
    };
  }

  it("migrates an empty database and leaves exactly the demo data, run after run", async () => {
    const first = run("seed", [], env);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/org "demo" has \d+ leads and \d+ followups/);

    const other = newOrg("seed-other");
    const before = await withApp(async (t, demo) => {
      const seeded = await snapshot(t, demo);
      expect(seeded.leads).toBeGreaterThanOrEqual(24);
      expect(seeded.followups).toBeGreaterThan(0);
      expect(seeded.reasons.length).toBeGreaterThan(0);
      // changes that the next seed must undo, and another org's lead it must leave alone
      const extra = await t.gql(`mutation { createLead(input: { leadFor: "Not demo data" }) { lead { id } } }`, undefined, { token: demo });
      expect(extra.body.errors).toBeUndefined();
      const reason = await t.gql(`mutation { createLeadReason(reason: "Extra reason") { id } }`, undefined, { token: demo });
      expect(reason.body.errors).toBeUndefined();
      const kept = await t.gql(`mutation { createLead(input: { leadFor: "Another org's lead" }) { lead { id } } }`, undefined, { token: t.token({ org: other }) });
      expect(kept.body.errors).toBeUndefined();
      expect((await snapshot(t, demo)).leads).toBe(seeded.leads + 1);
      return { ...seeded, extraId: extra.body.data.createLead.lead.id as string, keptId: kept.body.data.createLead.lead.id as string };
    });

    const second = run("seed", [], env);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`has ${before.leads} leads`);

    await withApp(async (t, demo) => {
      const after = await snapshot(t, demo);
      expect({ ...after, ids: undefined }).toEqual({ ...before, ids: undefined, extraId: undefined, keptId: undefined });
      expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([]); // fresh rows, not the old ones
      expect((await t.gql(`query($id: ID!) { lead(id: $id) { id } }`, { id: before.extraId }, { token: demo })).body.data.lead).toBeNull();
      const kept = await t.gql(`query($id: ID!) { lead(id: $id) { leadFor } }`, { id: before.keptId }, { token: t.token({ org: other }) });
      expect(kept.body.data.lead).toEqual({ leadFor: "Another org's lead" });
    });
  }, 240_000);

  it("refuses in production", () => {
    const res = run("seed", [], { ...env, NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("Refusing");
  });
});
