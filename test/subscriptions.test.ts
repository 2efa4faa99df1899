import WebSocket from "ws";
import { ApiKeyService } from "../src/auth/api-key.service";
import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_LEAD, ok } from "./support/operations";
import { subscribeEvents, wsUrl, type Subscriber } from "./support/subscriptions";
import { waitFor } from "./support/wait";

let t: TestApp;
const open: Subscriber[] = [];
beforeAll(async () => {
  t = await startTestApp({ subscriptionAuthCheckMs: 100, maxSubscriptionsPerConnection: 3 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
});
afterAll(() => t.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function subscribe(token: string, variables: Record<string, unknown> = {}) {
  const sub = subscribeEvents(t.url, bearer(token), variables);
  open.push(sub);
  return sub;
}

async function createLead(token: string, leadFor = "SKU-1") {
  return ok(await t.gql(CREATE_LEAD, { input: { leadFor } }, { token })).createLead.lead.id as string;
}

async function updateOwner(token: string, id: string, owner: string) {
  ok(await t.gql(`mutation ($id: ID!, $o: String) { updateLead(id: $id, input: { owner: $o }) { lead { id } } }`, { id, o: owner }, { token }));
}

/** Resolves once the subscription is live: a probe write made after it is delivered. */
async function ready(sub: Subscriber, token: string) {
  await waitFor(async () => {
    const probe = await createLead(token, "probe");
    await waitFor(() => sub.events.some((e) => e.leadId === probe), 1000).catch(() => undefined);
    return sub.events.some((e) => e.leadId === probe);
  }, 10_000);
  sub.events.length = 0;
}

describe("subscription { events }", () => {
  it("delivers each write's event live, with the same fields as the feed", async () => {
    const token = t.token({ org: newOrg(), sub: "ann" });
    const sub = subscribe(token);
    await ready(sub, token);
    const id = await createLead(token);
    await updateOwner(token, id, "bob");
    const [created, updated] = await sub.waitForEvents(2);
    expect(created).toMatchObject({ type: "LEAD_CREATED", leadId: id, actor: "ann" });
    expect(updated).toMatchObject({ type: "LEAD_UPDATED", leadId: id, changedFields: ["owner"], data: expect.objectContaining({ owner: "bob", version: 2 }) });
    const feed = ok(await t.gql(`query ($after: String) { events(after: $after) { edges { node { id cursor type data changedFields } } } }`, { after: null }, { token }));
    const fromFeed = feed.events.edges.map((e: any) => e.node).filter((e: any) => e.id === updated.id);
    expect(fromFeed).toEqual([{ id: updated.id, cursor: updated.cursor, type: updated.type, data: updated.data, changedFields: updated.changedFields }]);
  });

  it("resolves Event.lead to the lead's current state", async () => {
    const token = t.token({ org: newOrg() });
    const sub = subscribeEvents(t.url, bearer(token), {}, { query: `subscription { events { type leadId lead { id owner version } } }` });
    open.push(sub);
    await ready(sub, token);
    const first = await createLead(token);
    await waitFor(() => sub.events.length >= 1, 10_000);
    await updateOwner(token, first, "x");
    await updateOwner(token, first, "y");
    const events = await sub.waitForEvents(3);
    expect(events.map((e) => e.type)).toEqual(["LEAD_CREATED", "LEAD_UPDATED", "LEAD_UPDATED"]);
    // Each event's lead is read when the event is sent: never older than the event itself.
    expect(events[2].lead).toMatchObject({ id: first, owner: "y", version: 3 });
  });

  it("resolves each event for each subscriber's own scopes, even when their documents are the same", async () => {
    const org = newOrg();
    const writer = t.token({ org });
    const query = `subscription { events(types: [FOLLOWUP_CREATED]) { type followup { id } lead { id } } }`;
    const both = subscribeEvents(t.url, bearer(t.token({ org, scopes: ["leads:read", "followups:read"] })), {}, { query });
    const followupsOnly = subscribeEvents(t.url, bearer(t.token({ org, scopes: ["followups:read"] })), {}, { query });
    open.push(both, followupsOnly);
    const lead = await createLead(writer);
    await waitFor(async () => {
      ok(await t.gql(`mutation ($l: ID!) { createFollowup(input: { leadId: $l, type: CALL }) { followup { id } } }`, { l: lead }, { token: writer }));
      await new Promise((r) => setTimeout(r, 200));
      return both.events.length > 0 && followupsOnly.events.length > 0;
    }, 10_000);
    expect(both.events[0].lead).toEqual({ id: lead });
    expect(followupsOnly.events[0].lead).toBeNull();
    expect(followupsOnly.events[0].followup.id).toMatch(/^fu_/);
    expect(followupsOnly.errors.map((e) => e.extensions?.code)).toContain("FORBIDDEN");
    expect(both.errors).toEqual([]);
  });

  it("keeps orgs apart and filters by the caller's scopes, types and lead", async () => {
    const org = newOrg();
    const a = t.token({ org });
    const b = t.token({ org: newOrg() });
    const ofB = subscribe(b);
    await ready(ofB, b);
    const leadsOnly = subscribe(t.token({ org, scopes: ["leads:read"] }));
    const followupsOnly = subscribe(t.token({ org, scopes: ["followups:read"] }));
    const onlyUpdates = subscribe(a, { types: ["LEAD_UPDATED"] });
    await ready(leadsOnly, a);
    const lead = await createLead(a);
    const other = await createLead(a);
    const ofLead = subscribe(a, { leadId: lead });
    // Live once an update of `lead` reaches both.
    await waitFor(async () => {
      await updateOwner(a, lead, `o${Date.now()}`);
      await new Promise((r) => setTimeout(r, 200));
      return onlyUpdates.events.length > 0 && ofLead.events.length > 0;
    }, 10_000);
    onlyUpdates.events.length = 0;
    ofLead.events.length = 0;
    await updateOwner(a, other, "z");
    await updateOwner(a, lead, "w");
    ok(await t.gql(`mutation ($l: ID!) { createFollowup(input: { leadId: $l, type: CALL }) { followup { id } } }`, { l: lead }, { token: a }));
    await followupsOnly.waitForEvents(1);
    expect(followupsOnly.events.map((e) => e.type)).toEqual(["FOLLOWUP_CREATED"]);
    await ofLead.waitForEvents(2);
    expect(ofLead.events.map((e) => [e.type, e.leadId])).toEqual([["LEAD_UPDATED", lead], ["FOLLOWUP_CREATED", lead]]);
    await onlyUpdates.waitForEvents(2);
    expect(onlyUpdates.events.map((e) => e.data.owner)).toEqual(["z", "w"]);
    expect(leadsOnly.events.every((e) => e.type.startsWith("LEAD_"))).toBe(true);
    expect(ofB.events).toEqual([]);
  });

  it("resumes after a disconnect with what was written meanwhile, then goes live", async () => {
    const token = t.token({ org: newOrg() });
    const first = subscribe(token);
    await ready(first, token);
    const id = await createLead(token);
    const [created] = await first.waitForEvents(1);
    await first.dispose();
    for (const owner of ["a", "b", "c"]) await updateOwner(token, id, owner);
    const resumed = subscribe(token, { after: created.cursor });
    await resumed.waitForEvents(3);
    await updateOwner(token, id, "d");
    const events = await resumed.waitForEvents(4);
    expect(events.map((e) => e.data.owner)).toEqual(["a", "b", "c", "d"]);
  });

  it("has no gap and no duplicate at the seam between replay and live", async () => {
    const token = t.token({ org: newOrg() });
    const id = await createLead(token);
    const start = ok(await t.gql(`{ events { pageInfo { endCursor } } }`, {}, { token })).events.pageInfo.endCursor;
    // Writes before, during and after the switch from the log to live.
    const writes = (async () => {
      for (let i = 0; i < 60; i++) await updateOwner(token, id, `o${i}`);
    })();
    await new Promise((r) => setTimeout(r, 30));
    const subs = [subscribe(token, { after: start })];
    await new Promise((r) => setTimeout(r, 60));
    subs.push(subscribe(token, { after: start }));
    await writes;
    for (const sub of subs) {
      const events = await sub.waitForEvents(60, 20_000);
      expect(events.map((e) => e.data.owner)).toEqual(Array.from({ length: 60 }, (_, i) => `o${i}`));
    }
    // And nothing more arrives.
    await new Promise((r) => setTimeout(r, 300));
    for (const sub of subs) expect(sub.events).toHaveLength(60);
  });

  it("answers a variable it cannot coerce with BAD_USER_INPUT on its path", async () => {
    const token = t.token({ org: newOrg() });
    const sub = subscribe(token, { types: ["NOPE"] });
    await waitFor(() => sub.errors.length > 0, 5000);
    expect(sub.errors.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(Object.keys(sub.errors[0].extensions.fields)).toEqual(["types.0"]);
    expect(JSON.stringify(sub.errors)).not.toContain("NOPE");
  });

  it("refuses a bad or expired cursor for that subscription", async () => {
    const token = t.token({ org: newOrg() });
    const sub = subscribe(token, { after: "nonsense" });
    await waitFor(() => sub.errors.length > 0 || sub.completed, 5000);
    expect(sub.errors.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(sub.events).toEqual([]);
  });

  it("closes with 4401 without valid credentials, and refuses subscriptions over HTTP", async () => {
    for (const params of [undefined, { authorization: "Bearer nope" }, { "x-api-key": "lgk_nope" }]) {
      const sub = subscribeEvents(t.url, params);
      open.push(sub);
      await waitFor(() => sub.closeCode !== undefined, 5000);
      expect(sub.closeCode).toBe(4401);
    }
    const overHttp = await t.gql(`subscription { events { id } }`);
    expect(overHttp.body.data ?? null).toBeNull();
    expect(codes(overHttp)).toEqual(["BAD_REQUEST"]);
    expect(overHttp.body.errors![0].message).toMatch(/WebSocket/);
  });

  it("closes with 4403 when the token expires, and with 4408 without connection_init within 3 s", async () => {
    const token = t.token({ org: newOrg(), expiresIn: 2 });
    const sub = subscribe(token);
    await waitFor(() => sub.closeCode !== undefined, 5000);
    expect(sub.closeCode).toBe(4403);

    const raw = new WebSocket(wsUrl(t.url), "graphql-transport-ws");
    const started = Date.now();
    const code = await new Promise<number>((resolve) => raw.on("close", (c) => resolve(c)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it.each(["authorization", "x-api-key"])("closes with 4403 once its API key (sent as %s) is revoked", async (how) => {
    const org = newOrg();
    const keys = new ApiKeyService(t.app.db.dataSource);
    const { apiKey, key } = await keys.create({ org, name: `sub-${how}`, scopes: ["leads:read"] });
    const sub = subscribeEvents(t.url, how === "authorization" ? { authorization: `Bearer ${key}` } : { "x-api-key": key });
    open.push(sub);
    const writer = t.token({ org });
    await ready(sub, writer);
    await keys.revoke(apiKey.id);
    await waitFor(() => sub.closeCode !== undefined, 5000);
    expect(sub.closeCode).toBe(4403);
  });

  it("writes nothing to subscribers for a write that rolls back", async () => {
    const token = t.token({ org: newOrg() });
    const sub = subscribe(token);
    await ready(sub, token);
    const id = await createLead(token);
    await sub.waitForEvents(1);
    const refused = await t.gql(`mutation ($id: ID!) { updateLead(id: $id, input: { owner: "x", expectedVersion: 7 }) { lead { id } } }`, { id }, { token });
    expect(codes(refused)).toEqual(["CONFLICT"]);
    await updateOwner(token, id, "after");
    const events = await sub.waitForEvents(2);
    expect(events.map((e) => [e.type, e.data.owner])).toEqual([["LEAD_CREATED", null], ["LEAD_UPDATED", "after"]]);
  });

  it("limits subscriptions per connection, with an error for the one over", async () => {
    const token = t.token({ org: newOrg() });
    const sub = subscribe(token);
    const extra: any[] = [];
    for (let i = 0; i < 3; i++) {
      sub.client.subscribe({ query: `subscription { events { id } }` }, { next: (r) => extra.push(r), error: (e) => extra.push(e), complete: () => undefined });
    }
    await waitFor(() => extra.length > 0, 5000);
    expect(JSON.stringify(extra[0])).toContain("TOO_MANY_SUBSCRIPTIONS");
    expect(extra).toHaveLength(1);
  });

  it("refuses queries and mutations over WebSocket", async () => {
    const token = t.token({ org: newOrg() });
    const sub = subscribeEvents(t.url, bearer(token), {}, { query: `{ viewer { org } }` });
    open.push(sub);
    await waitFor(() => sub.errors.length > 0, 5000);
    expect(sub.errors.map((e) => e.extensions?.code)).toEqual(["BAD_REQUEST"]);
  });
});
