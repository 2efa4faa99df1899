import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";
import { startPgProxy } from "./support/pg-proxy";
import { ADMIN_DATABASE_URL, createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith } from "./support/services";
import { CREATE_LEAD } from "./support/operations";

/**
 * Database faults in the middle of a load (issue 3, "Proof"). PostgreSQL by nature, so it runs on
 * the local PostgreSQL in both suite modes, in a scratch database of its own that the app migrates.
 *
 * Several workers write follow-ups and status changes without pause while (1) the server's
 * connections are killed with pg_terminate_backend, several times, and (2) the database is made
 * unreachable for a while through a TCP proxy. Requests in flight may fail, with
 * INTERNAL_SERVER_ERROR and nothing else, or succeed; none may leave a partial write; /readyz
 * follows the database; the server recovers by itself. Half of the follow-ups carry an
 * Idempotency-Key and are retried after the faults until they get an answer: each is applied
 * exactly once.
 */

const ADMIN_URL = ADMIN_DATABASE_URL;

const WORKERS = 8;
const LEADS = 4;
const TERMINATIONS = 3;

const CREATE_REASON = `mutation ($reason: String!) { createLeadReason(reason: $reason) { id } }`;
const UPDATE_FOLLOWUPS = `mutation ($id: ID!, $input: UpdateLeadFollowupsInput!) { updateLeadFollowups(id: $id, input: $input) { lead { id version } } }`;
const UPDATE_STATUS = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { lead { id version status } } }`;
const GET_LEAD = `query ($id: ID!) { lead(id: $id) {
  id version status followUpDetails { id notes } statusLogDetails { status previousStatus }
} }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Outcome = "ok" | "internal" | "refused";

/** What a mutation's response says; anything but these three fails the test. */
function outcomeOf(res: GqlResponse, field: string): Outcome {
  if (res.status === 200 && !res.body.errors && res.body.data?.[field]) return "ok";
  const errors = res.body.errors ?? [];
  expect(errors).toHaveLength(1);
  const [error] = errors;
  if (error.extensions?.code === "FAILED_PRECONDITION" && field === "updateLeadStatus") return "refused"; // a duplicate status
  // INTERNAL_SERVER_ERROR and nothing else: no SQL, no driver message, no stack.
  expect([200, 500]).toContain(res.status);
  expect(error.message).toBe("Internal server error");
  expect(error.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
  expect(Object.keys(error).filter((k) => !["message", "extensions", "locations", "path"].includes(k))).toEqual([]);
  return "internal";
}

describeWith("PostgreSQL")("database faults under load (PostgreSQL)", () => {
  let scratch: ScratchDatabase;
  let admin: Client;
  let proxy: Awaited<ReturnType<typeof startPgProxy>>;
  let t: TestApp;

  beforeAll(async () => {
    scratch = await createScratchDatabase("faults", { migrate: false }); // the app migrates it
    admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const target = new URL(ADMIN_URL);
    proxy = await startPgProxy(target);
    const viaProxy = new URL(ADMIN_URL);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.pathname = `/${scratch.name}`;
    t = await startTestApp({ databaseUrl: viaProxy.toString(), migrationsRun: true, dbPoolSize: 5 });
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.cut();
    await admin?.end();
    await scratch?.drop();
  });

  it("in-flight requests fail cleanly or succeed, never half; /readyz follows the database; the server recovers by itself", async () => {
    const token = t.token({ org: newOrg("faults") });
    const reasonId = (await t.gql(CREATE_REASON, { reason: "Load" }, { token })).body.data.createLeadReason.id;
    const leads: string[] = [];
    for (let i = 0; i < LEADS; i++) leads.push((await t.gql(CREATE_LEAD, { input: { leadFor: `SKU-${i}` } }, { token })).body.data.createLead.lead.id);

    const tally = { sent: 0, ok: 0, internal: 0, refused: 0, replayed: 0 };
    const perLead = new Map(leads.map((id) => [id, { followups: 0, statuses: 0 }]));
    /** Keyed follow-ups: key → its request and whether it is known to be applied. */
    const keyed = new Map<string, { id: string; input: Record<string, unknown>; applied: boolean }>();

    const send = async (query: string, variables: Record<string, unknown>, field: string, key?: string) => {
      tally.sent++;
      const res = await t.gql(query, variables, key ? { token, headers: { "idempotency-key": key } } : { token });
      const outcome = outcomeOf(res, field);
      tally[outcome]++;
      if (res.headers.get("idempotent-replayed") === "true") tally.replayed++;
      return outcome;
    };

    let stop = false;
    let gate: Promise<void> = Promise.resolve();
    let inFlight = 0;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        await gate;
        if (stop) break;
        const id = leads[(n + w) % LEADS];
        const i = n++;
        inFlight++;
        try {
          if (i % 2 === 0) {
            const input = { followedUpOn: new Date(Date.UTC(2030, 0, 1) + i * 1000).toISOString(), notes: `w${w}-${i}` };
            const key = i % 4 === 0 ? randomUUID() : undefined;
            if (key) keyed.set(key, { id, input, applied: false });
            const outcome = await send(UPDATE_FOLLOWUPS, { id, input }, "updateLeadFollowups", key);
            if (outcome === "ok" && key) keyed.get(key)!.applied = true;
            else if (outcome === "ok") perLead.get(id)!.followups++;
          } else {
            const status = i % 3 === 0 ? "ON_HOLD" : "OPEN";
            if ((await send(UPDATE_STATUS, { id, input: { status, reasonId } }, "updateLeadStatus")) === "ok") perLead.get(id)!.statuses++;
          }
        } finally {
          inFlight--;
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

    // 1. Kill the server's connections in the middle of the load, several times: at least
    //    TERMINATIONS, and more (up to 10) until a request in flight was hit.
    const terminated: number[] = [];
    for (let attempt = 0; attempt < 30 && (terminated.length < TERMINATIONS || (tally.internal === 0 && terminated.length < 10)); attempt++) {
      await sleep(400);
      // Right after a round the pool may hold no connection yet: such a round does not count.
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
          WHERE datname = $1 AND application_name = 'leads-gateway' AND pid <> pg_backend_pid()`,
        [scratch.name],
      );
      const n = rows.filter((r) => r.done).length;
      if (n > 0) terminated.push(n);
    }
    expect(terminated.length).toBeGreaterThanOrEqual(TERMINATIONS);
    await sleep(400);
    const failedByTerminations = tally.internal;

    // 2. Make the database unreachable for a while. The load is paused around the cut, so that no
    //    COMMIT is in the proxy's hands when it drops the line (its outcome could not be known).
    let resume!: () => void;
    gate = new Promise<void>((r) => (resume = r));
    while (inFlight > 0) await sleep(5);
    await proxy.cut();
    resume();
    const down = await fetch(`${t.origin}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: "unavailable", reason: "database unreachable" });
    await sleep(800);
    expect((await fetch(`${t.origin}/healthz`)).status).toBe(200); // the process stays up
    const internalDuringOutage = tally.internal - failedByTerminations;

    gate = new Promise<void>((r) => (resume = r));
    while (inFlight > 0) await sleep(5);
    await proxy.restore();
    resume();
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await fetch(`${t.origin}/readyz`)).status;
      if (ready !== 200) await sleep(100);
    }
    expect(ready).toBe(200);
    const okBeforeRecovery = tally.ok;
    await sleep(600);
    stop = true;
    await Promise.all(workers);
    expect(tally.ok).toBeGreaterThan(okBeforeRecovery); // writes succeed again, without a restart

    // 3. Retry every keyed follow-up with its key until it has an answer: applied exactly once.
    for (const [key, op] of keyed) {
      for (let attempt = 0; attempt < 20; attempt++) {
        tally.sent++;
        const res = await t.gql(UPDATE_FOLLOWUPS, { id: op.id, input: op.input }, { token, headers: { "idempotency-key": key } });
        if (res.headers.get("idempotent-replayed") === "true") tally.replayed++;
        if (res.status === 409 && /was applied/.test(res.body.errors?.[0]?.message ?? "")) {
          op.applied = true; // committed, its response lost with the connection
          break;
        }
        const outcome = outcomeOf(res, "updateLeadFollowups");
        tally[outcome]++;
        if (outcome === "ok") {
          op.applied = true;
          break;
        }
        await sleep(100);
      }
      expect(op.applied).toBe(true);
      perLead.get(op.id)!.followups++;
    }

    // 4. No partial write: every lead holds exactly what the successful responses say. (A killed
    //    backend never leaves a COMMIT's outcome unknown: PostgreSQL holds the kill off while it
    //    commits and answers the COMMIT first.)
    for (const id of leads) {
      const lead = (await t.gql(GET_LEAD, { id }, { token })).body.data.lead;
      const expected = perLead.get(id)!;
      expect(lead.followUpDetails).toHaveLength(expected.followups);
      expect(lead.statusLogDetails).toHaveLength(1 + expected.statuses);
      expect(lead.version).toBe(1 + expected.followups + expected.statuses);
      const log = lead.statusLogDetails as Array<{ status: string; previousStatus: string | null }>;
      for (let i = 1; i < log.length; i++) expect(log[i].previousStatus).toBe(log[i - 1].status);
      expect(lead.status).toBe(log[log.length - 1].status);
    }

    expect(failedByTerminations).toBeGreaterThan(0);
    expect(internalDuringOutage).toBeGreaterThan(0);
    process.stdout.write(
      `db-faults: ${tally.sent} requests sent, ${tally.ok} succeeded (${tally.replayed} of them replays), ` +
        `${tally.internal} failed with INTERNAL_SERVER_ERROR (${failedByTerminations} by ${terminated.length} terminations ` +
        `of ${terminated.join("/")} connections, ${internalDuringOutage} during the outage), ${tally.refused} refused as duplicates; ` +
        `${keyed.size} keyed follow-ups each applied once; faults survived: ${terminated.length + 1}\n`,
    );
  }, 120_000);
});
