import { randomBytes } from "node:crypto";
import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { LEAD_SCALARS } from "./support/operations";

const HOUR = 3_600_000;

const LEAD_FIELDS = `${LEAD_SCALARS}
  statusLogDetails { id status previousStatus }
`;

const CREATE = `mutation ($input: CreateLeadInput!) { createLead(input: $input) { lead { ${LEAD_FIELDS} } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateLeadInput!) {
  updateLead(id: $id, input: $input) { lead { ${LEAD_FIELDS} } warnings { code message field } }
}`;
const READ = `query ($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`;

/** Three steps due after 24, 48 and 72 hours. */
const CONFIG = [
  { step: 1, hours: 24, channel: "CALL" },
  { step: 2, hours: 48, channel: "EMAIL" },
  { step: 3, hours: 72, channel: "TEXT" },
];

type Warning = { code: string; message: string; field: string | null };

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** Each test gets an org of its own (and may make a second token for it with another `sub`). */
let org: string;
let token: string;
beforeEach(() => {
  org = newOrg("update");
  token = t.token({ org, sub: "creator" });
});

async function newLead(input: Record<string, unknown> = {}, as = token): Promise<any> {
  const res = await t.gql(CREATE, { input: { leadFor: "SKU-1", ...input } }, { token: as });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createLead.lead;
}

async function read(id: string, as = token): Promise<any> {
  const res = await t.gql(READ, { id }, { token: as });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.lead;
}

async function update(id: string, input: Record<string, unknown>, as = token) {
  const before = Date.now();
  const res = await t.gql(UPDATE, { id, input }, { token: as });
  const after = Date.now();
  return { res, before, after };
}

/** A successful update: the payload, checked to be what `lead(id)` now returns. */
async function updated(id: string, input: Record<string, unknown>, as = token) {
  const { res, before, after } = await update(id, input, as);
  expect(res.body.errors).toBeUndefined();
  const { lead, warnings } = res.body.data.updateLead as { lead: any; warnings: Warning[] };
  expect(await read(id, as)).toEqual(lead);
  return { lead, warnings, before, after };
}

/**
 * A refused update: exactly one error with `code`, exactly the `fields` paths when given, no data,
 * and the lead exactly as it was (version, every field, no status log added).
 */
async function expectRefused(id: string, input: Record<string, unknown>, code: string, fields?: string[], as = token) {
  const was = await read(id);
  const { res } = await update(id, input, as);
  expect(codes(res)).toEqual([code]);
  if (fields) expect(Object.keys(res.body.errors![0].extensions!.fields ?? {}).sort()).toEqual([...fields].sort());
  expect(res.body.data ?? null).toBeNull();
  expect(await read(id)).toEqual(was);
  return res;
}

/** `iso` is `hours` after some moment in [before, after]. */
function expectDue(iso: string | null, before: number, after: number, hours: number) {
  expect(iso).not.toBeNull();
  const ms = new Date(iso!).getTime();
  expect(ms).toBeGreaterThanOrEqual(before + hours * HOUR);
  expect(ms).toBeLessThanOrEqual(after + hours * HOUR);
}

describe("updateLead: extendedFields", () => {
  it("adds new keys and updates existing ones, keeping the rest", async () => {
    const lead = await newLead({ extendedFields: { a: 1, b: "x", nested: { deep: true } } });
    const { lead: after } = await updated(lead.id, { extendedFields: { b: "y", c: true, list: [1, "two", null] } });
    expect(after.extendedFields).toEqual({ a: 1, b: "y", c: true, nested: { deep: true }, list: [1, "two", null] });
    expect((await read(lead.id)).extendedFields).toEqual(after.extendedFields);
  });

  it("removes a key whose value is null, and ignores null for a key it does not have", async () => {
    const lead = await newLead({ extendedFields: { a: 1, b: 2, c: 3 } });
    const { lead: after } = await updated(lead.id, { extendedFields: { a: null, c: 30, missing: null } });
    expect(after.extendedFields).toEqual({ b: 2, c: 30 });
    expect((await read(lead.id)).extendedFields).toEqual({ b: 2, c: 30 });
  });

  it("replaces a key's value as a whole (the merge is one level deep)", async () => {
    const lead = await newLead({ extendedFields: { address: { city: "Paris", zip: "75001" } } });
    await updated(lead.id, { extendedFields: { address: { city: "Lyon" } } });
    expect((await read(lead.id)).extendedFields).toEqual({ address: { city: "Lyon" } });
  });

  it("upserts into a lead created without extended fields, and handles awkward keys", async () => {
    const lead = await newLead();
    const keys = { "it's": 1, "a b": 2, "{x}": 3, "ключ": 4, "": 5 };
    await updated(lead.id, { extendedFields: keys });
    expect((await read(lead.id)).extendedFields).toEqual(keys);
    await updated(lead.id, { extendedFields: { "it's": null, "": null } });
    expect((await read(lead.id)).extendedFields).toEqual({ "a b": 2, "{x}": 3, "ключ": 4 });
  });

  it("refuses a non-object on input.extendedFields", async () => {
    const lead = await newLead({ extendedFields: { a: 1 } });
    await expectRefused(lead.id, { extendedFields: [1, 2] }, "BAD_USER_INPUT", ["input.extendedFields"]);
    await expectRefused(lead.id, { extendedFields: "a=1" }, "BAD_USER_INPUT", ["input.extendedFields"]);
  });

  it("keeps every key when 24 updates of different keys run concurrently", async () => {
    const lead = await newLead({ extendedFields: { base: "kept" } });
    const n = 24;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => t.gql(UPDATE, { id: lead.id, input: { extendedFields: { [`k${i}`]: i } } }, { token })),
    );
    for (const res of results) expect(res.body.errors).toBeUndefined();
    const expected: Record<string, unknown> = { base: "kept" };
    for (let i = 0; i < n; i++) expected[`k${i}`] = i;
    const after = await read(lead.id);
    expect(after.extendedFields).toEqual(expected);
    expect(after.version).toBe(1 + n);
    // each write saw a distinct version: none overwrote another
    expect(new Set(results.map((r) => r.body.data.updateLead.lead.version)).size).toBe(n);
    // and the writes' lastUpdatedOn follow their versions: a later version is never stamped earlier
    const stamps = results
      .map((r) => r.body.data.updateLead.lead)
      .sort((a, b) => a.version - b.version)
      .map((l) => new Date(l.lastUpdatedOn).getTime());
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Date(after.lastUpdatedOn).getTime()).toBe(stamps[n - 1]);
  });

  it("keeps concurrent changes of different fields (owner, extended fields, email)", async () => {
    const lead = await newLead({ extendedFields: { a: 1 } });
    const results = await Promise.all([
      t.gql(UPDATE, { id: lead.id, input: { owner: "olga" } }, { token }),
      t.gql(UPDATE, { id: lead.id, input: { extendedFields: { b: 2 } } }, { token }),
      t.gql(UPDATE, { id: lead.id, input: { email: "c@example.com" } }, { token }),
      t.gql(UPDATE, { id: lead.id, input: { extendedFields: { a: null } } }, { token }),
    ]);
    for (const res of results) expect(res.body.errors).toBeUndefined();
    expect(await read(lead.id)).toMatchObject({ owner: "olga", email: "c@example.com", extendedFields: { b: 2 }, version: 5 });
  });
});

describe("updateLead: owner, email, timezone", () => {
  it("assigns the owner, and null unassigns", async () => {
    const lead = await newLead();
    expect((await updated(lead.id, { owner: "bob" })).lead.owner).toBe("bob");
    expect((await updated(lead.id, { owner: "carol" })).lead.owner).toBe("carol");
    expect((await updated(lead.id, { owner: null })).lead.owner).toBeNull();
    expect((await read(lead.id)).owner).toBeNull();
  });

  it("leaves the fields not given as they were", async () => {
    const lead = await newLead({ owner: "bob", email: "a@example.com", timezone: "Europe/Paris", extendedFields: { k: 1 } });
    const { lead: after } = await updated(lead.id, { owner: "zoe" });
    expect(after).toMatchObject({ email: "a@example.com", timezone: "Europe/Paris", extendedFields: { k: 1 }, nextFollowUp: null });
  });

  it("stores a valid email, and null clears it", async () => {
    const lead = await newLead();
    expect((await updated(lead.id, { email: "jane.doe+leads@example.co.uk" })).lead.email).toBe("jane.doe+leads@example.co.uk");
    expect((await updated(lead.id, { email: null })).lead.email).toBeNull();
  });

  it.each(["not-an-email", "jane@@example.com", "jane@", "@example.com", "jane doe@example.com"])(
    "refuses email %p on input.email without echoing it",
    async (bad) => {
      const lead = await newLead({ email: "old@example.com" });
      // a distinctive value, so that finding it in the response can only be an echo
      const email = bad.replace("jane", `jane${randomBytes(4).toString("hex")}`);
      const res = await expectRefused(lead.id, { email }, "BAD_USER_INPUT", ["input.email"]);
      expect(res.body.errors![0].extensions!.fields!["input.email"].length).toBeGreaterThan(0);
      expect(JSON.stringify(res.body)).not.toContain(email);
    },
  );

  it("echoes no value in the response text", async () => {
    const lead = await newLead();
    const email = `echo-${randomBytes(6).toString("hex")}`;
    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: UPDATE, variables: { id: lead.id, input: { email } } }),
    });
    const text = await res.text();
    expect(JSON.parse(text).errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(text).not.toContain(email);
  });

  it.each(["Mars/Base", "+05:00", "UTC+5", "EST5EDT_", "America/Atlantis", "../../etc/passwd"])(
    "refuses timezone %p on input.timezone without echoing it",
    async (timezone) => {
      const lead = await newLead({ timezone: "Europe/Paris" });
      const res = await expectRefused(lead.id, { timezone }, "BAD_USER_INPUT", ["input.timezone"]);
      expect(JSON.stringify(res.body)).not.toContain(timezone);
    },
  );

  it.each(["America/New_York", "Asia/Tokyo", "UTC", "Asia/Kolkata", "America/Argentina/Buenos_Aires"])(
    "accepts the IANA name %p as given",
    async (timezone) => {
      const lead = await newLead();
      expect((await updated(lead.id, { timezone })).lead.timezone).toBe(timezone);
    },
  );

  it("null clears the timezone", async () => {
    const lead = await newLead({ timezone: "Asia/Tokyo" });
    expect((await updated(lead.id, { timezone: null })).lead.timezone).toBeNull();
  });

  it("refuses an owner that is empty or too long on input.owner", async () => {
    const lead = await newLead({ owner: "bob" });
    await expectRefused(lead.id, { owner: "" }, "BAD_USER_INPUT", ["input.owner"]);
    await expectRefused(lead.id, { owner: "x".repeat(129) }, "BAD_USER_INPUT", ["input.owner"]);
  });

  it("reports every offending field at once", async () => {
    const lead = await newLead();
    await expectRefused(lead.id, { email: "nope", timezone: "Mars/Base" }, "BAD_USER_INPUT", ["input.email", "input.timezone"]);
  });
});

describe("updateLead: followUpConfig rules", () => {
  let id: string;
  beforeEach(async () => {
    id = (await newLead({ followUpConfig: CONFIG })).id;
  });

  it.each([
    ["a gap (1, 3)", [CONFIG[0], { ...CONFIG[1], step: 3 }], "input.followUpConfig.1.step"],
    ["a duplicate (1, 1)", [CONFIG[0], { ...CONFIG[1], step: 1 }], "input.followUpConfig.1.step"],
    ["not starting at 1 (2)", [{ ...CONFIG[0], step: 2 }], "input.followUpConfig.0.step"],
    ["a step 0", [{ ...CONFIG[0], step: 0 }, CONFIG[1]], "input.followUpConfig.0.step"],
    ["a negative step", [CONFIG[0], { ...CONFIG[1], step: -1 }], "input.followUpConfig.1.step"],
    ["hours 0", [CONFIG[0], { ...CONFIG[1], hours: 0 }], "input.followUpConfig.1.hours"],
    ["negative hours", [{ ...CONFIG[0], hours: -2 }], "input.followUpConfig.0.hours"],
    ["voicemail with TEXT", [{ ...CONFIG[0], channel: "TEXT", voicemailEnabled: true }], "input.followUpConfig.0.voicemailEnabled"],
    ["voicemail with EMAIL", [CONFIG[0], { ...CONFIG[1], voicemailEnabled: true }], "input.followUpConfig.1.voicemailEnabled"],
    ['strategyIds ["auto", "x"]', [{ ...CONFIG[0], strategyIds: ["auto", "x"] }], "input.followUpConfig.0.strategyIds"],
    ['strategyIds ["x", "auto"]', [CONFIG[0], { ...CONFIG[1], strategyIds: ["x", "auto"] }], "input.followUpConfig.1.strategyIds"],
    ["strategyIds []", [{ ...CONFIG[0], strategyIds: [] }], "input.followUpConfig.0.strategyIds"],
    ['strategyIds [""]', [{ ...CONFIG[0], strategyIds: [""] }], "input.followUpConfig.0.strategyIds"],
  ])("refuses %s on its path", async (_label, followUpConfig, path) => {
    const res = await expectRefused(id, { followUpConfig }, "BAD_USER_INPUT", [path]);
    expect(res.body.errors![0].extensions!.fields![path].length).toBeGreaterThan(0);
  });

  it("reports each offending step's path at once", async () => {
    await expectRefused(
      id,
      { followUpConfig: [{ ...CONFIG[0], hours: 0 }, { ...CONFIG[1], channel: "TEXT", voicemailEnabled: true, strategyIds: [] }] },
      "BAD_USER_INPUT",
      ["input.followUpConfig.0.hours", "input.followUpConfig.1.voicemailEnabled", "input.followUpConfig.1.strategyIds"],
    );
  });

  it.each([
    ['["auto"]', ["auto"]],
    ['["s1", "s2"]', ["s1", "s2"]],
  ])("accepts strategyIds %s", async (_label, strategyIds) => {
    const { lead } = await updated(id, { followUpConfig: [{ ...CONFIG[0], strategyIds }], useStrategiesForFollowUps: true });
    expect(lead.followUpConfig).toEqual([{ step: 1, hours: 24, channel: "CALL", voicemailEnabled: false, strategyIds }]);
  });

  it("accepts voicemail with CALL, fractional hours and steps in any order, storing them sorted", async () => {
    const { lead } = await updated(id, {
      followUpConfig: [
        { step: 2, hours: 0.5, channel: "TEXT" },
        { step: 1, hours: 1.25, channel: "CALL", voicemailEnabled: true },
      ],
    });
    expect(lead.followUpConfig).toEqual([
      { step: 1, hours: 1.25, channel: "CALL", voicemailEnabled: true, strategyIds: null },
      { step: 2, hours: 0.5, channel: "TEXT", voicemailEnabled: false, strategyIds: null },
    ]);
  });

  it("refuses an unknown channel on its path, without echoing it", async () => {
    const res = await expectRefused(id, { followUpConfig: [CONFIG[0], { ...CONFIG[1], channel: "PIGEON" }] }, "BAD_USER_INPUT", [
      "input.followUpConfig.1.channel",
    ]);
    expect(JSON.stringify(res.body)).not.toContain("PIGEON");
  });

  it.each(["followUpConfig", "useStrategiesForFollowUps", "extendedFields"])("refuses an explicit null for %s", async (field) => {
    await expectRefused(id, { [field]: null }, "BAD_USER_INPUT", [`input.${field}`]);
  });
});

describe("updateLead: followUpStep values", () => {
  let id: string;
  beforeEach(async () => {
    id = (await newLead({ followUpConfig: CONFIG })).id;
  });

  it.each([1, 2, 3])("accepts step %i of 3", async (step) => {
    const { lead } = await updated(id, { followUpStep: step });
    expect(lead).toMatchObject({ followUpStep: step, followUpState: "SCHEDULED" });
  });

  it.each([
    [-1, "STOPPED"],
    [-2, "LONG_TERM"],
  ])("accepts %i (%s)", async (step, state) => {
    const { lead } = await updated(id, { followUpStep: step });
    expect(lead).toMatchObject({ followUpStep: step, followUpState: state, nextFollowUp: null });
  });

  it.each([0, 4, -3, 99])("refuses %i with 3 steps on input.followUpStep", async (followUpStep) => {
    await expectRefused(id, { followUpStep }, "BAD_USER_INPUT", ["input.followUpStep"]);
  });

  it("refuses null on input.followUpStep", async () => {
    await expectRefused(id, { followUpStep: null }, "BAD_USER_INPUT", ["input.followUpStep"]);
  });

  it("counts the steps configured after the update", async () => {
    const four = [...CONFIG, { step: 4, hours: 96, channel: "TEXT" }];
    expect((await updated(id, { followUpConfig: four, followUpStep: 4 })).lead.followUpStep).toBe(4);
    await expectRefused(id, { followUpConfig: CONFIG.slice(0, 2), followUpStep: 3 }, "BAD_USER_INPUT", ["input.followUpStep"]);
  });

  it("refuses step 1 on a lead without a config, but accepts -1 and -2", async () => {
    const bare = (await newLead()).id;
    await expectRefused(bare, { followUpStep: 1 }, "BAD_USER_INPUT", ["input.followUpStep"]);
    expect((await updated(bare, { followUpStep: -2 })).lead).toMatchObject({ followUpStep: -2, followUpState: "LONG_TERM", nextFollowUp: null });
  });
});

describe("updateLead: scheduling", () => {
  it("step only: schedules that step, due now + its hours, under the current config", async () => {
    const lead = await newLead({ followUpConfig: CONFIG });
    const { lead: after, before, after: end } = await updated(lead.id, { followUpStep: 2 });
    expect(after).toMatchObject({ followUpStep: 2, followUpState: "SCHEDULED" });
    expect(after.followUpConfig).toEqual(lead.followUpConfig);
    expectDue(after.nextFollowUp, before, end, 48);
  });

  it("step only: giving the current step again restarts its timer", async () => {
    const lead = await newLead({ followUpConfig: [{ step: 1, hours: 0.001, channel: "TEXT" }] });
    const { lead: after, before, after: end } = await updated(lead.id, { followUpStep: 1 });
    expectDue(after.nextFollowUp, before, end, 0.001);
    expect(new Date(after.nextFollowUp).getTime()).toBeGreaterThanOrEqual(new Date(lead.nextFollowUp).getTime());
  });

  it("config only: keeps the current step with the new timing", async () => {
    const lead = await newLead({ followUpConfig: CONFIG, followUpStep: 2 });
    const config = [
      { step: 1, hours: 5, channel: "TEXT" },
      { step: 2, hours: 10, channel: "CALL" },
      { step: 3, hours: 15, channel: "EMAIL" },
    ];
    const { lead: after, before, after: end } = await updated(lead.id, { followUpConfig: config });
    expect(after.followUpStep).toBe(2);
    expect(after.followUpConfig.map((s: any) => [s.step, s.hours, s.channel])).toEqual([
      [1, 5, "TEXT"],
      [2, 10, "CALL"],
      [3, 15, "EMAIL"],
    ]);
    expectDue(after.nextFollowUp, before, end, 10);
  });

  it("config only: schedules step 1 when there is no current step", async () => {
    const lead = await newLead({ nextFollowUp: "2040-01-01T00:00:00.000Z" });
    expect(lead.followUpStep).toBeNull();
    const { lead: after, before, after: end } = await updated(lead.id, { followUpConfig: [{ step: 1, hours: 6, channel: "CALL" }] });
    expect(after).toMatchObject({ followUpStep: 1, followUpState: "SCHEDULED" });
    expectDue(after.nextFollowUp, before, end, 6);
  });

  it("config only: refuses a config that drops the current step, on input.followUpConfig", async () => {
    const lead = await newLead({ followUpConfig: CONFIG, followUpStep: 3 });
    await expectRefused(lead.id, { followUpConfig: CONFIG.slice(0, 2) }, "BAD_USER_INPUT", ["input.followUpConfig"]);
  });

  it("both: the given step under the new config", async () => {
    const lead = await newLead({ followUpConfig: CONFIG });
    const config = [
      { step: 1, hours: 1, channel: "TEXT" },
      { step: 2, hours: 2, channel: "TEXT" },
      { step: 3, hours: 3.5, channel: "TEXT" },
    ];
    const { lead: after, before, after: end } = await updated(lead.id, { followUpConfig: config, followUpStep: 3 });
    expect(after.followUpStep).toBe(3);
    expect(after.followUpConfig.map((s: any) => s.hours)).toEqual([1, 2, 3.5]);
    expectDue(after.nextFollowUp, before, end, 3.5);
  });

  it("-1: STOPPED with no timer, config kept", async () => {
    const lead = await newLead({ followUpConfig: CONFIG });
    expect(lead.nextFollowUp).not.toBeNull();
    const { lead: after } = await updated(lead.id, { followUpStep: -1 });
    expect(after).toMatchObject({ followUpStep: -1, followUpState: "STOPPED", nextFollowUp: null });
    expect(after.followUpConfig).toEqual(lead.followUpConfig);
  });

  it("-2: LONG_TERM with no timer", async () => {
    const lead = await newLead({ followUpConfig: CONFIG });
    const { lead: after } = await updated(lead.id, { followUpStep: -2 });
    expect(after).toMatchObject({ followUpStep: -2, followUpState: "LONG_TERM", nextFollowUp: null });
  });

  it.each([
    [-1, "STOPPED"],
    [-2, "LONG_TERM"],
  ])("config only with a kept %i stays %s, with the new config and no timer", async (step, state) => {
    const lead = await newLead({ followUpConfig: CONFIG, followUpStep: step });
    const { lead: after } = await updated(lead.id, { followUpConfig: [{ step: 1, hours: 2, channel: "TEXT" }] });
    expect(after).toMatchObject({ followUpStep: step, followUpState: state, nextFollowUp: null });
    expect(after.followUpConfig).toEqual([{ step: 1, hours: 2, channel: "TEXT", voicemailEnabled: false, strategyIds: null }]);
  });

  it("a stopped lead is rescheduled by giving a step", async () => {
    const lead = await newLead({ followUpConfig: CONFIG, followUpStep: -1 });
    const { lead: after, before, after: end } = await updated(lead.id, { followUpStep: 1 });
    expect(after).toMatchObject({ followUpStep: 1, followUpState: "SCHEDULED" });
    expectDue(after.nextFollowUp, before, end, 24);
  });

  it("an empty config clears the schedule", async () => {
    const lead = await newLead({ followUpConfig: CONFIG, followUpStep: 2 });
    const { lead: after } = await updated(lead.id, { followUpConfig: [] });
    expect(after).toMatchObject({ followUpStep: null, followUpState: "NONE", followUpConfig: [], nextFollowUp: null });
  });

  it("an update without followUpStep or followUpConfig leaves the timer alone", async () => {
    const lead = await newLead({ followUpConfig: CONFIG, followUpStep: 2 });
    const { lead: after } = await updated(lead.id, { owner: "bob", extendedFields: { x: 1 }, useStrategiesForFollowUps: true });
    expect(after).toMatchObject({ followUpStep: 2, nextFollowUp: lead.nextFollowUp, followUpConfig: lead.followUpConfig });
  });
});

describe("updateLead: STRATEGIES_DISABLED warning", () => {
  const withStrategies = [CONFIG[0], { ...CONFIG[1], strategyIds: ["auto"] }];

  const expectWarned = (warnings: Warning[]) =>
    expect(warnings).toEqual([{ code: "STRATEGIES_DISABLED", message: expect.any(String), field: "input.useStrategiesForFollowUps" }]);

  it("warns when a step has strategyIds and the flag is false after the update; the update is applied", async () => {
    const lead = await newLead();
    const { lead: after, warnings } = await updated(lead.id, { followUpConfig: withStrategies });
    expectWarned(warnings);
    expect(after.followUpConfig[1].strategyIds).toEqual(["auto"]);
    expect(after.version).toBe(2);
  });

  it("does not warn when the same update turns the flag on", async () => {
    const lead = await newLead();
    const { lead: after, warnings } = await updated(lead.id, { followUpConfig: withStrategies, useStrategiesForFollowUps: true });
    expect(warnings).toEqual([]);
    expect(after.useStrategiesForFollowUps).toBe(true);
  });

  it("does not warn when the flag is already on", async () => {
    const lead = await newLead({ useStrategiesForFollowUps: true });
    expect((await updated(lead.id, { followUpConfig: withStrategies })).warnings).toEqual([]);
  });

  it("warns when the update turns the flag off under a config with strategyIds", async () => {
    const lead = await newLead({ followUpConfig: withStrategies, useStrategiesForFollowUps: true });
    const { lead: after, warnings } = await updated(lead.id, { useStrategiesForFollowUps: false });
    expectWarned(warnings);
    expect(after.useStrategiesForFollowUps).toBe(false);
  });

  it("warns on any update while the lead is in that state", async () => {
    const lead = await newLead({ followUpConfig: withStrategies });
    expectWarned((await updated(lead.id, { owner: "bob" })).warnings);
  });

  it("does not warn when no step has strategyIds", async () => {
    const lead = await newLead();
    expect((await updated(lead.id, { followUpConfig: CONFIG })).warnings).toEqual([]);
  });

  it("stops warning once the config has no strategyIds", async () => {
    const lead = await newLead({ followUpConfig: withStrategies });
    expect((await updated(lead.id, { followUpConfig: CONFIG })).warnings).toEqual([]);
  });
});

describe("updateLead: versions and audit fields", () => {
  it("bumps version by 1 and sets lastUpdatedOn/lastUpdatedBy, keeping createdOn/createdBy", async () => {
    const lead = await newLead();
    const editor = t.token({ org, sub: "editor" });
    const first = await updated(lead.id, { owner: "bob" }, editor);
    expect(first.lead).toMatchObject({ version: 2, lastUpdatedBy: "editor", createdBy: "creator", createdOn: lead.createdOn });
    const on = new Date(first.lead.lastUpdatedOn).getTime();
    expect(on).toBeGreaterThanOrEqual(first.before);
    expect(on).toBeLessThanOrEqual(first.after);

    const second = await updated(lead.id, { extendedFields: { a: 1 } });
    expect(second.lead).toMatchObject({ version: 3, lastUpdatedBy: "creator" });
    expect(new Date(second.lead.lastUpdatedOn).getTime()).toBeGreaterThanOrEqual(on);
  });

  it("writes no status log", async () => {
    const lead = await newLead();
    const { lead: after } = await updated(lead.id, { owner: "bob", followUpConfig: CONFIG });
    expect(after.statusLogDetails).toEqual(lead.statusLogDetails);
  });

  it("applies the update when expectedVersion matches", async () => {
    const lead = await newLead();
    const { lead: after } = await updated(lead.id, { owner: "bob", expectedVersion: 1 });
    expect(after).toMatchObject({ owner: "bob", version: 2 });
    expect((await updated(lead.id, { owner: "carol", expectedVersion: 2 })).lead.version).toBe(3);
  });

  it("refuses a stale expectedVersion with CONFLICT and changes nothing", async () => {
    const lead = await newLead({ followUpConfig: CONFIG, extendedFields: { a: 1 } });
    await updated(lead.id, { owner: "bob" });
    const res = await expectRefused(
      lead.id,
      { owner: "mallory", extendedFields: { a: null, b: 2 }, followUpStep: -1, expectedVersion: 1 },
      "CONFLICT",
    );
    expect(res.body.errors![0].message).toMatch(/version/i);
    await expectRefused(lead.id, { owner: "mallory", expectedVersion: 3 }, "CONFLICT");
  });

  it.each([
    ["{}", {}],
    ["only expectedVersion", { expectedVersion: 1 }],
    ["only expectedVersion null", { expectedVersion: null }],
  ])("refuses an input with no field to change (%s) with BAD_USER_INPUT", async (_label, input) => {
    const lead = await newLead();
    const res = await expectRefused(lead.id, input, "BAD_USER_INPUT");
    expect(Object.keys(res.body.errors![0].extensions!.fields ?? {})).toEqual(["input"]);
  });
});

describe("updateLead: not found", () => {
  it("answers an unknown id and another org's id identically with NOT_FOUND, changing nothing", async () => {
    const theirs = t.token({ org: newOrg("other") });
    const other = await newLead({ owner: "them" }, theirs);

    const unknown = await update("lead_doesnotexist0000", { owner: "me" });
    const foreign = await update(other.id, { owner: "me" });
    expect(codes(unknown.res)).toEqual(["NOT_FOUND"]);
    expect(codes(foreign.res)).toEqual(["NOT_FOUND"]);
    expect(foreign.res.body.errors![0].message).toBe(unknown.res.body.errors![0].message);
    expect(foreign.res.body.errors![0].extensions).toEqual(unknown.res.body.errors![0].extensions);
    expect(foreign.res.body.data ?? null).toBeNull();
    expect(JSON.stringify(foreign.res.body)).not.toContain(other.id);

    expect(await read(other.id, theirs)).toEqual(other);
  });

  it("answers identically for a schedule change too", async () => {
    const theirs = t.token({ org: newOrg("other") });
    const other = await newLead({ followUpConfig: CONFIG }, theirs);
    const unknown = await update("lead_doesnotexist0000", { followUpStep: 2 });
    const foreign = await update(other.id, { followUpStep: 2 });
    expect(codes(foreign.res)).toEqual(["NOT_FOUND"]);
    expect(foreign.res.body.errors![0].message).toBe(unknown.res.body.errors![0].message);
    expect(await read(other.id, theirs)).toEqual(other);
  });
});

describe("updateLead: access", () => {
  it("needs leads:write", async () => {
    const lead = await newLead();
    await expectRefused(lead.id, { owner: "bob" }, "FORBIDDEN", undefined, t.token({ org, scopes: ["leads:read", "followups:write"] }));
  });

  it("needs a token", async () => {
    const lead = await newLead();
    const res = await t.gql(UPDATE, { id: lead.id, input: { owner: "bob" } }, { token: null });
    expect(codes(res)).toEqual(["UNAUTHENTICATED"]);
    expect(await read(lead.id)).toEqual(lead);
  });
});
