import { M1, Q2 } from "../bench/cases";
import { CREATE_ENDPOINT, DELETE_ENDPOINT, LIST_ENDPOINTS, SUBSCRIBER_SUBSCRIPTION } from "../bench/events";
import { newId } from "../src/common/ids";
import { Followup } from "../src/followups/followup.entity";
import { FollowupStatus, FollowupType } from "../src/followups/followup.enums";
import { FollowUpDetail } from "../src/leads/follow-up-detail.entity";
import { Lead } from "../src/leads/lead.entity";
import { LeadStatus, LeadType } from "../src/leads/lead.enums";
import { StatusLog } from "../src/leads/status-log.entity";
import { newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_LEAD, ok } from "./support/operations";
import { subscribeEvents } from "./support/subscriptions";
import { waitFor } from "./support/wait";

/**
 * The benchmark's Q2 (bench/cases.ts), exactly: a page of leads with every scalar, their
 * follow-up details, status logs and followups with each followup's lead. Its statement count is
 * one of the performance targets, and must not grow with the page.
 */
let t: TestApp;
const org = newOrg("shape");
const LEADS = 100;
const PER_LEAD = 5;
const base = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  // The bench's W case posts to a receiver on 127.0.0.1.
  t = await startTestApp({ webhookAllowPrivate: true });
  const leads: Lead[] = [];
  const details: FollowUpDetail[] = [];
  const logs: StatusLog[] = [];
  const followups: Followup[] = [];
  for (let i = 0; i < LEADS; i++) {
    const on = new Date(base + i * 60_000);
    const lead = Object.assign(new Lead(), {
      id: newId("lead"), orgId: org, userId: `u${i}`, type: LeadType.SKU, leadFor: `item ${i}`, status: LeadStatus.OPEN,
      subStatus: null, owner: null, email: null, timezone: null, extendedFields: { i }, nextFollowUp: i % 2 ? null : on,
      lastFollowUp: null, followUpStep: null, followUpConfig: [], useStrategiesForFollowUps: false, orgSourceId: null,
      createdOn: on, createdBy: "seed", lastUpdatedOn: on, lastUpdatedBy: "seed", version: 1,
    });
    leads.push(lead);
    for (let k = 0; k < PER_LEAD; k++) {
      const at = new Date(on.getTime() + k * 1000);
      details.push(Object.assign(new FollowUpDetail(), {
        id: newId("followUpDetail"), orgId: org, leadId: lead.id, userId: lead.userId, followedUpBy: "x", followedUpOn: at,
        scheduledFollowUp: null, nextFollowUp: null, notes: `note ${k}`, createdBy: "seed", createdOn: at,
      }));
      logs.push(Object.assign(new StatusLog(), {
        id: newId("statusLog"), orgId: org, leadId: lead.id, userId: lead.userId, status: k % 2 ? LeadStatus.ON_HOLD : LeadStatus.OPEN,
        subStatus: null, previousStatus: null, reasonId: null, reason: null, createdBy: "seed", createdOn: at,
      }));
      followups.push(Object.assign(new Followup(), {
        id: newId("followup"), orgId: org, leadId: lead.id, status: FollowupStatus.SENT, type: FollowupType.SMS, callDate: null,
        scheduledAt: null, summary: `summary ${k}`, notes: `notes ${k}`, callId: null, recordingUrl: null, durationMs: null,
        phoneNumber: null, direction: null, disconnectionReason: null, isRetry: false, createdOn: at, createdBy: "seed",
        lastUpdatedOn: at, lastUpdatedBy: "seed", version: 1,
      }));
    }
  }
  await t.app.db.dataSource.transaction(async (tx) => {
    await tx.insert(Lead, leads);
    // The logs' order is the order they were written in (seq): insert them lead by lead, oldest first.
    await tx.insert(StatusLog, logs);
    await tx.insert(FollowUpDetail, details);
    await tx.insert(Followup, followups);
  });
});
afterAll(() => t.close());

async function q2(first: number) {
  const res = await t.gql(Q2, { first }, { token: t.token({ org }) });
  expect(res.body.errors).toBeUndefined();
  return { statements: Number(res.headers.get("x-sql-statements")), edges: res.body.data.leads.edges as any[] };
}

it("runs Q2 in at most 5 statements, the same for 1 lead as for 100", async () => {
  const one = await q2(1);
  const hundred = await q2(100);
  expect(one.edges).toHaveLength(1);
  expect(hundred.edges).toHaveLength(LEADS);
  expect(hundred.statements).toBeGreaterThan(0);
  expect(hundred.statements).toBeLessThanOrEqual(5);
  expect(one.statements).toBe(hundred.statements);

  for (const { node } of hundred.edges) {
    const notes = [...Array(PER_LEAD).keys()].map((k) => `note ${k}`);
    expect(node.followUpDetails.map((d: any) => d.notes)).toEqual(notes.reverse()); // newest first
    expect(node.statusLogDetails.map((s: any) => s.status)).toEqual(["OPEN", "ON_HOLD", "OPEN", "ON_HOLD", "OPEN"]); // oldest first
    expect(node.followups).toHaveLength(PER_LEAD);
    expect(node.followups.every((f: any) => f.lead.id === node.id && f.status === "SENT")).toBe(true);
    expect(node.extendedFields).toEqual({ i: Number(node.leadFor.split(" ")[1]) });
  }
});

it("loads every nested field the operation selects, wherever it selects it (aliases, fragments)", async () => {
  const res = await t.gql(
    `query {
      leads(first: 2) { edges { node { id
        followups { id ...More }
        sent: followups(status: [SENT]) { type lead { id leadFor } }
        followUpDetails { id }
        again: followUpDetails { followedUpBy createdOn }
      } } }
      followups(first: 1) { edges { node { id lead { id email } } } }
    }
    fragment More on Followup { notes summary }`,
    {},
    { token: t.token({ org }) },
  );
  expect(res.body.errors).toBeUndefined();
  for (const { node } of res.body.data.leads.edges) {
    expect(node.followups.map((f: any) => f.notes)).toEqual(["notes 4", "notes 3", "notes 2", "notes 1", "notes 0"]);
    expect(node.followups.map((f: any) => f.summary)).toEqual(["summary 4", "summary 3", "summary 2", "summary 1", "summary 0"]);
    expect(node.sent.every((f: any) => f.type === "SMS" && f.lead.id === node.id && typeof f.lead.leadFor === "string")).toBe(true);
    expect(node.followUpDetails.map((d: any) => d.id)).toHaveLength(PER_LEAD);
    expect(node.again.every((d: any) => d.followedUpBy === "x" && !Number.isNaN(Date.parse(d.createdOn)))).toBe(true);
  }
  // Reached without its lead loaded alongside: Followup.lead goes through its loader.
  const [{ node: followup }] = res.body.data.followups.edges;
  expect(followup.lead.id).toMatch(/^lead_/);
  expect(followup.lead).toHaveProperty("email", null);
});

describe("the change-event cases (bench/events.ts)", () => {
  it("S: the bench's subscription receives M1's event with the id it counts and the occurredOn it times", async () => {
    const eventOrg = newOrg("bench-s");
    const token = t.token({ org: eventOrg });
    const lead = ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1" } }, { token })).createLead.lead as { id: string };
    const sub = subscribeEvents(t.url, { authorization: `Bearer ${token}` }, {}, { query: SUBSCRIBER_SUBSCRIPTION });
    try {
      // As the bench does: writes until the subscription is live, then one write that must arrive.
      await waitFor(async () => {
        ok(await t.gql(M1, { id: lead.id, input: { extendedFields: { k0: 1 } } }, { token }));
        await waitFor(() => sub.events.length > 0, 500).catch(() => undefined);
        return sub.events.length > 0;
      }, 10_000);
      const before = Date.now();
      const res = ok(await t.gql(M1, { id: lead.id, input: { extendedFields: { k1: 2, lastTouch: "x" } } }, { token }));
      const after = Date.now();
      expect(res.updateLead.lead.extendedFields).toMatchObject({ k0: 1, k1: 2 });
      // occurredOn is taken inside the write's transaction: between the request and its answer. (A
      // warm-up write's event may still arrive after it; it occurred before the request.)
      const during = (e: { occurredOn: string }) => Date.parse(e.occurredOn) >= before - 1 && Date.parse(e.occurredOn) <= after + 1;
      await waitFor(() => sub.events.some(during), 10_000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200)); // a second delivery of it would have come by now
      const matching = sub.events.filter(during);
      expect(matching).toHaveLength(1);
      const [event] = matching;
      expect(sub.errors).toEqual([]);
      expect(event).toMatchObject({ type: "LEAD_UPDATED", leadId: lead.id, changedFields: ["extendedFields"] });
      expect(event.id).toEqual(expect.any(String));
    } finally {
      await sub.dispose();
    }
  });

  it("W: the bench's endpoint operations create, list and delete endpoints", async () => {
    const token = t.token({ org: newOrg("bench-w") });
    for (let i = 0; i < 2; i++)
      ok(await t.gql(CREATE_ENDPOINT, { input: { url: `http://127.0.0.1:9/ep/ep${i}`, description: `bench receiver ${i}` } }, { token }));
    const listed = ok(await t.gql(LIST_ENDPOINTS, {}, { token })).webhookEndpoints as Array<{ id: string; url: string }>;
    expect(listed.map((e) => e.url)).toEqual(["http://127.0.0.1:9/ep/ep0", "http://127.0.0.1:9/ep/ep1"]);
    for (const e of listed) expect(ok(await t.gql(DELETE_ENDPOINT, { id: e.id }, { token })).deleteWebhookEndpoint).toBe(e.id);
    expect(ok(await t.gql(LIST_ENDPOINTS, {}, { token })).webhookEndpoints).toEqual([]);
  });
});
