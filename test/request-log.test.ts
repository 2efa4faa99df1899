import { randomBytes } from "node:crypto";
import { ApiKeyService } from "../src/auth/api-key.service";
import { logger, setLogDestination } from "../src/common/logger";
import { codes, newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";

/** Every line the app logs while this file runs (the app runs in this process and shares the logger). */
const raw: string[] = [];
const lines = () => raw.flatMap((chunk) => chunk.split("\n").filter(Boolean)).map((line) => JSON.parse(line) as Record<string, any>);

let t: TestApp;
beforeAll(async () => {
  setLogDestination({ write: (chunk: string) => void raw.push(chunk) });
  logger.level = "info";
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
  logger.level = "silent";
  setLogDestination();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const marker = (label: string) => `${label}-${randomBytes(8).toString("hex")}`;

/** The one request line of a request id; the line is written when the response ends, so it may trail it. */
async function requestLine(reqId: string) {
  for (let i = 0; i < 100; i++) {
    const found = lines().filter((l) => l.msg === "request" && l.reqId === reqId);
    if (found.length) {
      expect(found).toHaveLength(1);
      return found[0];
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no request line for ${reqId}`);
}

const idOf = (res: GqlResponse | Response) => res.headers.get("x-request-id")!;

describe("request ids", () => {
  it("echoes a sane X-Request-Id and logs under it", async () => {
    const given = marker("req");
    const res = await t.gql("{ viewer { actor } }", undefined, { headers: { "x-request-id": given } });
    expect(idOf(res)).toBe(given);
    expect((await requestLine(given)).status).toBe(200);
  });

  it.each([
    ["none", undefined],
    ["one with spaces", "two words"],
    ["one too long", "x".repeat(129)],
    ["one with markup", "<script>alert(1)</script>"],
    ["one with quotes", '"quoted"'],
  ])("makes a fresh one when given %s", async (_name, given) => {
    const res = await t.gql("{ viewer { actor } }", undefined, given === undefined ? {} : { headers: { "x-request-id": given } });
    const id = idOf(res);
    expect(id).toMatch(UUID);
    expect((await requestLine(id)).status).toBe(200);
  });

  it("returns one on every response: health checks and refused bodies included", async () => {
    const health = await fetch(`${t.origin}/healthz`);
    expect(idOf(health)).toMatch(UUID);
    expect(await requestLine(idOf(health))).toMatchObject({ method: "GET", path: "/healthz", status: 200 });
    const bad = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "bad-json-1" }, body: "{ nope" });
    expect(bad.status).toBe(400);
    expect(idOf(bad)).toBe("bad-json-1");
    expect(await requestLine("bad-json-1")).toMatchObject({ status: 400, path: "/graphql" });
  });

  it("two requests get two ids", async () => {
    const [a, b] = await Promise.all([t.gql("{ viewer { actor } }"), t.gql("{ viewer { actor } }")]);
    expect(idOf(a)).not.toBe(idOf(b));
  });
});

describe("the request line", () => {
  it("says who, which operation, the status and how long", async () => {
    const org = newOrg("log");
    const res = await t.gql("query CountLeads { leads { totalCount } }", undefined, { token: t.token({ org, sub: "alice" }) });
    expect(res.body.errors).toBeUndefined();
    const line = await requestLine(idOf(res));
    expect(line).toMatchObject({
      level: 30,
      msg: "request",
      method: "POST",
      path: "/graphql",
      status: 200,
      actor: "alice",
      org,
      principal: "jwt",
      operation: "CountLeads",
      operationType: "query",
    });
    expect(typeof line.durationMs).toBe("number");
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(typeof line.time).toBe("number");
    expect(line.errors).toBeUndefined();
  });

  it("lists the error codes of a response", async () => {
    const org = newOrg("log");
    const forbidden = await t.gql(`mutation Make { createLead(input: { leadFor: "x" }) { lead { id } } }`, undefined, {
      token: t.token({ org, sub: "bob", scopes: ["leads:read"] }),
    });
    expect(codes(forbidden)).toEqual(["FORBIDDEN"]);
    expect(await requestLine(idOf(forbidden))).toMatchObject({ actor: "bob", org, operation: "Make", operationType: "mutation", errors: ["FORBIDDEN"] });

    const anonymous = await t.gql("{ viewer { actor } }", undefined, { token: null });
    const line = await requestLine(idOf(anonymous));
    expect(line).toMatchObject({ status: 200, operation: null, operationType: "query", errors: ["UNAUTHENTICATED"] });
    expect(line.actor).toBeUndefined();

    const invalid = await t.gql("query Broken { nope }");
    expect(invalid.status).toBe(400);
    expect(await requestLine(idOf(invalid))).toMatchObject({ status: 400, operation: "Broken", operationType: null, errors: ["GRAPHQL_VALIDATION_FAILED"] });
  });

  it("names an API key caller by key", async () => {
    const keys = new ApiKeyService(t.app.db.dataSource);
    const org = newOrg("log-key");
    const { apiKey, key } = await keys.create({ org, name: "logged-partner", scopes: ["leads:read"] });
    const res = await t.gql("{ viewer { actor } }", undefined, { token: null, headers: { "x-api-key": key } });
    expect(await requestLine(idOf(res))).toMatchObject({ actor: "apikey:logged-partner", org, principal: "apikey", apiKeyId: apiKey.id });
  });

  it("a 429 is logged with RATE_LIMITED", async () => {
    const limited = await startTestApp({ rateLimitReads: 1 });
    try {
      const token = limited.token();
      await limited.gql("{ viewer { actor } }", undefined, { token });
      const res = await limited.gql("query Again { viewer { actor } }", undefined, { token });
      expect(res.status).toBe(429);
      expect(await requestLine(idOf(res))).toMatchObject({ status: 429, operation: "Again", errors: ["RATE_LIMITED"] });
    } finally {
      await limited.close();
    }
  });
});

describe("what is never logged", () => {
  it("no token, API key, query string, body or variable value appears in any line", async () => {
    const org = newOrg("secret");
    const token = t.token({ org });
    const keys = new ApiKeyService(t.app.db.dataSource);
    const { key } = await keys.create({ org, name: "never-logged", scopes: ["leads:read", "leads:write"] });
    const secrets = { variable: marker("VARIABLE"), literal: marker("LITERAL"), getVariable: marker("GETVAR"), body: marker("BODY") };
    const start = raw.length;

    // variables and literals in a mutation, with a token and with a key
    const viaToken = await t.gql(`mutation($leadFor: String!) { createLead(input: { leadFor: $leadFor, owner: "${secrets.literal}" }) { lead { id } } }`, { leadFor: secrets.variable }, { token });
    expect(viaToken.body.errors).toBeUndefined();
    const viaKey = await t.gql(`mutation($leadFor: String!) { createLead(input: { leadFor: $leadFor }) { lead { id } } }`, { leadFor: secrets.variable }, { token: key });
    expect(viaKey.body.errors).toBeUndefined();
    // a refused variable, echoed nowhere
    const invalid = await t.gql(`mutation($input: UpdateLeadInput!) { updateLead(id: "lead_x", input: $input) { lead { id } } }`, { input: { email: secrets.variable } }, { token });
    expect(invalid.body.errors).toBeDefined();
    // a GET with the query and variables in the query string
    const url = `${t.url}?query=${encodeURIComponent("query($q: ID!) { lead(id: $q) { id } }")}&variables=${encodeURIComponent(JSON.stringify({ q: secrets.getVariable }))}`;
    const get = await fetch(url, { headers: { accept: "application/json", "apollo-require-preflight": "true", "x-api-key": key } });
    expect(get.status).toBe(200);
    // a body that is not JSON
    const bad = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: `{"query": "${secrets.body}` });
    expect(bad.status).toBe(400);

    for (const res of [viaToken, viaKey, invalid, get, bad]) await requestLine(idOf(res));
    const written = raw.slice(start).join("");
    expect(written).toContain(idOf(viaToken)); // the capture did see these requests
    for (const value of [token, key, key.slice(12), ...Object.values(secrets)]) expect(written).not.toContain(value);
    expect(written).not.toContain(token.split(".")[2]); // not even the JWT's signature
  });
});

describe("error logs", () => {
  it("an unexpected error's log line carries the request id, and the client sees only INTERNAL_SERVER_ERROR", async () => {
    const broken = await startTestApp();
    try {
      // the database goes away under the running app
      await broken.app.db.dataSource.destroy();
      const given = marker("failing");
      const res = await broken.gql("{ leads { totalCount } }", undefined, { headers: { "x-request-id": given } });
      expect(codes(res)).toEqual(["INTERNAL_SERVER_ERROR"]);
      const line = await requestLine(given);
      expect(line.errors).toEqual(["INTERNAL_SERVER_ERROR"]);
      const errors = lines().filter((l) => l.reqId === given && l.msg === "unexpected error");
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ level: 50, err: expect.objectContaining({ message: expect.any(String) }) });
    } finally {
      await broken.close();
    }
  });
});
