import { newId } from "../src/common/ids";
import { createLoaders } from "../src/loaders";
import { sqlStatementsSoFar, withSqlStats } from "../src/http/sql-stats";
import { Followup } from "../src/followups/followup.entity";
import { FollowupStatus, FollowupType } from "../src/followups/followup.enums";
import { FollowUpDetail } from "../src/leads/follow-up-detail.entity";
import { Lead } from "../src/leads/lead.entity";
import { LeadStatus, LeadType } from "../src/leads/lead.enums";
import { StatusLog } from "../src/leads/status-log.entity";
import { newOrg, startTestApp, type TestApp } from "./support/app";

/**
 * Nested lists go through per-request DataLoaders: the number of SQL statements for a page of
 * leads with every nested list does not grow with the page size.
 */
let t: TestApp;
const org = newOrg("batch");
const LEADS = 100;
let leadIds: string[];

beforeAll(async () => {
  // Batched requests on: their operations share one context, and so its loaders.
  t = await startTestApp({ maxBatch: 2 });
  const ds = t.app.db.dataSource;
  const base = Date.UTC(2026, 0, 1);
  const leads = Array.from({ length: LEADS }, (_, i) => ({
    id: newId("lead"),
    orgId: org,
    userId: `u${i}`,
    type: LeadType.SKU,
    leadFor: `item ${i}`,
    status: LeadStatus.OPEN,
    subStatus: null,
    owner: null,
    email: null,
    timezone: null,
    extendedFields: {},
    nextFollowUp: null,
    lastFollowUp: null,
    followUpStep: null,
    followUpConfig: [],
    useStrategiesForFollowUps: false,
    orgSourceId: null,
    createdOn: new Date(base + i * 1000),
    createdBy: "seed",
    lastUpdatedOn: new Date(base + i * 1000),
    lastUpdatedBy: "seed",
    version: 1,
  }));
  leadIds = leads.map((l) => l.id);
  await ds.transaction(async (tx) => {
    await tx.insert(Lead, leads);
    for (const lead of leads) {
      const on = lead.createdOn;
      await tx.insert(StatusLog, [0, 1].map((n) => ({
        id: newId("statusLog"), orgId: org, leadId: lead.id, userId: lead.userId, status: n ? LeadStatus.ON_HOLD : LeadStatus.OPEN,
        subStatus: null, previousStatus: n ? LeadStatus.OPEN : null, reasonId: null, reason: null, createdBy: "seed", createdOn: on,
      })));
      await tx.insert(FollowUpDetail, [0, 1].map((n) => ({
        id: newId("followUpDetail"), orgId: org, leadId: lead.id, userId: lead.userId, followedUpBy: "x", followedUpOn: new Date(on.getTime() + n),
        scheduledFollowUp: null, nextFollowUp: null, notes: `note ${n}`, createdBy: "seed", createdOn: on,
      })));
      await tx.insert(Followup, [0, 1].map((n) => ({
        id: newId("followup"), orgId: org, leadId: lead.id, status: n ? FollowupStatus.SENT : FollowupStatus.ON_HOLD, type: FollowupType.SMS,
        callDate: null, scheduledAt: null, summary: null, notes: null, callId: null, recordingUrl: null, durationMs: null, phoneNumber: null,
        direction: null, disconnectionReason: null, isRetry: false, createdOn: new Date(on.getTime() + n), createdBy: "seed",
        lastUpdatedOn: on, lastUpdatedBy: "seed", version: 1,
      })));
    }
  });
});
afterAll(() => t.close());

const NESTED = `query ($first: Int) {
  leads(first: $first) {
    edges { node {
      id
      followUpDetails { id leadId notes }
      statusLogDetails { id status }
      followups { id status lead { id } }
      onlySent: followups(status: [SENT]) { id }
    } }
  }
}`;

async function run(first: number) {
  const res = await t.gql(NESTED, { first }, { token: t.token({ org }) });
  expect(res.body.errors).toBeUndefined();
  return { statements: Number(res.headers.get("x-sql-statements")), edges: res.body.data.leads.edges as any[] };
}

it("runs the same small number of statements for 1 lead as for 100, with every nested list", async () => {
  const one = await run(1);
  const hundred = await run(100);
  expect(one.edges).toHaveLength(1);
  expect(hundred.edges).toHaveLength(LEADS);
  for (const { node } of hundred.edges) {
    expect(node.followUpDetails.map((d: any) => d.leadId)).toEqual([node.id, node.id]);
    expect(node.statusLogDetails.map((s: any) => s.status)).toEqual(["OPEN", "ON_HOLD"]);
    expect(node.followups.map((f: any) => f.lead.id)).toEqual([node.id, node.id]);
    expect(node.onlySent).toHaveLength(1);
  }
  // leads, followUpDetails, statusLogDetails, followups, followups(status); Followup.lead is the
  // followup's parent lead, already loaded, so it runs no statement of its own
  expect(hundred.statements).toBe(5);
  expect(one.statements).toBe(hundred.statements);
});

it("answers a batch of mixed keys with one statement each loader, in key order, [] or null for misses", async () => {
  const loaders = createLoaders(t.app.db.dataSource, org);
  const keys = [leadIds[3], "lead_unknown", leadIds[0], leadIds[3]];
  const [details, leads, statements] = await withSqlStats(async () => {
    const d = await Promise.all(keys.map((k) => loaders.followUpDetailsByLeadId().load(k)));
    const l = await Promise.all(keys.map((k) => loaders.leadById.load(k)));
    return [d, l, sqlStatementsSoFar()];
  });
  expect(statements).toBe(2);
  expect(details.map((rows) => rows.length)).toEqual([2, 0, 2, 2]);
  expect(details[0].every((d) => d.leadId === leadIds[3])).toBe(true);
  expect(leads.map((l) => l?.id ?? null)).toEqual([leadIds[3], null, leadIds[0], leadIds[3]]);
});

it("never loads another org's rows through a loader", async () => {
  const loaders = createLoaders(t.app.db.dataSource, newOrg("other"));
  expect(await loaders.followUpDetailsByLeadId().load(leadIds[0])).toEqual([]);
  expect(await loaders.leadById.load(leadIds[0])).toBeNull();
});

describe("loaders serve each selection its own columns", () => {
  const narrow = `{ leads(first: 3) { edges { node { id followUpDetails { id } statusLogDetails { id } followups { id } } } } }`;
  const wide = `{ leads(first: 3) { edges { node { id
    followUpDetails { id notes followedUpOn followedUpBy }
    statusLogDetails { id status previousStatus createdBy }
    followups { id status type createdOn lead { id } } } } } }`;

  function expectWide(data: any) {
    expect(data.leads.edges).toHaveLength(3);
    for (const { node } of data.leads.edges) {
      expect(node.followUpDetails).toEqual([
        { id: expect.any(String), notes: "note 1", followedUpOn: expect.any(String), followedUpBy: "x" },
        { id: expect.any(String), notes: "note 0", followedUpOn: expect.any(String), followedUpBy: "x" },
      ]);
      expect(node.statusLogDetails).toEqual([
        { id: expect.any(String), status: "OPEN", previousStatus: null, createdBy: "seed" },
        { id: expect.any(String), status: "ON_HOLD", previousStatus: "OPEN", createdBy: "seed" },
      ]);
      expect(node.followups.map((f: any) => [f.status, f.type, f.lead.id])).toEqual([
        ["SENT", "SMS", node.id],
        ["ON_HOLD", "SMS", node.id],
      ]);
      for (const f of node.followups) expect(Date.parse(f.createdOn)).not.toBeNaN();
    }
  }

  it("in a batched request, the second operation gets the fields it asks for, though the first asked for fewer", async () => {
    const res = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.token({ org })}` },
      body: JSON.stringify([{ query: narrow }, { query: wide }]),
    });
    expect(res.status).toBe(200);
    const [first, second] = (await res.json()) as Array<{ data: any; errors?: unknown }>;
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(first.data.leads.edges[0].node.followUpDetails[0]).toEqual({ id: expect.any(String) });
    expectWide(second.data);
  });

  it("in one operation, two places selecting different fields of the same list each get theirs", async () => {
    const res = await t.gql(
      `{ a: leads(first: 3) { edges { node { id followUpDetails { id } } } }
         leads(first: 3) { edges { node { id followUpDetails { id notes followedUpOn followedUpBy }
           statusLogDetails { id status previousStatus createdBy } followups { id status type createdOn lead { id } } } } } }`,
      undefined,
      { token: t.token({ org }) },
    );
    expect(res.body.errors).toBeUndefined();
    expectWide(res.body.data);
    expect(res.body.data.a.edges[0].node.followUpDetails).toEqual([{ id: expect.any(String) }, { id: expect.any(String) }]);
  });
});
