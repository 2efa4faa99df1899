import { buildAppSchema } from "../src/schema";
import { purgeExpiredEvents } from "../src/events/event-retention";
import { FOLLOW_UP_DETAIL_DATA_FIELDS, FOLLOWUP_DATA_FIELDS, LEAD_DATA_FIELDS, STATUS_LOG_DATA_FIELDS } from "../src/events/event-data";
import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_LEAD, CREATE_REASON, CREATE_SUB_STATUS, LEAD_SCALARS, ok } from "./support/operations";
import { getNamedType, isObjectType, type GraphQLObjectType } from "graphql";

const EVENT_FIELDS = `id cursor type occurredOn actor leadId followupId changedFields data`;
const EVENTS = `query ($after: String, $first: Int, $types: [EventType!], $leadId: ID) {
  events(after: $after, first: $first, types: $types, leadId: $leadId) {
    edges { cursor node { ${EVENT_FIELDS} } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

async function feed(variables: Record<string, unknown> = {}, token?: string) {
  return ok(await t.gql(EVENTS, variables, { token })).events;
}

/** Every event of the caller's org after `after`, paging through the feed. */
async function allEvents(after: string | null = null, token?: string, extra: Record<string, unknown> = {}) {
  const nodes: any[] = [];
  for (;;) {
    const page = await feed({ after, first: 100, ...extra }, token);
    nodes.push(...page.edges.map((e: any) => e.node));
    after = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage) return { nodes, endCursor: after };
  }
}

async function createLead(token?: string, input: Record<string, unknown> = {}) {
  return ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1", ...input } }, { token })).createLead.lead as { id: string; version: number };
}

describe("the event log through the events feed", () => {
  it("records each mutation's event with its type, actor, changedFields and data", async () => {
    const token = t.token({ sub: "alice", org: newOrg() });
    const start = (await feed({}, token)).pageInfo.endCursor;
    expect(start).toEqual(expect.any(String));

    const lead = await createLead(token, { owner: "bob", extendedFields: { tier: "gold" } });
    await ok(await t.gql(`mutation ($id: ID!) { updateLead(id: $id, input: { owner: "carol", email: "c@example.com" }) { lead { id } } }`, { id: lead.id }, { token }));
    const reason = ok(await t.gql(CREATE_REASON, { reason: "Bought elsewhere" }, { token })).createLeadReason;
    ok(await t.gql(CREATE_SUB_STATUS, { status: "LOST", subStatus: "Price" }, { token }));
    await ok(
      await t.gql(`mutation ($id: ID!, $r: ID!) { updateLeadStatus(id: $id, input: { status: LOST, subStatus: "Price", reasonId: $r }) { lead { id } } }`, { id: lead.id, r: reason.id }, { token }),
    );
    const other = await createLead(token);
    ok(await t.gql(`mutation ($id: ID!) { updateLeadFollowups(id: $id, input: { followedUpOn: "2026-01-02T03:04:05.000Z", notes: "called" }) { lead { id } } }`, { id: other.id }, { token }));
    const followup = ok(await t.gql(`mutation ($l: ID!) { createFollowup(input: { leadId: $l, type: CALL }) { followup { id } } }`, { l: other.id }, { token })).createFollowup.followup;
    ok(await t.gql(`mutation ($id: ID!) { updateFollowup(id: $id, input: { status: DELIVERED, notes: "ok" }) { followup { id } } }`, { id: followup.id }, { token }));

    const { nodes } = await allEvents(start, token);
    expect(nodes.map((e) => e.type)).toEqual([
      "LEAD_CREATED",
      "LEAD_UPDATED",
      "LEAD_STATUS_CHANGED",
      "LEAD_CREATED",
      "LEAD_FOLLOW_UP_RECORDED",
      "FOLLOWUP_CREATED",
      "FOLLOWUP_UPDATED",
    ]);
    for (const e of nodes) {
      expect(e.actor).toBe("alice");
      expect(e.id).toMatch(/^evt_/);
    }
    const [created, updated, status, , recorded, fuCreated, fuUpdated] = nodes;
    expect(created.leadId).toBe(lead.id);
    expect(created.followupId).toBeNull();
    expect(created.data).toMatchObject({ id: lead.id, owner: "bob", status: "OPEN", version: 1, extendedFields: { tier: "gold" }, followUpState: "NONE" });
    expect(created.changedFields).toEqual(expect.arrayContaining(["owner", "leadFor", "status", "extendedFields", "statusLogDetails"]));
    expect(created.changedFields).not.toContain("email");

    expect(updated.changedFields.sort()).toEqual(["email", "owner"]);
    expect(updated.data).toMatchObject({ owner: "carol", email: "c@example.com", version: 2 });

    expect(status.changedFields.sort()).toEqual(["status", "statusLogDetails", "subStatus"]);
    expect(status.data).toMatchObject({ status: "LOST", subStatus: "Price", version: 3 });
    expect(status.data.statusLog).toMatchObject({ status: "LOST", previousStatus: "OPEN", subStatus: "Price", reasonId: reason.id, reason: "Bought elsewhere", createdBy: "alice" });

    expect(recorded.changedFields.sort()).toEqual(["followUpDetails", "lastFollowUp"]);
    expect(recorded.data.lastFollowUp).toBe("2026-01-02T03:04:05.000Z");
    expect(recorded.data.followUpDetail).toMatchObject({ followedUpOn: "2026-01-02T03:04:05.000Z", notes: "called", leadId: other.id });

    expect(fuCreated).toMatchObject({ leadId: other.id, followupId: followup.id });
    expect(fuCreated.data).toMatchObject({ id: followup.id, type: "CALL", status: "ON_HOLD", version: 1 });
    expect(fuUpdated.changedFields.sort()).toEqual(["notes", "status"]);
    expect(fuUpdated.data).toMatchObject({ status: "DELIVERED", notes: "ok", version: 2 });

    // The data is what a query of the lead answers right after the change.
    const now = ok(await t.gql(`query ($id: ID!) { lead(id: $id) { ${LEAD_SCALARS} } }`, { id: other.id }, { token })).lead;
    const { followUpDetail, ...leadData } = recorded.data;
    expect(leadData).toEqual(now);
    expect(followUpDetail).toBeDefined();
  });

  it("names every value field of each type in data", async () => {
    const schema = await buildAppSchema();
    const valueFields = (name: string) =>
      Object.values((schema.getType(name) as GraphQLObjectType).getFields())
        .filter((f) => f.args.length === 0 && (!isObjectType(getNamedType(f.type)) || getNamedType(f.type).name === "FollowUpStep"))
        .map((f) => f.name)
        .sort();
    expect([...LEAD_DATA_FIELDS].sort()).toEqual(valueFields("Lead"));
    expect([...FOLLOWUP_DATA_FIELDS].sort()).toEqual(valueFields("Followup"));
    expect([...STATUS_LOG_DATA_FIELDS].sort()).toEqual(valueFields("StatusLog"));
    expect([...FOLLOW_UP_DETAIL_DATA_FIELDS].sort()).toEqual(valueFields("FollowUpDetail"));
  });

  it("pages oldest first and resumes at endCursor, also from an empty page", async () => {
    const token = t.token({ org: newOrg() });
    const empty = await feed({}, token);
    expect(empty.edges).toEqual([]);
    expect(empty.pageInfo.hasNextPage).toBe(false);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await createLead(token)).id);
    const first = await feed({ first: 2 }, token);
    expect(first.edges.map((e: any) => e.node.leadId)).toEqual(ids.slice(0, 2));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, endCursor: first.edges[1].cursor });
    const rest = await feed({ first: 10, after: first.pageInfo.endCursor }, token);
    expect(rest.edges.map((e: any) => e.node.leadId)).toEqual(ids.slice(2));
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const after = await feed({ after: rest.pageInfo.endCursor }, token);
    expect(after.edges).toEqual([]);
    // The empty page from before any write resumes at the writes made since.
    expect((await feed({ after: empty.pageInfo.endCursor, first: 100 }, token)).edges.map((e: any) => e.node.leadId)).toEqual(ids);
  });

  it("filters by type and lead, and shows only the types the caller's scopes allow", async () => {
    const org = newOrg("scopes");
    const all = t.token({ org });
    const lead = await createLead(all);
    const second = await createLead(all);
    ok(await t.gql(`mutation ($l: ID!) { createFollowup(input: { leadId: $l, type: SMS }) { followup { id } } }`, { l: lead.id }, { token: all }));

    expect((await allEvents(null, all, { types: ["FOLLOWUP_CREATED"] })).nodes.map((e) => e.type)).toEqual(["FOLLOWUP_CREATED"]);
    expect((await allEvents(null, all, { leadId: second.id })).nodes.map((e) => [e.type, e.leadId])).toEqual([["LEAD_CREATED", second.id]]);

    const leadsOnly = t.token({ org, scopes: ["leads:read"] });
    expect((await allEvents(null, leadsOnly)).nodes.map((e) => e.type)).toEqual(["LEAD_CREATED", "LEAD_CREATED"]);
    const followupsOnly = t.token({ org, scopes: ["followups:read"] });
    expect((await allEvents(null, followupsOnly)).nodes.map((e) => e.type)).toEqual(["FOLLOWUP_CREATED"]);
    const writer = t.token({ org, scopes: ["leads:write"] });
    expect(codes(await t.gql(EVENTS, {}, { token: writer }))).toEqual(["FORBIDDEN"]);
    expect(codes(await t.gql(EVENTS, {}, { token: null }))).toEqual(["UNAUTHENTICATED"]);

    // Event.lead and Event.followup need their own scopes: null with FORBIDDEN without them.
    const res = await t.gql(`{ events(types: [FOLLOWUP_CREATED]) { edges { node { type followup { id } lead { id } } } } }`, {}, { token: followupsOnly });
    expect(res.body.data!.events.edges[0].node.followup.id).toMatch(/^fu_/);
    expect(res.body.data!.events.edges[0].node.lead).toBeNull();
    expect(codes(res)).toEqual(["FORBIDDEN"]);
  });

  it("keeps orgs apart, also through node(id)", async () => {
    const a = t.token({ org: newOrg("a") });
    const b = t.token({ org: newOrg("b") });
    await createLead(a);
    const aEvents = (await allEvents(null, a)).nodes;
    expect(aEvents).toHaveLength(1);
    expect((await allEvents(null, b)).nodes).toEqual([]);
    const byId = `query ($id: ID!) { node(id: $id) { id ... on Event { type leadId } } }`;
    expect(ok(await t.gql(byId, { id: aEvents[0].id }, { token: a })).node).toMatchObject({ id: aEvents[0].id, type: "LEAD_CREATED" });
    expect(ok(await t.gql(byId, { id: aEvents[0].id }, { token: b })).node).toBeNull();
  });

  it("writes no event for a write that fails", async () => {
    const token = t.token({ org: newOrg() });
    const lead = await createLead(token);
    const start = (await feed({}, token)).pageInfo.endCursor;
    const refused = await t.gql(`mutation ($id: ID!) { updateLead(id: $id, input: { owner: "x", expectedVersion: 9 }) { lead { id } } }`, { id: lead.id }, { token });
    expect(codes(refused)).toEqual(["CONFLICT"]);
    const tooBig = await t.gql(`mutation ($id: ID!, $f: JSONObject) { updateLead(id: $id, input: { extendedFields: $f }) { lead { id } } }`, { id: lead.id, f: { big: "x".repeat(70_000) } }, { token });
    expect(codes(tooBig)).toEqual(["BAD_USER_INPUT"]);
    expect((await allEvents(start, token)).nodes).toEqual([]);
  });

  it("refuses cursors it did not issue, and expired ones", async () => {
    const token = t.token({ org: newOrg() });
    for (const after of ["", "abc", Buffer.from("ev1:1:x").toString("base64url"), Buffer.from("ev1:01:1").toString("base64url"), Buffer.from('["x",null,"y"]').toString("base64url")]) {
      const res = await t.gql(EVENTS, { after }, { token });
      expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
      expect(Object.keys(res.body.errors![0].extensions!.fields!)).toEqual(["after"]);
    }
    expect(codes(await t.gql(EVENTS, { first: 101 }, { token }))).toEqual(["BAD_USER_INPUT"]);

    const lead = await createLead(token);
    const { nodes, endCursor } = await allEvents(null, token);
    expect(nodes).toHaveLength(1);
    // The event ages past the retention window and the retention job deletes it.
    await t.app.db.dataSource.query(`UPDATE events SET occurred_on = now() - interval '40 days' WHERE lead_id = $1`, [lead.id]);
    expect(await purgeExpiredEvents(t.app.db.dataSource, 30)).toBeGreaterThanOrEqual(1);
    const beforeIt = await t.gql(EVENTS, { after: Buffer.from("ev1:1:0").toString("base64url") }, { token });
    expect(codes(beforeIt)).toEqual(["CURSOR_EXPIRED"]);
    // A cursor past what was deleted still reads on.
    expect(ok(await t.gql(EVENTS, { after: endCursor }, { token })).events.edges).toEqual([]);
  });
});
