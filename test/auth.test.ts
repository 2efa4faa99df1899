import { createHmac, randomBytes } from "node:crypto";
import jwt from "jsonwebtoken";
import { SCOPES, type Scope } from "../src/auth/scopes";
import { ConfigError, DEV_JWT_SECRET, loadConfig } from "../src/config";
import { waitFor } from "./support/wait";
import { codes, newOrg, startTestApp, TEST_JWT_SECRET, type GqlResponse, type TestApp } from "./support/app";

let t: TestApp;
beforeAll(async () => {
  // The webhook operations' endpoints point at this machine's discard port.
  t = await startTestApp({ webhookAllowPrivate: true, webhookPollMs: 50 });
});
afterAll(() => t.close());

const VIEWER = "{ viewer { actor org scopes } }";
const LEADS = "{ leads { totalCount } }";
const CREATE_LEAD = `mutation { createLead(input: { leadFor: "sku-unauthenticated" }) { lead { id } } }`;

const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
/** HS256 with the test secret, for claims jsonwebtoken's sign refuses to write. */
const signedByHand = (claims: object) => {
  const unsigned = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}`;
  return `${unsigned}.${createHmac("sha256", TEST_JWT_SECRET).update(unsigned).digest("base64url")}`;
};
const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;

/** Every scope but one. */
const allBut = (scope: Scope) => SCOPES.filter((s) => s !== scope);

function expectOnly(res: GqlResponse, code: string) {
  expect(codes(res)).toEqual([code]);
}

describe("authentication", () => {
  /** The org the refused credentials below claim; nothing may ever be written to it. */
  const org = newOrg("unauth");
  const claims = () => ({ sub: "mallory", org, scope: SCOPES.join(" "), exp: nowSeconds() + 600 });

  const refused: Array<[string, () => { token?: string | null; headers?: Record<string, string> }]> = [
    ["no Authorization header", () => ({ token: null })],
    ["a token signed with another secret", () => ({ token: jwt.sign(claims(), "another-secret-0123456789abcdef0123456789") })],
    ["an expired token", () => ({ token: jwt.sign({ ...claims(), exp: nowSeconds() - 60 }, TEST_JWT_SECRET) })],
    ["a token not valid yet (nbf in the future)", () => ({ token: jwt.sign({ ...claims(), nbf: nowSeconds() + 3600 }, TEST_JWT_SECRET) })],
    ["an unsigned token (alg none)", () => ({ token: `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.` })],
    ["an HS512 token", () => ({ token: jwt.sign(claims(), TEST_JWT_SECRET, { algorithm: "HS512" }) })],
    [
      "a token whose payload was swapped after signing",
      () => {
        const [header, , signature] = jwt.sign({ ...claims(), org: "someone-else" }, TEST_JWT_SECRET).split(".");
        return { token: `${header}.${b64url(claims())}.${signature}` };
      },
    ],
    ["a garbage bearer token", () => ({ token: "not-a-jwt" })],
    ["Basic credentials", () => ({ token: null, headers: { authorization: `Basic ${Buffer.from("user:pass").toString("base64")}` } })],
    ["a bearer scheme without a token", () => ({ token: null, headers: { authorization: "Bearer " } })],
    ["a token without `org`", () => ({ token: jwt.sign({ sub: "mallory", scope: SCOPES.join(" "), exp: nowSeconds() + 600 }, TEST_JWT_SECRET) })],
    ["a token without `sub`", () => ({ token: jwt.sign({ org, scope: SCOPES.join(" "), exp: nowSeconds() + 600 }, TEST_JWT_SECRET) })],
    ["a token whose `org` is not a string", () => ({ token: jwt.sign({ ...claims(), org: 42 }, TEST_JWT_SECRET) })],
    ["a token with an empty `sub`", () => ({ token: jwt.sign({ ...claims(), sub: "" }, TEST_JWT_SECRET) })],
    // Longer than org_id / created_by: refused up front, not failing as a database error on write.
    ["a token whose `org` is longer than 128 characters", () => ({ token: jwt.sign({ ...claims(), org: org.padEnd(129, "x") }, TEST_JWT_SECRET) })],
    ["a token whose `sub` is longer than 128 characters", () => ({ token: jwt.sign({ ...claims(), sub: "m".repeat(129) }, TEST_JWT_SECRET) })],
    ["a token without `exp`", () => ({ token: jwt.sign({ sub: "mallory", org, scope: SCOPES.join(" ") }, TEST_JWT_SECRET) })],
    ["a token whose `exp` is not a number", () => ({ token: signedByHand({ ...claims(), exp: "never" }) })],
    // Claims PostgreSQL cannot store, or that `pg` would store altered (a lone surrogate becomes U+FFFD).
    ["a token whose `org` holds a NUL byte", () => ({ token: jwt.sign({ ...claims(), org: `${org}\u0000x` }, TEST_JWT_SECRET) })],
    ["a token whose `sub` holds a NUL byte", () => ({ token: jwt.sign({ ...claims(), sub: "mall\u0000ory" }, TEST_JWT_SECRET) })],
    ["a token whose `org` ends in an unpaired high surrogate", () => ({ token: jwt.sign({ ...claims(), org: `${org}\ud800` }, TEST_JWT_SECRET) })],
    ["a token whose `sub` holds an unpaired low surrogate", () => ({ token: jwt.sign({ ...claims(), sub: "mall\udc00ory" }, TEST_JWT_SECRET) })],
  ];

  it("accepts the same claims correctly signed (the control for the cases below)", async () => {
    const res = await t.gql(VIEWER, undefined, { token: jwt.sign(claims(), TEST_JWT_SECRET) });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.viewer).toEqual({ actor: "mallory", org, scopes: [...SCOPES].sort() });
  });

  it.each(refused)("%s → UNAUTHENTICATED for viewer, leads and a mutation", async (_name, credentials) => {
    const options = credentials();
    for (const query of [VIEWER, LEADS, CREATE_LEAD]) {
      const res = await t.gql(query, undefined, options);
      expectOnly(res, "UNAUTHENTICATED");
      expect(res.body.data).toBeNull();
    }
  });

  it("says why an expired token is refused", async () => {
    const res = await t.gql(VIEWER, undefined, { token: jwt.sign({ ...claims(), exp: nowSeconds() - 60 }, TEST_JWT_SECRET) });
    expectOnly(res, "UNAUTHENTICATED");
    expect(res.body.errors![0].message).toMatch(/expired/i);
  });

  it("wrote nothing for any refused credential", async () => {
    // `${org}\ufffd` is what the org with a lone surrogate would have been stored as.
    for (const written of [org, `${org}\ufffd`]) {
      const res = await t.gql(LEADS, undefined, { token: t.token({ org: written }) });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.leads.totalCount).toBe(0);
    }
  });

  it("accepts a token whose `sub` and `org` hold astral characters (well-formed surrogate pairs)", async () => {
    const token = jwt.sign({ ...claims(), sub: "till-\u{1F600}", org: newOrg("\u{1F600}") }, TEST_JWT_SECRET);
    const created = await t.gql(`mutation { createLead(input: { leadFor: "sku-astral" }) { lead { createdBy } } }`, undefined, { token });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createLead.lead.createdBy).toBe("till-\u{1F600}");
  });

  it("stores an org and sub of the longest accepted length", async () => {
    const longOrg = newOrg("long").padEnd(128, "o");
    const longSub = "s".repeat(128);
    const token = t.token({ org: longOrg, sub: longSub });
    const created = await t.gql(`mutation { createLead(input: { leadFor: "sku-long" }) { lead { id createdBy lastUpdatedBy } } }`, undefined, { token });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createLead.lead).toMatchObject({ createdBy: longSub, lastUpdatedBy: longSub });
    const viewer = await t.gql(VIEWER, undefined, { token });
    expect(viewer.body.data.viewer).toMatchObject({ actor: longSub, org: longOrg });
  });
});

describe("viewer", () => {
  it("returns the token's actor, org and scopes", async () => {
    const org = newOrg("viewer");
    const res = await t.gql(VIEWER, undefined, { token: t.token({ org, sub: "alice", scopes: ["leads:read", "followups:write"] }) });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.viewer).toEqual({ actor: "alice", org, scopes: ["followups:write", "leads:read"] });
  });

  it("needs no scope", async () => {
    const org = newOrg("viewer");
    const res = await t.gql(VIEWER, undefined, { token: t.token({ org, sub: "bob", scopes: [] }) });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.viewer).toEqual({ actor: "bob", org, scopes: [] });
  });
});

describe("scopes", () => {
  const org = newOrg("scopes");
  const full = () => t.token({ org });
  const only = (...scopes: Scope[]) => t.token({ org, scopes });
  let leadId: string;
  let reasonId: string;
  let followupId: string;
  let endpointId: string;
  let spareEndpointId: string;
  let deliveryId: string;

  beforeAll(async () => {
    const endpoints = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.gql(`mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hook" }) { endpoint { id } } }`, undefined, { token: full() });
      endpoints.push(res.body.data.createWebhookEndpoint.endpoint.id as string);
    }
    [endpointId, spareEndpointId] = endpoints;
    const lead = await t.gql(`mutation { createLead(input: { leadFor: "sku-scopes" }) { lead { id } } }`, undefined, { token: full() });
    leadId = lead.body.data.createLead.lead.id;
    const reason = await t.gql(`mutation { createLeadReason(reason: "Customer asked") { id } }`, undefined, { token: full() });
    reasonId = reason.body.data.createLeadReason.id;
    await t.gql(`mutation { createLeadSubStatus(status: ON_HOLD, subStatus: "waiting") { subStatus } }`, undefined, { token: full() });
    const followup = await t.gql(
      `mutation($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: CALL }) { followup { id } } }`,
      { leadId },
      { token: full() },
    );
    followupId = followup.body.data.createFollowup.followup.id;
    const DELIVERIES = `query($id: ID!) { webhookDeliveries(endpointId: $id, first: 1) { edges { node { id } } } }`;
    await waitFor(async () => {
      deliveryId = (await t.gql(DELIVERIES, { id: endpointId }, { token: full() })).body.data.webhookDeliveries.edges[0]?.node.id;
      return !!deliveryId;
    });
    expect([leadId, reasonId, followupId].every(Boolean)).toBe(true);
  });

  interface Operation {
    field: string;
    scope: Scope;
    mutation: boolean;
    query: string;
    variables?: () => Record<string, unknown>;
  }
  const ops: Operation[] = [
    { field: "lead", scope: "leads:read", mutation: false, query: `query($id: ID!) { lead(id: $id) { id } }`, variables: () => ({ id: leadId }) },
    { field: "leads", scope: "leads:read", mutation: false, query: `{ leads { totalCount } }` },
    { field: "leadReasons", scope: "leads:read", mutation: false, query: `{ leadReasons { id } }` },
    { field: "leadSubStatuses", scope: "leads:read", mutation: false, query: `{ leadSubStatuses { subStatus } }` },
    {
      field: "createLead",
      scope: "leads:write",
      mutation: true,
      query: `mutation { createLead(input: { leadFor: "sku-created" }) { lead { id } } }`,
    },
    {
      field: "updateLead",
      scope: "leads:write",
      mutation: true,
      query: `mutation($id: ID!) { updateLead(id: $id, input: { owner: "bob", extendedFields: { k: "v" } }) { lead { id } } }`,
      variables: () => ({ id: leadId }),
    },
    {
      field: "updateLeadStatus",
      scope: "leads:write",
      mutation: true,
      query: `mutation($id: ID!, $reasonId: ID!) {
        updateLeadStatus(id: $id, input: { status: ON_HOLD, subStatus: "waiting", reasonId: $reasonId }) { lead { id } }
      }`,
      variables: () => ({ id: leadId, reasonId }),
    },
    {
      field: "updateLeadFollowups",
      scope: "leads:write",
      mutation: true,
      query: `mutation($id: ID!) { updateLeadFollowups(id: $id, input: { followedUpOn: "2024-05-01T10:00:00.000Z", notes: "n" }) { lead { id } } }`,
      variables: () => ({ id: leadId }),
    },
    {
      field: "createLeadReason",
      scope: "leads:write",
      mutation: true,
      query: `mutation($reason: String!) { createLeadReason(reason: $reason) { id } }`,
      variables: () => ({ reason: unique("reason") }),
    },
    {
      field: "createLeadSubStatus",
      scope: "leads:write",
      mutation: true,
      query: `mutation($subStatus: String!) { createLeadSubStatus(status: OPEN, subStatus: $subStatus) { subStatus } }`,
      variables: () => ({ subStatus: unique("sub") }),
    },
    { field: "followup", scope: "followups:read", mutation: false, query: `query($id: ID!) { followup(id: $id) { id } }`, variables: () => ({ id: followupId }) },
    { field: "followups", scope: "followups:read", mutation: false, query: `{ followups { totalCount } }` },
    {
      field: "createFollowup",
      scope: "followups:write",
      mutation: true,
      query: `mutation($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: SMS }) { followup { id } } }`,
      variables: () => ({ leadId }),
    },
    {
      field: "updateFollowup",
      scope: "followups:write",
      mutation: true,
      query: `mutation($id: ID!) { updateFollowup(id: $id, input: { summary: "changed", status: SENT }) { followup { id } } }`,
      variables: () => ({ id: followupId }),
    },
    { field: "webhookEndpoints", scope: "webhooks:manage", mutation: false, query: `{ webhookEndpoints { id } }` },
    {
      field: "webhookDeliveries",
      scope: "webhooks:manage",
      mutation: false,
      query: `query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount } }`,
      variables: () => ({ id: endpointId }),
    },
    {
      field: "createWebhookEndpoint",
      scope: "webhooks:manage",
      mutation: true,
      query: `mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/created" }) { endpoint { id } } }`,
    },
    {
      field: "updateWebhookEndpoint",
      scope: "webhooks:manage",
      mutation: true,
      query: `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { description: "changed" }) { id } }`,
      variables: () => ({ id: endpointId }),
    },
    {
      field: "rotateWebhookSecret",
      scope: "webhooks:manage",
      mutation: true,
      query: `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`,
      variables: () => ({ id: endpointId }),
    },
    {
      field: "redeliverWebhook",
      scope: "webhooks:manage",
      mutation: true,
      query: `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`,
      variables: () => ({ id: deliveryId }),
    },
    // Last: it deletes an endpoint of its own.
    {
      field: "deleteWebhookEndpoint",
      scope: "webhooks:manage",
      mutation: true,
      query: `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`,
      variables: () => ({ id: spareEndpointId }),
    },
  ];
  const table = ops.map((op) => [op.field, op.scope, op] as const);

  /** Everything of the org a write could touch. */
  async function orgState() {
    const res = await t.gql(
      `{
        leads(first: 100, filter: { status: [OPEN, WON, LOST, ON_HOLD, DELETED] }) {
          totalCount
          edges { node {
            id status subStatus owner extendedFields version lastUpdatedOn lastUpdatedBy lastFollowUp
            followUpDetails { id } statusLogDetails { id status }
            followups { id status summary version lastUpdatedOn }
          } }
        }
        leadReasons { id reason }
        leadSubStatuses { status subStatus }
        followups(first: 100) { totalCount edges { node { id version summary status } } }
      }`,
      undefined,
      { token: full() },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  it("covers every operation of the schema", async () => {
    const res = await t.gql(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    const names = [...res.body.data.__schema.queryType.fields, ...res.body.data.__schema.mutationType.fields].map((f: { name: string }) => f.name);
    // `events` needs leads:read or followups:read, per event type: test/events.test.ts.
    expect(names.filter((n: string) => n !== "viewer" && n !== "node" && n !== "events").sort()).toEqual(ops.map((op) => op.field).sort());
  });

  it.each(table)("%s needs %s: FORBIDDEN with every other scope, and nothing changes", async (field, scope, op) => {
    const before = await orgState();
    for (const token of [only(...allBut(scope)), only()]) {
      const res = await t.gql(op.query, op.variables?.(), { token });
      expectOnly(res, "FORBIDDEN");
      expect(res.body.errors![0].path).toEqual([field]);
      expect(res.body.errors![0].message).toContain(scope);
      expect(res.body.data?.[field] ?? null).toBeNull();
    }
    expect(await orgState()).toEqual(before);
  });

  it.each(table)("%s works with %s alone", async (field, scope, op) => {
    const res = await t.gql(op.query, op.variables?.(), { token: only(scope) });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data[field]).not.toBeNull();
  });

  it("the writes above with their own scope did change the org (so the FORBIDDEN comparisons could fail)", async () => {
    const state = await orgState();
    const lead = state.leads.edges.find((e: { node: { id: string } }) => e.node.id === leadId).node;
    expect(lead).toMatchObject({ owner: "bob", status: "ON_HOLD", subStatus: "waiting" });
    expect(lead.followUpDetails).toHaveLength(1);
    expect(state.leads.totalCount).toBe(2);
    expect(state.followups.totalCount).toBe(2);
  });

  it("Lead.followups needs followups:read: null with FORBIDDEN, the lead's other fields still returned", async () => {
    const query = `query($id: ID!) { lead(id: $id) { id leadFor createdBy followups { id } } }`;
    const res = await t.gql(query, { id: leadId }, { token: only("leads:read") });
    expect(codes(res)).toEqual(["FORBIDDEN"]);
    expect(res.body.errors![0].path).toEqual(["lead", "followups"]);
    expect(res.body.data.lead).toEqual({ id: leadId, leadFor: "sku-scopes", createdBy: "tester", followups: null });

    const allowed = await t.gql(query, { id: leadId }, { token: only("leads:read", "followups:read") });
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.lead.followups.map((f: { id: string }) => f.id)).toContain(followupId);
  });

  it("Lead.followups inside a connection: every edge's followups null, the page still returned", async () => {
    const res = await t.gql(`{ leads { totalCount edges { node { id followups { id } } } } }`, undefined, { token: only("leads:read") });
    expect(res.body.data.leads.totalCount).toBe(2);
    expect(res.body.data.leads.edges).toHaveLength(2);
    for (const edge of res.body.data.leads.edges) expect(edge.node.followups).toBeNull();
    expect(codes(res)).toEqual(["FORBIDDEN", "FORBIDDEN"]);
  });

  describe("Followup.lead needs leads:read: null with FORBIDDEN at its path, the followup's other fields still returned", () => {
    const LEAD_FIELDS = "lead { id owner email extendedFields }";

    it("in followup(id)", async () => {
      const query = `query($id: ID!) { followup(id: $id) { id leadId ${LEAD_FIELDS} } }`;
      const denied = await t.gql(query, { id: followupId }, { token: only("followups:read", "followups:write", "leads:write") });
      expect(denied.status).toBe(200);
      expectOnly(denied, "FORBIDDEN");
      expect(denied.body.errors![0].path).toEqual(["followup", "lead"]);
      expect(denied.body.errors![0].message).toContain("leads:read");
      expect(denied.body.data.followup).toEqual({ id: followupId, leadId, lead: null });

      const allowed = await t.gql(query, { id: followupId }, { token: only("followups:read", "leads:read") });
      expect(allowed.body.errors).toBeUndefined();
      expect(allowed.body.data.followup.lead).toMatchObject({ id: leadId, owner: "bob" });
    });

    it("in a followups page: every edge's lead null, one FORBIDDEN each", async () => {
      const res = await t.gql(`{ followups { totalCount edges { node { id leadId ${LEAD_FIELDS} } } } }`, undefined, { token: only("followups:read") });
      expect(res.body.data.followups.totalCount).toBe(2);
      expect(res.body.data.followups.edges).toHaveLength(2);
      for (const edge of res.body.data.followups.edges) expect(edge.node).toEqual({ id: expect.any(String), leadId, lead: null });
      expect(codes(res)).toEqual(["FORBIDDEN", "FORBIDDEN"]);
      expect(res.body.errors!.map((e) => e.path)).toEqual([
        ["followups", "edges", 0, "node", "lead"],
        ["followups", "edges", 1, "node", "lead"],
      ]);
    });

    it("in Lead.followups, reached through a lead the token may read", async () => {
      // Both scopes: the nested lead is there (and answers without a load); the control for the next test.
      const query = `query($id: ID!) { lead(id: $id) { id followups { id lead { id owner } } } }`;
      const res = await t.gql(query, { id: leadId }, { token: only("leads:read", "followups:read") });
      expect(res.body.errors).toBeUndefined();
      for (const f of res.body.data.lead.followups) expect(f.lead).toEqual({ id: leadId, owner: "bob" });
    });

    it("in node(id) of a Followup", async () => {
      const res = await t.gql(`query($id: ID!) { node(id: $id) { id ... on Followup { ${LEAD_FIELDS} } } }`, { id: followupId }, { token: only("followups:read") });
      expectOnly(res, "FORBIDDEN");
      expect(res.body.errors![0].path).toEqual(["node", "lead"]);
      expect(res.body.data.node).toEqual({ id: followupId, lead: null });
    });

    it("in createFollowup's and updateFollowup's payloads: the write happens, the lead is withheld", async () => {
      const writeOnly = only("followups:write");
      const created = await t.gql(
        `mutation($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: CALL }) { followup { id leadId ${LEAD_FIELDS} } } }`,
        { leadId },
        { token: writeOnly },
      );
      expectOnly(created, "FORBIDDEN");
      expect(created.body.errors![0].path).toEqual(["createFollowup", "followup", "lead"]);
      const { id, lead } = created.body.data.createFollowup.followup;
      expect(lead).toBeNull();

      const updated = await t.gql(
        `mutation($id: ID!) { updateFollowup(id: $id, input: { notes: "seen" }) { followup { id version ${LEAD_FIELDS} } } }`,
        { id },
        { token: writeOnly },
      );
      expectOnly(updated, "FORBIDDEN");
      expect(updated.body.errors![0].path).toEqual(["updateFollowup", "followup", "lead"]);
      expect(updated.body.data.updateFollowup.followup).toEqual({ id, version: 2, lead: null });
    });
  });

  it("node(id) of a Lead needs leads:read", async () => {
    const query = `query($id: ID!) { node(id: $id) { __typename id } }`;
    const denied = await t.gql(query, { id: leadId }, { token: only("followups:read", "followups:write", "leads:write") });
    expectOnly(denied, "FORBIDDEN");
    expect(denied.body.data.node).toBeNull();
    const allowed = await t.gql(query, { id: leadId }, { token: only("leads:read") });
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.node).toEqual({ __typename: "Lead", id: leadId });
  });

  it("node(id) of a Followup needs followups:read", async () => {
    const query = `query($id: ID!) { node(id: $id) { __typename id } }`;
    const denied = await t.gql(query, { id: followupId }, { token: only("leads:read", "leads:write", "followups:write") });
    expectOnly(denied, "FORBIDDEN");
    expect(denied.body.data.node).toBeNull();
    const allowed = await t.gql(query, { id: followupId }, { token: only("followups:read") });
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.node).toEqual({ __typename: "Followup", id: followupId });
  });

  it("node(id) needs a valid token", async () => {
    const res = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: leadId }, { token: null });
    expectOnly(res, "UNAUTHENTICATED");
  });
});

describe("configuration", () => {
  it("refuses to start in production without JWT_SECRET", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "" })).toThrow(ConfigError);
  });

  it("refuses a short JWT_SECRET in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "too-short" })).toThrow(ConfigError);
  });

  it("uses JWT_SECRET when given", () => {
    const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: TEST_JWT_SECRET });
    expect(config).toMatchObject({ env: "production", jwtSecret: TEST_JWT_SECRET, devSecret: false });
    expect(loadConfig({ JWT_SECRET: "short-is-fine-in-dev" })).toMatchObject({ env: "development", jwtSecret: "short-is-fine-in-dev", devSecret: false });
  });

  it("uses the development secret outside production without JWT_SECRET", () => {
    expect(loadConfig({})).toMatchObject({ env: "development", jwtSecret: DEV_JWT_SECRET, devSecret: true });
    expect(loadConfig({ NODE_ENV: "development" })).toMatchObject({ jwtSecret: DEV_JWT_SECRET, devSecret: true });
  });

  it("mints a dev token (org demo, every scope) only with the development secret", async () => {
    expect(t.app.devToken).toBeUndefined();
    const dev = await startTestApp({ jwtSecret: DEV_JWT_SECRET, devSecret: true });
    try {
      expect(dev.app.devToken).toEqual(expect.any(String));
      const res = await dev.gql(VIEWER, undefined, { token: dev.app.devToken });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.viewer).toEqual({ actor: "dev", org: "demo", scopes: [...SCOPES].sort() });
      // and the dev token is worthless against a server with a real secret
      expectOnly(await t.gql(VIEWER, undefined, { token: dev.app.devToken }), "UNAUTHENTICATED");
    } finally {
      await dev.close();
    }
  });
});
