import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_LEAD, CREATE_REASON, LEAD_SCALARS, ok } from "./support/operations";
import { createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { available } from "./support/services";
import { waitFor } from "./support/wait";

/** API.md "Follow-up timers", black box: the lead through `lead`, the timers' writes through the `events` feed. */

const POLL_SECONDS = 0.05;
const HOUR = 3_600_000;
const DUE_EVENTS = `query ($leadId: ID, $after: String) {
  events(leadId: $leadId, after: $after, types: [LEAD_FOLLOW_UP_DUE], first: 100) {
    edges { node { type actor leadId occurredOn changedFields data } }
  }
}`;
const LEAD = `query ($id: ID!) { lead(id: $id) { ${LEAD_SCALARS} } }`;
const UPDATE_LEAD = `mutation ($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) { lead { ${LEAD_SCALARS} } } }`;
const RECORD = `mutation ($id: ID!, $input: UpdateLeadFollowupsInput!) { updateLeadFollowups(id: $id, input: $input) { lead { ${LEAD_SCALARS} } } }`;
const STATUS = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { lead { status version } } }`;

/** Three steps of about a second each (0.0003 h = 1.08 s). */
const SCHEDULE = [
  { step: 1, hours: 0.0003, channel: "CALL", voicemailEnabled: true },
  { step: 2, hours: 0.0004, channel: "EMAIL", strategyIds: ["auto"] },
  { step: 3, hours: 0.0002, channel: "TEXT", strategyIds: ["s-1", "s-2"] },
];

/** Where the timers run: one app, or two racing on one database; `t` takes the requests. */
interface Setup {
  t: TestApp;
  apps: TestApp[];
  close(): Promise<void>;
}

const embedded = async (): Promise<Setup> => {
  // The embedded database whatever the suite's mode: running timers must not touch other files' rows.
  const t = await startTestApp({ databaseUrl: undefined, dataDir: "memory", migrationsRun: true, timerPollSeconds: POLL_SECONDS });
  return { t, apps: [t], close: () => t.close() };
};

const twoInstancesOnPostgres = async (): Promise<Setup> => {
  const scratch: ScratchDatabase = await createScratchDatabase("timers");
  const start = () => startTestApp({ databaseUrl: scratch.url, migrationsRun: false, timerPollSeconds: 0.02 });
  const apps = await Promise.all([start(), start()]);
  return {
    t: apps[0],
    apps,
    async close() {
      await Promise.all(apps.map((a) => a.close()));
      await scratch.drop();
    },
  };
};

const setups: Array<[string, () => Promise<Setup>]> = [["one instance on the embedded database", embedded]];
if (available("PostgreSQL")) setups.push(["two instances racing on one PostgreSQL database", twoInstancesOnPostgres]);
else process.stdout.write(`skipped the two-instance timers tests: no PostgreSQL\n`);

describe.each(setups)("follow-up timers, %s", (_name, setUp) => {
  let s: Setup;
  let token: string;
  let reason: string;
  beforeAll(async () => {
    s = await setUp();
    token = s.t.token({ org: newOrg("timers"), sub: "alice" });
    reason = ok(await s.t.gql(CREATE_REASON, { reason: "Done" }, { token })).createLeadReason.id;
  }, 60_000);
  afterAll(() => s?.close());

  const gql = (query: string, variables: Record<string, unknown>) => s.t.gql(query, variables, { token });
  const lead = async (id: string) => ok(await gql(LEAD, { id })).lead;
  const createLead = async (input: Record<string, unknown> = {}) =>
    ok(await gql(CREATE_LEAD, { input: { leadFor: "SKU-1", ...input } })).createLead.lead.id as string;
  const dueEvents = async (leadId: string) => ok(await gql(DUE_EVENTS, { leadId })).events.edges.map((e: any) => e.node);
  const iso = (ms: number) => new Date(ms).toISOString();

  /**
   * Lets the runners go past the moment of interest: a fresh timer, already due, has fired (so a
   * claim ran after everything before it), and a few more polls have passed for the other instance.
   */
  async function afterLaterPolls() {
    const probe = await createLead({ nextFollowUp: iso(Date.now() - 1000) });
    await waitFor(async () => (await dueEvents(probe)).length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 5 * POLL_SECONDS * 1000));
  }

  it("runs a schedule of 3 steps to COMPLETED with one LEAD_FOLLOW_UP_DUE per step, each a write by system", async () => {
    const ids = await Promise.all([1, 2, 3].map(() => createLead({ useStrategiesForFollowUps: true })));
    const started = await Promise.all(
      ids.map(async (id) => ok(await gql(UPDATE_LEAD, { id, input: { followUpConfig: SCHEDULE } })).updateLead.lead),
    );
    for (const l of started) expect(l).toMatchObject({ followUpStep: 1, followUpState: "SCHEDULED", version: 2 });

    for (const id of ids) await waitFor(async () => (await lead(id)).followUpState === "COMPLETED", 20_000);
    await afterLaterPolls();

    for (const [i, id] of ids.entries()) {
      const events = await dueEvents(id);
      expect(events.map((e: any) => e.data.step)).toEqual([1, 2, 3]);
      // Each step due its hours after the one before it fell due: nextFollowUp = dueOn + hours(k+1).
      let dueOn = Date.parse(started[i].nextFollowUp);
      events.forEach((e: any, k: number) => {
        if (k > 0) dueOn = new Date(dueOn + SCHEDULE[k].hours * HOUR).getTime();
        const step = SCHEDULE[k];
        expect(e).toMatchObject({ type: "LEAD_FOLLOW_UP_DUE", actor: "system", leadId: id });
        expect(e.data).toEqual({
          step: step.step,
          channel: step.channel,
          voicemailEnabled: step.voicemailEnabled ?? false,
          strategyIds: step.strategyIds ?? null,
          dueOn: iso(dueOn),
        });
        expect(Date.parse(e.occurredOn)).toBeGreaterThanOrEqual(dueOn);
        expect([...e.changedFields].sort()).toEqual(k < 2 ? ["followUpStep", "nextFollowUp"] : ["followUpState", "nextFollowUp"]);
      });
      expect(await lead(id)).toMatchObject({
        followUpStep: 3,
        followUpState: "COMPLETED",
        nextFollowUp: null,
        version: started[i].version + 3,
        lastUpdatedBy: "system",
      });
    }
  }, 60_000);

  it("fires a timer without a schedule once, with nulls, and clears it", async () => {
    const soon = await createLead({ nextFollowUp: iso(Date.now() + 500) });
    const recorded = await createLead();
    const past = Date.now() - 60_000;
    const before = ok(await gql(RECORD, { id: recorded, input: { followedUpOn: iso(past - 1000), nextFollowUp: iso(past) } })).updateLeadFollowups.lead;
    expect(before).toMatchObject({ nextFollowUp: iso(past), version: 2 });

    for (const id of [soon, recorded]) await waitFor(async () => (await dueEvents(id)).length > 0, 10_000);
    await afterLaterPolls();

    for (const [id, version] of [[soon, 1], [recorded, 2]] as const) {
      const events = await dueEvents(id);
      expect(events).toHaveLength(1);
      expect(events[0].actor).toBe("system");
      expect(events[0].data).toEqual({ step: null, channel: null, voicemailEnabled: null, strategyIds: null, dueOn: expect.any(String) });
      expect(await lead(id)).toMatchObject({ nextFollowUp: null, followUpStep: null, followUpState: "NONE", version: version + 1, lastUpdatedBy: "system" });
    }
    expect((await dueEvents(recorded))[0].data.dueOn).toBe(iso(past));
  }, 60_000);

  it("fires nothing for a closed lead (WON, LOST, DELETED), and STOPPED / LONG_TERM have no timer", async () => {
    const past = iso(Date.now() - 5000);
    const won = await createLead({ status: "WON", nextFollowUp: past });
    const lost = await createLead({ status: "LOST", nextFollowUp: past });
    const deleted = await createLead({ status: "LOST", nextFollowUp: past });
    ok(await gql(STATUS, { id: deleted, input: { status: "DELETED", reasonId: reason } }));
    const stopped = await createLead({ followUpConfig: SCHEDULE, followUpStep: -1 });
    const longTerm = await createLead();
    ok(await gql(UPDATE_LEAD, { id: longTerm, input: { followUpConfig: SCHEDULE } }));
    const parked = ok(await gql(UPDATE_LEAD, { id: longTerm, input: { followUpStep: -2 } })).updateLead.lead;
    expect(parked).toMatchObject({ followUpState: "LONG_TERM", nextFollowUp: null });
    expect(await lead(stopped)).toMatchObject({ followUpState: "STOPPED", nextFollowUp: null });
    const versions = await Promise.all([won, lost, deleted, stopped, longTerm].map(async (id) => (await lead(id)).version));

    await afterLaterPolls();
    for (const [i, id] of [won, lost, deleted, stopped, longTerm].entries()) {
      expect(await dueEvents(id)).toEqual([]);
      expect((await lead(id)).version).toBe(versions[i]);
    }
    expect(await lead(won)).toMatchObject({ nextFollowUp: past, lastUpdatedBy: "alice" });
  }, 60_000);
});

describe("a timer that passed while no instance ran", () => {
  let dir: string;
  const apps: TestApp[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "timers-"));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  // The embedded database in a directory, closed and opened again; polling far apart, so only the start can fire it.
  const start = async () => {
    const t = await startTestApp({ databaseUrl: undefined, dataDir: dir, migrationsRun: true, timerPollSeconds: 3600 });
    apps.push(t);
    return t;
  };

  it("fires at the next start", async () => {
    const org = newOrg("restart");
    const first = await start();
    const token = first.token({ org });
    const dueOn = Date.now() + 1500;
    const id = ok(await first.gql(CREATE_LEAD, { input: { leadFor: "x", nextFollowUp: new Date(dueOn).toISOString() } }, { token })).createLead.lead.id;
    await first.close();
    await waitFor(() => Date.now() > dueOn + 100, 5000);

    const second = await start();
    const events = async () => ok(await second.gql(DUE_EVENTS, { leadId: id }, { token })).events.edges.map((e: any) => e.node);
    await waitFor(async () => (await events()).length > 0, 10_000);
    const [event] = await events();
    expect(event).toMatchObject({ actor: "system", data: { step: null, dueOn: new Date(dueOn).toISOString() } });
    expect(Date.parse(event.occurredOn)).toBeGreaterThan(dueOn);
    const lead = ok(await second.gql(LEAD, { id }, { token })).lead;
    expect(lead).toMatchObject({ nextFollowUp: null, version: 2, lastUpdatedBy: "system" });
  }, 60_000);
});
