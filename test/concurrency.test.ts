import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { ok, CREATE_LEAD, CREATE_REASON } from "./support/operations";

/**
 * Concurrent writers on one lead (issue 3, "Proof"): the row lock in lead.repository.ts queues
 * them, so nothing is lost and the status log is one unbroken chain. Runs on the embedded
 * database (one session, lent to one caller at a time) and on PostgreSQL (a pool of five).
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const CREATE_SUB_STATUS = `mutation ($status: LeadStatus!, $subStatus: String!) { createLeadSubStatus(status: $status, subStatus: $subStatus) { subStatus } }`;
const UPDATE_STATUS = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) {
  updateLeadStatus(id: $id, input: $input) { lead { id status subStatus version } }
}`;
const UPDATE_FOLLOWUPS = `mutation ($id: ID!, $input: UpdateLeadFollowupsInput!) {
  updateLeadFollowups(id: $id, input: $input) { lead { id version } }
}`;
const GET_LEAD = `query ($id: ID!) { lead(id: $id) {
  id status subStatus version lastFollowUp
  statusLogDetails { status subStatus previousStatus }
  followUpDetails { notes followedUpOn }
} }`;

const N = 50;

describe(`${N} concurrent writers on one lead`, () => {
  it("updateLeadStatus: one log entry per success, chained by previousStatus, the lead's status that of the last entry", async () => {
    const token = t.token({ org: newOrg("conc-status") });
    const lead = ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1" } }, { token })).createLead.lead;
    const reasonId = ok(await t.gql(CREATE_REASON, { reason: "Customer asked" }, { token })).createLeadReason.id;
    for (const [status, subStatus] of [["OPEN", "contacted"], ["ON_HOLD", "waiting"], ["ON_HOLD", "callback"]])
      ok(await t.gql(CREATE_SUB_STATUS, { status, subStatus }, { token }));
    // Consecutive writers mostly ask for a change; one pair in each cycle asks for the same thing twice.
    const targets = [
      ["ON_HOLD", null],
      ["OPEN", "contacted"],
      ["ON_HOLD", "waiting"],
      ["ON_HOLD", "waiting"],
      ["OPEN", null],
      ["ON_HOLD", "callback"],
      ["OPEN", "contacted"],
    ] as const;

    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const [status, subStatus] = targets[i % targets.length];
        return t.gql(UPDATE_STATUS, { id: lead.id, input: { status, subStatus, reasonId } }, { token });
      }),
    );

    const succeeded = results.filter((r) => r.body.data?.updateLeadStatus);
    const failed = results.filter((r) => !r.body.data?.updateLeadStatus);
    for (const r of results) expect(r.status).toBe(200);
    // The only refusal possible here is a duplicate of the status the previous writer left.
    for (const r of failed) expect(codes(r)).toEqual(["FAILED_PRECONDITION"]);
    expect(succeeded.length).toBeGreaterThan(1);
    // Every success saw a distinct version: none of them overwrote another.
    const versions = succeeded.map((r) => r.body.data.updateLeadStatus.lead.version).sort((a: number, b: number) => a - b);
    expect(versions).toEqual(Array.from({ length: succeeded.length }, (_, i) => lead.version + 1 + i));

    const after = ok(await t.gql(GET_LEAD, { id: lead.id }, { token })).lead;
    const log = after.statusLogDetails as Array<{ status: string; subStatus: string | null; previousStatus: string | null }>;
    expect(log).toHaveLength(1 + succeeded.length); // + the creation entry
    expect(log[0].previousStatus).toBeNull();
    for (let i = 1; i < log.length; i++) {
      expect(log[i].previousStatus).toBe(log[i - 1].status);
      // Each entry is a real change from the one before it (duplicates were refused).
      expect([log[i].status, log[i].subStatus]).not.toEqual([log[i - 1].status, log[i - 1].subStatus]);
    }
    const last = log[log.length - 1];
    expect([after.status, after.subStatus]).toEqual([last.status, last.subStatus]);
    expect(after.version).toBe(lead.version + succeeded.length);
    // The last success to return its version is the one the lead shows.
    const newest = succeeded.find((r) => r.body.data.updateLeadStatus.lead.version === after.version)!;
    expect(newest.body.data.updateLeadStatus.lead.status).toBe(after.status);

    process.stdout.write(`concurrency: ${N} concurrent updateLeadStatus → ${succeeded.length} succeeded, ${failed.length} FAILED_PRECONDITION (duplicate)\n`);
  });

  it("updateLeadFollowups: no detail lost, the version bumped once per write", async () => {
    const token = t.token({ org: newOrg("conc-followups") });
    const lead = ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1" } }, { token })).createLead.lead;
    const base = Date.parse("2030-01-01T00:00:00.000Z");

    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: { followedUpOn: new Date(base + i * 60_000).toISOString(), notes: `call ${i}` } }, { token }),
      ),
    );
    for (const r of results) ok(r);
    const versions = results.map((r) => r.body.data.updateLeadFollowups.lead.version).sort((a: number, b: number) => a - b);
    expect(versions).toEqual(Array.from({ length: N }, (_, i) => lead.version + 1 + i));

    const after = ok(await t.gql(GET_LEAD, { id: lead.id }, { token })).lead;
    expect(after.version).toBe(lead.version + N);
    expect(after.followUpDetails).toHaveLength(N);
    expect(new Set(after.followUpDetails.map((d: { notes: string }) => d.notes))).toEqual(new Set(Array.from({ length: N }, (_, i) => `call ${i}`)));
    // The latest follow-up wins whatever order the writers were queued in.
    expect(after.lastFollowUp).toBe(new Date(base + (N - 1) * 60_000).toISOString());

    process.stdout.write(`concurrency: ${N} concurrent updateLeadFollowups → ${N} succeeded, ${after.followUpDetails.length} details\n`);
  });
});
