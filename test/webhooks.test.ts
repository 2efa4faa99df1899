import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import type { AppConfig } from "../src/config";
import { purgeExpiredEvents } from "../src/events/event-retention";
import type { ResolvedAddress } from "../src/webhooks/webhook-target";
import { codes, newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_LEAD, CREATE_REASON, expectRejected, ok } from "./support/operations";
import { createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith } from "./support/services";
import { waitFor } from "./support/wait";

/**
 * Webhooks (API.md "Webhooks") end to end: real apps, real HTTP receivers on 127.0.0.1, signatures
 * checked with the `standardwebhooks` reference library. On PostgreSQL every app of this file runs
 * in a scratch database of its own, so that no other test file's instance attempts its deliveries
 * (with its own, stricter, settings).
 */

const ENDPOINT_FIELDS = `id url eventTypes description enabled disabledReason createdOn lastSuccessOn lastFailureOn`;
const DELIVERY_FIELDS = `id eventId eventType status attempts lastResponseStatus lastError nextAttemptOn createdOn`;
const CREATE = `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { ${ENDPOINT_FIELDS} } }`;
const DELETE = `mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
const ROTATE = `mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`;
const LIST = `{ webhookEndpoints { ${ENDPOINT_FIELDS} } }`;
const DELIVERIES = `query ($endpointId: ID!, $first: Int, $after: String, $failedOnly: Boolean) {
  webhookDeliveries(endpointId: $endpointId, first: $first, after: $after, failedOnly: $failedOnly) {
    edges { cursor node { ${DELIVERY_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount
  }
}`;
const REDELIVER = `mutation ($deliveryId: ID!) { redeliverWebhook(deliveryId: $deliveryId) { ${DELIVERY_FIELDS} } }`;
const UPDATE_STATUS = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { lead { id } } }`;

const SCHEDULE = [200, 400, 800, 1600];
const BASE: Partial<AppConfig> = { webhookAllowPrivate: true, webhookRetrySchedule: SCHEDULE, webhookPollMs: 50, webhookTimeoutMs: 600 };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the receiver answers to the n-th request (from 1): a status, or "hang" (never answers). */
type Answer = (n: number, received: Received) => number | "hang";

interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** The most requests for one webhook-id that were in progress at the same time. */
  maxOverlap: number;
  answer: Answer;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

async function receiver(answer: Answer = () => 200, { port = 0, delayMs = 0 } = {}): Promise<Receiver> {
  const active = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const r: Receiver = {
    url: "",
    port: 0,
    received: [],
    maxOverlap: 0,
    answer,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const got = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const id = String(req.headers["webhook-id"]);
      active.set(id, (active.get(id) ?? 0) + 1);
      r.maxOverlap = Math.max(r.maxOverlap, active.get(id)!);
      r.received.push(got);
      const status = r.answer(r.received.length, got);
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      active.set(id, active.get(id)! - 1);
      if (status === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(status, { "content-type": "text/plain" }).end(status >= 300 ? `refused \u0000 by test ${"x".repeat(100_000)}` : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hooks`;
  receivers.push(r);
  return r;
}

/** A port nothing listens on (for now). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const bodyOf = (r: Received) => JSON.parse(r.body);
const idsOf = (r: Receiver) => r.received.map((x) => String(x.headers["webhook-id"]));

const scratches: ScratchDatabase[] = [];
/**
 * A database for an app of its own: a scratch PostgreSQL database in the PostgreSQL suite (every
 * instance on a database attempts its deliveries, with its own settings, so apps with different
 * settings never share one), else in-memory PGlite.
 */
async function database(label: string): Promise<Partial<AppConfig>> {
  if (!process.env.DATABASE_URL) return {};
  const scratch = await createScratchDatabase(label);
  scratches.push(scratch);
  return { databaseUrl: scratch.url, migrationsRun: false };
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ ...BASE, ...(await database("webhooks")), webhookMaxEndpoints: 3 });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await Promise.all(receivers.map((r) => r.close()));
  await Promise.all(scratches.map((s) => s.drop()));
});

function client(app: TestApp, org = newOrg("wh")) {
  const token = app.token({ org });
  const api = {
    org,
    token,
    async create(input: Record<string, unknown>): Promise<{ secret: string; endpoint: any }> {
      return ok(await app.gql(CREATE, { input }, { token })).createWebhookEndpoint;
    },
    async lead(): Promise<string> {
      return ok(await app.gql(CREATE_LEAD, { input: { leadFor: "SKU-1" } }, { token })).createLead.lead.id;
    },
    async deliveries(endpointId: string, args: Record<string, unknown> = {}): Promise<any[]> {
      return ok(await app.gql(DELIVERIES, { endpointId, first: 100, ...args }, { token })).webhookDeliveries.edges.map((e: any) => e.node);
    },
    async endpoint(id: string): Promise<any> {
      return ok(await app.gql(LIST, {}, { token })).webhookEndpoints.find((e: any) => e.id === id);
    },
    /** Waits until the endpoint's only delivery satisfies `check`, and returns it. */
    async onlyDelivery(endpointId: string, check: (d: any) => boolean, ms = 8000): Promise<any> {
      let last: any;
      await waitFor(async () => {
        const all = await api.deliveries(endpointId);
        last = all[0];
        return all.length === 1 && check(last);
      }, ms);
      return last;
    },
  };
  return api;
}

describe("managing endpoints", () => {
  it("needs webhooks:manage for every operation", async () => {
    const token = t.token({ scopes: ["leads:read", "leads:write", "followups:read", "followups:write"] });
    const calls = [
      t.gql(CREATE, { input: { url: "http://127.0.0.1:9/x" } }, { token }),
      t.gql(LIST, {}, { token }),
      t.gql(UPDATE, { id: "whep_x", input: { enabled: false } }, { token }),
      t.gql(DELETE, { id: "whep_x" }, { token }),
      t.gql(ROTATE, { id: "whep_x" }, { token }),
      t.gql(DELIVERIES, { endpointId: "whep_x" }, { token }),
      t.gql(REDELIVER, { deliveryId: "whdl_x" }, { token }),
    ];
    for (const res of await Promise.all(calls)) expect(codes(res)).toEqual(["FORBIDDEN"]);
  });

  it("creates an endpoint with a secret shown only by create and rotate", async () => {
    const c = client(t);
    const r = await receiver();
    const created = await c.create({ url: r.url, eventTypes: ["LEAD_CREATED", "LEAD_CREATED"], description: "CRM sync" });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.secret.slice(6), "base64")).toHaveLength(32);
    expect(created.endpoint).toMatchObject({ id: expect.stringMatching(/^whep_/), url: r.url, eventTypes: ["LEAD_CREATED"], description: "CRM sync", enabled: true, disabledReason: null, lastSuccessOn: null });

    const listed = await t.gql(LIST, {}, { token: c.token });
    expect(ok(listed).webhookEndpoints).toEqual([created.endpoint]);
    const updated = await t.gql(UPDATE, { id: created.endpoint.id, input: { description: null, eventTypes: [] } }, { token: c.token });
    expect(ok(updated).updateWebhookEndpoint).toMatchObject({ description: null, eventTypes: [] });
    const nothing = await t.gql(UPDATE, { id: created.endpoint.id, input: {} }, { token: c.token });
    expect(nothing.body.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    await c.lead();
    const [delivery] = await Promise.all([c.onlyDelivery(created.endpoint.id, (d) => d.status === "SUCCEEDED")]);
    const redelivered = await t.gql(REDELIVER, { deliveryId: delivery.id }, { token: c.token });
    ok(redelivered);
    for (const res of [listed, updated, redelivered, await t.gql(DELIVERIES, { endpointId: created.endpoint.id }, { token: c.token })]) {
      expect(JSON.stringify(res.body)).not.toContain(created.secret.slice(6));
    }
    expect(codes(await t.gql(`{ webhookEndpoints { id secret } }`, {}, { token: c.token }))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);

    const rotated = ok(await t.gql(ROTATE, { id: created.endpoint.id }, { token: c.token })).rotateWebhookSecret;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
  });

  it("refuses bad input on its path, and more endpoints than WEBHOOK_MAX_ENDPOINTS", async () => {
    const c = client(t);
    const list = async () => ok(await t.gql(LIST, {}, { token: c.token }));
    await expectRejected(() => t.gql(CREATE, { input: { url: "not a url" } }, { token: c.token }), list, "createWebhookEndpoint", "BAD_USER_INPUT", "input.url");
    await expectRejected(() => t.gql(CREATE, { input: { url: "ftp://127.0.0.1/x" } }, { token: c.token }), list, "createWebhookEndpoint", "BAD_USER_INPUT", "input.url");
    await expectRejected(() => t.gql(CREATE, { input: { url: "http://u:p@127.0.0.1/x" } }, { token: c.token }), list, "createWebhookEndpoint", "BAD_USER_INPUT", "input.url");
    await expectRejected(
      () => t.gql(CREATE, { input: { url: "http://127.0.0.1/x", description: "d".repeat(1001) } }, { token: c.token }),
      list,
      "createWebhookEndpoint",
      "BAD_USER_INPUT",
      "input.description",
    );
    await expectRejected(() => t.gql(CREATE, { input: { url: "http://127.0.0.1/\u0000" } }, { token: c.token }), list, "createWebhookEndpoint", "BAD_USER_INPUT", "input.url");
    for (let i = 0; i < 3; i++) await c.create({ url: `http://127.0.0.1:9/${i}` });
    const res = await expectRejected(() => t.gql(CREATE, { input: { url: "http://127.0.0.1:9/4" } }, { token: c.token }), list, "createWebhookEndpoint", "FAILED_PRECONDITION");
    expect(res.body.errors![0].message).toMatch(/WEBHOOK_MAX_ENDPOINTS/);
  });

  it("keeps orgs apart: another org's ids are NOT_FOUND and its events never reach the endpoint", async () => {
    const a = client(t);
    const b = client(t);
    const r = await receiver();
    const { endpoint } = await a.create({ url: r.url });
    await a.lead();
    const delivery = await a.onlyDelivery(endpoint.id, (d) => d.status === "SUCCEEDED");
    await b.lead();

    expect(ok(await t.gql(LIST, {}, { token: b.token })).webhookEndpoints).toEqual([]);
    for (const res of [
      await t.gql(UPDATE, { id: endpoint.id, input: { enabled: false } }, { token: b.token }),
      await t.gql(DELETE, { id: endpoint.id }, { token: b.token }),
      await t.gql(ROTATE, { id: endpoint.id }, { token: b.token }),
      await t.gql(DELIVERIES, { endpointId: endpoint.id }, { token: b.token }),
      await t.gql(REDELIVER, { deliveryId: delivery.id }, { token: b.token }),
    ]) {
      expect(codes(res)).toEqual(["NOT_FOUND"]);
    }
    // b's lead was committed after a's: once a's endpoint has seen a later event of a, b's would have arrived.
    await a.lead();
    await waitFor(() => r.received.length === 2);
    const orgsLeads = r.received.map((x) => bodyOf(x).data.leadId);
    expect(new Set(orgsLeads).size).toBe(2);
    expect(ok(await t.gql(`query ($id: ID!) { lead(id: $id) { id } }`, { id: orgsLeads[1] }, { token: a.token })).lead).not.toBeNull();
    expect((await a.endpoint(endpoint.id)).enabled).toBe(true);
  });

  it("deletes an endpoint with its deliveries, returning its id", async () => {
    const c = client(t);
    const { endpoint } = await c.create({ url: `http://127.0.0.1:${await closedPort()}/x` });
    await c.lead();
    await waitFor(async () => (await c.deliveries(endpoint.id)).length === 1);
    expect(ok(await t.gql(DELETE, { id: endpoint.id }, { token: c.token })).deleteWebhookEndpoint).toBe(endpoint.id);
    expect(ok(await t.gql(LIST, {}, { token: c.token })).webhookEndpoints).toEqual([]);
    expect(codes(await t.gql(DELIVERIES, { endpointId: endpoint.id }, { token: c.token }))).toEqual(["NOT_FOUND"]);
    expect(codes(await t.gql(DELETE, { id: endpoint.id }, { token: c.token }))).toEqual(["NOT_FOUND"]);
  });
});

describe("delivery", () => {
  it("POSTs each subscribed event per Standard Webhooks, signed with the endpoint's secret", async () => {
    const c = client(t);
    const r = await receiver();
    const other = await receiver();
    const { endpoint, secret } = await c.create({ url: r.url });
    const filtered = await c.create({ url: other.url, eventTypes: ["LEAD_STATUS_CHANGED"] });
    const leadId = await c.lead();
    const reasonId = ok(await t.gql(CREATE_REASON, { reason: "Customer asked" }, { token: c.token })).createLeadReason.id;
    ok(await t.gql(UPDATE_STATUS, { id: leadId, input: { status: "ON_HOLD", reasonId } }, { token: c.token }));
    await waitFor(() => r.received.length === 2 && other.received.length === 1);

    const events = ok(await t.gql(`{ events { edges { cursor node { id type occurredOn } } } }`, {}, { token: c.token })).events.edges;
    expect(events).toHaveLength(2);
    for (const [i, got] of r.received.entries()) {
      expect(got.headers["content-type"]).toBe("application/json");
      expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toEqual(bodyOf(got));
      expect(Math.abs(Number(got.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
      const body = bodyOf(got);
      expect(got.headers["webhook-id"]).toBe(events[i].node.id);
      expect(body).toMatchObject({ id: events[i].node.id, timestamp: events[i].node.occurredOn, data: { leadId, followupId: null, cursor: events[i].cursor, id: leadId } });
      expect(body.type).toBe(["lead.created", "lead.status_changed"][i]);
    }
    expect(bodyOf(r.received[1]).data.statusLog).toMatchObject({ status: "ON_HOLD" });
    // A signature with another secret does not verify.
    expect(() => new Webhook(filtered.secret).verify(r.received[0].body, r.received[0].headers as Record<string, string>)).toThrow();
    expect(bodyOf(other.received[0]).type).toBe("lead.status_changed");

    const [second, first] = await c.deliveries(endpoint.id);
    expect(first).toMatchObject({ eventId: events[0].node.id, eventType: "LEAD_CREATED", status: "SUCCEEDED", attempts: 1, lastResponseStatus: 200, lastError: null, nextAttemptOn: null });
    expect(second.eventType).toBe("LEAD_STATUS_CHANGED");
    const after = await c.endpoint(endpoint.id);
    expect(after.lastSuccessOn).not.toBeNull();
    expect(after.lastFailureOn).toBeNull();

    const page = ok(await t.gql(DELIVERIES, { endpointId: endpoint.id, first: 1 }, { token: c.token })).webhookDeliveries;
    expect(page).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    const rest = ok(await t.gql(DELIVERIES, { endpointId: endpoint.id, first: 1, after: page.pageInfo.endCursor }, { token: c.token })).webhookDeliveries;
    expect(rest.edges.map((e: any) => e.node.id)).toEqual([first.id]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(codes(await t.gql(DELIVERIES, { endpointId: endpoint.id, after: "bm9wZQ" }, { token: c.token }))).toEqual(["BAD_USER_INPUT"]);
  });

  it("retries a 500, a timeout and a refused connection on the schedule, then succeeds", async () => {
    const c = client(t);
    const r = await receiver((n) => (n === 1 ? 500 : n === 2 ? "hang" : 200));
    const { endpoint } = await c.create({ url: r.url });
    await c.lead();
    const delivery = await c.onlyDelivery(endpoint.id, (d) => d.status === "SUCCEEDED");
    expect(delivery).toMatchObject({ attempts: 3, lastResponseStatus: 200, lastError: null });
    expect(new Set(idsOf(r)).size).toBe(1);
    expect(r.received).toHaveLength(3);

    const port = await closedPort();
    const refused = await c.create({ url: `http://127.0.0.1:${port}/hooks` });
    await c.lead();
    const failing = await c.onlyDelivery(refused.endpoint.id, (d) => d.attempts >= 1);
    expect(failing).toMatchObject({ status: "PENDING", lastResponseStatus: null, lastError: expect.stringMatching(/network error: ECONNREFUSED/) });
    expect(failing.nextAttemptOn).not.toBeNull();
    expect((await c.endpoint(refused.endpoint.id)).lastFailureOn).not.toBeNull();
    const late = await receiver(() => 200, { port });
    const done = await c.onlyDelivery(refused.endpoint.id, (d) => d.status === "SUCCEEDED");
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(late.received).toHaveLength(1);
  });

  it("does not follow a redirect: a 3xx is a failure, and the target it names gets nothing", async () => {
    const c = client(t);
    const elsewhere = await receiver();
    const r = await receiver();
    const server = http.createServer((_req, res) => res.writeHead(307, { location: elsewhere.url }).end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { endpoint } = await c.create({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks` });
      await c.lead();
      const delivery = await c.onlyDelivery(endpoint.id, (d) => d.attempts >= 1);
      expect(delivery).toMatchObject({ status: "PENDING", lastResponseStatus: 307, lastError: expect.stringMatching(/^HTTP 307 \(redirects are not followed\)/) });
      expect(elsewhere.received).toHaveLength(0);
      expect(r.received).toHaveLength(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("is FAILED once the schedule is exhausted, and redeliverWebhook attempts it again", async () => {
    const c = client(t);
    const r = await receiver(() => 500);
    const { endpoint } = await c.create({ url: r.url });
    await c.lead();
    const failed = await c.onlyDelivery(endpoint.id, (d) => d.status === "FAILED", 10_000);
    expect(failed).toMatchObject({ attempts: SCHEDULE.length + 1, lastResponseStatus: 500, nextAttemptOn: null });
    // A short excerpt of the answer, storable (no NUL), not its 100 kB.
    expect(failed.lastError).toMatch(/^HTTP 500: refused \uFFFD by test x+$/);
    expect(failed.lastError.length).toBeLessThan(300);
    expect(r.received).toHaveLength(SCHEDULE.length + 1);
    expect((await c.deliveries(endpoint.id, { failedOnly: true })).map((d) => d.id)).toEqual([failed.id]);

    r.answer = () => 200;
    const again = ok(await t.gql(REDELIVER, { deliveryId: failed.id }, { token: c.token })).redeliverWebhook;
    expect(again).toMatchObject({ id: failed.id, status: "PENDING" });
    const done = await c.onlyDelivery(endpoint.id, (d) => d.status === "SUCCEEDED");
    expect(done.attempts).toBe(SCHEDULE.length + 2);
    expect(await c.deliveries(endpoint.id, { failedOnly: true })).toEqual([]);
    expect(new Set(idsOf(r))).toEqual(new Set([failed.eventId]));
  });

  it("a 410 disables the endpoint at once; its deliveries wait until it is enabled again", async () => {
    const c = client(t);
    const r = await receiver(() => 410);
    const { endpoint } = await c.create({ url: r.url });
    await c.lead();
    await waitFor(async () => (await c.endpoint(endpoint.id)).enabled === false);
    const disabled = await c.endpoint(endpoint.id);
    expect(disabled.disabledReason).toMatch(/410/);
    const [held] = await c.deliveries(endpoint.id);
    expect(held).toMatchObject({ status: "PENDING", attempts: 1, lastResponseStatus: 410 });
    expect(codes(await t.gql(REDELIVER, { deliveryId: held.id }, { token: c.token }))).toEqual(["FAILED_PRECONDITION"]);
    // Events while it is disabled are not queued for it.
    await c.lead();
    const marker = client(t, c.org);
    const probe = await receiver();
    const { endpoint: probeEndpoint } = await marker.create({ url: probe.url });
    await c.lead();
    await waitFor(() => probe.received.length === 1);
    expect(await c.deliveries(endpoint.id)).toHaveLength(1);
    expect(r.received).toHaveLength(1);
    await t.gql(DELETE, { id: probeEndpoint.id }, { token: c.token });

    r.answer = () => 200;
    const enabled = ok(await t.gql(UPDATE, { id: endpoint.id, input: { enabled: true } }, { token: c.token })).updateWebhookEndpoint;
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null });
    await c.onlyDelivery(endpoint.id, (d) => d.status === "SUCCEEDED");
    expect(r.received).toHaveLength(2);
  });

  it("after a rotation signs with both secrets, each verifying on its own", async () => {
    const c = client(t);
    const r = await receiver();
    const { endpoint, secret: old } = await c.create({ url: r.url });
    const { secret: fresh } = ok(await t.gql(ROTATE, { id: endpoint.id }, { token: c.token })).rotateWebhookSecret;
    await c.lead();
    await waitFor(() => r.received.length === 1);
    const [got] = r.received;
    const signatures = String(got.headers["webhook-signature"]).split(" ");
    expect(signatures).toHaveLength(2);
    for (const secret of [old, fresh]) expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toEqual(bodyOf(got));
    // Each signature is one secret's alone.
    for (const [i, secret] of [fresh, old].entries()) {
      const headers = { ...(got.headers as Record<string, string>), "webhook-signature": signatures[i] };
      expect(() => new Webhook(secret).verify(got.body, headers)).not.toThrow();
      expect(() => new Webhook(i ? fresh : old).verify(got.body, headers)).toThrow();
    }
  });

  it("deliveries go with their events when retention deletes them", async () => {
    const c = client(t);
    const r = await receiver();
    const { endpoint } = await c.create({ url: r.url });
    await c.lead();
    await c.onlyDelivery(endpoint.id, (d) => d.status === "SUCCEEDED");
    const ds = t.app.db.dataSource;
    await ds.query(`UPDATE events SET occurred_on = now() - interval '40 days' WHERE org_id = $1`, [c.org]);
    expect(await purgeExpiredEvents(ds, 30)).toBeGreaterThanOrEqual(1);
    expect(ok(await t.gql(DELIVERIES, { endpointId: endpoint.id }, { token: c.token })).webhookDeliveries.totalCount).toBe(0);
  });
});

describe("targets (WEBHOOK_ALLOW_PRIVATE off)", () => {
  let strict: TestApp;
  const dns = new Map<string, string[][]>();
  const lookup = async (host: string): Promise<ResolvedAddress[]> => {
    const answers = dns.get(host);
    if (!answers) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    return answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  beforeAll(async () => {
    strict = await startTestApp({ ...BASE, ...(await database("webhooks_strict")), webhookAllowPrivate: false, webhookLookup: lookup });
  }, 60_000);
  afterAll(() => strict?.close());

  it("refuses at creation a host that is or resolves to a non-public address", async () => {
    const c = client(strict);
    dns.set("public.example.test", [["93.184.216.34"]]);
    dns.set("inside.example.test", [["93.184.216.34", "10.0.0.7"]]);
    dns.set("mapped.example.test", [["::ffff:127.0.0.1"]]);
    const list = async () => ok(await strict.gql(LIST, {}, { token: c.token }));
    for (const url of [
      "http://127.0.0.1:8080/x",
      "http://localhost/x",
      "http://[::1]/x",
      "http://[::ffff:7f00:1]/x",
      "http://10.1.2.3/x",
      "http://172.16.0.1/x",
      "http://192.168.1.1/x",
      "http://169.254.169.254/latest/meta-data",
      "http://100.64.0.1/x",
      "http://[fd00::1]/x",
      "http://[fe80::1]/x",
      "http://0.0.0.0/x",
      "http://224.0.0.1/x",
      "http://0x7f000001/x",
      "http://inside.example.test/x",
      "http://mapped.example.test/x",
      "http://unknown.example.test/x",
    ]) {
      const res = await expectRejected(() => strict.gql(CREATE, { input: { url } }, { token: c.token }), list, "createWebhookEndpoint", "BAD_USER_INPUT", "input.url");
      expect(JSON.stringify(res.body)).not.toMatch(/stack|SELECT|INSERT/);
    }
    const { endpoint } = await c.create({ url: "https://public.example.test/hooks" });
    await expectRejected(
      () => strict.gql(UPDATE, { id: endpoint.id, input: { url: "http://192.168.0.10/x" } }, { token: c.token }),
      list,
      "updateWebhookEndpoint",
      "BAD_USER_INPUT",
      "input.url",
    );
  });

  it("re-checks the address at every delivery: a DNS answer that turns private is never connected to", async () => {
    const c = client(strict);
    const r = await receiver();
    // Public when the endpoint is created, then this machine's loopback (where the receiver listens).
    dns.set("rebind.example.test", [["93.184.216.34"], ["127.0.0.1"]]);
    const { endpoint } = await c.create({ url: `http://rebind.example.test:${r.port}/hooks` });
    await c.lead();
    const delivery = await c.onlyDelivery(endpoint.id, (d) => d.attempts >= 2);
    expect(delivery).toMatchObject({ status: "PENDING", lastResponseStatus: null, lastError: expect.stringMatching(/^refused: .*non-public/) });
    expect(r.received).toHaveLength(0);
  });
});

describe("disabling after WEBHOOK_DISABLE_AFTER_HOURS without a success", () => {
  it("disables an endpoint whose failures span the window, and says why", async () => {
    const app = await startTestApp({ ...BASE, ...(await database("webhooks_disable")), webhookDisableAfterMs: 300 });
    try {
      const c = client(app);
      const r = await receiver(() => 503);
      const { endpoint } = await c.create({ url: r.url });
      await c.lead();
      await waitFor(async () => (await c.endpoint(endpoint.id)).enabled === false, 8000);
      const after = await c.endpoint(endpoint.id);
      expect(after.disabledReason).toMatch(/no successful delivery/);
      expect(after.lastFailureOn).not.toBeNull();
      // At least two failures: the first one starts the window.
      expect(r.received.length).toBeGreaterThanOrEqual(2);
    } finally {
      await app.close();
    }
  });
});

describe("at least once, across restarts", () => {
  it("a restart in the middle of a burst loses no event", async () => {
    const dir = process.env.DATABASE_URL ? undefined : mkdtempSync(path.join(tmpdir(), "webhooks-restart-"));
    const where: Partial<AppConfig> = dir ? { databaseUrl: undefined, dataDir: dir, migrationsRun: true } : await database("webhooks_restart");
    const org = newOrg("restart");
    // The receiver answers after 500 ms: a timeout well above it, so that a loaded machine does not
    // turn slow answers into failures that run the retry schedule out.
    const config = { ...BASE, webhookTimeoutMs: 5000, ...where };
    let app = await startTestApp(config);
    try {
      // Slow enough that the burst is still being delivered when the app stops.
      const r = await receiver(() => 200, { delayMs: 500 });
      const c = client(app, org);
      const { endpoint } = await c.create({ url: r.url });
      const N = 30;
      const leads: string[] = [];
      for (let i = 0; i < N; i++) leads.push(await c.lead());
      await waitFor(() => r.received.length >= 3);
      await app.close();
      const before = new Set(idsOf(r)).size;
      app = await startTestApp(config);
      const again = client(app, org);
      await waitFor(async () => (await again.deliveries(endpoint.id)).filter((d) => d.status === "SUCCEEDED").length === N, 15_000);
      expect(before).toBeLessThan(N);
      expect(new Set(r.received.map((x) => bodyOf(x).data.leadId))).toEqual(new Set(leads));
    } finally {
      await app.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWith("PostgreSQL")("two instances on one PostgreSQL database", () => {
  let shared: ScratchDatabase;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    shared = await createScratchDatabase("webhooks2");
    for (let i = 0; i < 2; i++) apps.push(await startTestApp({ ...BASE, databaseUrl: shared.url, migrationsRun: false, dbPoolSize: 4 }));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await shared?.drop();
  });

  it("deliver a burst: every event, each attempt by one instance at a time, a failed first attempt retried", async () => {
    const org = newOrg("pair");
    // The first attempt of every fifth event fails, so that retries are shared out too.
    const seen = new Map<string, number>();
    const r = await receiver(
      (_n, got) => {
        const id = String(got.headers["webhook-id"]);
        seen.set(id, (seen.get(id) ?? 0) + 1);
        return seen.get(id) === 1 && seen.size % 5 === 0 ? 500 : 200;
      },
      { delayMs: 20 },
    );
    const { endpoint, secret } = await client(apps[0], org).create({ url: r.url });
    const N = 60;
    const clients = apps.map((a) => client(a, org));
    const leads = await Promise.all(Array.from({ length: N }, (_, i) => clients[i % 2].lead()));
    await waitFor(async () => (await clients[1].deliveries(endpoint.id)).filter((d) => d.status === "SUCCEEDED").length === N, 20_000);

    const delivered = new Set(r.received.filter((x) => seen.has(String(x.headers["webhook-id"]))).map((x) => bodyOf(x).data.leadId));
    expect(delivered).toEqual(new Set(leads));
    expect(r.maxOverlap).toBe(1);
    // Nothing was sent twice besides the planned retries.
    const retried = [...seen.values()].filter((n) => n > 1).length;
    expect(r.received).toHaveLength(N + retried);
    expect(retried).toBeGreaterThan(0);
    for (const got of r.received) expect(() => new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).not.toThrow();
  });
});
