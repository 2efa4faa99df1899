import { logger, setLogDestination } from "../src/common/logger";
import { SCOPES } from "../src/auth/scopes";
import { startTestApp, type TestApp } from "./support/app";

/**
 * src/execution.ts: an operation runs through graphql-js until it has run JIT_COMPILE_AFTER times,
 * then compiled by graphql-jit. Both must answer exactly alike, errors included; the "operation
 * compiled" debug line tells which run was compiled.
 */
let t: TestApp;
let token: string;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  t = await startTestApp({ jitCompileAfter: 2 });
  token = t.token();
  setLogDestination({ write: (chunk: string) => void lines.push(JSON.parse(chunk)) });
  logger.level = "debug";
});
afterAll(async () => {
  logger.level = "silent";
  setLogDestination();
  await t?.close();
});

const compiledLines = (operation: string) => lines.filter((l) => l.msg === "operation compiled" && l.operation === operation);

let leadId: string;
beforeAll(async () => {
  const created = await t.gql(
    `mutation { createLead(input: { leadFor: "SKU-jit", email: "a@example.com", extendedFields: { tier: "gold" } }) { lead { id } } }`,
    {},
    { token },
  );
  leadId = created.body.data.createLead.lead.id;
  await t.gql(`mutation ($id: ID!) { createFollowup(input: { leadId: $id, type: CALL }) { followup { id } } }`, { id: leadId }, { token });
  await t.gql(
    `mutation ($id: ID!) { updateLeadFollowups(id: $id, input: { followedUpOn: "2030-01-01T00:00:00.000Z", notes: "called" }) { lead { id } } }`,
    { id: leadId },
    { token },
  );
});

const cases: Array<[name: string, query: string, variables: () => Record<string, unknown>, scopes?: readonly string[]]> = [
  [
    "Page",
    `query Page($first: Int) { leads(first: $first) { totalCount edges { cursor node { __typename id status email extendedFields createdOn followUpState
      followUpDetails { id followedUpOn notes } statusLogDetails { status previousStatus } followups { id type status lead { id } } } } pageInfo { hasNextPage endCursor } } }`,
    () => ({ first: 5 }),
  ],
  ["Node", `query Node($id: ID!) { node(id: $id) { __typename id ... on Lead { leadFor } } }`, () => ({ id: leadId })],
  // a field refused (null + FORBIDDEN) next to fields answered
  ["Forbidden", `query Forbidden($id: ID!) { lead(id: $id) { id followups { id } } }`, () => ({ id: leadId }), ["leads:read"]],
  // a resolver's DomainError (BAD_USER_INPUT with fields)
  ["TooMany", `query TooMany($first: Int) { leads(first: $first) { totalCount } }`, () => ({ first: 101 })],
];

it.each(cases)("%s: graphql-js's answers and the compiled ones are the same", async (name, query, variables, scopes = SCOPES) => {
  const auth = t.token({ scopes });
  const runs = [];
  for (let i = 0; i < 4; i++) {
    const res = await t.gql(query, variables(), { token: auth });
    runs.push({ status: res.status, body: res.body });
    expect(compiledLines(name)).toHaveLength(i < 2 ? 0 : 1); // compiled on the third run, once
  }
  expect(runs[2]).toEqual(runs[0]);
  expect(runs[3]).toEqual(runs[1]);
  expect(runs[0]).toEqual(runs[1]);
});

it("mutations are never compiled", async () => {
  const mutation = `mutation Touch($id: ID!, $n: Int!) { updateLead(id: $id, input: { extendedFields: { n: $n } }) { lead { extendedFields } } }`;
  for (let n = 0; n < 4; n++) {
    const res = await t.gql(mutation, { id: leadId, n }, { token });
    expect(res.body).toEqual({ data: { updateLead: { lead: { extendedFields: { tier: "gold", n } } } } });
  }
  expect(compiledLines("Touch")).toEqual([]);
});

it("a bad variable is refused by graphql-js before either runs, and never compiles the operation", async () => {
  const query = `query BadVariable($first: Int) { leads(first: $first) { totalCount } }`;
  const bodies = [];
  for (let i = 0; i < 4; i++) {
    const res = await t.gql(query, { first: "ten" }, { token });
    expect(res.status).toBe(400);
    bodies.push(res.body);
  }
  expect(bodies[0].errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
  expect(compiledLines("BadVariable")).toEqual([]);
  // the same operation with a good variable is counted from then on
  for (let i = 0; i < 3; i++) expect((await t.gql(query, { first: 1 }, { token })).status).toBe(200);
  expect(compiledLines("BadVariable")).toHaveLength(1);
});

it("an operation name the document does not have: 400, from graphql-js, however often it is sent", async () => {
  for (let i = 0; i < 4; i++) {
    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "query A { viewer { actor } }", operationName: "B" }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
  }
});

it("a document whose fragments expand past MAX_COMPILED_FIELDS is never compiled, and answered at once", async () => {
  // 30 fragments each spreading the next twice: ~2^30 fields expanded; graphql-js merges them
  const chain = Array.from({ length: 30 }, (_, i) =>
    i === 29 ? `fragment F${i} on Lead { id }` : `fragment F${i} on Lead { followUpDetails { id } ...F${i + 1} ...F${i + 1} }`,
  ).join("\n");
  const query = `query Chain { leads(first: 1) { edges { node { ...F0 } } } }\n${chain}`;
  const started = Date.now();
  for (let i = 0; i < 4; i++) {
    const res = await t.gql(query, {}, { token });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  }
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(compiledLines("Chain")).toEqual([]);
});
