import { QueryFailedError } from "typeorm";
import { LeadService } from "../src/leads/lead.service";
import { codes, startTestApp, type GqlResponse, type TestApp } from "./support/app";

/** A value no error may echo back. */
const MARKER = "zz-marker-123";

let t: TestApp;
let leadId: string;
beforeAll(async () => {
  t = await startTestApp();
  const res = await t.gql(`mutation { createLead(input: { leadFor: "sku-errors" }) { lead { id } } }`);
  leadId = res.body.data.createLead.lead.id;
});
afterAll(() => t.close());
afterEach(() => jest.restoreAllMocks());

/** Every key anywhere in a JSON value. */
function keysOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysOf(v, out);
    }
  return out;
}

/** No stack trace anywhere, and (when given) no trace of the submitted value. */
function expectClean(res: GqlResponse, submitted?: string) {
  const keys = keysOf(res.body);
  for (const key of ["stacktrace", "stack", "exception", "target", "value", "constraints", "children"]) expect(keys).not.toContain(key);
  for (const error of res.body.errors ?? []) expect(Object.keys(error.extensions ?? {})).not.toContain("stacktrace");
  if (submitted) expect(JSON.stringify(res.body).toLowerCase()).not.toContain(submitted.toLowerCase());
}

function expectFieldErrors(res: GqlResponse, paths: string[]) {
  expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
  const { extensions } = res.body.errors![0];
  expect(Object.keys(extensions!).sort()).toEqual(["code", "fields"]);
  expect(Object.keys(extensions!.fields!).sort()).toEqual([...paths].sort());
  for (const messages of Object.values(extensions!.fields!)) {
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(typeof m).toBe("string");
  }
}

describe("INTERNAL_SERVER_ERROR", () => {
  const INTERNAL = { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };

  function expectMasked(res: GqlResponse) {
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject(INTERNAL);
    expect(res.body.errors![0].extensions).toEqual(INTERNAL.extensions);
    const text = JSON.stringify(res.body);
    for (const leak of ["SELECT", "FROM", "INSERT", "leads", "lead_reasons", "org_id", "relation"]) expect(text).not.toContain(leak);
    expect(text.toLowerCase()).not.toContain("typeorm");
    expect(text.toLowerCase()).not.toContain("queryfailed");
    expectClean(res);
  }

  it("masks a database error: no SQL, table names or stack", async () => {
    const driverError = Object.assign(new Error('relation "leads" does not exist'), { code: "42P01" });
    jest
      .spyOn(LeadService.prototype, "list")
      .mockRejectedValueOnce(new QueryFailedError(`SELECT "lead"."id" FROM "leads" "lead" WHERE "lead"."org_id" = $1`, ["org"], driverError));
    // aliased, so that the field name `leads` cannot appear in the response either
    const res = await t.gql(`{ all: leads { totalCount edges { node { id } } } }`);
    expect(res.status).toBe(200);
    expect(res.body.errors![0].path).toEqual(["all"]);
    expectMasked(res);
  });

  it("masks a plain programming error", async () => {
    jest.spyOn(LeadService.prototype, "get").mockImplementationOnce(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'orgId') at SELECT FROM leads");
    });
    const res = await t.gql(`query($id: ID!) { one: lead(id: $id) { id } }`, { id: leadId });
    expectMasked(res);
  });

  describe("with the database gone", () => {
    let gone: TestApp;
    beforeAll(async () => {
      gone = await startTestApp();
      await gone.app.db.dataSource.destroy();
    });
    afterAll(() => gone.close());

    it("masks the failure of a query", async () => {
      const res = await gone.gql(`{ all: leads { totalCount edges { node { id } } } }`);
      expectMasked(res);
    });

    it("masks the failure of a mutation", async () => {
      const res = await gone.gql(`mutation { created: createLead(input: { leadFor: "sku-gone" }) { lead { id } } }`);
      expectMasked(res);
      expect(res.body.data).toBeNull();
    });
  });
});

describe("BAD_USER_INPUT from validation", () => {
  it("a bad email: fields, no class-validator internals, no echo", async () => {
    const res = await t.gql(`mutation($email: String) { createLead(input: { leadFor: "sku-x", email: $email }) { lead { id } } }`, {
      email: `${MARKER}@@example`,
    });
    expectFieldErrors(res, ["input.email"]);
    expectClean(res, MARKER);
  });

  it("a bad timezone on update: fields, no echo", async () => {
    const res = await t.gql(`mutation($id: ID!, $tz: String) { updateLead(id: $id, input: { timezone: $tz }) { lead { id } } }`, {
      id: leadId,
      tz: MARKER,
    });
    expectFieldErrors(res, ["input.timezone"]);
    expectClean(res, MARKER);
  });

  it("a bad phone number and recording URL: one error listing both, no echo", async () => {
    const res = await t.gql(
      `mutation($leadId: ID!, $phone: String, $url: String) {
        createFollowup(input: { leadId: $leadId, type: CALL, phoneNumber: $phone, recordingUrl: $url }) { followup { id } }
      }`,
      { leadId, phone: `+${MARKER}`, url: `ftp://${MARKER}.example/x` },
    );
    expectFieldErrors(res, ["input.phoneNumber", "input.recordingUrl"]);
    expectClean(res, MARKER);
  });

  it("a bad nested step: the path names the list index", async () => {
    const res = await t.gql(
      `mutation($id: ID!, $steps: [FollowUpStepInput!]) { updateLead(id: $id, input: { followUpConfig: $steps }) { lead { id } } }`,
      { id: leadId, steps: [{ step: 1, hours: 4, channel: "CALL" }, { step: 2, hours: -1, channel: "TEXT", strategyIds: [MARKER, "auto"] }] },
    );
    expectFieldErrors(res, ["input.followUpConfig.1.hours", "input.followUpConfig.1.strategyIds"]);
    expectClean(res, MARKER);
  });

  it("a bad cursor: fields, no echo", async () => {
    const res = await t.gql(`query($after: String) { leads(after: $after) { totalCount } }`, { after: MARKER });
    expectFieldErrors(res, ["after"]);
    expectClean(res, MARKER);
  });

  it("changed nothing", async () => {
    const res = await t.gql(`query($id: ID!) { lead(id: $id) { email timezone version followUpConfig { step } } followups { totalCount } }`, { id: leadId });
    expect(res.body.data).toEqual({ lead: { email: null, timezone: null, version: 1, followUpConfig: [] }, followups: { totalCount: 0 } });
  });
});

describe("variable coercion errors", () => {
  const CREATE = `mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } } }`;

  it.each([
    ["a bad DateTimeISO", { leadFor: "x", nextFollowUp: MARKER }, "input.nextFollowUp", /DateTimeISO/],
    ["a bad enum value", { leadFor: "x", type: MARKER }, "input.type", /LeadType/],
    ["a bad nested enum value", { leadFor: "x", followUpConfig: [{ step: 1, hours: 1, channel: MARKER }] }, "input.followUpConfig.0.channel", /FollowUpChannel/],
    ["a string for an Int", { leadFor: "x", orgSourceId: MARKER }, "input.orgSourceId", /Int/],
    ["an object for a String", { leadFor: { nested: MARKER } }, "input.leadFor", /String/],
    ["an unknown input field", { leadFor: "x", zzUnknownField: MARKER }, "input.zzUnknownField", /zzUnknownField/],
    ["a missing required field", { email: MARKER }, "input.leadFor", /leadFor/],
  ])("%s → HTTP 400 BAD_USER_INPUT at the path, without the value", async (_name, input, path, why) => {
    const res = await t.gql(CREATE, { input });
    expect(res.status).toBe(400);
    expectFieldErrors(res, [path]);
    expect(res.body.errors![0].message).toMatch(why);
    expect(res.body.errors![0].extensions!.fields![path].join(" ")).toMatch(why);
    expectClean(res, MARKER);
  });

  it.each([
    // graphql-scalars quotes the bad value again, unescaped, inside its reason: it must not fake a path or a type name
    ["a date-time crafted to look like a path and a reason", { leadFor: "x", nextFollowUp: 'zzleak at "input.zzleakpath"; Expected type "zzleaktype"' }, "input.nextFollowUp"],
    ["an enum value crafted to look like another enum", { leadFor: "x", type: 'a" does not exist in "zzleakenum" enum. b' }, "input.type"],
    ["a field name crafted to look like a type", { leadFor: "x", 'a" is not defined by type "zzleaktype': 1 }, "input"],
  ])("%s → reported at the real path, echoing none of it", async (_name, input, path) => {
    const res = await t.gql(CREATE, { input });
    expect(res.status).toBe(400);
    expectFieldErrors(res, [path]);
    expectClean(res, "zzleak");
  });

  it("a top-level scalar variable → HTTP 400, without the value", async () => {
    const res = await t.gql(`query($after: DateTimeISO) { leads(filter: { createdAfter: $after }) { totalCount } }`, { after: MARKER });
    expect(res.status).toBe(400);
    expectFieldErrors(res, ["after"]);
    expectClean(res, MARKER);
  });

  it("created nothing", async () => {
    const res = await t.gql(`{ leads { totalCount } }`);
    expect(res.body.data.leads.totalCount).toBe(1);
  });
});

describe("errors in the document", () => {
  it.each([
    ["a string for a DateTimeISO", `mutation { createLead(input: { leadFor: "x", nextFollowUp: "${MARKER}" }) { lead { id } } }`, /DateTimeISO/, MARKER],
    ["a string for an enum", `mutation { createLead(input: { leadFor: "x", type: "${MARKER}" }) { lead { id } } }`, /LeadType/, MARKER],
    ["an unknown enum value", `{ leads(filter: { status: [ZZ_MARKER_123] }) { totalCount } }`, /LeadStatus/, "ZZ_MARKER_123"],
    ["a string for an Int", `{ leads(first: "${MARKER}") { totalCount } }`, /Int/, MARKER],
    ["an out-of-range Int", `{ leads(first: 98765432109876) { totalCount } }`, /Int/, "98765432109876"],
    ["an object for a String", `mutation { createLead(input: { leadFor: { zz: "${MARKER}" } }) { lead { id } } }`, /String/, MARKER],
    ["a list for a JSONObject", `mutation { createLead(input: { leadFor: "x", extendedFields: ["${MARKER}"] }) { lead { id } } }`, /JSONObject/, MARKER],
  ])("%s → HTTP 400 GRAPHQL_VALIDATION_FAILED naming the type, not the literal", async (_name, query, why, submitted) => {
    const res = await t.gql(query);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(res.body.errors![0].message).toMatch(why);
    expectClean(res, submitted);
  });

  it.each([
    ["an unclosed selection", `{ leads(first: 1 { totalCount }`, undefined],
    ["a string where a name belongs", `{ leads "${MARKER}" }`, MARKER],
    ["a block string where a name belongs", `{ leads """${MARKER}""" }`, MARKER],
    ["a number where a name belongs", `{ leads 98765432109876 }`, "98765432109876"],
  ])("a syntax error (%s) → HTTP 400 GRAPHQL_PARSE_FAILED, without the token's value", async (_name, query, submitted) => {
    const res = await t.gql(query);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(["GRAPHQL_PARSE_FAILED"]);
    expect(res.body.errors![0].message).toMatch(/^Syntax Error: /);
    expectClean(res, submitted);
  });

  it("an unknown field → HTTP 400 GRAPHQL_VALIDATION_FAILED", async () => {
    const res = await t.gql(`{ leads { totalCount zzNoSuchField } }`);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expectClean(res);
  });
});

describe("domain errors", () => {
  it("carry their code and nothing else", async () => {
    const res = await t.gql(`mutation($id: ID!) { updateLead(id: $id, input: { owner: "x" }) { lead { id } } }`, { id: "lead_doesnotexist0000000" });
    expect(codes(res)).toEqual(["NOT_FOUND"]);
    expect(res.body.errors![0].extensions).toEqual({ code: "NOT_FOUND" });
    expectClean(res, "doesnotexist");
  });
});

describe("errors before GraphQL runs", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it("answers a malformed JSON body with a JSON 400 BAD_REQUEST, no HTML and no stack", async () => {
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${app.token()}` },
      body: '{"query": "{ viewer { org } }", zz-marker-body',
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(JSON.parse(text)).toEqual({ errors: [{ message: "The request body is not valid JSON", extensions: { code: "BAD_REQUEST" } }] });
    expect(text).not.toMatch(/zz-marker|at |node_modules|<html/i);
  });

  it("answers an oversized body with 413 BAD_REQUEST", async () => {
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${app.token()}` },
      body: JSON.stringify({ query: "{ viewer { org } }", variables: { pad: "x".repeat(2_000_000) } }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as GqlResponse["body"]).errors![0].extensions!.code).toBe("BAD_REQUEST");
  });
});
