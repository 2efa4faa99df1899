import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { codes, newOrg, startTestApp } from "./support/app";

const VIEWER = "{ viewer { actor org scopes } }";
const CREATE_LEAD = `mutation($leadFor: String!) { createLead(input: { leadFor: $leadFor }) { lead { id createdBy lastUpdatedBy } } }`;

/**
 * `npm run apikey` as users run it: the compiled dist/scripts/apikey.js (built once by the system
 * project's global setup), against the app's database.
 */
describe("the compiled CLI", () => {
  const ROOT = path.join(__dirname, "..");
  const dataDir = mkdtempSync(path.join(tmpdir(), "apikey-data-"));
  const usePg = !!process.env.DATABASE_URL;
  const CLI = path.join(ROOT, "dist", "scripts", "apikey.js");

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /**
   * The CLI on the suite's PostgreSQL database, or on an embedded database in a directory of its own.
   * Asynchronous: the app under test runs in this process and must keep serving meanwhile.
   */
  function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      NODE_PATH: path.join(ROOT, "node_modules"),
      ...(usePg ? { DATABASE_URL: process.env.DATABASE_URL } : { DATA_DIR: dataDir }),
    };
    return new Promise((resolve) =>
      execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 100_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
      ),
    );
  }
  const startApp = () => (usePg ? startTestApp() : startTestApp({ dataDir, migrationsRun: true }));

  it("create prints the key once, list shows it without the secret, revoke makes it fail", async () => {
    expect(existsSync(CLI)).toBe(true);
    const org = newOrg("cli");
    const created = await cli("create", "--org", org, "--scopes", "leads:read followups:read", "--name", "cli-crm");
    expect(created.stderr).toMatch(/Created API key key_\w+ "cli-crm"/);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^lgk_[A-Za-z0-9_-]{43}\n$/);
    const key = created.stdout.trim();
    const id = /key_\w+/.exec(created.stderr)![0];

    const bad = await cli("create", "--org", org, "--scopes", "leads:read leads:admin", "--name", "other");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--scopes: unknown scope/);
    expect(bad.stdout).toBe("");
    expect((await cli("create", "--org", org, "--scopes", "leads:read", "--name", "cli-crm")).stderr).toMatch(/already has an active API key/);

    let app = await startApp();
    try {
      const res = await app.gql(VIEWER, undefined, { token: null, headers: { "x-api-key": key } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.viewer).toEqual({ actor: "apikey:cli-crm", org, scopes: ["followups:read", "leads:read"] });
      expect(codes(await app.gql(CREATE_LEAD, { leadFor: "sku-cli" }, { token: key }))).toEqual(["FORBIDDEN"]);
      if (!usePg) {
        // PGlite serves one process: the CLI must not open the directory under a running server
        const refused = await cli("list");
        expect(refused.status).toBe(1);
        expect(refused.stderr).toMatch(/open in another process/);
        await app.close();
      }

      const table = await cli("list", "--org", org);
      expect(table.status).toBe(0);
      expect(table.stdout).toContain(id);
      expect(table.stdout).toContain(key.slice(0, 12));
      expect(table.stdout).not.toContain(key.slice(12));
      const json = await cli("list", "--org", org, "--json");
      const listed = JSON.parse(json.stdout);
      expect(listed).toEqual([
        { id, org, name: "cli-crm", prefix: key.slice(0, 12), scopes: ["followups:read", "leads:read"], createdOn: expect.any(String), lastUsedOn: expect.any(String), revokedOn: null },
      ]);
      expect(json.stdout).not.toContain(key.slice(12));

      const revoked = await cli("revoke", id);
      expect(revoked.status).toBe(0);
      expect(revoked.stdout).toMatch(/^Revoked key_/);
      expect((await cli("revoke", "key_doesnotexist")).status).toBe(1);

      if (!usePg) app = await startApp();
      const after = await app.gql(VIEWER, undefined, { token: null, headers: { "x-api-key": key } });
      expect(codes(after)).toEqual(["UNAUTHENTICATED"]);
    } finally {
      await app.close();
    }
  }, 480_000);

  it("explains its usage", async () => {
    const none = await cli();
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/Usage:[\s\S]*create --org/);
    expect((await cli("create", "--org", "x")).status).toBe(2);
    expect((await cli("list", "--bogus")).status).toBe(2);
  });
});
