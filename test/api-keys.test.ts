import { createHash, randomBytes } from "node:crypto";
import { ApiKeyService } from "../src/auth/api-key.service";
import { codes, newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";

/**
 * Partner API keys: made by the service (as a second instance beside the app's, the way the CLI
 * or another server would) and by the compiled CLI, used over HTTP.
 */
let t: TestApp;
/** Another instance's view of the same database: what it revokes, the app must refuse at once. */
let keys: ApiKeyService;
beforeAll(async () => {
  t = await startTestApp();
  keys = new ApiKeyService(t.app.db.dataSource);
});
afterAll(() => t.close());

const VIEWER = "{ viewer { actor org scopes } }";
const LEADS = "{ leads { totalCount edges { node { id } } } }";
const CREATE_LEAD = `mutation($leadFor: String!) { createLead(input: { leadFor: $leadFor }) { lead { id createdBy lastUpdatedBy } } }`;

type Via = "bearer" | "x-api-key";
const VIAS: Via[] = ["bearer", "x-api-key"];

function withKey(key: string, via: Via, query: string, variables?: Record<string, unknown>): Promise<GqlResponse> {
  return t.gql(query, variables, via === "bearer" ? { token: key } : { token: null, headers: { "x-api-key": key } });
}

const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;

async function newKey(org: string, scopes: string[], name = unique("partner")) {
  const { apiKey, key } = await keys.create({ org, name, scopes });
  return { id: apiKey.id, name, key };
}

describe("using a key", () => {
  it.each(VIAS)("%s: acts as its org, with its scopes, as actor apikey:<name>", async (via) => {
    const org = newOrg("keys");
    const { key, name } = await newKey(org, ["leads:read", "leads:write"]);
    const res = await withKey(key, via, VIEWER);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.viewer).toEqual({ actor: `apikey:${name}`, org, scopes: ["leads:read", "leads:write"] });

    const created = await withKey(key, via, CREATE_LEAD, { leadFor: "sku-key" });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createLead.lead).toMatchObject({ createdBy: `apikey:${name}`, lastUpdatedBy: `apikey:${name}` });
    // and the lead is in the key's org, as a JWT of that org sees it
    const seen = await t.gql(LEADS, undefined, { token: t.token({ org }) });
    expect(seen.body.data.leads.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([created.body.data.createLead.lead.id]);
  });

  it.each(VIAS)("%s: scopes are enforced like a JWT's", async (via) => {
    const org = newOrg("keys");
    const readOnly = await newKey(org, ["leads:read"]);
    expect((await withKey(readOnly.key, via, LEADS)).body.errors).toBeUndefined();
    const write = await withKey(readOnly.key, via, CREATE_LEAD, { leadFor: "sku-denied" });
    expect(codes(write)).toEqual(["FORBIDDEN"]);
    expect(codes(await withKey(readOnly.key, via, "{ followups { totalCount } }"))).toEqual(["FORBIDDEN"]);

    const followupsOnly = await newKey(org, ["followups:read"]);
    expect(codes(await withKey(followupsOnly.key, via, LEADS))).toEqual(["FORBIDDEN"]);
    expect((await withKey(followupsOnly.key, via, "{ followups { totalCount } }")).body.errors).toBeUndefined();
    // nothing was written by the refused mutation
    expect((await withKey(readOnly.key, via, LEADS)).body.data.leads.totalCount).toBe(0);
  });

  it("a key of org A cannot see or change org B's leads", async () => {
    const orgA = newOrg("key-a");
    const orgB = newOrg("key-b");
    const created = await t.gql(CREATE_LEAD, { leadFor: "sku-of-b" }, { token: t.token({ org: orgB }) });
    const leadOfB = created.body.data.createLead.lead.id;
    const { key } = await newKey(orgA, ["leads:read", "leads:write"]);

    expect((await withKey(key, "bearer", LEADS)).body.data.leads).toEqual({ totalCount: 0, edges: [] });
    const one = await withKey(key, "x-api-key", `query($id: ID!) { lead(id: $id) { id } node(id: $id) { id } }`, { id: leadOfB });
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data).toEqual({ lead: null, node: null });
    const update = await withKey(key, "bearer", `mutation($id: ID!) { updateLead(id: $id, input: { owner: "mallory" }) { lead { id } } }`, { id: leadOfB });
    expect(codes(update)).toEqual(["NOT_FOUND"]);

    const asB = await t.gql(`query($id: ID!) { lead(id: $id) { owner } }`, { id: leadOfB }, { token: t.token({ org: orgB }) });
    expect(asB.body.data.lead).toEqual({ owner: null });
  });
});

describe("refusals", () => {
  it.each(VIAS)("%s: a revoked key is refused on the very next request", async (via) => {
    const org = newOrg("revoke");
    const { id, key } = await newKey(org, ["leads:read"]);
    expect((await withKey(key, via, VIEWER)).body.errors).toBeUndefined();

    const revoked = await keys.revoke(id);
    expect(revoked).toMatchObject({ revokedNow: true, apiKey: { id, revokedOn: expect.any(Date) } });
    for (const query of [VIEWER, LEADS]) {
      const res = await withKey(key, via, query);
      expect(codes(res)).toEqual(["UNAUTHENTICATED"]);
      expect(res.body.errors![0].message).toMatch(/revoked/);
      expect(res.body.data).toBeNull();
    }
    // revoking again changes nothing
    expect(await keys.revoke(id)).toMatchObject({ revokedNow: false });
  });

  it("a revoked key's name can be given to a new key, and only the new one works", async () => {
    const org = newOrg("rotate");
    const old = await newKey(org, ["leads:read"], "rotating");
    await expect(keys.create({ org, name: "rotating", scopes: ["leads:read"] })).rejects.toMatchObject({ code: "CONFLICT" });
    await keys.revoke(old.id);
    const fresh = await newKey(org, ["leads:read"], "rotating");
    expect(codes(await withKey(old.key, "bearer", VIEWER))).toEqual(["UNAUTHENTICATED"]);
    expect((await withKey(fresh.key, "bearer", VIEWER)).body.data.viewer.actor).toBe("apikey:rotating");
  });

  const refused: Array<[string, () => Promise<{ token?: string | null; headers?: Record<string, string> }>]> = [
    ["an unknown key of the right shape", async () => ({ token: `lgk_${randomBytes(32).toString("base64url")}` })],
    ["a real key with one character changed", async () => {
      const { key } = await newKey(newOrg("tamper"), ["leads:read"]);
      const last = key.at(-1) === "A" ? "B" : "A";
      return { token: null, headers: { "x-api-key": key.slice(0, -1) + last } };
    }],
    ["a real key cut short", async () => ({ token: (await newKey(newOrg("short"), ["leads:read"])).key.slice(0, 30) })],
    ["a key's stored prefix alone", async () => ({ token: (await newKey(newOrg("prefix"), ["leads:read"])).key.slice(0, 12) })],
    ["a JWT sent as X-API-Key", async () => ({ token: null, headers: { "x-api-key": t.token() } })],
    ["a key sent with a JWT as well", async () => ({ token: t.token(), headers: { "x-api-key": (await newKey(newOrg("both"), ["leads:read"])).key } })],
    ["a key's hash instead of the key", async () => {
      const { key } = await newKey(newOrg("hash"), ["leads:read"]);
      return { token: null, headers: { "x-api-key": createHash("sha256").update(key).digest("hex") } };
    }],
  ];
  it.each(refused)("%s → UNAUTHENTICATED", async (_name, credentials) => {
    const res = await t.gql(VIEWER, undefined, await credentials());
    expect(codes(res)).toEqual(["UNAUTHENTICATED"]);
    expect(res.body.data).toBeNull();
  });

  it("refuses bad names, orgs and scopes when a key is made", async () => {
    const org = newOrg("bad");
    await expect(keys.create({ org, name: "has spaces", scopes: ["leads:read"] })).rejects.toMatchObject({ code: "BAD_USER_INPUT", fields: { name: expect.any(Array) } });
    await expect(keys.create({ org, name: "ok", scopes: ["leads:admin"] })).rejects.toMatchObject({ code: "BAD_USER_INPUT", fields: { scopes: expect.any(Array) } });
    await expect(keys.create({ org, name: "ok", scopes: [] })).rejects.toMatchObject({ code: "BAD_USER_INPUT", fields: { scopes: expect.any(Array) } });
    await expect(keys.create({ org: "o".repeat(129), name: "ok", scopes: ["leads:read"] })).rejects.toMatchObject({ code: "BAD_USER_INPUT", fields: { org: expect.any(Array) } });
    await expect(keys.create({ org: `${org}\ud800`, name: "ok", scopes: ["leads:read"] })).rejects.toMatchObject({ code: "BAD_USER_INPUT", fields: { org: expect.any(Array) } });
    await expect(keys.create({ org: `${org}\u0000`, name: "ok", scopes: ["leads:read"] })).rejects.toMatchObject({ code: "BAD_USER_INPUT", fields: { org: expect.any(Array) } });
    expect(await keys.list(org)).toEqual([]);
  });
});

describe("storage", () => {
  it("stores a SHA-256 hash and a short prefix, never the key", async () => {
    const org = newOrg("stored");
    const { id, key } = await newKey(org, ["leads:read"]);
    expect(key).toMatch(/^lgk_[A-Za-z0-9_-]{43}$/);
    const rows: Array<Record<string, unknown>> = await t.app.db.dataSource.query(`SELECT * FROM api_keys WHERE id = $1`, [id]);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.key_hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(row.prefix).toBe(key.slice(0, 12));
    const secret = key.slice(12); // everything after the shown prefix
    const stored = JSON.stringify(await t.app.db.dataSource.query(`SELECT * FROM api_keys`));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice(0, 16));
  });

  it("list shows each key's id, name, prefix and scopes, but no secret", async () => {
    const org = newOrg("listed");
    const a = await newKey(org, ["leads:read", "followups:read"], "alpha");
    const b = await newKey(org, ["followups:write"], "beta");
    await keys.revoke(b.id);
    // oldest first; two keys made in the same millisecond may come in either order
    const listed = (await keys.list(org)).sort((x, y) => x.name.localeCompare(y.name));
    expect(listed.map((k) => [k.id, k.name, k.scopes, k.prefix, k.revokedOn === null])).toEqual([
      [a.id, "alpha", ["followups:read", "leads:read"], a.key.slice(0, 12), true],
      [b.id, "beta", ["followups:write"], b.key.slice(0, 12), false],
    ]);
    const text = JSON.stringify(listed);
    for (const k of [a, b]) expect(text).not.toContain(k.key.slice(12));
  });

  it("records the last use, even of a request that failed", async () => {
    const org = newOrg("used");
    const { id, key } = await newKey(org, ["leads:read"]);
    const lastUsed = async () => (await keys.list(org)).find((k) => k.id === id)!.lastUsedOn;
    expect(await lastUsed()).toBeNull();

    const before = Date.now();
    // a FORBIDDEN mutation: nothing of the request is kept, but the key was used
    expect(codes(await withKey(key, "bearer", CREATE_LEAD, { leadFor: "sku-forbidden" }))).toEqual(["FORBIDDEN"]);
    // the write does not hold up the response, so it may land just after it
    let used: Date | null = null;
    for (let i = 0; i < 100 && !used; i++) {
      used = await lastUsed();
      if (!used) await new Promise((r) => setTimeout(r, 50));
    }
    expect(used).not.toBeNull();
    expect(used!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(used!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it("writes the last use at most once per interval per key", async () => {
    const org = newOrg("throttle");
    const { id, key } = await newKey(org, ["leads:read"]);
    const lastUsed = async () => (await keys.list(org)).find((k) => k.id === id)!.lastUsedOn;
    const throttled = new ApiKeyService(t.app.db.dataSource); // the default: once a minute
    await throttled.authenticate(key);
    await throttled.flush();
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    await throttled.authenticate(key);
    await throttled.flush();
    expect(await lastUsed()).toEqual(first);

    // another instance that has not written it yet still sees the row's recent timestamp and skips it
    const other = new ApiKeyService(t.app.db.dataSource);
    await other.authenticate(key);
    await other.flush();
    expect(await lastUsed()).toEqual(first);

    // with no interval every use is written: the assertions above could fail
    const eager = new ApiKeyService(t.app.db.dataSource, 0);
    await eager.authenticate(key);
    await eager.flush();
    expect((await lastUsed())!.getTime()).toBeGreaterThan(first!.getTime());
  });
});
