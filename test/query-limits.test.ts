import { getIntrospectionQuery } from "graphql";
import { DEFAULT_QUERY } from "../src/http/playground";
import { codes, startTestApp, type GqlResponse, type TestApp } from "./support/app";

/**
 * Query limits (src/http/query-limits.ts): each refusal is HTTP 400 with its own code and a
 * message that names numbers only, never a part of the document. The defaults let the real
 * clients' queries and introspection through.
 */
let t: TestApp;
/** Tiny limits, and batches of up to 3 operations. */
let c: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  c = await startTestApp({ maxQueryDepth: 3, maxQueryCost: 50, maxAliases: 1, maxDirectives: 1, maxTokens: 60, maxBatch: 3 });
}, 120_000);
afterAll(async () => {
  await Promise.all([t?.close(), c?.close()]);
});

/** A name no refusal may echo back. */
const MARKER = "zzmarker";

function expectRefused(res: GqlResponse, code: string) {
  expect(res.status).toBe(400);
  expect(codes(res)).toEqual([code]);
  expect(res.body.data).toBeUndefined();
  const error = res.body.errors![0];
  expect(Object.keys(error.extensions!)).toEqual(["code"]);
  expect(error.message).not.toMatch(/Syntax Error|Did you mean/);
  expect(JSON.stringify(res.body)).not.toContain(MARKER);
}

/** `followups { lead { … } }` nested `n` times under a page of `first` leads. */
function nestedFollowups(n: number, first: number, leaf = "id") {
  let inner = leaf;
  for (let i = 0; i < n; i++) inner = `followups { lead { ${inner} } }`;
  return `query ${MARKER}Deep { leads(first: ${first}) { edges { node { ${inner} } } } }`;
}

/** The real clients' query (test/batching.test.ts): a page of leads with every nested list. */
const CLIENT_QUERY = `query ($first: Int) {
  leads(first: $first) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id userId type leadFor status subStatus owner email timezone extendedFields nextFollowUp lastFollowUp
      followUpStep followUpState useStrategiesForFollowUps orgSourceId createdOn createdBy lastUpdatedOn lastUpdatedBy version
      followUpConfig { step hours channel voicemailEnabled strategyIds }
      followUpDetails { id leadId userId followedUpBy followedUpOn scheduledFollowUp nextFollowUp notes createdBy createdOn }
      statusLogDetails { id leadId userId status subStatus previousStatus reasonId reason createdBy createdOn }
      followups { id leadId status type callDate scheduledAt summary notes callId recordingUrl durationMs phoneNumber
        direction disconnectionReason isRetry createdOn lastUpdatedOn version lead { id leadFor } }
      onlySent: followups(status: [SENT]) { id }
    } }
  }
}`;

describe("the defaults let real queries through", () => {
  it("a page of 100 leads with every field and nested list", async () => {
    const res = await t.gql(CLIENT_QUERY, { first: 100 });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.leads.edges).toEqual([]);
  });

  it("the playground's default query", async () => {
    const res = await t.gql(DEFAULT_QUERY);
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
  });

  it("the full introspection query (GraphiQL, test/schema.test.ts)", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const res = await t.gql(query);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.__schema.types.length).toBeGreaterThan(20);
  });

  it("a query at the depth limit (10)", async () => {
    // leads, edges, node, then followups/lead three times, then id: 10 fields deep
    const res = await t.gql(nestedFollowups(3, 1));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it("30 aliases; 20 directives", async () => {
    const aliases = await t.gql(`{ ${Array.from({ length: 30 }, (_, i) => `a${i}: viewer { org }`).join(" ")} }`);
    expect(aliases.status).toBe(200);
    expect(aliases.body.errors).toBeUndefined();
    const directives = await t.gql(`{ viewer { ${"org @include(if: true) ".repeat(20)} } }`);
    expect(directives.status).toBe(200);
    expect(directives.body.errors).toBeUndefined();
  });
});

describe("depth", () => {
  it("a depth bomb → 400 QUERY_TOO_DEEP", async () => {
    // first: 0 keeps the cost tiny, so that depth alone refuses it
    const res = await t.gql(nestedFollowups(4, 0));
    expectRefused(res, "QUERY_TOO_DEEP");
    expect(res.body.errors![0].message).toBe("The operation is 12 fields deep; the limit is 10.");
  });

  it("counts through fragments, which add no depth of their own", async () => {
    const res = await t.gql(`
      query { leads(first: 0) { edges { node { ...${MARKER}A } } } }
      fragment ${MARKER}A on Lead { followups { lead { ...${MARKER}B } } }
      fragment ${MARKER}B on Lead { followups { lead { ... on Lead { followups { lead { followups { lead { id } } } } } } } }`);
    expectRefused(res, "QUERY_TOO_DEEP");
    expect(res.body.errors![0].message).toMatch(/is 12 fields deep/);
  });

  it("the same bomb over GET is refused alike", async () => {
    const res = await fetch(`${t.url}?query=${encodeURIComponent(nestedFollowups(4, 0))}`, {
      headers: { authorization: `Bearer ${t.token()}`, "apollo-require-preflight": "true" },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as GqlResponse["body"];
    expect(body.errors!.map((e) => e.extensions?.code)).toEqual(["QUERY_TOO_DEEP"]);
  });
});

describe("cost", () => {
  const query = (first: number) => `{ leads(first: ${first}) { edges { node { followups { lead { followUpDetails { id } } } } } } }`;

  it("weights lists by `first`: first: 1 passes, first: 100 → 400 QUERY_TOO_COMPLEX", async () => {
    const small = await t.gql(query(1));
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();

    const big = await t.gql(query(100));
    expectRefused(big, "QUERY_TOO_COMPLEX");
    // 1 + 100 × (edges 1 + node 1 + 10 followups × (1 + lead 1 + 10 details × 1))
    expect(big.body.errors![0].message).toMatch(/^The operation's estimated cost is 12201; the limit is 10000\./);
  });

  it("counts a `first` variable at the largest page (validation runs before variables are known)", async () => {
    const res = await t.gql(`query ($n: Int) { leads(first: $n) { edges { node { followups { lead { followUpDetails { id } } } } } } }`, { n: 1 });
    expectRefused(res, "QUERY_TOO_COMPLEX");
  });

  it("an alias bomb of pages is refused on cost too", async () => {
    const page = `leads(first: 100) { edges { node { followUpDetails { id } statusLogDetails { id } } } }`;
    const res = await t.gql(`{ ${Array.from({ length: 20 }, (_, i) => `${MARKER}${i}: ${page}`).join(" ")} }`);
    expectRefused(res, "QUERY_TOO_COMPLEX");
  });

  it("a first above the maximum page is still the resolver's BAD_USER_INPUT, not a cost refusal", async () => {
    const res = await t.gql(`{ leads(first: 100000) { edges { node { id } } } }`);
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("aliases", () => {
  it("an alias bomb → 400 TOO_MANY_ALIASES", async () => {
    const res = await t.gql(`{ ${Array.from({ length: 31 }, (_, i) => `${MARKER}${i}: viewer { org }`).join(" ")} }`);
    expectRefused(res, "TOO_MANY_ALIASES");
    expect(res.body.errors![0].message).toBe("The operation uses 31 aliases; the limit is 30.");
  });

  it("counts aliases inside fragments at each use", async () => {
    const res = await t.gql(`
      { viewer { ...${MARKER}F } a: viewer { ...${MARKER}F } }
      fragment ${MARKER}F on Viewer { ${Array.from({ length: 15 }, (_, i) => `x${i}: org`).join(" ")} }`);
    expectRefused(res, "TOO_MANY_ALIASES");
  });
});

describe("directives", () => {
  it("a directive bomb → 400 TOO_MANY_DIRECTIVES", async () => {
    const res = await t.gql(`{ viewer { ${Array.from({ length: 21 }, () => `org @include(if: true)`).join(" ")} } }`);
    expectRefused(res, "TOO_MANY_DIRECTIVES");
    expect(res.body.errors![0].message).toBe("The operation uses 21 directives; the limit is 20.");
  });
});

describe("tokens", () => {
  it("a token bomb → 400 TOO_MANY_TOKENS", async () => {
    const res = await t.gql(`{ viewer { ${`org `.repeat(2000)} } }`);
    expectRefused(res, "TOO_MANY_TOKENS");
    expect(res.body.errors![0].message).toBe("The document has more than 2000 tokens, the limit.");
  });

  it("stops parsing early: a document of 900 KB of tokens is refused at once", async () => {
    const started = Date.now();
    const res = await t.gql(`{ ${`${MARKER} `.repeat(100_000)} }`);
    expectRefused(res, "TOO_MANY_TOKENS");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a syntax error → HTTP 400 GRAPHQL_PARSE_FAILED (graphql-armor once turned it into 500)", async () => {
    for (const query of [`{ viewer { org `, `{ viewer { ${MARKER}( } }`, `query {`, `}`, `{ viewer { org } } garbage`, `"unterminated`]) {
      const res = await t.gql(query);
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(["GRAPHQL_PARSE_FAILED"]);
      expect(res.body.errors![0].message).toMatch(/^Syntax Error: /);
    }
  });
});

describe("fragments cannot make the measurement explode", () => {
  const chain = (spreads: (next: string) => string) =>
    Array.from({ length: 30 }, (_, i) => (i === 29 ? `fragment F${i} on Lead { id }` : `fragment F${i} on Lead { followUpDetails { id } ${spreads(`F${i + 1}`)} }`)).join("\n");

  it("30 fragments each spreading the next twice: measured once each, answered at once", async () => {
    const started = Date.now();
    const res = await t.gql(`{ leads(first: 1) { edges { node { ...F0 } } } }\n${chain((f) => `...${f} ...${f}`)}`);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("the same spread hidden in an inline fragment: estimated at 2^29 uses and refused, at once", async () => {
    const started = Date.now();
    const res = await t.gql(`{ leads(first: 1) { edges { node { ...F0 } } } }\n${chain((f) => `...${f} ... on Lead { ...${f} }`)}`);
    expect(res.status).toBe(400);
    expect(codes(res)).toContain("QUERY_TOO_COMPLEX");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("a fragment cycle is graphql-js's validation error, not a hang", async () => {
    const res = await t.gql(`{ viewer { ...A } } fragment A on Viewer { org ...B } fragment B on Viewer { ...A }`);
    expect(res.status).toBe(400);
    expect(codes(res)).toContain("GRAPHQL_VALIDATION_FAILED");
  });
});

describe("batched requests", () => {
  const post = (app: TestApp, body: unknown) =>
    fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${app.token()}` },
      body: JSON.stringify(body),
    });

  it("are off by default (MAX_BATCH=1): an array → 400 BATCH_TOO_LARGE", async () => {
    const res = await post(t, [{ query: "{ viewer { org } }" }, { query: "{ viewer { org } }" }]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errors: [{ message: "Batched requests are not accepted: send one operation per request.", extensions: { code: "BATCH_TOO_LARGE" } }],
    });
  });

  describe("with MAX_BATCH=3", () => {
    const b = { post: (body: unknown) => post(c, body), gql: (q: string) => c.gql(q) };

    it("answers a batch of 3, each operation on its own", async () => {
      const res = await b.post([{ query: "{ viewer { org } }" }, { query: "{ __typename }" }, { query: "{ leads { totalCount } }" }]);
      expect(res.status).toBe(200);
      const body = (await res.json()) as GqlResponse["body"][];
      expect(body).toEqual([{ data: { viewer: { org: expect.any(String) } } }, { data: { __typename: "Query" } }, { data: { leads: { totalCount: 0 } } }]);
    });

    it("refuses a batch of 4 → 400 BATCH_TOO_LARGE, running none of it", async () => {
      const res = await b.post(Array.from({ length: 4 }, (_, i) => ({ query: `mutation { createLeadReason(reason: "batch ${i}") { id } }` })));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: [{ message: "A batch may hold at most 3 operations.", extensions: { code: "BATCH_TOO_LARGE" } }] });
      const reasons = await b.gql(`{ leadReasons { reason } }`);
      expect(reasons.body.data.leadReasons).toEqual([]);
    });

    it("limits each operation of a batch", async () => {
      const res = await b.post([{ query: "{ viewer { org } }" }, { query: nestedFollowups(4, 0) }]);
      const body = (await res.json()) as GqlResponse["body"][];
      expect(body[0].data).toEqual({ viewer: { org: expect.any(String) } });
      expect(body[1].errors![0].extensions!.code).toBe("QUERY_TOO_DEEP");
    });
  });
});

describe("each limit is configurable", () => {
  it.each([
    ["depth", `{ leads(first: 0) { edges { node { id } } } }`, "QUERY_TOO_DEEP"],
    ["cost", `{ leads(first: 60) { pageInfo { hasNextPage } } }`, "QUERY_TOO_COMPLEX"],
    ["aliases", `{ a: viewer { org } b: viewer { org } }`, "TOO_MANY_ALIASES"],
    ["directives", `{ viewer { org @skip(if: false) actor @skip(if: false) } }`, "TOO_MANY_DIRECTIVES"],
    ["tokens", `{ viewer { ${"org ".repeat(57)} } }`, "TOO_MANY_TOKENS"],
  ])("%s", async (_name, query, code) => {
    expectRefused(await c.gql(query), code);
  });

  it("and lets smaller queries through", async () => {
    const res = await c.gql(`{ viewer { org } }`);
    expect(res.body.errors).toBeUndefined();
  });
});
