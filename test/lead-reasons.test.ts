import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { ok } from "./support/operations";

/** Black-box tests of the org's status-change reasons and sub-statuses (API.md, "Reasons and sub-statuses"). */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const CREATE_REASON = `mutation ($reason: String!) { createLeadReason(reason: $reason) { id reason } }`;
const CREATE_SUB_STATUS = `mutation ($status: LeadStatus!, $subStatus: String!) {
  createLeadSubStatus(status: $status, subStatus: $subStatus) { status subStatus }
}`;
const REASONS = `query { leadReasons { id reason } }`;
const SUB_STATUSES = `query ($status: LeadStatus) { leadSubStatuses(status: $status) { status subStatus } }`;

const orgToken = () => t.token({ org: newOrg() });

async function createReason(token: string, reason: string): Promise<{ id: string; reason: string }> {
  return ok(await t.gql(CREATE_REASON, { reason }, { token })).createLeadReason;
}

async function reasons(token: string): Promise<Array<{ id: string; reason: string }>> {
  return ok(await t.gql(REASONS, {}, { token })).leadReasons;
}

async function createSubStatus(token: string, status: string, subStatus: string) {
  return ok(await t.gql(CREATE_SUB_STATUS, { status, subStatus }, { token })).createLeadSubStatus;
}

async function subStatuses(token: string, status?: string): Promise<Array<{ status: string; subStatus: string }>> {
  return ok(await t.gql(SUB_STATUSES, status ? { status } : {}, { token })).leadSubStatuses;
}

const pairs = (list: Array<{ status: string; subStatus: string }>) => list.map((s) => `${s.status}/${s.subStatus}`);

describe("createLeadReason / leadReasons", () => {
  it("creates reasons with opaque ids and lists them alphabetically", async () => {
    const token = orgToken();
    const created = [];
    for (const text of ["Price too high", "Bought elsewhere", "availability", "Customer asked"]) {
      const reason = await createReason(token, text);
      expect(reason.reason).toBe(text);
      expect(reason.id).toMatch(/^rsn_[0-9a-z]+$/);
      created.push(reason);
    }
    expect(new Set(created.map((r) => r.id)).size).toBe(created.length);
    const listed = await reasons(token);
    expect(listed.map((r) => r.reason)).toEqual(["availability", "Bought elsewhere", "Customer asked", "Price too high"]);
    // Each listed id is the one returned at creation.
    for (const reason of created) expect(listed).toContainEqual(reason);
  });

  it("trims the reason's text", async () => {
    const token = orgToken();
    expect((await createReason(token, "  Moved away  ")).reason).toBe("Moved away");
    expect((await reasons(token)).map((r) => r.reason)).toEqual(["Moved away"]);
  });

  it("answers CONFLICT for a duplicate in the org (also after trimming) and keeps one", async () => {
    const token = orgToken();
    const first = await createReason(token, "Price too high");
    for (const again of ["Price too high", " Price too high "]) {
      const res = await t.gql(CREATE_REASON, { reason: again }, { token });
      expect(codes(res)).toEqual(["CONFLICT"]);
      expect(res.body.data).toBeNull();
    }
    expect(await reasons(token)).toEqual([first]);
  });

  it("lets one of several concurrent duplicates win, the rest CONFLICT", async () => {
    const token = orgToken();
    const results = await Promise.all(Array.from({ length: 5 }, () => t.gql(CREATE_REASON, { reason: "Same" }, { token })));
    const winners = results.filter((r) => !r.body.errors);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => r.body.errors)) expect(codes(loser)).toEqual(["CONFLICT"]);
    expect(await reasons(token)).toEqual([winners[0].body.data.createLeadReason]);
  });

  it("keeps orgs apart: the same text in another org is fine, and each org sees only its own", async () => {
    const a = orgToken();
    const b = orgToken();
    const inA = await createReason(a, "Price too high");
    const inB = await createReason(b, "Price too high");
    expect(inB.id).not.toBe(inA.id);
    await createReason(b, "Only in B");
    expect(await reasons(a)).toEqual([inA]);
    expect((await reasons(b)).map((r) => r.reason)).toEqual(["Only in B", "Price too high"]);
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
  ])("rejects an %s reason with BAD_USER_INPUT on reason", async (_label, text) => {
    const token = orgToken();
    const res = await t.gql(CREATE_REASON, { reason: text }, { token });
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(Object.keys(res.body.errors![0].extensions!.fields ?? {})).toEqual(["reason"]);
    expect(await reasons(token)).toEqual([]);
  });

  it("rejects a reason longer than 255 characters and accepts 255", async () => {
    const token = orgToken();
    const res = await t.gql(CREATE_REASON, { reason: "r".repeat(256) }, { token });
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(Object.keys(res.body.errors![0].extensions!.fields ?? {})).toEqual(["reason"]);
    expect((await createReason(token, "r".repeat(255))).reason).toHaveLength(255);
  });

  it("needs leads:write to create and leads:read to list", async () => {
    const org = newOrg();
    const writer = t.token({ org });
    await createReason(writer, "Existing");
    const readOnly = t.token({ org, scopes: ["leads:read"] });
    const created = await t.gql(CREATE_REASON, { reason: "Sneaky" }, { token: readOnly });
    expect(codes(created)).toEqual(["FORBIDDEN"]);
    expect((await reasons(readOnly)).map((r) => r.reason)).toEqual(["Existing"]);

    const writeOnly = t.token({ org, scopes: ["leads:write", "followups:read", "followups:write"] });
    expect(codes(await t.gql(REASONS, {}, { token: writeOnly }))).toEqual(["FORBIDDEN"]);
    expect(codes(await t.gql(REASONS, {}, { token: null }))).toEqual(["UNAUTHENTICATED"]);
    expect((await reasons(writer)).map((r) => r.reason)).toEqual(["Existing"]);
  });
});

describe("createLeadSubStatus / leadSubStatuses", () => {
  it("creates sub-statuses and lists them filtered by status, or all", async () => {
    const token = orgToken();
    const defined = [
      ["OPEN", "Hot"],
      ["OPEN", "Cold"],
      ["ON_HOLD", "Awaiting stock"],
      ["LOST", "Price"],
      ["WON", "Price"],
    ];
    for (const [status, subStatus] of defined) {
      expect(await createSubStatus(token, status, subStatus)).toEqual({ status, subStatus });
    }
    expect(pairs(await subStatuses(token, "OPEN")).sort()).toEqual(["OPEN/Cold", "OPEN/Hot"]);
    expect(pairs(await subStatuses(token, "ON_HOLD"))).toEqual(["ON_HOLD/Awaiting stock"]);
    expect(pairs(await subStatuses(token, "WON"))).toEqual(["WON/Price"]);
    expect(await subStatuses(token, "DELETED")).toEqual([]);
    expect(pairs(await subStatuses(token)).sort()).toEqual(defined.map(([s, n]) => `${s}/${n}`).sort());
  });

  it("answers CONFLICT for a duplicate in the org and status; the same name under another status is fine", async () => {
    const token = orgToken();
    await createSubStatus(token, "OPEN", "Hot");
    for (const again of ["Hot", " Hot "]) {
      const res = await t.gql(CREATE_SUB_STATUS, { status: "OPEN", subStatus: again }, { token });
      expect(codes(res)).toEqual(["CONFLICT"]);
      expect(res.body.data).toBeNull();
    }
    await createSubStatus(token, "ON_HOLD", "Hot");
    expect(pairs(await subStatuses(token)).sort()).toEqual(["ON_HOLD/Hot", "OPEN/Hot"]);
  });

  it("keeps orgs apart: the same sub-status in another org is fine and invisible to the first", async () => {
    const a = orgToken();
    const b = orgToken();
    await createSubStatus(a, "OPEN", "Hot");
    await createSubStatus(b, "OPEN", "Hot");
    await createSubStatus(b, "OPEN", "Only in B");
    expect(pairs(await subStatuses(a))).toEqual(["OPEN/Hot"]);
    expect(pairs(await subStatuses(a, "OPEN"))).toEqual(["OPEN/Hot"]);
    expect(pairs(await subStatuses(b, "OPEN")).sort()).toEqual(["OPEN/Hot", "OPEN/Only in B"]);
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
  ])("rejects an %s sub-status with BAD_USER_INPUT on subStatus", async (_label, name) => {
    const token = orgToken();
    const res = await t.gql(CREATE_SUB_STATUS, { status: "OPEN", subStatus: name }, { token });
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(Object.keys(res.body.errors![0].extensions!.fields ?? {})).toEqual(["subStatus"]);
    expect(await subStatuses(token)).toEqual([]);
  });

  it("rejects an unknown status with BAD_USER_INPUT", async () => {
    const token = orgToken();
    const res = await t.gql(CREATE_SUB_STATUS, { status: "CLOSED", subStatus: "Hot" }, { token });
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(await subStatuses(token)).toEqual([]);
  });

  it("needs leads:write to create and leads:read to list", async () => {
    const org = newOrg();
    const writer = t.token({ org });
    await createSubStatus(writer, "OPEN", "Existing");
    const readOnly = t.token({ org, scopes: ["leads:read"] });
    const created = await t.gql(CREATE_SUB_STATUS, { status: "OPEN", subStatus: "Sneaky" }, { token: readOnly });
    expect(codes(created)).toEqual(["FORBIDDEN"]);
    expect(pairs(await subStatuses(readOnly))).toEqual(["OPEN/Existing"]);

    const writeOnly = t.token({ org, scopes: ["leads:write", "followups:read", "followups:write"] });
    expect(codes(await t.gql(SUB_STATUSES, { status: "OPEN" }, { token: writeOnly }))).toEqual(["FORBIDDEN"]);
    expect(pairs(await subStatuses(writer))).toEqual(["OPEN/Existing"]);
  });
});
