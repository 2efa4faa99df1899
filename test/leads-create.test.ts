import { codes, newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";
import { LEAD_SCALARS } from "./support/operations";

const HOUR = 3_600_000;

const LEAD_FIELDS = `${LEAD_SCALARS}
  statusLogDetails { id leadId userId status subStatus previousStatus reasonId reason createdBy createdOn }
`;

const CREATE = `mutation ($input: CreateLeadInput!) {
  createLead(input: $input) { lead { ${LEAD_FIELDS} } warnings { code message field } }
}`;

const LEADS = `query { leads(filter: { status: [OPEN, WON, LOST, ON_HOLD, DELETED] }, first: 100) { totalCount edges { node { id } } } }`;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** A token for a fresh org, so that counts of leads see only this test's rows. */
const freshToken = (sub = "tester") => t.token({ org: newOrg("create"), sub });

async function create(input: Record<string, unknown>, token: string) {
  const before = Date.now();
  const res = await t.gql(CREATE, { input }, { token });
  const after = Date.now();
  return { res, before, after };
}

function created(res: GqlResponse) {
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createLead as { lead: any; warnings: Array<{ code: string; message: string; field: string | null }> };
}

/** A refused create: BAD_USER_INPUT with exactly the given field paths, and no lead written in the org. */
async function expectRefused(input: Record<string, unknown>, fields: string[], token = freshToken()) {
  const res = await t.gql(CREATE, { input }, { token });
  expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
  expect(Object.keys(res.body.errors![0].extensions!.fields ?? {}).sort()).toEqual([...fields].sort());
  expect(res.body.data ?? null).toBeNull();
  const list = await t.gql(LEADS, {}, { token });
  expect(list.body.data.leads.totalCount).toBe(0);
  return res;
}

function expectWithin(iso: string | null, from: number, to: number) {
  expect(iso).not.toBeNull();
  const ms = new Date(iso!).getTime();
  expect(ms).toBeGreaterThanOrEqual(from);
  expect(ms).toBeLessThanOrEqual(to);
}

describe("createLead: defaults and audit fields", () => {
  it("fills the defaults and stamps the caller", async () => {
    const token = freshToken("alice");
    const { res, before, after } = await create({ leadFor: "SKU-1" }, token);
    const { lead, warnings } = created(res);
    expect(lead).toMatchObject({
      leadFor: "SKU-1",
      type: "SKU",
      status: "OPEN",
      subStatus: null,
      owner: null,
      email: null,
      timezone: null,
      userId: null,
      extendedFields: {},
      nextFollowUp: null,
      lastFollowUp: null,
      followUpStep: null,
      followUpState: "NONE",
      followUpConfig: [],
      useStrategiesForFollowUps: false,
      orgSourceId: null,
      createdBy: "alice",
      lastUpdatedBy: "alice",
      version: 1,
    });
    expect(warnings).toEqual([]);
    expect(lead.id).toMatch(/^lead_/);
    expectWithin(lead.createdOn, before, after);
    expect(lead.lastUpdatedOn).toBe(lead.createdOn);

    // and it is stored so: read back through lead(id)
    const read = await t.gql(`query ($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`, { id: lead.id }, { token });
    expect(read.body.data.lead).toEqual(lead);
  });

  it("stores every given field", async () => {
    const token = freshToken();
    const input = {
      leadFor: "brand-x",
      type: "BRAND",
      userId: "cust-1",
      owner: "bob",
      email: "jane@example.com",
      timezone: "Europe/Paris",
      extendedFields: { color: "red", size: 3, nested: { a: [1, 2] } },
      orgSourceId: -1,
      useStrategiesForFollowUps: true,
    };
    const { lead } = created((await create(input, token)).res);
    expect(lead).toMatchObject(input);
  });

  it("gives ids that are opaque and distinct", async () => {
    const token = freshToken();
    const a = created((await create({ leadFor: "a" }, token)).res).lead.id;
    const b = created((await create({ leadFor: "b" }, token)).res).lead.id;
    expect(a).not.toBe(b);
    expect(a).not.toMatch(/^\d+$/);
  });
});

describe("createLead: first status log", () => {
  it("writes one StatusLog with the initial status and previousStatus null", async () => {
    const token = freshToken("carol");
    const { res, before, after } = await create({ leadFor: "SKU-2", userId: "cust-9", status: "ON_HOLD" }, token);
    const { lead } = created(res);
    expect(lead.status).toBe("ON_HOLD");
    expect(lead.statusLogDetails).toHaveLength(1);
    const [log] = lead.statusLogDetails;
    expect(log).toMatchObject({
      leadId: lead.id,
      userId: "cust-9",
      status: "ON_HOLD",
      subStatus: null,
      previousStatus: null,
      reasonId: null,
      reason: null,
      createdBy: "carol",
    });
    expectWithin(log.createdOn, before, after);
  });
});

describe("createLead: status and subStatus", () => {
  it("refuses a subStatus not defined for the status, then accepts it once defined", async () => {
    const token = freshToken();
    const input = { leadFor: "SKU-3", status: "ON_HOLD", subStatus: "waiting-for-stock" };
    await expectRefused(input, ["input.subStatus"], token);

    // defined for another status does not count
    const other = await t.gql(`mutation { createLeadSubStatus(status: OPEN, subStatus: "waiting-for-stock") { status subStatus } }`, {}, { token });
    expect(other.body.errors).toBeUndefined();
    await expectRefused(input, ["input.subStatus"], token);

    const def = await t.gql(
      `mutation { createLeadSubStatus(status: ON_HOLD, subStatus: "waiting-for-stock") { status subStatus } }`,
      {},
      { token },
    );
    expect(def.body.data.createLeadSubStatus).toEqual({ status: "ON_HOLD", subStatus: "waiting-for-stock" });

    const { lead } = created((await create(input, token)).res);
    expect(lead).toMatchObject({ status: "ON_HOLD", subStatus: "waiting-for-stock" });
    expect(lead.statusLogDetails).toEqual([expect.objectContaining({ status: "ON_HOLD", subStatus: "waiting-for-stock", previousStatus: null })]);
  });

  it("checks the subStatus against the default status OPEN", async () => {
    const token = freshToken();
    await expectRefused({ leadFor: "x", subStatus: "hot" }, ["input.subStatus"], token);
    await t.gql(`mutation { createLeadSubStatus(status: OPEN, subStatus: "hot") { subStatus } }`, {}, { token });
    expect(created((await create({ leadFor: "x", subStatus: "hot" }, token)).res).lead).toMatchObject({ status: "OPEN", subStatus: "hot" });
  });

  it("does not see another org's sub-statuses", async () => {
    const mine = freshToken();
    const theirs = freshToken();
    await t.gql(`mutation { createLeadSubStatus(status: OPEN, subStatus: "theirs-only") { subStatus } }`, {}, { token: theirs });
    await expectRefused({ leadFor: "x", subStatus: "theirs-only" }, ["input.subStatus"], mine);
  });

  it("refuses DELETED as the initial status", async () => {
    await expectRefused({ leadFor: "x", status: "DELETED" }, ["input.status"]);
  });

  it.each(["WON", "LOST", "ON_HOLD", "OPEN"])("accepts %s as the initial status", async (status) => {
    const { lead } = created((await create({ leadFor: "x", status }, freshToken())).res);
    expect(lead.status).toBe(status);
    expect(lead.statusLogDetails.map((l: any) => l.status)).toEqual([status]);
  });
});

describe("createLead: field validation", () => {
  it.each(["not-an-email", "a@", "@b.com", "two@@example.com"])("refuses email %p on input.email without echoing it", async (email) => {
    const res = await expectRefused({ leadFor: "x", email }, ["input.email"]);
    expect(JSON.stringify(res.body)).not.toContain(email);
  });

  it.each(["Mars/Base", "+05:00", "GMT+5:30", "America/Nowhere", ""])("refuses timezone %p on input.timezone", async (timezone) => {
    await expectRefused({ leadFor: "x", timezone }, ["input.timezone"]);
  });

  it.each(["America/New_York", "UTC", "Asia/Kolkata", "Europe/Kyiv", "Etc/GMT+5"])("accepts the IANA name %p and stores it as given", async (timezone) => {
    const { lead } = created((await create({ leadFor: "x", timezone }, freshToken())).res);
    expect(lead.timezone).toBe(timezone);
  });

  it("fixes the case of a time zone name", async () => {
    const { lead } = created((await create({ leadFor: "x", timezone: "america/new_york" }, freshToken())).res);
    expect(lead.timezone).toBe("America/New_York");
  });

  it("refuses a missing or empty leadFor", async () => {
    await expectRefused({ leadFor: "" }, ["input.leadFor"]);
    // a missing required field fails GraphQL's own coercion, before the resolver; the error names the field
    const res = await t.gql(CREATE, { input: {} }, { token: freshToken() });
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(res.body.errors![0].message).toContain('"leadFor"');
    // ideally `input.leadFor`; format-error.ts reports the coerced variable's path, here `input`
    expect(Object.keys(res.body.errors![0].extensions!.fields ?? {})).toEqual([expect.stringMatching(/^input(\.leadFor)?$/)]);
  });

  it("drops extendedFields keys whose value is null", async () => {
    const { lead } = created((await create({ leadFor: "x", extendedFields: { keep: "yes", drop: null, zero: 0, no: false } }, freshToken())).res);
    expect(lead.extendedFields).toEqual({ keep: "yes", zero: 0, no: false });
  });

  it("refuses an explicit null for a field that has a default", async () => {
    await expectRefused({ leadFor: "x", type: null }, ["input.type"]);
    await expectRefused({ leadFor: "x", status: null }, ["input.status"]);
  });
});

describe("createLead: follow-up schedule", () => {
  const config = [
    { step: 1, hours: 24, channel: "CALL", voicemailEnabled: true },
    { step: 2, hours: 48, channel: "EMAIL" },
    { step: 3, hours: 72, channel: "TEXT" },
  ];

  it("without a schedule keeps a given nextFollowUp", async () => {
    const when = "2031-02-03T04:05:06.789Z";
    const { lead } = created((await create({ leadFor: "x", nextFollowUp: when }, freshToken())).res);
    expect(lead).toMatchObject({ nextFollowUp: when, followUpStep: null, followUpState: "NONE", followUpConfig: [] });
  });

  it("a config alone schedules step 1, due now + its hours", async () => {
    const { res, before, after } = await create({ leadFor: "x", followUpConfig: config }, freshToken());
    const { lead, warnings } = created(res);
    expect(lead.followUpStep).toBe(1);
    expect(lead.followUpState).toBe("SCHEDULED");
    expect(lead.followUpConfig).toEqual([
      { step: 1, hours: 24, channel: "CALL", voicemailEnabled: true, strategyIds: null },
      { step: 2, hours: 48, channel: "EMAIL", voicemailEnabled: false, strategyIds: null },
      { step: 3, hours: 72, channel: "TEXT", voicemailEnabled: false, strategyIds: null },
    ]);
    expectWithin(lead.nextFollowUp, before + 24 * HOUR, after + 24 * HOUR);
    expect(warnings).toEqual([]);
  });

  it("a config with a step schedules that step", async () => {
    const { res, before, after } = await create({ leadFor: "x", followUpConfig: config, followUpStep: 3 }, freshToken());
    const { lead } = created(res);
    expect(lead.followUpStep).toBe(3);
    expectWithin(lead.nextFollowUp, before + 72 * HOUR, after + 72 * HOUR);
  });

  it.each([
    [-1, "STOPPED"],
    [-2, "LONG_TERM"],
  ])("followUpStep %i creates the lead %s with no timer", async (step, state) => {
    const { lead } = created((await create({ leadFor: "x", followUpConfig: config, followUpStep: step }, freshToken())).res);
    expect(lead).toMatchObject({ followUpStep: step, followUpState: state, nextFollowUp: null });
    expect(lead.followUpConfig).toHaveLength(3);
  });

  it.each([
    ["a config", { followUpConfig: config }],
    ["a step", { followUpStep: -1 }],
  ])("refuses nextFollowUp together with %s (the schedule sets it)", async (_label, schedule: Record<string, unknown>) => {
    await expectRefused({ leadFor: "x", nextFollowUp: "2031-01-01T00:00:00.000Z", ...schedule }, ["input.nextFollowUp"]);
  });

  it.each([0, 4, -3])("refuses followUpStep %i with 3 steps on input.followUpStep", async (followUpStep) => {
    await expectRefused({ leadFor: "x", followUpConfig: config, followUpStep }, ["input.followUpStep"]);
  });

  it("refuses followUpStep 1 without a config", async () => {
    await expectRefused({ leadFor: "x", followUpStep: 1 }, ["input.followUpStep"]);
  });

  it("refuses badly numbered steps and bad step fields with their paths", async () => {
    await expectRefused({ leadFor: "x", followUpConfig: [config[0], { ...config[1], step: 3 }] }, ["input.followUpConfig.1.step"]);
    await expectRefused({ leadFor: "x", followUpConfig: [config[0], { ...config[1], step: 1 }] }, ["input.followUpConfig.1.step"]);
    await expectRefused({ leadFor: "x", followUpConfig: [{ ...config[0], hours: 0 }] }, ["input.followUpConfig.0.hours"]);
    await expectRefused({ leadFor: "x", followUpConfig: [config[0], { ...config[1], voicemailEnabled: true }] }, [
      "input.followUpConfig.1.voicemailEnabled",
    ]);
    await expectRefused({ leadFor: "x", followUpConfig: [{ ...config[0], strategyIds: ["auto", "s1"] }] }, ["input.followUpConfig.0.strategyIds"]);
  });

  it("warns STRATEGIES_DISABLED when a step has strategyIds and the flag is off", async () => {
    const steps = [{ step: 1, hours: 1, channel: "TEXT", strategyIds: ["auto"] }];
    const off = created((await create({ leadFor: "x", followUpConfig: steps }, freshToken())).res);
    expect(off.lead.useStrategiesForFollowUps).toBe(false);
    expect(off.lead.followUpConfig[0].strategyIds).toEqual(["auto"]);
    expect(off.warnings).toEqual([expect.objectContaining({ code: "STRATEGIES_DISABLED", field: "input.useStrategiesForFollowUps" })]);
    expect(off.warnings[0].message.length).toBeGreaterThan(0);

    const on = created((await create({ leadFor: "x", followUpConfig: steps, useStrategiesForFollowUps: true }, freshToken())).res);
    expect(on.warnings).toEqual([]);
  });
});

describe("createLead: access", () => {
  it("needs leads:write and writes nothing without it", async () => {
    const org = newOrg("create");
    const res = await t.gql(CREATE, { input: { leadFor: "x" } }, { token: t.token({ org, scopes: ["leads:read"] }) });
    expect(codes(res)).toEqual(["FORBIDDEN"]);
    const list = await t.gql(LEADS, {}, { token: t.token({ org }) });
    expect(list.body.data.leads.totalCount).toBe(0);
  });

  it("creates the lead in the caller's org only", async () => {
    const mine = freshToken();
    const { lead } = created((await create({ leadFor: "x" }, mine)).res);
    const other = await t.gql(`query ($id: ID!) { lead(id: $id) { id } }`, { id: lead.id }, { token: freshToken() });
    expect(other.body.data.lead).toBeNull();
  });
});
