import { newId } from "../src/common/ids";
import { codes, newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";

/**
 * Two orgs, each with a lead (with a status log entry and a follow-up detail), a followup, a
 * reason and a sub-status. Org B must not be able to see or change anything of org A, and A's ids
 * must behave for B exactly like ids that do not exist.
 */
let t: TestApp;

interface OrgFixture {
  org: string;
  token: string;
  leadId: string;
  followupId: string;
  reasonId: string;
}

const SAME_REASON = "Customer asked to wait";
const SAME_SUB_STATUS = "waiting";

let a: OrgFixture;
let b: OrgFixture;
let aSnapshot: unknown;
const setup: Record<string, GqlResponse> = {};

async function ok(res: Promise<GqlResponse>): Promise<GqlResponse> {
  const r = await res;
  expect(r.body.errors).toBeUndefined();
  return r;
}

async function createOrg(label: string): Promise<OrgFixture> {
  const org = newOrg(label);
  const token = t.token({ org, sub: `${label}-user` });
  const opts = { token };
  const lead = await ok(
    t.gql(
      `mutation { createLead(input: { leadFor: "sku-${label}", email: "${label}@example.com", extendedFields: { tier: "${label}" } }) { lead { id } } }`,
      undefined,
      opts,
    ),
  );
  const leadId = lead.body.data.createLead.lead.id;
  setup[`${label}.reason`] = await t.gql(`mutation($r: String!) { createLeadReason(reason: $r) { id reason } }`, { r: SAME_REASON }, opts);
  const reasonId = setup[`${label}.reason`].body.data?.createLeadReason?.id;
  setup[`${label}.subStatus`] = await t.gql(
    `mutation($s: String!) { createLeadSubStatus(status: ON_HOLD, subStatus: $s) { status subStatus } }`,
    { s: SAME_SUB_STATUS },
    opts,
  );
  await ok(t.gql(`mutation($s: String!) { createLeadSubStatus(status: LOST, subStatus: $s) { subStatus } }`, { s: `only-${label}` }, opts));
  await ok(
    t.gql(
      `mutation($id: ID!, $r: ID!) { updateLeadStatus(id: $id, input: { status: ON_HOLD, subStatus: "${SAME_SUB_STATUS}", reasonId: $r }) { lead { id } } }`,
      { id: leadId, r: reasonId },
      opts,
    ),
  );
  await ok(
    t.gql(
      `mutation($id: ID!) { updateLeadFollowups(id: $id, input: { followedUpOn: "2024-03-01T09:00:00.000Z", notes: "called ${label}" }) { lead { id } } }`,
      { id: leadId },
      opts,
    ),
  );
  const followup = await ok(
    t.gql(
      `mutation($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: CALL, summary: "fu ${label}", phoneNumber: "+14155550123" }) { followup { id } } }`,
      { leadId },
      opts,
    ),
  );
  return { org, token, leadId, reasonId, followupId: followup.body.data.createFollowup.followup.id };
}

const LEAD_FIELDS = `
  id userId type leadFor status subStatus owner email timezone extendedFields nextFollowUp lastFollowUp
  followUpStep followUpState useStrategiesForFollowUps orgSourceId createdOn createdBy lastUpdatedOn lastUpdatedBy version
  followUpConfig { step hours channel voicemailEnabled strategyIds }
  followUpDetails { id leadId followedUpOn notes createdBy createdOn }
  statusLogDetails { id leadId status subStatus previousStatus reasonId reason createdBy createdOn }
  followups { id status summary version lastUpdatedOn }`;
const FOLLOWUP_FIELDS = `id leadId status type summary notes phoneNumber isRetry createdOn lastUpdatedOn version lead { id }`;

/** Everything org `f` has, read with its own token. */
async function snapshot(f: OrgFixture) {
  const res = await t.gql(
    `query($lead: ID!, $fu: ID!) {
      lead(id: $lead) { ${LEAD_FIELDS} }
      followup(id: $fu) { ${FOLLOWUP_FIELDS} }
      leads(first: 100, filter: { status: [OPEN, WON, LOST, ON_HOLD, DELETED] }) { totalCount edges { node { id version } } }
      followups(first: 100) { totalCount edges { node { id version } } }
      leadReasons { id reason }
      leadSubStatuses { status subStatus }
    }`,
    { lead: f.leadId, fu: f.followupId },
    { token: f.token },
  );
  expect(res.body.errors).toBeUndefined();
  return res.body.data;
}

/** An id of the same shape as `id` (same prefix and length) that exists nowhere. */
const madeUp = (id: string) => {
  const kind = id.startsWith("lead_") ? "lead" : id.startsWith("fu_") ? "followup" : "reason";
  const other = newId(kind);
  expect(other).toHaveLength(id.length);
  return other;
};

beforeAll(async () => {
  t = await startTestApp();
  a = await createOrg("a");
  b = await createOrg("b");
  aSnapshot = await snapshot(a);
});
afterAll(() => t.close());

describe("the fixture", () => {
  it("gave each org the same reason text and sub-status without CONFLICT (uniqueness is per org)", () => {
    for (const label of ["a", "b"]) {
      expect(setup[`${label}.reason`].body.errors).toBeUndefined();
      expect(setup[`${label}.reason`].body.data.createLeadReason.reason).toBe(SAME_REASON);
      expect(setup[`${label}.subStatus`].body.errors).toBeUndefined();
    }
    expect(a.reasonId).not.toBe(b.reasonId);
  });

  it("is visible to its own org (so the nulls below mean something)", async () => {
    const s = (await snapshot(a)) as any;
    expect(s.lead.id).toBe(a.leadId);
    expect(s.lead.statusLogDetails).toHaveLength(2);
    expect(s.lead.followUpDetails).toHaveLength(1);
    expect(s.lead.followups.map((f: { id: string }) => f.id)).toEqual([a.followupId]);
    expect(s.followup.id).toBe(a.followupId);
  });
});

describe("reads across orgs", () => {
  it("lead(id), followup(id) and node(id) of A's ids are null for B, with no error", async () => {
    const query = `query($lead: ID!, $fu: ID!) {
      lead(id: $lead) { id }
      followup(id: $fu) { id }
      leadNode: node(id: $lead) { id }
      followupNode: node(id: $fu) { id }
    }`;
    const asB = await t.gql(query, { lead: a.leadId, fu: a.followupId }, { token: b.token });
    expect(asB.body.errors).toBeUndefined();
    expect(asB.body.data).toEqual({ lead: null, followup: null, leadNode: null, followupNode: null });

    const asA = await t.gql(query, { lead: a.leadId, fu: a.followupId }, { token: a.token });
    expect(asA.body.data).toEqual({
      lead: { id: a.leadId },
      followup: { id: a.followupId },
      leadNode: { id: a.leadId },
      followupNode: { id: a.followupId },
    });
  });

  it("answers A's ids exactly as it answers made-up ids", async () => {
    const query = `query($lead: ID!, $fu: ID!) { lead(id: $lead) { id } followup(id: $fu) { id } node(id: $fu) { id } }`;
    const foreign = await t.gql(query, { lead: a.leadId, fu: a.followupId }, { token: b.token });
    const unknown = await t.gql(query, { lead: madeUp(a.leadId), fu: madeUp(a.followupId) }, { token: b.token });
    expect(foreign.body).toEqual(unknown.body);
  });

  it("B's lists never contain A's rows", async () => {
    const res = await t.gql(
      `query($aLead: ID!) {
        leads(first: 100, filter: { status: [OPEN, WON, LOST, ON_HOLD, DELETED] }) { totalCount edges { node { id followups { id } } } }
        followups(first: 100) { totalCount edges { node { id leadId } } }
        ofALead: followups(filter: { leadId: $aLead }) { totalCount edges { node { id } } }
        leadReasons { id reason }
        leadSubStatuses { status subStatus }
      }`,
      { aLead: a.leadId },
      { token: b.token },
    );
    expect(res.body.errors).toBeUndefined();
    const d = res.body.data;
    expect(d.leads.totalCount).toBe(1);
    expect(d.leads.edges.map((e: any) => e.node)).toEqual([{ id: b.leadId, followups: [{ id: b.followupId }] }]);
    expect(d.followups.totalCount).toBe(1);
    expect(d.followups.edges.map((e: any) => e.node)).toEqual([{ id: b.followupId, leadId: b.leadId }]);
    expect(d.ofALead).toEqual({ totalCount: 0, edges: [] });
    expect(d.leadReasons).toEqual([{ id: b.reasonId, reason: SAME_REASON }]);
    expect(d.leadSubStatuses).toEqual(
      expect.arrayContaining([
        { status: "LOST", subStatus: "only-b" },
        { status: "ON_HOLD", subStatus: SAME_SUB_STATUS },
      ]),
    );
    expect(d.leadSubStatuses).toHaveLength(2);
    expect(JSON.stringify(d)).not.toContain(a.leadId);
    expect(JSON.stringify(d)).not.toContain(a.followupId);
    expect(JSON.stringify(d)).not.toContain("only-a");
  });

  it("B's filtered and paged lead lists never reach A's rows either", async () => {
    const res = await t.gql(
      `{ filtered: leads(filter: { userId: null, type: [SKU] }) { totalCount edges { node { id } } }
         page1: leads(first: 1, orderBy: { field: LAST_UPDATED_ON, direction: ASC }) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
      undefined,
      { token: b.token },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.filtered.edges.map((e: any) => e.node.id)).toEqual([b.leadId]);
    expect(res.body.data.page1.edges.map((e: any) => e.node.id)).toEqual([b.leadId]);
    expect(res.body.data.page1.pageInfo.hasNextPage).toBe(false);
  });
});

describe("writes across orgs", () => {
  const writes: Array<[string, string, (id: string) => Record<string, unknown>]> = [
    [
      "updateLead",
      `mutation($id: ID!) { updateLead(id: $id, input: { owner: "intruder", extendedFields: { tier: "hacked" } }) { lead { id owner } } }`,
      (id) => ({ id }),
    ],
    [
      "updateLeadStatus",
      `mutation($id: ID!, $r: ID!) { updateLeadStatus(id: $id, input: { status: LOST, reasonId: $r }) { lead { id status } } }`,
      (id) => ({ id, r: b.reasonId }),
    ],
    [
      "updateLeadFollowups",
      `mutation($id: ID!) { updateLeadFollowups(id: $id, input: { followedUpOn: "2024-06-01T00:00:00.000Z", notes: "intrusion" }) { lead { id } } }`,
      (id) => ({ id }),
    ],
    [
      "updateFollowup",
      `mutation($id: ID!) { updateFollowup(id: $id, input: { summary: "intruder", status: CANCELLED }) { followup { id } } }`,
      (id) => ({ id }),
    ],
  ];

  it.each(writes)("%s with A's id is NOT_FOUND, with the same message and extensions as a made-up id", async (name, query, vars) => {
    const aId = name === "updateFollowup" ? a.followupId : a.leadId;
    const foreign = await t.gql(query, vars(aId), { token: b.token });
    const unknown = await t.gql(query, vars(madeUp(aId)), { token: b.token });
    expect(codes(foreign)).toEqual(["NOT_FOUND"]);
    expect(foreign.status).toBe(unknown.status);
    expect(foreign.body).toEqual(unknown.body);
    expect(JSON.stringify(foreign.body)).not.toContain(aId);
    expect(await snapshot(a)).toEqual(aSnapshot);
  });

  it("createFollowup with A's lead id answers exactly as with an unknown lead id", async () => {
    const query = `mutation($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: SMS, summary: "intruder" }) { followup { id } } }`;
    const foreign = await t.gql(query, { leadId: a.leadId }, { token: b.token });
    const unknown = await t.gql(query, { leadId: madeUp(a.leadId) }, { token: b.token });
    expect(foreign.body.errors).toHaveLength(1);
    expect(["BAD_USER_INPUT", "NOT_FOUND"]).toContain(codes(foreign)[0]);
    expect(foreign.status).toBe(unknown.status);
    expect(foreign.body).toEqual(unknown.body);
    expect(JSON.stringify(foreign.body)).not.toContain(a.leadId);

    const bFollowups = await t.gql(`{ followups { totalCount } }`, undefined, { token: b.token });
    expect(bFollowups.body.data.followups.totalCount).toBe(1);
  });

  it("updateLeadStatus of B's own lead with A's reasonId is BAD_USER_INPUT on input.reasonId, as for an unknown reason", async () => {
    const query = `mutation($id: ID!, $r: ID!) { updateLeadStatus(id: $id, input: { status: WON, reasonId: $r }) { lead { id status } } }`;
    const before = await snapshot(b);
    const foreign = await t.gql(query, { id: b.leadId, r: a.reasonId }, { token: b.token });
    const unknown = await t.gql(query, { id: b.leadId, r: madeUp(a.reasonId) }, { token: b.token });
    expect(codes(foreign)).toEqual(["BAD_USER_INPUT"]);
    expect(Object.keys(foreign.body.errors![0].extensions!.fields!)).toEqual(["input.reasonId"]);
    expect(foreign.body).toEqual(unknown.body);
    expect(JSON.stringify(foreign.body)).not.toContain(a.reasonId);
    expect(await snapshot(b)).toEqual(before);
  });

  it("the same writes with B's own ids succeed (so the refusals above are about the org)", async () => {
    const res = await t.gql(
      `mutation($id: ID!) { updateLead(id: $id, input: { owner: "b-owner" }) { lead { id owner } } }`,
      { id: b.leadId },
      { token: b.token },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.updateLead.lead).toEqual({ id: b.leadId, owner: "b-owner" });
  });

  it("left all of A's rows unchanged", async () => {
    expect(await snapshot(a)).toEqual(aSnapshot);
  });
});

describe("ids", () => {
  /** The random part of an id, after its prefix. */
  const body = (id: string) => id.slice(id.indexOf("_") + 1);
  const commonPrefix = (x: string, y: string) => {
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    return i;
  };

  function expectUnrelated(ids: string[]) {
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) {
      const [x, y] = [body(ids[i - 1]), body(ids[i])];
      // not numbers at all, let alone consecutive ones
      expect(x).not.toMatch(/^\d+$/);
      expect(y).not.toMatch(/^\d+$/);
      // nor a counter in some other base or with a common stem: random ids share (almost) no prefix
      expect(commonPrefix(x, y)).toBeLessThan(6);
      // read as base-36 numbers, consecutive ids are nowhere near each other
      const asNumber = (s: string) => [...s].reduce((n, c) => n * 36n + BigInt(parseInt(c, 36)), 0n);
      const gap = asNumber(y) - asNumber(x);
      expect(gap < 0n ? -gap : gap).toBeGreaterThan(1_000_000n);
    }
  }

  it("are opaque, prefixed and not sequential", async () => {
    const leadIds: string[] = [];
    const followupIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const lead = await t.gql(`mutation { createLead(input: { leadFor: "sku-id-${i}" }) { lead { id } } }`, undefined, { token: b.token });
      leadIds.push(lead.body.data.createLead.lead.id);
      const fu = await t.gql(
        `mutation($leadId: ID!) { createFollowup(input: { leadId: $leadId, type: EMAIL }) { followup { id } } }`,
        { leadId: b.leadId },
        { token: b.token },
      );
      followupIds.push(fu.body.data.createFollowup.followup.id);
    }
    for (const id of leadIds) expect(id).toMatch(/^lead_[0-9a-z]{16,}$/);
    for (const id of followupIds) expect(id).toMatch(/^fu_[0-9a-z]{16,}$/);
    expectUnrelated(leadIds);
    expectUnrelated(followupIds);
    for (const id of [...leadIds, ...followupIds]) expect(id).not.toContain(b.org);
  });
});
