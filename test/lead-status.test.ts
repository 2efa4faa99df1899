import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_REASON, CREATE_SUB_STATUS, expectRejected as expectRefused, ok } from "./support/operations";

/** Black-box tests of `updateLeadStatus` (API.md, "updateLeadStatus"; seed "Update Lead Status"). */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const LEAD_FIELDS = `
  id status subStatus version createdBy lastUpdatedBy lastUpdatedOn
  statusLogDetails { id leadId userId status subStatus previousStatus reasonId reason createdBy createdOn }
`;

const CREATE_LEAD = `mutation ($input: CreateLeadInput!) { createLead(input: $input) { lead { ${LEAD_FIELDS} } } }`;
const UPDATE_STATUS = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) {
  updateLeadStatus(id: $id, input: $input) { lead { ${LEAD_FIELDS} } warnings { code } }
}`;
const GET_LEAD = `query ($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`;

const STATUSES = ["OPEN", "WON", "LOST", "ON_HOLD", "DELETED"] as const;
type Status = (typeof STATUSES)[number];

async function createLead(token: string, input: Record<string, unknown> = {}) {
  const data = ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1", userId: "cust-1", ...input } }, { token }));
  return data.createLead.lead;
}

async function createReason(token: string, reason = "Customer asked") {
  return ok(await t.gql(CREATE_REASON, { reason }, { token })).createLeadReason as { id: string; reason: string };
}

async function createSubStatus(token: string, status: Status, subStatus: string) {
  ok(await t.gql(CREATE_SUB_STATUS, { status, subStatus }, { token }));
}

async function readLead(token: string, id: string) {
  return ok(await t.gql(GET_LEAD, { id }, { token })).lead;
}

function updateStatus(token: string, id: string, input: Record<string, unknown>) {
  return t.gql(UPDATE_STATUS, { id, input }, { token });
}

/** Sets up an org with a lead and a reason. */
async function setup(options: { sub?: string; lead?: Record<string, unknown> } = {}) {
  const org = newOrg();
  const token = t.token({ org, sub: options.sub });
  const reason = await createReason(token);
  const lead = await createLead(token, options.lead);
  return { org, token, reason, lead };
}

/** Asserts a rejection with `code`, then that the lead and its status log are exactly as before. */
function expectRejected(token: string, id: string, input: Record<string, unknown>, code: string, field?: string) {
  return expectRefused(() => updateStatus(token, id, input), () => readLead(token, id), "updateLeadStatus", code, field);
}

describe("updateLeadStatus: success", () => {
  it("changes the lead and appends a StatusLog with every field (defaults: caller's sub, now)", async () => {
    const { token, reason, lead } = await setup({ sub: "staff-7" });
    await createSubStatus(token, "ON_HOLD", "Awaiting stock");
    const before = Date.now();
    const res = await updateStatus(token, lead.id, { status: "ON_HOLD", subStatus: "Awaiting stock", reasonId: reason.id });
    const after = Date.now();
    const { updateLeadStatus } = ok(res);
    expect(updateLeadStatus.warnings).toEqual([]);
    const updated = updateLeadStatus.lead;
    expect(updated).toMatchObject({ id: lead.id, status: "ON_HOLD", subStatus: "Awaiting stock", version: lead.version + 1, lastUpdatedBy: "staff-7" });
    const updatedOn = new Date(updated.lastUpdatedOn).getTime();
    expect(updatedOn).toBeGreaterThanOrEqual(before);
    expect(updatedOn).toBeLessThanOrEqual(after);

    expect(updated.statusLogDetails).toHaveLength(2);
    const entry = updated.statusLogDetails[1];
    expect(entry).toMatchObject({
      leadId: lead.id,
      userId: "cust-1",
      status: "ON_HOLD",
      subStatus: "Awaiting stock",
      previousStatus: "OPEN",
      reasonId: reason.id,
      reason: reason.reason,
      createdBy: "staff-7",
    });
    expect(entry.id).toMatch(/^slog_/);
    const createdOn = new Date(entry.createdOn).getTime();
    expect(createdOn).toBeGreaterThanOrEqual(before);
    expect(createdOn).toBeLessThanOrEqual(after);

    // What the mutation returned is what is stored.
    expect(await readLead(token, lead.id)).toEqual(updated);
  });

  it("stores the createdBy and past createdOn given, while lastUpdatedBy is the caller", async () => {
    const { org, reason, lead } = await setup();
    const caller = t.token({ org, sub: "integration-user" });
    const createdOn = "2021-03-04T05:06:07.089Z";
    const updated = ok(await updateStatus(caller, lead.id, { status: "LOST", reasonId: reason.id, createdBy: "till-42", createdOn })).updateLeadStatus
      .lead;
    expect(updated.lastUpdatedBy).toBe("integration-user");
    const entry = updated.statusLogDetails.at(-1);
    expect(entry.createdBy).toBe("till-42");
    expect(new Date(entry.createdOn).toISOString()).toBe(createdOn);
    expect(entry.status).toBe("LOST");
    expect(entry.subStatus).toBeNull();
    expect(entry.previousStatus).toBe("OPEN");
  });

  it("accepts a createdOn with an offset and stores that instant", async () => {
    const { token, reason, lead } = await setup();
    const updated = ok(await updateStatus(token, lead.id, { status: "WON", reasonId: reason.id, createdOn: "2018-10-05T08:00:00+05:30" }))
      .updateLeadStatus.lead;
    expect(new Date(updated.statusLogDetails.at(-1).createdOn).toISOString()).toBe("2018-10-05T02:30:00.000Z");
  });

  it("lists statusLogDetails oldest first, each previousStatus the status before it, even with back-dated createdOn", async () => {
    const { token, reason, lead } = await setup();
    await createSubStatus(token, "OPEN", "Hot");
    const steps: Array<{ status: Status; subStatus?: string; createdOn?: string }> = [
      { status: "ON_HOLD" },
      { status: "OPEN", subStatus: "Hot", createdOn: "2001-01-01T00:00:00.000Z" },
      { status: "OPEN" },
      { status: "WON" },
      { status: "DELETED" },
    ];
    for (const step of steps) ok(await updateStatus(token, lead.id, { ...step, reasonId: reason.id }));
    const stored = await readLead(token, lead.id);
    expect(stored.statusLogDetails.map((e: any) => [e.previousStatus, e.status, e.subStatus])).toEqual([
      [null, "OPEN", null],
      ["OPEN", "ON_HOLD", null],
      ["ON_HOLD", "OPEN", "Hot"],
      ["OPEN", "OPEN", null],
      ["OPEN", "WON", null],
      ["WON", "DELETED", null],
    ]);
    expect(stored).toMatchObject({ status: "DELETED", subStatus: null, version: 1 + steps.length });
    // The first entry is the creation's: no reason.
    expect(stored.statusLogDetails[0]).toMatchObject({ reasonId: null, reason: null });
  });

  it("allows the same status with a different defined sub-status, and clearing the sub-status", async () => {
    const { token, reason } = await setup();
    await createSubStatus(token, "OPEN", "Hot");
    await createSubStatus(token, "OPEN", "Cold");
    const lead = await createLead(token, { subStatus: "Hot" });
    const toCold = ok(await updateStatus(token, lead.id, { status: "OPEN", subStatus: "Cold", reasonId: reason.id })).updateLeadStatus.lead;
    expect(toCold).toMatchObject({ status: "OPEN", subStatus: "Cold", version: 2 });
    expect(toCold.statusLogDetails.at(-1)).toMatchObject({ status: "OPEN", subStatus: "Cold", previousStatus: "OPEN" });
    const cleared = ok(await updateStatus(token, lead.id, { status: "OPEN", reasonId: reason.id })).updateLeadStatus.lead;
    expect(cleared).toMatchObject({ status: "OPEN", subStatus: null, version: 3 });
  });

  it("succeeds with a matching expectedVersion", async () => {
    const { token, reason, lead } = await setup();
    const updated = ok(await updateStatus(token, lead.id, { status: "ON_HOLD", reasonId: reason.id, expectedVersion: lead.version }))
      .updateLeadStatus.lead;
    expect(updated).toMatchObject({ status: "ON_HOLD", version: lead.version + 1 });
  });

  it.each(["WON", "LOST"] as const)("lets a %s lead become DELETED", async (closed) => {
    const { token, reason } = await setup();
    const lead = await createLead(token, { status: closed });
    const updated = ok(await updateStatus(token, lead.id, { status: "DELETED", reasonId: reason.id })).updateLeadStatus.lead;
    expect(updated.status).toBe("DELETED");
    expect(updated.statusLogDetails.at(-1)).toMatchObject({ status: "DELETED", previousStatus: closed });
  });

  it.each(["WON", "LOST", "ON_HOLD", "DELETED"] as const)("lets an OPEN lead become %s", async (to) => {
    const { token, reason, lead } = await setup();
    const updated = ok(await updateStatus(token, lead.id, { status: to, reasonId: reason.id })).updateLeadStatus.lead;
    expect(updated).toMatchObject({ status: to, version: 2 });
  });
});

describe("updateLeadStatus: rejections change nothing", () => {
  it("rejects an unknown reasonId with BAD_USER_INPUT on input.reasonId", async () => {
    const { token, lead } = await setup();
    await expectRejected(token, lead.id, { status: "ON_HOLD", reasonId: "rsn_doesnotexist0000000000" }, "BAD_USER_INPUT", "input.reasonId");
  });

  it("rejects another org's reasonId exactly like an unknown one", async () => {
    const { token, lead } = await setup();
    const other = await createReason(t.token({ org: newOrg() }), "Customer asked");
    const foreign = await expectRejected(token, lead.id, { status: "ON_HOLD", reasonId: other.id }, "BAD_USER_INPUT", "input.reasonId");
    const unknown = await expectRejected(token, lead.id, { status: "ON_HOLD", reasonId: "rsn_doesnotexist0000000000" }, "BAD_USER_INPUT");
    expect(foreign.body.errors![0].message).toBe(unknown.body.errors![0].message);
    expect(foreign.body.errors![0].extensions!.fields).toEqual(unknown.body.errors![0].extensions!.fields);
  });

  it("rejects a sub-status that is not defined with BAD_USER_INPUT on input.subStatus", async () => {
    const { token, reason, lead } = await setup();
    await expectRejected(token, lead.id, { status: "ON_HOLD", subStatus: "Never defined", reasonId: reason.id }, "BAD_USER_INPUT", "input.subStatus");
  });

  it("rejects a sub-status defined only for another status", async () => {
    const { token, reason, lead } = await setup();
    await createSubStatus(token, "OPEN", "Hot");
    await expectRejected(token, lead.id, { status: "ON_HOLD", subStatus: "Hot", reasonId: reason.id }, "BAD_USER_INPUT", "input.subStatus");
  });

  it("rejects a sub-status defined only in another org", async () => {
    const { token, reason, lead } = await setup();
    await createSubStatus(t.token({ org: newOrg() }), "ON_HOLD", "Elsewhere");
    await expectRejected(token, lead.id, { status: "ON_HOLD", subStatus: "Elsewhere", reasonId: reason.id }, "BAD_USER_INPUT", "input.subStatus");
  });

  it("names both input.reasonId and input.subStatus when both are wrong", async () => {
    const { token, lead } = await setup();
    const res = await expectRejected(token, lead.id, { status: "ON_HOLD", subStatus: "Never defined", reasonId: "rsn_doesnotexist0000000000" }, "BAD_USER_INPUT");
    expect(Object.keys(res.body.errors![0].extensions!.fields ?? {}).sort()).toEqual(["input.reasonId", "input.subStatus"]);
  });

  it("rejects a createdOn in the future with BAD_USER_INPUT on input.createdOn", async () => {
    const { token, reason, lead } = await setup();
    const createdOn = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    await expectRejected(token, lead.id, { status: "ON_HOLD", reasonId: reason.id, createdOn }, "BAD_USER_INPUT", "input.createdOn");
  });

  it("rejects the same status and sub-status with FAILED_PRECONDITION", async () => {
    const { token, reason, lead } = await setup();
    await expectRejected(token, lead.id, { status: "OPEN", reasonId: reason.id }, "FAILED_PRECONDITION");
    await createSubStatus(token, "OPEN", "Hot");
    ok(await updateStatus(token, lead.id, { status: "OPEN", subStatus: "Hot", reasonId: reason.id }));
    await expectRejected(token, lead.id, { status: "OPEN", subStatus: "Hot", reasonId: reason.id }, "FAILED_PRECONDITION");
  });

  it.each(["WON", "LOST"] as const)("refuses every change of a %s lead except DELETED with FAILED_PRECONDITION", async (closed) => {
    const { token, reason } = await setup();
    await createSubStatus(token, closed, "Other");
    const lead = await createLead(token, { status: closed });
    for (const to of STATUSES.filter((s) => s !== "DELETED")) {
      await expectRejected(token, lead.id, { status: to, reasonId: reason.id }, "FAILED_PRECONDITION");
    }
    // Not even a sub-status change within the closed status.
    await expectRejected(token, lead.id, { status: closed, subStatus: "Other", reasonId: reason.id }, "FAILED_PRECONDITION");
  });

  it("refuses every change of a DELETED lead with FAILED_PRECONDITION", async () => {
    const { token, reason } = await setup();
    await createSubStatus(token, "DELETED", "Spam");
    const lead = await createLead(token, { status: "WON" });
    ok(await updateStatus(token, lead.id, { status: "DELETED", reasonId: reason.id }));
    for (const to of STATUSES) {
      await expectRejected(token, lead.id, { status: to, reasonId: reason.id }, "FAILED_PRECONDITION");
    }
    await expectRejected(token, lead.id, { status: "DELETED", subStatus: "Spam", reasonId: reason.id }, "FAILED_PRECONDITION");
  });

  it("rejects an expectedVersion that does not match with CONFLICT", async () => {
    const { token, reason, lead } = await setup();
    ok(await updateStatus(token, lead.id, { status: "ON_HOLD", reasonId: reason.id }));
    await expectRejected(token, lead.id, { status: "OPEN", reasonId: reason.id, expectedVersion: lead.version }, "CONFLICT");
    await expectRejected(token, lead.id, { status: "OPEN", reasonId: reason.id, expectedVersion: lead.version + 5 }, "CONFLICT");
  });

  it("answers NOT_FOUND, with the same message, for an unknown lead and for another org's lead", async () => {
    const { token, reason } = await setup();
    const otherToken = t.token({ org: newOrg() });
    const otherLead = await createLead(otherToken);
    const before = await readLead(otherToken, otherLead.id);

    const unknown = await updateStatus(token, "lead_doesnotexist000000000", { status: "ON_HOLD", reasonId: reason.id });
    const foreign = await updateStatus(token, otherLead.id, { status: "ON_HOLD", reasonId: reason.id });
    expect(codes(unknown)).toEqual(["NOT_FOUND"]);
    expect(codes(foreign)).toEqual(["NOT_FOUND"]);
    expect(foreign.body.errors![0].message).toBe(unknown.body.errors![0].message);
    expect(foreign.body.errors![0].extensions).toEqual(unknown.body.errors![0].extensions);
    expect(await readLead(otherToken, otherLead.id)).toEqual(before);
  });

  it("needs leads:write", async () => {
    const { org, reason, lead, token } = await setup();
    const readOnly = t.token({ org, scopes: ["leads:read", "followups:read", "followups:write"] });
    const before = await readLead(token, lead.id);
    const res = await updateStatus(readOnly, lead.id, { status: "ON_HOLD", reasonId: reason.id });
    expect(codes(res)).toEqual(["FORBIDDEN"]);
    expect(await readLead(token, lead.id)).toEqual(before);
  });
});

describe("updateLeadStatus: concurrency", () => {
  it("serializes 20 concurrent changes: one log entry per success, chained previousStatus, lead = last entry", async () => {
    const { token, reason, lead } = await setup();
    const targets: Status[] = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? "ON_HOLD" : "OPEN"));
    const results = await Promise.all(targets.map((status) => updateStatus(token, lead.id, { status, reasonId: reason.id })));

    const successes = results.filter((r) => !r.body.errors);
    const failures = results.filter((r) => r.body.errors);
    // A change to the status the lead already has is a duplicate; nothing else may go wrong.
    for (const failure of failures) expect(codes(failure)).toEqual(["FAILED_PRECONDITION"]);
    // The first ON_HOLD to get the lock finds it OPEN, so at least one succeeds.
    expect(successes.length).toBeGreaterThanOrEqual(1);

    const stored = await readLead(token, lead.id);
    const log = stored.statusLogDetails as Array<{ status: Status; previousStatus: Status | null; createdOn: string }>;
    expect(log).toHaveLength(1 + successes.length);
    expect(log[0].previousStatus).toBeNull();
    for (let i = 1; i < log.length; i++) {
      expect(log[i].previousStatus).toBe(log[i - 1].status);
      expect(log[i].status).not.toBe(log[i - 1].status);
    }
    expect(stored.status).toBe(log.at(-1)!.status);
    // Each write reads the clock once it holds the lead: default createdOn follows the log's order,
    // and the lead was last updated when its last entry was written.
    const times = log.map((e) => new Date(e.createdOn).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Date(stored.lastUpdatedOn).getTime()).toBe(times.at(-1));
    expect(stored.version).toBe(lead.version + successes.length);
    // Each success returned a distinct version: no two writes saw the same row.
    const versions = successes.map((r) => r.body.data.updateLeadStatus.lead.version);
    expect(new Set(versions).size).toBe(successes.length);
  });
});
