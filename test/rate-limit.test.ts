import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { ApiKeyService } from "../src/auth/api-key.service";
import { codes, newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";
import { describeWith } from "./support/services";

const READS = 5;
const WRITES = 3;
const WINDOW = 3600;
const REDIS_URL = "redis://127.0.0.1:6379";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ rateLimitReads: READS, rateLimitWrites: WRITES, rateLimitWindowSeconds: WINDOW });
});
afterAll(() => t.close());

const VIEWER = "{ viewer { actor } }";
const CREATE_LEAD = `mutation { createLead(input: { leadFor: "sku-limited" }) { lead { id } } }`;

/** A principal of its own (a fresh sub in a fresh org), so that no other test's counts touch it. */
const fresh = (app: TestApp = t, org = newOrg("rl")) => app.token({ org, sub: `sub-${randomBytes(4).toString("hex")}` });

const header = (res: GqlResponse, name: string) => res.headers.get(name);
const remaining = (res: GqlResponse) => Number(header(res, "x-ratelimit-remaining"));

function expectLimited(res: GqlResponse, limit: number, window = WINDOW) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/Rate limit exceeded/), extensions: { code: "RATE_LIMITED" } }] });
  expect(header(res, "x-ratelimit-limit")).toBe(String(limit));
  expect(header(res, "x-ratelimit-remaining")).toBe("0");
  const retryAfter = Number(header(res, "retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(window);
  expectReset(res, window);
}

/** X-RateLimit-Reset: the end of the window in Unix seconds, no later than one window from now. */
function expectReset(res: GqlResponse, window = WINDOW) {
  const reset = Number(header(res, "x-ratelimit-reset"));
  const now = Date.now() / 1000;
  expect(Number.isInteger(reset)).toBe(true);
  expect(reset).toBeGreaterThanOrEqual(Math.floor(now));
  expect(reset).toBeLessThanOrEqual(Math.ceil(now) + window + 1);
}

describe("reads", () => {
  it(`the first ${READS} pass with Remaining counting down; the next is 429 RATE_LIMITED`, async () => {
    const token = fresh();
    for (let i = 1; i <= READS; i++) {
      const res = await t.gql(VIEWER, undefined, { token });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(header(res, "x-ratelimit-limit")).toBe(String(READS));
      expect(remaining(res)).toBe(READS - i);
      expect(header(res, "x-ratelimit-resource")).toBe("reads");
      expect(header(res, "retry-after")).toBeNull();
      expectReset(res);
    }
    const over = await t.gql(VIEWER, undefined, { token });
    expectLimited(over, READS);
    // and it stays refused
    expectLimited(await t.gql("{ leads { totalCount } }", undefined, { token }), READS);
  });

  it("documents that do not parse or validate count as reads too", async () => {
    const token = fresh();
    for (let i = 1; i <= READS; i++) {
      const res = await t.gql(i % 2 ? "{ leads { " : "{ noSuchField }", undefined, { token });
      expect(res.status).toBe(400);
      expect(remaining(res)).toBe(READS - i);
    }
    expectLimited(await t.gql("{ leads { " , undefined, { token }), READS);
    expectLimited(await t.gql(VIEWER, undefined, { token }), READS);
  });
});

describe("writes", () => {
  it("are counted apart from reads, and a refused mutation never runs", async () => {
    const org = newOrg("rl-writes");
    const token = fresh(t, org);
    for (let i = 0; i < READS; i++) expect((await t.gql(VIEWER, undefined, { token })).status).toBe(200);
    expectLimited(await t.gql(VIEWER, undefined, { token }), READS);

    // reads exhausted, writes untouched
    for (let i = 1; i <= WRITES; i++) {
      const res = await t.gql(CREATE_LEAD, undefined, { token });
      expect(res.body.errors).toBeUndefined();
      expect(header(res, "x-ratelimit-limit")).toBe(String(WRITES));
      expect(remaining(res)).toBe(WRITES - i);
      expect(header(res, "x-ratelimit-resource")).toBe("writes");
    }
    const over = await t.gql(CREATE_LEAD, undefined, { token });
    expectLimited(over, WRITES);

    // counted by another principal of the same org: exactly the leads of the allowed mutations
    const count = await t.gql("{ leads { totalCount } }", undefined, { token: fresh(t, org) });
    expect(count.body.data.leads.totalCount).toBe(WRITES);
  });

  it("only the operation that runs counts: operationName picks it", async () => {
    const token = fresh();
    const doc = `query Look { viewer { actor } } mutation Make { createLead(input: { leadFor: "sku-picked" }) { lead { id } } }`;
    const send = (operationName: string) =>
      fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: doc, operationName }),
      });
    const look = await send("Look");
    expect(look.status).toBe(200);
    expect(look.headers.get("x-ratelimit-resource")).toBe("reads");
    expect(look.headers.get("x-ratelimit-remaining")).toBe(String(READS - 1));
    const make = await send("Make");
    expect(make.status).toBe(200);
    expect(make.headers.get("x-ratelimit-resource")).toBe("writes");
    expect(make.headers.get("x-ratelimit-remaining")).toBe(String(WRITES - 1));
    const again = await send("Look");
    expect(again.headers.get("x-ratelimit-remaining")).toBe(String(READS - 2));
  });
});

describe("principals", () => {
  it("each JWT principal (org and sub) and each API key has counts of its own", async () => {
    const org = newOrg("rl-principals");
    const exhausted = t.token({ org, sub: "alice" });
    for (let i = 0; i < READS; i++) await t.gql(VIEWER, undefined, { token: exhausted });
    expectLimited(await t.gql(VIEWER, undefined, { token: exhausted }), READS);

    const sameOrgOtherSub = t.token({ org, sub: "bob" });
    const sameSubOtherOrg = t.token({ org: newOrg("rl-other"), sub: "alice" });
    const keys = new ApiKeyService(t.app.db.dataSource);
    const { key } = await keys.create({ org, name: "rl-partner", scopes: ["leads:read"] });
    for (const token of [sameOrgOtherSub, sameSubOtherOrg, key]) {
      const res = await t.gql(VIEWER, undefined, { token });
      expect(res.status).toBe(200);
      expect(remaining(res)).toBe(READS - 1);
    }
  });

  it("an API key is counted by key, whichever header carries it", async () => {
    const keys = new ApiKeyService(t.app.db.dataSource);
    const { key } = await keys.create({ org: newOrg("rl-key"), name: "counted", scopes: ["leads:read"] });
    for (let i = 1; i <= READS; i++) {
      const res = await t.gql(VIEWER, undefined, i % 2 ? { token: key } : { token: null, headers: { "x-api-key": key } });
      expect(remaining(res)).toBe(READS - i);
    }
    expectLimited(await t.gql(VIEWER, undefined, { token: null, headers: { "x-api-key": key } }), READS);
  });

  it("callers without valid credentials are counted per client address, at the read limit", async () => {
    // an app of its own: its in-memory counts for 127.0.0.1 start at zero
    const app = await startTestApp({ rateLimitReads: 3, rateLimitWrites: 10 });
    try {
      const attempts = [{ token: null }, { token: "not-a-jwt" }, { token: `lgk_${randomBytes(32).toString("base64url")}` }];
      for (const [i, options] of attempts.entries()) {
        const res = await app.gql(i === 0 ? CREATE_LEAD : VIEWER, undefined, options);
        expect(codes(res)).toEqual(["UNAUTHENTICATED"]);
        expect(header(res, "x-ratelimit-limit")).toBe("3");
        expect(remaining(res)).toBe(2 - i);
      }
      expectLimited(await app.gql(VIEWER, undefined, { token: null }), 3);
      expectLimited(await app.gql(CREATE_LEAD, undefined, { token: "still-not-a-jwt" }), 3);
      // a valid caller from the same address is not affected
      const res = await app.gql(VIEWER, undefined, { token: fresh(app) });
      expect(res.status).toBe(200);
      expect(remaining(res)).toBe(2);
    } finally {
      await app.close();
    }
  });
});

describe("the window", () => {
  it("opens again once Retry-After has passed", async () => {
    const app = await startTestApp({ rateLimitReads: 2, rateLimitWindowSeconds: 1 });
    try {
      const token = fresh(app);
      await app.gql(VIEWER, undefined, { token });
      await app.gql(VIEWER, undefined, { token });
      const over = await app.gql(VIEWER, undefined, { token });
      expectLimited(over, 2, 1);
      await new Promise((r) => setTimeout(r, Number(header(over, "retry-after")) * 1000 + 100));
      const again = await app.gql(VIEWER, undefined, { token });
      expect(again.status).toBe(200);
      expect(remaining(again)).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describeWith("Redis")("with REDIS_URL", () => {
  const prefix = `test-rl-${randomBytes(6).toString("hex")}`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  afterAll(async () => {
    await redis.connect().catch(() => undefined);
    const stored = await redis.keys(`${prefix}:*`);
    if (stored.length) await redis.del(...stored);
    redis.disconnect();
  });

  it("two instances share one count per principal", async () => {
    const options = { rateLimitReads: 4, rateLimitWrites: 2, redisUrl: REDIS_URL, rateLimitPrefix: prefix };
    const a = await startTestApp(options);
    const b = await startTestApp(options);
    try {
      const token = fresh(a); // the same secret: valid on both
      const instances = [a, b, a, b];
      for (const [i, app] of instances.entries()) {
        const res = await app.gql(VIEWER, undefined, { token });
        expect(res.status).toBe(200);
        expect(remaining(res)).toBe(3 - i);
      }
      expectLimited(await a.gql(VIEWER, undefined, { token }), 4);
      expectLimited(await b.gql(VIEWER, undefined, { token }), 4);

      // writes too, apart from reads
      expect(remaining(await b.gql(CREATE_LEAD, undefined, { token }))).toBe(1);
      expect(remaining(await a.gql(CREATE_LEAD, undefined, { token }))).toBe(0);
      expectLimited(await b.gql(CREATE_LEAD, undefined, { token }), 2);

      // the counts are Redis's: they are under the run's prefix there
      await redis.connect();
      expect((await redis.keys(`${prefix}:*`)).length).toBeGreaterThanOrEqual(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("an unreachable Redis does not fail requests: each instance counts on its own", async () => {
    const app = await startTestApp({ rateLimitReads: 2, redisUrl: "redis://127.0.0.1:1", rateLimitPrefix: prefix });
    try {
      const token = fresh(app);
      expect(remaining(await app.gql(VIEWER, undefined, { token }))).toBe(1);
      expect(remaining(await app.gql(VIEWER, undefined, { token }))).toBe(0);
      expectLimited(await app.gql(VIEWER, undefined, { token }), 2);
    } finally {
      await app.close();
    }
  });
});
