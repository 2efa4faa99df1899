import { Client } from "pg";
import { getIntrospectionQuery } from "graphql";
import { ConfigError, loadConfig, type AppConfig } from "../src/config";
import { codes, startTestApp, TEST_JWT_SECRET, type GqlResponse, type TestApp } from "./support/app";
import { createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith } from "./support/services";
import { waitFor } from "./support/wait";

/**
 * NODE_ENV=production: introspection and the playground off unless enabled, no field suggestions,
 * a CORS allowlist, Apollo's CSRF prevention, a body size limit, a request timeout and (on
 * PostgreSQL) a statement_timeout. The app is started with what loadConfig derives for production.
 */
const ALLOWED = "https://app.example.com";
const OTHER = "https://evil.example.net";

/** The posture settings loadConfig gives production; the database and rate limits stay the suite's. */
function production(env: Record<string, string> = {}): Partial<AppConfig> {
  const c = loadConfig({ NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET, ...env });
  return {
    env: c.env,
    introspection: c.introspection,
    playground: c.playground,
    fieldSuggestions: c.fieldSuggestions,
    corsOrigins: c.corsOrigins,
    bodyLimitBytes: c.bodyLimitBytes,
    requestTimeoutMs: c.requestTimeoutMs,
    statementTimeoutMs: c.statementTimeoutMs,
    sqlStats: c.sqlStats,
  };
}

async function bodyOf(res: Response): Promise<GqlResponse["body"]> {
  return (await res.json()) as GqlResponse["body"];
}

let prod: TestApp;
let dev: TestApp;
/**
 * Production with INTROSPECTION=true, PLAYGROUND=true, a 1 s request timeout and one database
 * connection (which the timeout test holds, so that a request waits for it).
 */
let enabled: TestApp;
beforeAll(async () => {
  // one after the other: each embedded database's start is CPU-bound
  prod = await startTestApp(production({ CORS_ORIGINS: `${ALLOWED}, http://localhost:3000`, BODY_LIMIT: "16kb" }));
  dev = await startTestApp({ env: "development", playground: true });
  enabled = await startTestApp({ ...production({ INTROSPECTION: "true", PLAYGROUND: "true", REQUEST_TIMEOUT_MS: "1000" }), dbPoolSize: 1 });
}, 180_000);
afterAll(async () => {
  await Promise.all([prod?.close(), dev?.close(), enabled?.close()]);
});

describe("configuration", () => {
  it("production turns introspection, the playground and suggestions off, and allows no origin", () => {
    const c = loadConfig({ NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET });
    expect(c).toMatchObject({ introspection: false, playground: false, fieldSuggestions: false, corsOrigins: [], bodyLimitBytes: 1024 * 1024 });
    expect(c.requestTimeoutMs).toBeGreaterThan(0);
    expect(c.statementTimeoutMs).toBeGreaterThan(0);
    expect(c.statementTimeoutMs).toBeLessThan(c.requestTimeoutMs);
  });

  it("INTROSPECTION=true and PLAYGROUND=true turn them back on; CORS_ORIGINS is parsed once", () => {
    const c = loadConfig({ NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET, INTROSPECTION: "true", PLAYGROUND: "true", CORS_ORIGINS: "https://a.example.com/, http://localhost:3000" });
    expect(c).toMatchObject({ introspection: true, playground: true, corsOrigins: ["https://a.example.com", "http://localhost:3000"] });
  });

  it("development allows every origin, introspection and the playground", () => {
    expect(loadConfig({})).toMatchObject({ introspection: true, playground: true, fieldSuggestions: true, corsOrigins: "*" });
  });

  it.each([
    ["CORS_ORIGINS", "not-an-origin"],
    ["CORS_ORIGINS", "https://a.example.com/path"],
    ["BODY_LIMIT", "lots"],
    ["BODY_LIMIT", "500gb"],
    ["REQUEST_TIMEOUT_MS", "-1"],
    ["STATEMENT_TIMEOUT_MS", "soon"],
    ["MAX_QUERY_DEPTH", "deep"],
    ["MAX_BATCH", "0"],
  ])("refuses %s=%s", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
  });

  it("reads sizes and limits", () => {
    expect(loadConfig({ BODY_LIMIT: "512kb", MAX_QUERY_COST: "500", MAX_BATCH: "5" })).toMatchObject({ bodyLimitBytes: 512 * 1024, maxQueryCost: 500, maxBatch: 5 });
  });
});

describe("introspection", () => {
  it("is refused in production: 400 GRAPHQL_VALIDATION_FAILED", async () => {
    for (const query of [getIntrospectionQuery(), `{ __schema { types { name } } }`, `{ __type(name: "Lead") { fields { name } } }`]) {
      const res = await prod.gql(query);
      expect(res.status).toBe(400);
      expect(codes(res)[0]).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(res.body.errors![0].message).toMatch(/introspection has been disabled/);
      expect(res.body.data).toBeUndefined();
    }
  });

  it("still answers __typename", async () => {
    const res = await prod.gql(`{ __typename viewer { __typename org } }`);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.__typename).toBe("Query");
  });

  it("works with INTROSPECTION=true", async () => {
    const res = await enabled.gql(`{ __schema { queryType { name } } }`);
    expect(res.body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });
});

describe("the playground", () => {
  const browserGet = (url: string) => fetch(url, { headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });

  it("is served in development, with its assets", async () => {
    const res = await browserGet(dev.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/<html/i);
  });

  it("is off in production: a browser's GET gets no HTML, and no asset is served", async () => {
    const res = await browserGet(prod.url);
    const text = await res.text();
    expect(res.headers.get("content-type")).not.toMatch(/text\/html/);
    expect(text).not.toMatch(/<html|<script/i);

    const html = await (await browserGet(dev.url)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect((await fetch(dev.origin + asset)).status).toBe(200);
      const off = await fetch(prod.origin + asset);
      expect(off.status).toBe(404);
      expect(await off.text()).not.toMatch(/<script/i);
    }
  });

  it("is on with PLAYGROUND=true", async () => {
    const res = await browserGet(enabled.url);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    // no development token is prefilled outside the development secret
    expect(await res.text()).not.toMatch(/Bearer ey/);
  });
});

describe("field suggestions", () => {
  it.each([
    ["an unknown field", `{ leadz { totalCount } }`, 'Cannot query field "leadz" on type "Query".'],
    ["an unknown argument", `{ leads(firs: 1) { totalCount } }`, 'Unknown argument "firs" on field "Query.leads".'],
    ["an unknown type", `query ($f: LeedFilter) { leads(filter: $f) { totalCount } }`, 'Unknown type "LeedFilter".'],
  ])("are left out in production: %s", async (_name, query, message) => {
    const res = await prod.gql(query);
    expect(res.status).toBe(400);
    expect(res.body.errors!.map((e) => e.message)).toContain(message);
    expect(JSON.stringify(res.body)).not.toMatch(/Did you mean/);

    const inDev = await dev.gql(query);
    expect(JSON.stringify(inDev.body)).toMatch(/Did you mean/);
  });

  it("are left out of an unknown input field's variable error", async () => {
    const res = await prod.gql(`mutation ($i: CreateLeadInput!) { createLead(input: $i) { lead { id } } }`, { i: { leadFor: "x", leadFr: "y" } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toMatch(/Did you mean/);
  });
});

describe("CORS", () => {
  const preflight = (app: TestApp, origin: string) =>
    fetch(app.url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization" },
    });
  const corsHeaders = (res: { headers: Headers }) => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));

  it("answers an allowed origin's preflight and request", async () => {
    const pre = await preflight(prod, ALLOWED);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(pre.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
    expect(pre.headers.get("vary")).toMatch(/origin/i);

    const res = await prod.gql(`{ viewer { org } }`, undefined, { headers: { origin: "http://localhost:3000" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const exposed = res.headers.get("access-control-expose-headers")!.split(",").map((h) => h.trim().toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(["x-request-id", "retry-after", "x-ratelimit-remaining", "idempotent-replayed"]));
  });

  it("gives any other origin no CORS header at all, preflight or not", async () => {
    const pre = await preflight(prod, OTHER);
    expect(corsHeaders(pre)).toEqual([]);
    const res = await prod.gql(`{ viewer { org } }`, undefined, { headers: { origin: OTHER } });
    expect(corsHeaders(res)).toEqual([]);
    expect(res.headers.get("vary")).toMatch(/origin/i);
    // a look-alike of an allowed origin is another origin
    const alike = await preflight(prod, `${ALLOWED}.evil.example.net`);
    expect(corsHeaders(alike)).toEqual([]);
  });

  it("allows every origin in development", async () => {
    const pre = await preflight(dev, OTHER);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("CSRF prevention (Apollo's, kept on)", () => {
  const CSRF = /Cross-Site Request Forgery/;

  it.each([
    ["a GET without a preflight header", { method: "GET" }, "?query=%7B__typename%7D"],
    ["a text/plain POST", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ query: `mutation { createLeadReason(reason: "csrf-plain") { id } }` }) }, ""],
    ["a form POST", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "query=mutation%7BcreateLeadReason(reason%3A%22csrf-form%22)%7Bid%7D%7D" }, ""],
    ["a multipart POST", { method: "POST", headers: { "content-type": "multipart/form-data; boundary=x" }, body: '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{__typename}\r\n--x--\r\n' }, ""],
  ])("refuses %s: 400, nothing runs", async (_name, init: RequestInit, search) => {
    const res = await fetch(prod.url + search, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${prod.token()}` } });
    expect(res.status).toBe(400);
    const body = await bodyOf(res);
    expect(body.errors![0].message).toMatch(CSRF);
    expect(body.errors![0].extensions!.code).toBe("BAD_REQUEST");
    expect(body).not.toHaveProperty("data");
  });

  it("nothing was written by the refused mutations", async () => {
    const res = await prod.gql(`{ leadReasons { reason } }`);
    expect(res.body.data.leadReasons).toEqual([]);
  });

  it("lets a GET through with a preflight-forcing header, and JSON POSTs", async () => {
    const get = await fetch(`${prod.url}?query=%7B__typename%7D`, { headers: { "apollo-require-preflight": "true" } });
    expect(await bodyOf(get)).toEqual({ data: { __typename: "Query" } });
    const post = await prod.gql(`{ __typename }`);
    expect(post.body).toEqual({ data: { __typename: "Query" } });
  });
});

describe("body size limit (BODY_LIMIT=16kb)", () => {
  it("accepts a body under the limit and answers 413 JSON above it", async () => {
    const under = await prod.gql(`{ viewer { org } }`, { pad: "x".repeat(15_000) });
    expect(under.status).toBe(200);
    const over = await fetch(prod.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${prod.token()}` },
      body: JSON.stringify({ query: "{ viewer { org } }", variables: { pad: "x".repeat(17_000) } }),
    });
    expect(over.status).toBe(413);
    expect(await bodyOf(over)).toEqual({ errors: [{ message: "The request body is too large", extensions: { code: "BAD_REQUEST" } }] });
  });
});

describe("request timeout (REQUEST_TIMEOUT_MS=1000)", () => {
  let slow: TestApp;
  beforeAll(async () => {
    slow = enabled;
    await slow.gql(`mutation { createLead(input: { leadFor: "sku-timeout" }) { lead { id } } }`);
  });

  it("answers 503 TIMEOUT, abandons the rest of the work, and serves the next request", async () => {
    const ds = slow.app.db.dataSource;
    const holder = ds.createQueryRunner();
    await holder.connect(); // the only connection: the request below waits for it
    const statements: string[] = [];
    const logQuery = jest.spyOn(ds.logger, "logQuery").mockImplementation((query: string) => void statements.push(query));
    try {
      const started = Date.now();
      const res = await slow.gql(`{ leads { edges { node { id followUpDetails { id } statusLogDetails { id } } } } }`);
      const elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ errors: [{ message: "The request took too long and was abandoned; retry it later.", extensions: { code: "TIMEOUT" } }] });
      expect(elapsed).toBeGreaterThanOrEqual(990);
      expect(elapsed).toBeLessThan(5000);
    } finally {
      await holder.release();
    }
    // the page query was already waiting and now runs; the nested lists after it never start
    await waitFor(() => statements.some((q) => /FROM "?leads"?\s/i.test(q)));
    await new Promise((r) => setTimeout(r, 300));
    logQuery.mockRestore();
    expect(statements.filter((q) => /follow_up_details|status_log/i.test(q))).toEqual([]);

    const next = await slow.gql(`{ leads { edges { node { id followUpDetails { id } } } } }`);
    expect(next.status).toBe(200);
    expect(next.body.data.leads.edges).toHaveLength(1);
    expect((await fetch(`${slow.origin}/healthz`)).status).toBe(200);
  });
});

describe("request timeout and writes", () => {
  it("a mutation that times out waiting for the database never writes: none of its statements starts afterwards", async () => {
    const ds = enabled.app.db.dataSource;
    const holder = ds.createQueryRunner();
    await holder.connect(); // the only connection
    const reason = `late-${Date.now()}`;
    try {
      const res = await enabled.gql(`mutation ($reason: String!) { createLeadReason(reason: $reason) { id } }`, { reason });
      expect(res.status).toBe(503);
      expect(res.body.errors?.[0].extensions?.code).toBe("TIMEOUT");
    } finally {
      await holder.release();
    }
    // the mutation now gets the connection; without the guard it would insert the reason here
    await new Promise((r) => setTimeout(r, 500));
    const reasons = await enabled.gql(`{ leadReasons { reason } }`);
    expect(reasons.status).toBe(200);
    expect(reasons.body.data.leadReasons.map((r: { reason: string }) => r.reason)).not.toContain(reason);
    expect(await ds.query(`SELECT count(*)::int AS n FROM lead_reasons WHERE reason = $1`, [reason])).toEqual([{ n: 0 }]);
  });
});

describeWith("PostgreSQL")("request timeout inside a transaction, on the local PostgreSQL", () => {
  // A second session holds the lead's row lock, so the mutation times out inside its transaction.
  let scratch: ScratchDatabase;
  let app: TestApp;
  let locker: Client;
  beforeAll(async () => {
    scratch = await createScratchDatabase("abandon");
    app = await startTestApp({ databaseUrl: scratch.url, migrationsRun: false, requestTimeoutMs: 1000, dbPoolSize: 2 });
    locker = new Client({ connectionString: scratch.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await app?.close();
    await scratch?.drop();
  });

  it("rolls the abandoned transaction back: no connection is left inside it, holding its locks", async () => {
    const UPDATE = `mutation ($id: ID!, $n: Int!) { updateLead(id: $id, input: { extendedFields: { n: $n } }) { lead { version extendedFields } } }`;
    const lead = (await app.gql(`mutation { createLead(input: { leadFor: "SKU-lock" }) { lead { id version } } }`)).body.data.createLead.lead;

    await locker.query("BEGIN");
    await locker.query("SELECT 1 FROM leads WHERE id = $1 FOR UPDATE", [lead.id]);
    // waits for the row lock inside its transaction, and is answered 503 while it still waits
    const res = await app.gql(UPDATE, { id: lead.id, n: 1 });
    expect(res.status).toBe(503);
    expect(res.body.errors?.[0].extensions?.code).toBe("TIMEOUT");
    await locker.query("COMMIT"); // the lock is free now; the abandoned transaction's next statement must not run

    // it rolls back: no session of the app's is left idle inside it
    const idleInTransaction = async () =>
      (await locker.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'`, [scratch.name])).rows[0].n;
    await waitFor(async () => (await idleInTransaction()) === 0, 5000);
    // the lead is as it was, and the next write to it goes through at once
    const next = await app.gql(UPDATE, { id: lead.id, n: 2 });
    expect(next.status).toBe(200);
    expect(next.body.data.updateLead.lead).toEqual({ version: lead.version + 1, extendedFields: { n: 2 } });
  });
});

describe("statement_timeout (STATEMENT_TIMEOUT_MS), on the local PostgreSQL", () => {
  // PGlite runs each statement synchronously inside this process, with no timer signal to cancel
  // it: it accepts `SET statement_timeout` but never enforces it, so the app does not set it there.
  // These run on the local PostgreSQL in a scratch database, whichever database the suite uses.
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase("stmt");
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it("cancels a statement that runs longer, through the app's own DataSource", async () => {
    const app = await startTestApp({ statementTimeoutMs: 300, databaseUrl: scratch.url, migrationsRun: false });
    try {
      const ds = app.app.db.dataSource;
      expect(await ds.query("SHOW statement_timeout")).toEqual([{ statement_timeout: "300ms" }]);
      const started = Date.now();
      await expect(ds.query("SELECT pg_sleep(3)")).rejects.toMatchObject({ driverError: { code: "57014" } });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await ds.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await app.close();
    }
  });

  it("is on by default in production, below the request timeout", async () => {
    const config = production();
    expect(config.statementTimeoutMs).toBeLessThan(config.requestTimeoutMs!);
    const app = await startTestApp({ ...config, databaseUrl: scratch.url, migrationsRun: false });
    try {
      expect(await app.app.db.dataSource.query("SHOW statement_timeout")).toEqual([{ statement_timeout: "15s" }]);
    } finally {
      await app.close();
    }
  });
});
