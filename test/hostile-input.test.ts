import { codes, startTestApp, type GqlResponse, type TestApp } from "./support/app";

/**
 * Input crafted to get past the validators into PostgreSQL (API.md, "Errors" and "Input limits"):
 * unpaired surrogates, forged cursors, oversized extendedFields. Each is BAD_USER_INPUT at its
 * path, answered 200 without an INTERNAL_SERVER_ERROR, and writes nothing.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const CREATE_LEAD = `mutation ($input: CreateLeadInput!) { createLead(input: $input) { lead { id version extendedFields } } }`;
const UPDATE_LEAD = `mutation ($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) { lead { id version extendedFields } } }`;
const LEAD = `query ($id: ID!) { lead(id: $id) { id version owner extendedFields lastUpdatedOn followups { id notes version } } }`;
const COUNTS = `{ leads(filter: { status: [OPEN, WON, LOST, ON_HOLD, DELETED] }) { totalCount } followups { totalCount } leadReasons { id } }`;

/** The one error of a refused request: BAD_USER_INPUT with exactly these paths, nothing masked. */
function expectBadInput(res: GqlResponse, fields: Record<string, string[] | unknown>) {
  expect(res.status).toBe(200);
  expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
  expect(res.body.errors![0].extensions!.fields).toEqual(fields);
  expect(JSON.stringify(res.body)).not.toContain("INTERNAL_SERVER_ERROR");
}

async function ok<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await t.gql<T>(query, variables);
  expect(res.body.errors).toBeUndefined();
  return res.body.data as T;
}

async function createLead(input: Record<string, unknown> = {}) {
  const data = await ok(CREATE_LEAD, { input: { leadFor: "sku-hostile", ...input } });
  return data.createLead.lead as { id: string; version: number; extendedFields: Record<string, unknown> };
}

describe("unpaired surrogates are BAD_USER_INPUT on their path, and nothing is written", () => {
  const UNSTORABLE = ["must be well-formed text: no NUL character (U+0000) and no unpaired surrogate"];
  let leadId: string;
  let followupId: string;
  beforeAll(async () => {
    leadId = (await createLead({ owner: "alice", extendedFields: { kept: "yes" } })).id;
    followupId = (await ok(`mutation ($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: CALL, notes: "first" }) { followup { id } } }`, { leadId }))
      .createFollowup.followup.id;
  });

  const cases: Array<[string, string, () => Record<string, unknown>, string]> = [
    ["createLead: a text field", CREATE_LEAD, () => ({ input: { leadFor: "sku-\ud800" } }), "input.leadFor"],
    ["createLead: an extendedFields key", CREATE_LEAD, () => ({ input: { leadFor: "x", extendedFields: { "key\udc00": 1 } } }), "input.extendedFields"],
    ["createLead: an extendedFields value inside a list", CREATE_LEAD, () => ({ input: { leadFor: "x", extendedFields: { a: { b: ["x\ud800y"] } } } }), "input.extendedFields"],
    ["updateLead: an extendedFields key", UPDATE_LEAD, () => ({ id: leadId, input: { extendedFields: { "x\ud800y": "v" } } }), "input.extendedFields"],
    ["updateLead: an extendedFields value", UPDATE_LEAD, () => ({ id: leadId, input: { extendedFields: { v: "\udfff" } } }), "input.extendedFields"],
    ["updateLead: the owner", UPDATE_LEAD, () => ({ id: leadId, input: { owner: "bob\ud83d" } }), "input.owner"],
    ["updateLead: a strategy id", UPDATE_LEAD, () => ({ id: leadId, input: { followUpConfig: [{ step: 1, hours: 1, channel: "CALL", strategyIds: ["s\udc00"] }] } }), "input.followUpConfig.0.strategyIds.0"],
    ["the id of lead(id)", LEAD, () => ({ id: "lead_\ud800" }), "id"],
    [
      "updateFollowup: the notes",
      `mutation ($id: ID!, $input: UpdateFollowupInput!) { updateFollowup(id: $id, input: $input) { followup { id } } }`,
      () => ({ id: followupId, input: { notes: "called \ud800" } }),
      "input.notes",
    ],
    ["createLeadReason: the reason", `mutation ($reason: String!) { createLeadReason(reason: $reason) { id } }`, () => ({ reason: "lost \udc00" }), "reason"],
  ];

  it.each(cases)("%s", async (_name, query, variables, path) => {
    const before = await ok(LEAD, { id: leadId });
    const counts = await ok(COUNTS);
    const res = await t.gql(query, variables());
    expectBadInput(res, { [path]: UNSTORABLE });
    expect(await ok(LEAD, { id: leadId })).toEqual(before);
    expect(await ok(COUNTS)).toEqual(counts);
  });

  it("the same places take astral characters (well-formed surrogate pairs) and return them as sent", async () => {
    const fields = { "key-\u{1F600}": "value-\u{1F680}", nested: ["\u{10FFFF}"] };
    const lead = await createLead({ leadFor: "sku-\u{1F600}", extendedFields: fields });
    expect(lead.extendedFields).toEqual(fields);
    const updated = (await ok(UPDATE_LEAD, { id: lead.id, input: { owner: "\u{1F9D1}", extendedFields: { "more-\u{1F600}": 1 } } })).updateLead.lead;
    expect(updated.extendedFields).toEqual({ ...fields, "more-\u{1F600}": 1 });
    expect((await ok(LEAD, { id: lead.id })).lead.owner).toBe("\u{1F9D1}");
  });
});

describe("cursors not issued by this server are BAD_USER_INPUT on `after`", () => {
  const LEADS = `query ($after: String, $order: LeadOrder) { leads(first: 1, after: $after, orderBy: $order) { edges { node { id } } pageInfo { endCursor } } }`;
  const FOLLOWUPS = `query ($after: String) { followups(first: 1, after: $after) { edges { node { id } } pageInfo { endCursor } } }`;
  const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string, string | null, string];
  const encode = (content: unknown) => Buffer.from(typeof content === "string" ? content : JSON.stringify(content)).toString("base64url");

  let leadCursor: string;
  let followupCursor: string;
  let nextFollowUpCursor: string;
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const lead = await createLead();
      await ok(`mutation ($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: SMS }) { followup { id } } }`, { leadId: lead.id });
    }
    leadCursor = (await ok(LEADS)).leads.pageInfo.endCursor;
    followupCursor = (await ok(FOLLOWUPS)).followups.pageInfo.endCursor;
    nextFollowUpCursor = (await ok(LEADS, { order: { field: "NEXT_FOLLOW_UP", direction: "ASC" } })).leads.pageInfo.endCursor;
  });

  it("the cursors this server issued lead to the next page (the control)", async () => {
    for (const [query, cursor, root] of [
      [LEADS, leadCursor, "leads"],
      [FOLLOWUPS, followupCursor, "followups"],
    ] as const) {
      const first = await ok(query);
      const second = await ok(query, { after: cursor });
      expect(second[root].edges).toHaveLength(1);
      expect(second[root].edges[0].node.id).not.toBe(first[root].edges[0].node.id);
    }
  });

  it("a well-formed cursor at the edge of the range answers a page, not an error (year 0000 is 1 BC to PostgreSQL)", async () => {
    for (const [query, cursor, root] of [
      [LEADS, leadCursor, "leads"],
      [FOLLOWUPS, followupCursor, "followups"],
    ] as const) {
      for (const instant of ["0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]) {
        const [tag, , id] = decode(cursor);
        const res = await t.gql(query, { after: encode([tag, instant, id]) });
        expect(res.body.errors).toBeUndefined();
        // newest first: nothing is older than year 0, everything is older than 9999
        expect(res.body.data[root].edges).toHaveLength(instant.startsWith("0000") ? 0 : 1);
      }
    }
  });

  /** Forgeries made from a real cursor `c` of the query they are sent to. */
  const forgeries: Array<[string, (c: string) => string]> = [
    ["a NUL byte in the id", (c) => encode([decode(c)[0], decode(c)[1], `${decode(c)[2]}\u0000`])],
    ["a NUL byte in the ordering tag", (c) => encode([`${decode(c)[0]}\u0000`, decode(c)[1], decode(c)[2]])],
    ["an unpaired surrogate in the id", (c) => encode(`["${decode(c)[0]}","${decode(c)[1]}","lead_\\ud800"]`)],
    ["a timestamp PostgreSQL cannot store", (c) => encode([decode(c)[0], "-100000-01-01T00:00:00.000Z", decode(c)[2]])],
    ["a year past 9999", (c) => encode([decode(c)[0], "+275760-09-13T00:00:00.000Z", decode(c)[2]])],
    ["a date that does not exist", (c) => encode([decode(c)[0], "2026-02-30T00:00:00.000Z", decode(c)[2]])],
    ["a timestamp in another format", (c) => encode([decode(c)[0], "2026-01-01T00:00:00+01:00", decode(c)[2]])],
    ["a number for the timestamp", (c) => encode([decode(c)[0], 1767225600000, decode(c)[2]])],
    ["a null timestamp in a non-null ordering", (c) => encode([decode(c)[0], null, decode(c)[2]])],
    ["an object instead of a list", (c) => encode({ order: decode(c)[0], value: decode(c)[1], id: decode(c)[2] })],
    ["four items", (c) => encode([...decode(c), "extra"])],
    ["two items", (c) => encode(decode(c).slice(0, 2))],
    ["a number for the id", (c) => encode([decode(c)[0], decode(c)[1], 42])],
    ["an empty id", (c) => encode([decode(c)[0], decode(c)[1], ""])],
    ["an id longer than any id", (c) => encode([decode(c)[0], decode(c)[1], "lead_".padEnd(41, "x")])],
    ["JSON with other spacing", (c) => encode(JSON.stringify(decode(c), null, 1))],
    ["base64 with padding", (c) => `${Buffer.from(JSON.stringify(decode(c))).toString("base64")}`],
    ["truncated", (c) => c.slice(0, -3)],
    ["not base64url", () => "!!not a cursor!!"],
    ["base64url of something not JSON", () => encode("zzleak not json")],
    ["JSON null", () => encode("null")],
    ["an empty string", () => ""],
    ["deeply nested JSON", () => encode(`${"[".repeat(5000)}${"]".repeat(5000)}`)],
  ];

  const queries: Array<[string, string, () => string]> = [
    ["leads", LEADS, () => leadCursor],
    ["followups", FOLLOWUPS, () => followupCursor],
  ];

  for (const [root, query, cursor] of queries) {
    it.each(forgeries)(`${root}: %s`, async (_name, forge) => {
      const res = await t.gql(query, { after: forge(cursor()) });
      expectBadInput(res, { after: ["is not a valid cursor"] });
      expect(res.body.errors![0].path).toEqual([root]);
      expect(JSON.stringify(res.body)).not.toContain("zzleak");
    });
  }

  it("a cursor of another query or ordering", async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      [LEADS, { after: followupCursor }],
      [FOLLOWUPS, { after: leadCursor }],
      [FOLLOWUPS, { after: nextFollowUpCursor }],
      [LEADS, { after: nextFollowUpCursor }],
      [LEADS, { after: leadCursor, order: { field: "CREATED_ON", direction: "ASC" } }],
    ];
    for (const [query, variables] of cases) {
      expectBadInput(await t.gql(query, variables), { after: ["belongs to a different ordering"] });
    }
  });
});

describe("extendedFields are bounded (MAX_EXTENDED_FIELDS_BYTES, default 64 KiB of JSON)", () => {
  const LIMIT = 64 * 1024;
  const TOO_LARGE = { "input.extendedFields": [`must be at most ${LIMIT} bytes as stored JSON (after the merge)`] };
  /** `{"k":"xxx…"}` of exactly `bytes` bytes. */
  const ofSize = (bytes: number, key = "k") => ({ [key]: "x".repeat(bytes - JSON.stringify({ [key]: "" }).length) });

  it("createLead: exactly the limit is stored; one byte more is refused and creates nothing", async () => {
    const counts = await ok(COUNTS);
    expectBadInput(await t.gql(CREATE_LEAD, { input: { leadFor: "sku-big", extendedFields: ofSize(LIMIT + 1) } }), TOO_LARGE);
    expect(await ok(COUNTS)).toEqual(counts);
    const lead = await createLead({ extendedFields: ofSize(LIMIT) });
    expect(JSON.stringify(lead.extendedFields)).toHaveLength(LIMIT);
  });

  it("createLead: multi-byte characters count as their UTF-8 bytes", async () => {
    const fields = { k: "é".repeat(LIMIT / 2) }; // 2 bytes each: twice the limit in bytes, within it in characters
    expectBadInput(await t.gql(CREATE_LEAD, { input: { leadFor: "sku-big", extendedFields: fields } }), TOO_LARGE);
  });

  it("updateLead: a merge whose result would exceed the limit is refused and changes nothing; removing keys makes room", async () => {
    const lead = await createLead({ extendedFields: ofSize(40_000, "a") });
    const before = await ok(LEAD, { id: lead.id });

    // each part alone fits; the merged result does not
    expectBadInput(await t.gql(UPDATE_LEAD, { id: lead.id, input: { extendedFields: ofSize(30_000, "b") } }), TOO_LARGE);
    expect(await ok(LEAD, { id: lead.id })).toEqual(before);

    const swapped = (await ok(UPDATE_LEAD, { id: lead.id, input: { extendedFields: { a: null, ...ofSize(30_000, "b") } } })).updateLead.lead;
    expect(Object.keys(swapped.extendedFields)).toEqual(["b"]);
    expect(swapped.version).toBe(before.lead.version + 1);
  });

  it("two concurrent merges that each fit but together do not: one is stored, the other refused", async () => {
    const lead = await createLead();
    const results = await Promise.all(
      ["left", "right"].map((key) => t.gql(UPDATE_LEAD, { id: lead.id, input: { extendedFields: ofSize(40_000, key) } })),
    );
    const stored = results.filter((r) => !r.body.errors);
    const refused = results.filter((r) => r.body.errors);
    expect(stored).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expectBadInput(refused[0], TOO_LARGE);

    const after = (await ok(LEAD, { id: lead.id })).lead;
    expect(after.version).toBe(2);
    expect(Object.keys(after.extendedFields)).toEqual(Object.keys(stored[0].body.data.updateLead.lead.extendedFields));
    expect(JSON.stringify(after.extendedFields).length).toBeLessThanOrEqual(LIMIT);
  });
});

describe("MAX_EXTENDED_FIELDS_BYTES", () => {
  it("sets the limit", async () => {
    const small = await startTestApp({ maxExtendedFieldsBytes: 100 });
    try {
      const res = await small.gql(CREATE_LEAD, { input: { leadFor: "x", extendedFields: { k: "x".repeat(100) } } });
      expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
      expect(res.body.errors![0].extensions!.fields).toEqual({ "input.extendedFields": ["must be at most 100 bytes as stored JSON (after the merge)"] });
      const fits = await small.gql(CREATE_LEAD, { input: { leadFor: "x", extendedFields: { k: "x".repeat(50) } } });
      expect(fits.body.errors).toBeUndefined();
    } finally {
      await small.close();
    }
  });
});
