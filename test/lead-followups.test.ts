import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { expectRejected as expectRefused, ok } from "./support/operations";

/** Black-box tests of `updateLeadFollowups` (API.md, "updateLeadFollowups"; seed "Update Lead Followups"). */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const LEAD_FIELDS = `
  id status version lastUpdatedBy lastUpdatedOn nextFollowUp lastFollowUp
  followUpDetails { id leadId userId followedUpBy followedUpOn scheduledFollowUp nextFollowUp notes createdBy createdOn }
  statusLogDetails { id status }
`;

const CREATE_LEAD = `mutation ($input: CreateLeadInput!) { createLead(input: $input) { lead { ${LEAD_FIELDS} } } }`;
const UPDATE_FOLLOWUPS = `mutation ($id: ID!, $input: UpdateLeadFollowupsInput!) {
  updateLeadFollowups(id: $id, input: $input) { lead { ${LEAD_FIELDS} } warnings { code } }
}`;
const GET_LEAD = `query ($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`;
const CREATE_REASON = `mutation ($reason: String!) { createLeadReason(reason: $reason) { id } }`;
const UPDATE_STATUS = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { lead { id status } } }`;

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

async function createLead(token: string, input: Record<string, unknown> = {}) {
  return ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1", userId: "cust-1", ...input } }, { token })).createLead.lead;
}

async function readLead(token: string, id: string) {
  return ok(await t.gql(GET_LEAD, { id }, { token })).lead;
}

function recordFollowup(token: string, id: string, input: Record<string, unknown>) {
  return t.gql(UPDATE_FOLLOWUPS, { id, input }, { token });
}

async function record(token: string, id: string, input: Record<string, unknown>) {
  return ok(await recordFollowup(token, id, input)).updateLeadFollowups.lead;
}

async function setup(options: { sub?: string; lead?: Record<string, unknown> } = {}) {
  const org = newOrg();
  const token = t.token({ org, sub: options.sub });
  const lead = await createLead(token, options.lead);
  return { org, token, lead };
}

/** Asserts a rejection with `code` (and only `field` in `fields`), then that the lead is exactly as before. */
function expectRejected(token: string, id: string, input: Record<string, unknown>, code: string, field?: string) {
  return expectRefused(() => recordFollowup(token, id, input), () => readLead(token, id), "updateLeadFollowups", code, field);
}

describe("updateLeadFollowups: success", () => {
  it("appends a FollowUpDetail with every field given and moves the lead's dates", async () => {
    const { org, lead } = await setup();
    const caller = t.token({ org, sub: "associate-3" });
    const now = Date.now();
    const input = {
      followedUpOn: iso(now - 2 * HOUR),
      followedUpBy: "staff-11",
      createdBy: "till-42",
      createdOn: "2020-02-02T02:02:02.222Z",
      nextFollowUp: iso(now + 3 * DAY),
      scheduledFollowUp: iso(now - 3 * HOUR),
      notes: "Customer wants the blue one; call back after payday.",
    };
    const before = Date.now();
    const updated = await record(caller, lead.id, input);
    const after = Date.now();

    expect(updated).toMatchObject({ id: lead.id, version: lead.version + 1, lastUpdatedBy: "associate-3" });
    expect(new Date(updated.lastFollowUp).toISOString()).toBe(input.followedUpOn);
    expect(new Date(updated.nextFollowUp).toISOString()).toBe(input.nextFollowUp);
    const updatedOn = new Date(updated.lastUpdatedOn).getTime();
    expect(updatedOn).toBeGreaterThanOrEqual(before);
    expect(updatedOn).toBeLessThanOrEqual(after);

    expect(updated.followUpDetails).toHaveLength(1);
    const detail = updated.followUpDetails[0];
    expect(detail.id).toMatch(/^fud_/);
    expect({
      ...detail,
      followedUpOn: new Date(detail.followedUpOn).toISOString(),
      scheduledFollowUp: new Date(detail.scheduledFollowUp).toISOString(),
      nextFollowUp: new Date(detail.nextFollowUp).toISOString(),
      createdOn: new Date(detail.createdOn).toISOString(),
    }).toEqual({ id: detail.id, leadId: lead.id, userId: "cust-1", ...input });

    // The status log is not touched by a follow-up.
    expect(updated.statusLogDetails).toEqual(lead.statusLogDetails);
    expect(updated.status).toBe(lead.status);
    // What the mutation returned is what is stored.
    expect(await readLead(caller, lead.id)).toEqual(updated);
  });

  it("defaults createdBy to the caller's sub and createdOn to now; leaves the optional fields null", async () => {
    const { token, lead } = await setup({ sub: "associate-5" });
    const before = Date.now();
    const updated = await record(token, lead.id, { followedUpOn: iso(before - HOUR) });
    const after = Date.now();
    const detail = updated.followUpDetails[0];
    expect(detail).toMatchObject({ createdBy: "associate-5", followedUpBy: null, scheduledFollowUp: null, nextFollowUp: null, notes: null });
    const createdOn = new Date(detail.createdOn).getTime();
    expect(createdOn).toBeGreaterThanOrEqual(before);
    expect(createdOn).toBeLessThanOrEqual(after);
  });

  it("lists followUpDetails newest first", async () => {
    const { token, lead } = await setup();
    const base = Date.now() - 10 * DAY;
    for (const [i, notes] of ["first", "second", "third"].entries()) {
      await record(token, lead.id, { followedUpOn: iso(base + i * DAY), createdOn: iso(base + i * DAY + HOUR), notes });
    }
    const stored = await readLead(token, lead.id);
    expect(stored.followUpDetails.map((d: any) => d.notes)).toEqual(["third", "second", "first"]);
    expect(stored.version).toBe(lead.version + 3);
  });

  it("keeps lastFollowUp at the latest followedUpOn seen, whatever the recording order", async () => {
    const { token, lead } = await setup();
    const later = iso(Date.now() - DAY);
    const earlier = iso(Date.now() - 5 * DAY);
    const first = await record(token, lead.id, { followedUpOn: later });
    expect(new Date(first.lastFollowUp).toISOString()).toBe(later);
    const second = await record(token, lead.id, { followedUpOn: earlier });
    expect(new Date(second.lastFollowUp).toISOString()).toBe(later);
    expect(second.followUpDetails).toHaveLength(2);
    expect(second.version).toBe(lead.version + 2);
    const latest = iso(Date.now() - HOUR);
    const third = await record(token, lead.id, { followedUpOn: latest });
    expect(new Date(third.lastFollowUp).toISOString()).toBe(latest);
  });

  it("sets the lead's nextFollowUp when given and leaves it when omitted", async () => {
    const initialNext = iso(Date.now() + 7 * DAY);
    const { token, lead } = await setup({ lead: { nextFollowUp: initialNext } });
    expect(new Date(lead.nextFollowUp).toISOString()).toBe(initialNext);

    const omitted = await record(token, lead.id, { followedUpOn: iso(Date.now() - HOUR) });
    expect(new Date(omitted.nextFollowUp).toISOString()).toBe(initialNext);

    const given = iso(Date.now() + 2 * DAY);
    const moved = await record(token, lead.id, { followedUpOn: iso(Date.now() - HOUR), nextFollowUp: given });
    expect(new Date(moved.nextFollowUp).toISOString()).toBe(given);

    const omittedAgain = await record(token, lead.id, { followedUpOn: iso(Date.now() - HOUR), notes: "no date" });
    expect(new Date(omittedAgain.nextFollowUp).toISOString()).toBe(given);
  });

  it("accepts a nextFollowUp equal to followedUpOn and notes of exactly 2,000 characters", async () => {
    const { token, lead } = await setup();
    const at = iso(Date.now() - HOUR);
    const notes = "n".repeat(2000);
    const updated = await record(token, lead.id, { followedUpOn: at, nextFollowUp: at, notes });
    expect(updated.followUpDetails[0].notes).toBe(notes);
    expect(new Date(updated.nextFollowUp).toISOString()).toBe(at);
  });

  it.each(["WON", "LOST", "ON_HOLD"])("records follow-ups on a %s lead", async (status) => {
    const { token, lead } = await setup({ lead: { status } });
    const updated = await record(token, lead.id, { followedUpOn: iso(Date.now() - HOUR) });
    expect(updated.followUpDetails).toHaveLength(1);
    expect(updated.version).toBe(lead.version + 1);
  });

  it("succeeds with a matching expectedVersion", async () => {
    const { token, lead } = await setup();
    const updated = await record(token, lead.id, { followedUpOn: iso(Date.now() - HOUR), expectedVersion: lead.version });
    expect(updated.version).toBe(lead.version + 1);
  });
});

describe("updateLeadFollowups: rejections change nothing", () => {
  it("rejects a nextFollowUp before followedUpOn with BAD_USER_INPUT on input.nextFollowUp", async () => {
    const { token, lead } = await setup();
    const followedUpOn = Date.now() - HOUR;
    await expectRejected(
      token,
      lead.id,
      { followedUpOn: iso(followedUpOn), nextFollowUp: iso(followedUpOn - 1) },
      "BAD_USER_INPUT",
      "input.nextFollowUp",
    );
  });

  it("rejects notes of 2,001 characters with BAD_USER_INPUT on input.notes", async () => {
    const { token, lead } = await setup();
    await expectRejected(token, lead.id, { followedUpOn: iso(Date.now() - HOUR), notes: "n".repeat(2001) }, "BAD_USER_INPUT", "input.notes");
  });

  it("refuses a DELETED lead with FAILED_PRECONDITION", async () => {
    const { token } = await setup();
    const reasonId = ok(await t.gql(CREATE_REASON, { reason: "Closed" }, { token })).createLeadReason.id;
    const lead = await createLead(token, { status: "WON" });
    ok(await t.gql(UPDATE_STATUS, { id: lead.id, input: { status: "DELETED", reasonId } }, { token }));
    await expectRejected(token, lead.id, { followedUpOn: iso(Date.now() - HOUR), nextFollowUp: iso(Date.now() + DAY) }, "FAILED_PRECONDITION");
  });

  it("answers NOT_FOUND, with the same message, for an unknown lead and for another org's lead", async () => {
    const { token } = await setup();
    const other = await setup();
    const before = await readLead(other.token, other.lead.id);
    const input = { followedUpOn: iso(Date.now() - HOUR) };
    const unknown = await recordFollowup(token, "lead_doesnotexist000000000", input);
    const foreign = await recordFollowup(token, other.lead.id, input);
    expect(codes(unknown)).toEqual(["NOT_FOUND"]);
    expect(codes(foreign)).toEqual(["NOT_FOUND"]);
    expect(foreign.body.errors![0].message).toBe(unknown.body.errors![0].message);
    expect(foreign.body.errors![0].extensions).toEqual(unknown.body.errors![0].extensions);
    expect(await readLead(other.token, other.lead.id)).toEqual(before);
  });

  it("rejects an expectedVersion that does not match with CONFLICT", async () => {
    const { token, lead } = await setup();
    await record(token, lead.id, { followedUpOn: iso(Date.now() - HOUR) });
    await expectRejected(token, lead.id, { followedUpOn: iso(Date.now() - HOUR), expectedVersion: lead.version }, "CONFLICT");
  });

  it("needs leads:write", async () => {
    const { org, token, lead } = await setup();
    const readOnly = t.token({ org, scopes: ["leads:read", "followups:read", "followups:write"] });
    const before = await readLead(token, lead.id);
    const res = await recordFollowup(readOnly, lead.id, { followedUpOn: iso(Date.now() - HOUR) });
    expect(codes(res)).toEqual(["FORBIDDEN"]);
    expect(await readLead(token, lead.id)).toEqual(before);
  });
});

describe("updateLeadFollowups: concurrency", () => {
  it("keeps all of 30 concurrent follow-ups: 30 details and version + 30", async () => {
    const { token, lead } = await setup();
    const base = Date.now() - 30 * HOUR;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => recordFollowup(token, lead.id, { followedUpOn: iso(base + i * HOUR), notes: `n${i}` })),
    );
    for (const res of results) expect(res.body.errors).toBeUndefined();
    const stored = await readLead(token, lead.id);
    expect(stored.followUpDetails).toHaveLength(30);
    expect(new Set(stored.followUpDetails.map((d: any) => d.notes)).size).toBe(30);
    expect(stored.version).toBe(lead.version + 30);
    // The latest followedUpOn wins, whatever order the writes landed in.
    expect(new Date(stored.lastFollowUp).toISOString()).toBe(iso(base + 29 * HOUR));
    // Each write reads the clock once it holds the lead: default createdOn follows the order of the
    // details (newest first), and the lead was last updated when its newest detail was written.
    const times = stored.followUpDetails.map((d: any) => new Date(d.createdOn).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Date(stored.lastUpdatedOn).getTime()).toBe(times[0]);
  });
});
