import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { IdempotencyStore } from "../src/idempotency/idempotency.store";
import { codes, newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";
import { createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith } from "./support/services";
import { ok, CREATE_LEAD, CREATE_REASON } from "./support/operations";
import { waitFor } from "./support/wait";

/**
 * `Idempotency-Key` on mutations (issue 3, item 5): a retry with the same key and body gets the
 * first response and runs nothing; a partner's retry never doubles a status log or a follow-up.
 * Black-box over HTTP; the clock is moved by ageing a key's row in the database.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const UPDATE_STATUS = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) {
  updateLeadStatus(id: $id, input: $input) { lead { id status version lastUpdatedOn statusLogDetails { id status } } }
}`;
const UPDATE_FOLLOWUPS = `mutation ($id: ID!, $input: UpdateLeadFollowupsInput!) {
  updateLeadFollowups(id: $id, input: $input) { lead { id version lastUpdatedOn followUpDetails { id notes } } }
}`;
const COUNTS = `query ($id: ID!) { lead(id: $id) { version followUpDetails { id } statusLogDetails { id } } }`;

const withKey = (key: string, token?: string) => ({ token, headers: { "idempotency-key": key } });
const replayed = (res: GqlResponse) => res.headers.get("idempotent-replayed");

/** A fresh org (a token of its own), with one lead and one reason. */
async function setup(sub = "partner-1") {
  const org = newOrg("idem");
  const token = t.token({ org, sub });
  const lead = ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1" } }, { token })).createLead.lead;
  const reasonId = ok(await t.gql(CREATE_REASON, { reason: "Customer asked" }, { token })).createLeadReason.id;
  return { org, token, lead, reasonId };
}

async function counts(token: string, id: string) {
  const lead = ok(await t.gql(COUNTS, { id }, { token })).lead;
  return { version: lead.version, details: lead.followUpDetails.length, logs: lead.statusLogDetails.length };
}

const followup = (notes = "called back") => ({ followedUpOn: "2030-01-01T10:00:00.000Z", notes });

/** Runs SQL on the app's database (the suite's PostgreSQL database, or the embedded one). */
const sql = (text: string, params: unknown[] = []) => t.app.db.dataSource.query(text, params);

describe("Idempotency-Key on mutations", () => {
  it("a retry with the same key and body gets the first response, and runs nothing (one follow-up detail)", async () => {
    const { token, lead } = await setup();
    const key = randomUUID();
    const first = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token));
    ok(first);
    expect(replayed(first)).toBeNull();

    // The same request again, its variables written in another key order: still the same request.
    const again = await t.gql(UPDATE_FOLLOWUPS, { input: { notes: "called back", followedUpOn: "2030-01-01T10:00:00.000Z" }, id: lead.id }, withKey(key, token));
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(replayed(again)).toBe("true");

    expect(await counts(token, lead.id)).toEqual({ version: lead.version + 1, details: 1, logs: 1 });
  });

  it("a retried status change writes one status log entry", async () => {
    const { token, lead, reasonId } = await setup();
    const key = randomUUID();
    const input = { status: "ON_HOLD", reasonId };
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await t.gql(UPDATE_STATUS, { id: lead.id, input }, withKey(key, token)));
    ok(responses[0]);
    for (const r of responses.slice(1)) {
      expect(r.body).toEqual(responses[0].body); // not FAILED_PRECONDITION (duplicate status): it did not run again
      expect(replayed(r)).toBe("true");
    }
    expect(await counts(token, lead.id)).toEqual({ version: lead.version + 1, details: 0, logs: 2 }); // creation + one change
  });

  it("10 concurrent requests with one key run once; the others wait for it and get its response", async () => {
    const { token, lead, reasonId } = await setup();
    const followupKey = randomUUID();
    const statusKey = randomUUID();
    const [followups, statuses] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(followupKey, token)))),
      Promise.all(Array.from({ length: 10 }, () => t.gql(UPDATE_STATUS, { id: lead.id, input: { status: "ON_HOLD", reasonId } }, withKey(statusKey, token)))),
    ]);
    for (const group of [followups, statuses]) {
      const original = group.filter((r) => replayed(r) === null);
      expect(original).toHaveLength(1);
      ok(original[0]);
      for (const r of group) {
        expect(r.status).toBe(200);
        expect(r.body).toEqual(original[0].body);
      }
    }
    expect(await counts(token, lead.id)).toEqual({ version: lead.version + 2, details: 1, logs: 2 });
  });

  it("the same key with a different body is CONFLICT (409), and writes nothing", async () => {
    const { token, lead } = await setup();
    const key = randomUUID();
    ok(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("first") }, withKey(key, token)));
    const before = await counts(token, lead.id);

    const other = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("second") }, withKey(key, token));
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ errors: [{ message: expect.stringContaining("different request"), extensions: { code: "CONFLICT" } }] });
    // Another operation altogether under the same key: the same answer.
    const otherOperation = await t.gql(`mutation { createLeadReason(reason: "Other") { id } }`, {}, withKey(key, token));
    expect(otherOperation.status).toBe(409);
    expect(codes(otherOperation)).toEqual(["CONFLICT"]);

    expect(await counts(token, lead.id)).toEqual(before);
    // The first response is still the one a true retry gets.
    const retry = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("first") }, withKey(key, token));
    expect(replayed(retry)).toBe("true");
    expect(retry.body.data.updateLeadFollowups.lead.followUpDetails.map((d: { notes: string }) => d.notes)).toEqual(["first"]);
  });

  it("keys are per principal: another actor, or another org, with the same key runs on its own", async () => {
    const { org, token, lead } = await setup("partner-1");
    const key = "order-4711";
    const colleague = t.token({ org, sub: "partner-2" });
    const first = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token));
    const second = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, colleague));
    ok(first);
    ok(second);
    expect(replayed(second)).toBeNull();
    expect(second.body.data.updateLeadFollowups.lead.version).toBe(first.body.data.updateLeadFollowups.lead.version + 1);
    expect(await counts(token, lead.id)).toMatchObject({ details: 2 });

    // Another org's caller with the same key and the same body: its own request (here, an unknown lead).
    const stranger = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, t.token({ org: newOrg(), sub: "partner-1" })));
    expect(replayed(stranger)).toBeNull();
    expect(codes(stranger)).toEqual(["NOT_FOUND"]);
    expect(await counts(token, lead.id)).toMatchObject({ details: 2 });
  });

  it("queries ignore the header, even a malformed one", async () => {
    const { token, lead } = await setup();
    for (const key of ["read-1", "read-1", ""]) {
      const res = await t.gql(COUNTS, { id: lead.id }, withKey(key, token));
      expect(replayed(res)).toBeNull();
      expect(ok(res).lead.version).toBe(lead.version);
    }
    // A write in between shows: the second read of the same key is not a replay of the first.
    ok(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, { token }));
    expect(ok(await t.gql(COUNTS, { id: lead.id }, withKey("read-1", token))).lead.version).toBe(lead.version + 1);
  });

  it.each([
    ["empty", ""],
    ["longer than 255 characters", "k".repeat(256)],
    ["not ASCII", "clé-1"],
    ["a control character", "a\tb"],
  ])("a key that is %s is 400 BAD_USER_INPUT, and nothing runs", async (_what, key) => {
    const { token, lead } = await setup();
    const res = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token));
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(res.body.errors![0].extensions!.fields).toEqual({ "Idempotency-Key": [expect.any(String)] });
    expect(res.body.data).toBeUndefined();
    expect(await counts(token, lead.id)).toMatchObject({ details: 0, version: lead.version });
  });

  it("a key of 255 printable characters is accepted", async () => {
    const { token, lead } = await setup();
    const key = ` !"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_\`az{|}~`.padEnd(255, "x");
    ok(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token)));
    expect(replayed(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token)))).toBe("true");
  });

  it("a domain refusal is the first response too; a refusal of the input frees the key for the corrected request", async () => {
    const { token, lead } = await setup();
    const missing = "lead_doesnotexist0000000000";
    const key = randomUUID();
    const notFound = await t.gql(UPDATE_FOLLOWUPS, { id: missing, input: followup() }, withKey(key, token));
    expect(codes(notFound)).toEqual(["NOT_FOUND"]);
    const again = await t.gql(UPDATE_FOLLOWUPS, { id: missing, input: followup() }, withKey(key, token));
    expect(replayed(again)).toBe("true");
    expect(again.body).toEqual(notFound.body);

    // BAD_USER_INPUT ran nothing: the partner fixes the request and sends it under the same key.
    const fixKey = randomUUID();
    const bad = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("x".repeat(2001)) }, withKey(fixKey, token));
    expect(codes(bad)).toEqual(["BAD_USER_INPUT"]);
    const fixed = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("short") }, withKey(fixKey, token));
    ok(fixed);
    expect(replayed(fixed)).toBeNull();
    expect(replayed(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("short") }, withKey(fixKey, token)))).toBe("true");
    expect(await counts(token, lead.id)).toMatchObject({ details: 1 });
  });

  it("a key older than 24 hours is ignored (the request runs again) and purged", async () => {
    const { token, lead } = await setup();
    const key = randomUUID();
    ok(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token)));
    // Move the clock: the key was first used 24 hours and a second ago.
    await sql(`UPDATE idempotency_keys SET created_on = now() - interval '24 hours 1 second', claimed_on = now() - interval '24 hours 1 second' WHERE key = $1`, [key]);

    // Neither a replay nor a CONFLICT for the other body: the old key is gone as far as the API goes.
    const rerun = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("other body") }, withKey(key, token));
    ok(rerun);
    expect(replayed(rerun)).toBeNull();
    expect(await counts(token, lead.id)).toMatchObject({ details: 2 });
    // …and the key now holds the new request for the next 24 hours.
    expect(replayed(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("other body") }, withKey(key, token)))).toBe("true");

    // An expired row that nobody reused is deleted by the sweep; a live one is kept.
    const stale = randomUUID();
    ok(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup("stale") }, withKey(stale, token)));
    await sql(`UPDATE idempotency_keys SET created_on = now() - interval '25 hours' WHERE key = $1`, [stale]);
    expect(await new IdempotencyStore(t.app.db.dataSource, 24).purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await sql(`SELECT key FROM idempotency_keys WHERE key = ANY($1) ORDER BY key`, [[stale, key]])).toEqual([{ key }]);
  });

  it("a claim whose writes committed is never run again, even when its response was lost", async () => {
    const { token, lead } = await setup();
    const key = randomUUID();
    ok(await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token)));
    // As if the server had died after the commit, before keeping the response, a minute ago.
    await sql(`UPDATE idempotency_keys SET response_status = NULL, response_body = NULL, claimed_on = now() - interval '61 seconds' WHERE key = $1`, [key]);
    expect((await sql(`SELECT executed FROM idempotency_keys WHERE key = $1`, [key]))[0].executed).toBe(true);

    const retry = await t.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token));
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual({ errors: [{ message: expect.stringContaining("was applied"), extensions: { code: "CONFLICT" } }] });
    expect(await counts(token, lead.id)).toMatchObject({ details: 1 });
  });

  it("an abandoned claim that executed nothing is taken over by the retry", async () => {
    const { token, lead } = await setup();
    const key = randomUUID();
    // Use the key once, then undo its write and make its row look like a claim whose owner died
    // before its commit a minute ago: no response, not executed, a token nobody holds.
    const body = { id: lead.id, input: followup() };
    ok(await t.gql(UPDATE_FOLLOWUPS, body, withKey(key, token)));
    await sql(`DELETE FROM follow_up_details WHERE lead_id = $1`, [lead.id]);
    await sql(
      `UPDATE idempotency_keys SET response_status = NULL, response_body = NULL, executed = false, token = 'gone.0', claimed_on = now() - interval '61 seconds' WHERE key = $1`,
      [key],
    );

    const retry = await t.gql(UPDATE_FOLLOWUPS, body, withKey(key, token));
    ok(retry);
    expect(replayed(retry)).toBeNull();
    expect(await counts(token, lead.id)).toMatchObject({ details: 1 });
    expect(replayed(await t.gql(UPDATE_FOLLOWUPS, body, withKey(key, token)))).toBe("true");
  });
});

// Holding the lead's row lock from outside needs a second session: the local PostgreSQL, in a
// scratch database, in both suite modes.
describeWith("PostgreSQL")("a retry while the first request still runs (PostgreSQL)", () => {
  let scratch: ScratchDatabase;
  let quick: TestApp;
  /** A second instance on the same database, as behind a load balancer. */
  let other: TestApp;
  /** An instance with a 1 s request timeout. */
  let timed: TestApp;
  let locker: Client;
  beforeAll(async () => {
    scratch = await createScratchDatabase("idem");
    quick = await startTestApp({ idempotencyWaitMs: 300, databaseUrl: scratch.url, migrationsRun: false });
    other = await startTestApp({ databaseUrl: scratch.url, migrationsRun: false });
    timed = await startTestApp({ databaseUrl: scratch.url, migrationsRun: false, requestTimeoutMs: 1000 });
    locker = new Client({ connectionString: scratch.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await quick?.close();
    await other?.close();
    await timed?.close();
    await scratch?.drop();
  });

  /** A lead of a fresh org on `app`, whose row `locker` holds locked (FOR UPDATE) until it commits. */
  async function lockedLead(app: TestApp, label: string) {
    const token = app.token({ org: newOrg(label) });
    const lead = ok(await app.gql(CREATE_LEAD, { input: { leadFor: "SKU-1" } }, { token })).createLead.lead;
    await locker.query("BEGIN");
    await locker.query("SELECT 1 FROM leads WHERE id = $1 FOR UPDATE", [lead.id]);
    return { token, lead, key: randomUUID() };
  }

  it("waits up to IDEMPOTENCY_WAIT_MS, then answers 409 CONFLICT with Retry-After; once done, the retry gets its response", async () => {
    const { token, lead, key } = await lockedLead(quick, "idem-wait");
    const body = { id: lead.id, input: followup() };
    const first = quick.gql(UPDATE_FOLLOWUPS, body, withKey(key, token));
    // The first request holds the key and waits for the row lock.
    for (let i = 0; i < 100; i++) {
      const rows = await locker.query("SELECT 1 FROM idempotency_keys WHERE key = $1", [key]).catch(() => ({ rowCount: 0 }));
      if (rows.rowCount) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const started = Date.now();
    const during = await quick.gql(UPDATE_FOLLOWUPS, body, withKey(key, token));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(during.status).toBe(409);
    expect(during.headers.get("retry-after")).toBe("1");
    expect(during.body).toEqual({ errors: [{ message: expect.stringContaining("still in progress"), extensions: { code: "CONFLICT" } }] });

    // A retry that is still waiting when the first finishes gets its response.
    const waiting = other.gql(UPDATE_FOLLOWUPS, body, withKey(key, token));
    await new Promise((r) => setTimeout(r, 100));
    await locker.query("COMMIT");
    const done = await first;
    ok(done);
    const late = await waiting;
    expect(replayed(late)).toBe("true");
    expect(late.body).toEqual(done.body);
    expect(replayed(await quick.gql(UPDATE_FOLLOWUPS, body, withKey(key, token)))).toBe("true");
    expect(ok(await quick.gql(COUNTS, { id: lead.id }, { token })).lead.followUpDetails).toHaveLength(1);
  });

  it("a request whose claim was taken over meanwhile is not applied: its commit is refused", async () => {
    const { token, lead, key } = await lockedLead(quick, "idem-fence");
    const first = quick.gql(UPDATE_FOLLOWUPS, { id: lead.id, input: followup() }, withKey(key, token));
    let claimed = 0;
    for (let i = 0; i < 100 && !claimed; i++) {
      claimed = (await locker.query("SELECT 1 FROM idempotency_keys WHERE key = $1", [key]).catch(() => ({ rowCount: 0 }))).rowCount ?? 0;
      if (!claimed) await new Promise((r) => setTimeout(r, 20));
    }
    // As another instance does once the claim is past its lease and looks abandoned.
    await quick.app.db.dataSource.query(`UPDATE idempotency_keys SET token = 'elsewhere.1' WHERE key = $1`, [key]);
    await locker.query("COMMIT");

    const res = await first;
    expect(res.body.data).toBeNull();
    expect(codes(res)).toEqual(["CONFLICT"]);
    expect(res.body.errors![0].message).toMatch(/took over/);
    const lead2 = ok(await quick.gql(COUNTS, { id: lead.id }, { token })).lead;
    expect(lead2.followUpDetails).toHaveLength(0);
    expect(lead2.version).toBe(lead.version);
  });

  it("a request that times out before it writes releases its key: the retry runs it, once", async () => {
    const { token, lead, key } = await lockedLead(timed, "idem-timeout");
    const body = { id: lead.id, input: followup() };
    // claims the key, waits for the row lock, and is answered 503 while it still waits
    const res = await timed.gql(UPDATE_FOLLOWUPS, body, withKey(key, token));
    expect(res.status).toBe(503);
    expect(codes(res)).toEqual(["TIMEOUT"]);
    await locker.query("COMMIT");

    // the abandoned request rolls back and lets the key go (its row is deleted); a retry runs it
    const keyRows = async () => (await locker.query("SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1", [key])).rows[0].n;
    await waitFor(async () => (await keyRows()) === 0, 5000);
    const retry = await timed.gql(UPDATE_FOLLOWUPS, body, withKey(key, token));
    expect(replayed(retry)).toBeNull();
    ok(retry);
    expect(replayed(await timed.gql(UPDATE_FOLLOWUPS, body, withKey(key, token)))).toBe("true");
    const after = ok(await timed.gql(COUNTS, { id: lead.id }, { token })).lead;
    expect(after.followUpDetails).toHaveLength(1);
    expect(after.version).toBe(lead.version + 1);
  });
});
