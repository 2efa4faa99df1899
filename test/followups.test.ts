import { codes, newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";
import { ok } from "./support/operations";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const FIELDS = `id leadId status type callDate scheduledAt summary notes callId recordingUrl durationMs
  phoneNumber direction disconnectionReason isRetry createdOn lastUpdatedOn version`;

const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } } }`;
const CREATE = `mutation($input: CreateFollowupInput!) { createFollowup(input: $input) { followup { ${FIELDS} } warnings { code } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateFollowupInput!) { updateFollowup(id: $id, input: $input) { followup { ${FIELDS} } warnings { code } } }`;
const GET = `query($id: ID!) { followup(id: $id) { ${FIELDS} } }`;

/** The single error of a response: its code and field map. */
const failure = (res: GqlResponse) => {
  expect(res.body.errors).toHaveLength(1);
  const [e] = res.body.errors!;
  return { code: e.extensions?.code, fields: e.extensions?.fields ?? {}, message: e.message, path: e.path };
};

async function createLead(token: string, input: Record<string, unknown> = {}): Promise<string> {
  const data = ok(await t.gql(CREATE_LEAD, { input: { leadFor: "sku-1", ...input } }, { token }));
  return data.createLead.lead.id;
}

async function createFollowup(token: string, input: Record<string, unknown>) {
  const data = ok(await t.gql(CREATE, { input }, { token }));
  return data.createFollowup.followup;
}

const FULL = {
  status: "SCHEDULED",
  type: "MANUAL_CALL",
  callDate: "2024-03-01T10:15:30.123Z",
  scheduledAt: "2024-03-02T08:00:00.000Z",
  summary: "Talked about the offer",
  notes: "Customer asked to call back after payday.",
  callId: "call-8f2a",
  recordingUrl: "https://recordings.example.com/call-8f2a.mp3",
  durationMs: 93_500,
  phoneNumber: "+14155550123",
  direction: "OUTBOUND",
  disconnectionReason: "customer_hangup",
  isRetry: true,
};

describe("createFollowup", () => {
  it("needs only leadId and type; status defaults to ON_HOLD, isRetry to false, the rest to null", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const res = await t.gql(CREATE, { input: { leadId, type: "CALL" } }, { token });
    const { createFollowup: payload } = ok(res);
    expect(payload.warnings).toEqual([]);
    const f = payload.followup;
    expect(f.id).toMatch(/^fu_/);
    expect(f).toMatchObject({
      leadId,
      type: "CALL",
      status: "ON_HOLD",
      isRetry: false,
      callDate: null,
      scheduledAt: null,
      summary: null,
      notes: null,
      callId: null,
      recordingUrl: null,
      durationMs: null,
      phoneNumber: null,
      direction: null,
      disconnectionReason: null,
      version: 1,
    });
    expect(f.createdOn).toBe(f.lastUpdatedOn);
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toEqual(f);
  });

  it("stores and returns every GetBill field", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const f = await createFollowup(token, { leadId, ...FULL });
    expect(f).toMatchObject({ leadId, ...FULL, version: 1 });
    // read back from the database, not from the mutation's echo
    const read = ok(await t.gql(GET, { id: f.id }, { token })).followup;
    expect(read).toMatchObject({ leadId, ...FULL, version: 1 });
  });

  it.each([
    ["leadId", `mutation { createFollowup(input: { type: CALL }) { followup { id } } }`],
    ["type", `mutation { createFollowup(input: { leadId: "lead_x" }) { followup { id } } }`],
  ])("requires %s", async (_field, query) => {
    const res = await t.gql(query, {}, { token: t.token({ org: newOrg() }) });
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
  });

  it.each([
    ["type", (leadId: string) => ({ leadId })],
    ["leadId", () => ({ type: "CALL" })],
  ])("requires %s when the input is a variable (HTTP 400 BAD_USER_INPUT naming it)", async (field, input) => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const res = await t.gql(CREATE, { input: input(leadId) }, { token });
    expect(res.status).toBe(400);
    const e = failure(res);
    expect(e.code).toBe("BAD_USER_INPUT");
    // graphql-js reports a missing field at the object (`input`), naming the field in the message
    const [[path, messages]] = Object.entries(e.fields);
    expect(["input", `input.${field}`]).toContain(path);
    expect(messages.join(" ")).toContain(`"${field}"`);
    expect(ok(await t.gql(`{ followups { totalCount } }`, {}, { token })).followups.totalCount).toBe(0);
  });

  it("refuses an unknown lead and another org's lead alike, on input.leadId", async () => {
    const token = t.token({ org: newOrg() });
    const otherLead = await createLead(t.token({ org: newOrg() }));
    const unknown = failure(await t.gql(CREATE, { input: { leadId: "lead_doesnotexist0000000", type: "CALL" } }, { token }));
    const foreign = failure(await t.gql(CREATE, { input: { leadId: otherLead, type: "CALL" } }, { token }));
    expect(unknown.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(unknown.fields)).toEqual(["input.leadId"]);
    expect(foreign).toEqual(unknown);
    // and nothing was written in the other org
    const listed = ok(await t.gql(`{ followups { totalCount } }`, {}, { token }));
    expect(listed.followups.totalCount).toBe(0);
  });

  it.each(["ftp://x", "javascript:alert(1)", "not a url", "mailto:a@b.example", "http://"])(
    "refuses recordingUrl %j on input.recordingUrl",
    async (recordingUrl) => {
      const token = t.token({ org: newOrg() });
      const leadId = await createLead(token);
      const res = await t.gql(CREATE, { input: { leadId, type: "CALL", recordingUrl } }, { token });
      const e = failure(res);
      expect(e.code).toBe("BAD_USER_INPUT");
      expect(Object.keys(e.fields)).toEqual(["input.recordingUrl"]);
      expect(JSON.stringify(res.body)).not.toContain(recordingUrl);
    },
  );

  it("accepts http and https recording URLs", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    for (const recordingUrl of ["http://rec.example.com/a.wav", "https://rec.example.com/b.mp3?x=1"]) {
      const f = await createFollowup(token, { leadId, type: "CALL", recordingUrl });
      expect(f.recordingUrl).toBe(recordingUrl);
    }
  });

  it("refuses a negative durationMs on input.durationMs and accepts 0", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const e = failure(await t.gql(CREATE, { input: { leadId, type: "CALL", durationMs: -1 } }, { token }));
    expect(e.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(e.fields)).toEqual(["input.durationMs"]);
    const f = await createFollowup(token, { leadId, type: "CALL", durationMs: 0 });
    expect(f.durationMs).toBe(0);
  });

  it.each(["0123", "+0123", "+1 415 555", "+1234567890123456", "14155550123"])(
    "refuses phoneNumber %j on input.phoneNumber",
    async (phoneNumber) => {
      const token = t.token({ org: newOrg() });
      const leadId = await createLead(token);
      const e = failure(await t.gql(CREATE, { input: { leadId, type: "CALL", phoneNumber } }, { token }));
      expect(e.code).toBe("BAD_USER_INPUT");
      expect(Object.keys(e.fields)).toEqual(["input.phoneNumber"]);
    },
  );

  it("reports every offending field at once", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const e = failure(
      await t.gql(CREATE, { input: { leadId, type: "CALL", phoneNumber: "0123", durationMs: -5, recordingUrl: "ftp://x" } }, { token }),
    );
    expect(e.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(e.fields).sort()).toEqual(["input.durationMs", "input.phoneNumber", "input.recordingUrl"]);
  });

  it("stores dates given with an offset as the same instant", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const f = await createFollowup(token, { leadId, type: "CALL", callDate: "2024-03-01T12:15:30.123+02:00", scheduledAt: "2024-03-01T23:00:00-05:00" });
    expect(f).toMatchObject({ callDate: "2024-03-01T10:15:30.123Z", scheduledAt: "2024-03-02T04:00:00.000Z" });
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toMatchObject({ callDate: f.callDate, scheduledAt: f.scheduledAt });
  });

  it("refuses a DELETED lead with FAILED_PRECONDITION", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token, { status: "WON" });
    const reason = ok(await t.gql(`mutation { createLeadReason(reason: "duplicate") { id } }`, {}, { token })).createLeadReason.id;
    ok(
      await t.gql(
        `mutation($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { lead { status } } }`,
        { id: leadId, input: { status: "DELETED", reasonId: reason } },
        { token },
      ),
    );
    expect(failure(await t.gql(CREATE, { input: { leadId, type: "CALL" } }, { token })).code).toBe("FAILED_PRECONDITION");
    expect(ok(await t.gql(`{ followups { totalCount } }`, {}, { token })).followups.totalCount).toBe(0);
  });

  it("refuses a callDate that is not a date (HTTP 400) without echoing it", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const res = await t.gql(CREATE, { input: { leadId, type: "CALL", callDate: "not-a-date" } }, { token });
    expect(res.status).toBe(400);
    const e = failure(res);
    expect(e.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(e.fields)).toEqual(["input.callDate"]);
    expect(JSON.stringify(res.body)).not.toContain("not-a-date");
  });

  it("refuses an unknown enum value, as a variable and as a literal", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const asVar = await t.gql(CREATE, { input: { leadId, type: "CALL", status: "ARCHIVED" } }, { token });
    expect(asVar.status).toBe(400);
    expect(failure(asVar)).toMatchObject({ code: "BAD_USER_INPUT", fields: { "input.status": expect.any(Array) } });
    expect(JSON.stringify(asVar.body)).not.toContain("ARCHIVED");

    const dirVar = await t.gql(CREATE, { input: { leadId, type: "CALL", direction: "SIDEWAYS" } }, { token });
    expect(failure(dirVar)).toMatchObject({ code: "BAD_USER_INPUT", fields: { "input.direction": expect.any(Array) } });

    const literal = await t.gql(`mutation { createFollowup(input: { leadId: "${leadId}", type: FAX }) { followup { id } } }`, {}, { token });
    expect(literal.status).toBe(400);
    expect(codes(literal)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(ok(await t.gql(`{ followups { totalCount } }`, {}, { token })).followups.totalCount).toBe(0);
  });

  it("needs followups:write", async () => {
    const org = newOrg();
    const leadId = await createLead(t.token({ org }));
    const readOnly = t.token({ org, scopes: ["leads:read", "leads:write", "followups:read"] });
    const res = await t.gql(CREATE, { input: { leadId, type: "CALL" } }, { token: readOnly });
    expect(codes(res)).toEqual(["FORBIDDEN"]);
    expect(res.body.data).toBeNull();
    expect(ok(await t.gql(`{ followups { totalCount } }`, {}, { token: t.token({ org }) })).followups.totalCount).toBe(0);
  });
});

describe("updateFollowup", () => {
  async function setup() {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const f = await createFollowup(token, { leadId, ...FULL });
    return { token, leadId, f };
  }

  it("changes only the fields given and keeps the others", async () => {
    const { token, leadId, f } = await setup();
    const res = ok(await t.gql(UPDATE, { id: f.id, input: { status: "DEAL_FOUND", summary: "Agreed to pay" } }, { token }));
    const u = res.updateFollowup.followup;
    expect(res.updateFollowup.warnings).toEqual([]);
    expect(u).toMatchObject({ ...FULL, leadId, status: "DEAL_FOUND", summary: "Agreed to pay", version: 2 });
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toEqual(u);
  });

  it("updates every field", async () => {
    const { token, f } = await setup();
    const input = {
      status: "NO_ANSWER",
      type: "SMS",
      callDate: "2025-01-02T03:04:05.006Z",
      scheduledAt: "2025-01-03T00:00:00.000Z",
      summary: "s2",
      notes: "n2",
      callId: "call-2",
      recordingUrl: "http://rec.example.org/2",
      durationMs: 0,
      phoneNumber: "+442071838750",
      direction: "INBOUND",
      disconnectionReason: "timeout",
      isRetry: false,
    };
    const u = ok(await t.gql(UPDATE, { id: f.id, input }, { token })).updateFollowup.followup;
    expect(u).toMatchObject(input);
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toMatchObject(input);
  });

  it("clears an optional field given null", async () => {
    const { token, f } = await setup();
    const input = { summary: null, notes: null, callDate: null, recordingUrl: null, durationMs: null, phoneNumber: null, direction: null };
    const u = ok(await t.gql(UPDATE, { id: f.id, input }, { token })).updateFollowup.followup;
    expect(u).toMatchObject(input);
    expect(u).toMatchObject({ callId: FULL.callId, scheduledAt: FULL.scheduledAt, status: FULL.status });
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toMatchObject(input);
  });

  it.each(["status", "type", "isRetry"])("refuses %s: null (it is not optional) and changes nothing", async (field) => {
    const { token, f } = await setup();
    const e = failure(await t.gql(UPDATE, { id: f.id, input: { [field]: null } }, { token }));
    expect(e.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(e.fields)).toEqual([`input.${field}`]);
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toEqual(f);
  });

  it("validates fields on update as on create", async () => {
    const { token, f } = await setup();
    const e = failure(
      await t.gql(UPDATE, { id: f.id, input: { recordingUrl: "javascript:alert(1)", durationMs: -1, phoneNumber: "+0123" } }, { token }),
    );
    expect(e.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(e.fields).sort()).toEqual(["input.durationMs", "input.phoneNumber", "input.recordingUrl"]);
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toEqual(f);
  });

  it("refuses leadId (not a field of UpdateFollowupInput) and keeps the lead", async () => {
    const { token, leadId, f } = await setup();
    const otherLead = await createLead(token);
    const res = await t.gql(UPDATE, { id: f.id, input: { leadId: otherLead, summary: "moved" } }, { token });
    expect(res.status).toBe(400);
    expect(failure(res).code).toBe("BAD_USER_INPUT");
    const literal = await t.gql(`mutation { updateFollowup(id: "${f.id}", input: { leadId: "${otherLead}" }) { followup { id } } }`, {}, { token });
    expect(literal.status).toBe(400);
    expect(codes(literal)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    const read = ok(await t.gql(`query($id: ID!) { followup(id: $id) { leadId summary version lead { id } } }`, { id: f.id }, { token }));
    expect(read.followup).toEqual({ leadId, summary: FULL.summary, version: 1, lead: { id: leadId } });
  });

  it("bumps version and moves lastUpdatedOn on every write", async () => {
    const { token, f } = await setup();
    const u1 = ok(await t.gql(UPDATE, { id: f.id, input: { notes: "one" } }, { token })).updateFollowup.followup;
    const u2 = ok(await t.gql(UPDATE, { id: f.id, input: { notes: "two" } }, { token })).updateFollowup.followup;
    expect([u1.version, u2.version]).toEqual([2, 3]);
    expect(u1.createdOn).toBe(f.createdOn);
    expect(Date.parse(u1.lastUpdatedOn)).toBeGreaterThanOrEqual(Date.parse(f.lastUpdatedOn));
    expect(Date.parse(u2.lastUpdatedOn)).toBeGreaterThanOrEqual(Date.parse(u1.lastUpdatedOn));
    // two round trips with writes lie between creation and the second update
    expect(Date.parse(u2.lastUpdatedOn)).toBeGreaterThan(Date.parse(f.lastUpdatedOn));
    const read = ok(await t.gql(GET, { id: f.id }, { token })).followup;
    expect(read).toMatchObject({ version: 3, notes: "two", lastUpdatedOn: u2.lastUpdatedOn, createdOn: f.createdOn });
  });

  it("applies the change when expectedVersion matches, and is CONFLICT without change when it does not", async () => {
    const { token, f } = await setup();
    const u = ok(await t.gql(UPDATE, { id: f.id, input: { notes: "v1", expectedVersion: 1 } }, { token })).updateFollowup.followup;
    expect(u).toMatchObject({ notes: "v1", version: 2 });
    const e = failure(await t.gql(UPDATE, { id: f.id, input: { notes: "stale", expectedVersion: 1 } }, { token }));
    expect(e.code).toBe("CONFLICT");
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toEqual(u);
  });

  it("serializes concurrent writes: with one expectedVersion exactly one wins, without it both apply", async () => {
    const { token, f } = await setup();
    const raced = await Promise.all(
      ["a", "b", "c"].map((notes) => t.gql(UPDATE, { id: f.id, input: { notes, expectedVersion: 1 } }, { token })),
    );
    const winners = raced.filter((r) => !r.body.errors);
    expect(winners).toHaveLength(1);
    expect(raced.flatMap((r) => codes(r)).sort()).toEqual(["CONFLICT", "CONFLICT"]);
    const won = winners[0].body.data.updateFollowup.followup;
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toMatchObject({ notes: won.notes, version: 2 });

    const both = await Promise.all(
      [{ summary: "x" }, { callId: "y" }].map((input) => t.gql(UPDATE, { id: f.id, input }, { token })),
    );
    expect(both.map((r) => r.body.errors)).toEqual([undefined, undefined]);
    expect(both.map((r) => r.body.data.updateFollowup.followup.version).sort()).toEqual([3, 4]);
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toMatchObject({ summary: "x", callId: "y", notes: won.notes, version: 4 });
  });

  it("stamps lastUpdatedOn in version order under concurrent writes", async () => {
    const { token, f } = await setup();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => t.gql(UPDATE, { id: f.id, input: { notes: `n${i}` } }, { token })),
    );
    const written = results.map((r) => ok(r).updateFollowup.followup).sort((a, b) => a.version - b.version);
    expect(written.map((w) => w.version)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
    for (let i = 1; i < written.length; i++)
      expect(Date.parse(written[i].lastUpdatedOn)).toBeGreaterThanOrEqual(Date.parse(written[i - 1].lastUpdatedOn));
    const last = written[written.length - 1];
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toMatchObject({ version: 13, notes: last.notes, lastUpdatedOn: last.lastUpdatedOn });
  });

  it("is NOT_FOUND, with one message, for an unknown id and for another org's", async () => {
    const { token, f } = await setup();
    const other = t.token({ org: newOrg() });
    const unknown = failure(await t.gql(UPDATE, { id: "fu_doesnotexist000000000", input: { notes: "x" } }, { token: other }));
    const foreign = failure(await t.gql(UPDATE, { id: f.id, input: { notes: "x" } }, { token: other }));
    expect(unknown.code).toBe("NOT_FOUND");
    expect(foreign).toEqual(unknown);
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toEqual(f);
  });

  it("refuses an input with nothing to change", async () => {
    const { token, f } = await setup();
    for (const input of [{}, { expectedVersion: 1 }]) {
      const e = failure(await t.gql(UPDATE, { id: f.id, input }, { token }));
      expect(e.code).toBe("BAD_USER_INPUT");
    }
    expect(ok(await t.gql(GET, { id: f.id }, { token })).followup).toEqual(f);
  });

  it("needs followups:write", async () => {
    const { f } = await setup();
    const org = newOrg();
    const res = await t.gql(UPDATE, { id: f.id, input: { notes: "x" } }, { token: t.token({ org, scopes: ["followups:read"] }) });
    expect(codes(res)).toEqual(["FORBIDDEN"]);
  });
});

describe("reading followups", () => {
  it("Followup.lead resolves the lead, and followup(id) is null for another org's id", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token, { leadFor: "brand-x", type: "BRAND" });
    const f = await createFollowup(token, { leadId, type: "EMAIL" });
    const res = ok(await t.gql(`query($id: ID!) { followup(id: $id) { id lead { id leadFor type } } }`, { id: f.id }, { token }));
    expect(res.followup).toEqual({ id: f.id, lead: { id: leadId, leadFor: "brand-x", type: "BRAND" } });

    const other = t.token({ org: newOrg() });
    const foreign = await t.gql(GET, { id: f.id }, { token: other });
    expect(ok(foreign).followup).toBeNull();
    const unknown = await t.gql(GET, { id: "fu_doesnotexist000000000" }, { token: other });
    expect(ok(unknown).followup).toBeNull();
    const node = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: f.id }, { token: other });
    expect(ok(node).node).toBeNull();
    const own = await t.gql(`query($id: ID!) { node(id: $id) { id ... on Followup { leadId type } } }`, { id: f.id }, { token });
    expect(ok(own).node).toEqual({ id: f.id, leadId, type: "EMAIL" });
  });

  it("Lead.followups lists the lead's followups newest first and filters by status", async () => {
    const token = t.token({ org: newOrg() });
    const leadId = await createLead(token);
    const otherLead = await createLead(token);
    const a = await createFollowup(token, { leadId, type: "CALL", status: "SCHEDULED" });
    const b = await createFollowup(token, { leadId, type: "SMS", status: "SENT" });
    const c = await createFollowup(token, { leadId, type: "EMAIL", status: "SCHEDULED" });
    const d = await createFollowup(token, { leadId, type: "CALL" });
    await createFollowup(token, { leadId: otherLead, type: "CALL", status: "SCHEDULED" });

    const q = `query($id: ID!, $s: [FollowupStatus!], $t: [FollowupStatus!]) { lead(id: $id) {
      all: followups { id leadId }
      scheduled: followups(status: $s) { id status }
      two: followups(status: $t) { id }
    } }`;
    const lead = ok(await t.gql(q, { id: leadId, s: ["SCHEDULED"], t: ["SENT", "ON_HOLD"] }, { token })).lead;
    expect(lead.all.map((f: any) => f.id)).toEqual([d.id, c.id, b.id, a.id]);
    expect(lead.all.every((f: any) => f.leadId === leadId)).toBe(true);
    expect(lead.scheduled).toEqual([
      { id: c.id, status: "SCHEDULED" },
      { id: a.id, status: "SCHEDULED" },
    ]);
    expect(lead.two.map((f: any) => f.id)).toEqual([d.id, b.id]);

    // a status change reorders nothing but moves the followup between filters
    ok(await t.gql(UPDATE, { id: a.id, input: { status: "SENT" } }, { token }));
    const after = ok(await t.gql(q, { id: leadId, s: ["SCHEDULED"], t: ["SENT"] }, { token })).lead;
    expect(after.scheduled.map((f: any) => f.id)).toEqual([c.id]);
    expect(after.two.map((f: any) => f.id)).toEqual([b.id, a.id]);
  });

  it("Lead.followups is null with FORBIDDEN at its path without followups:read; the rest of the lead is returned", async () => {
    const org = newOrg();
    const full = t.token({ org });
    const leadId = await createLead(full, { leadFor: "sku-9" });
    await createFollowup(full, { leadId, type: "CALL" });
    const leadsOnly = t.token({ org, scopes: ["leads:read"] });
    const res = await t.gql(`query($id: ID!) { lead(id: $id) { id leadFor followups { id } } }`, { id: leadId }, { token: leadsOnly });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ lead: { id: leadId, leadFor: "sku-9", followups: null } });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions?.code).toBe("FORBIDDEN");
    expect(res.body.errors![0].path).toEqual(["lead", "followups"]);

    const list = await t.gql(`{ leads { edges { node { id followups { id } } } } }`, {}, { token: leadsOnly });
    expect(list.body.data).toEqual({ leads: { edges: [{ node: { id: leadId, followups: null } }] } });
    expect(codes(list)).toEqual(["FORBIDDEN"]);
    expect(list.body.errors![0].path).toEqual(["leads", "edges", 0, "node", "followups"]);

    // with the scope the same query has no error
    const allowed = ok(await t.gql(`query($id: ID!) { lead(id: $id) { followups { type } } }`, { id: leadId }, { token: full }));
    expect(allowed.lead.followups).toEqual([{ type: "CALL" }]);
  });

  it("followup and followups need followups:read", async () => {
    const org = newOrg();
    const full = t.token({ org });
    const leadId = await createLead(full);
    const f = await createFollowup(full, { leadId, type: "CALL" });
    const noRead = t.token({ org, scopes: ["leads:read", "leads:write", "followups:write"] });
    const one = await t.gql(GET, { id: f.id }, { token: noRead });
    expect(codes(one)).toEqual(["FORBIDDEN"]);
    expect(one.body.data?.followup ?? null).toBeNull();
    const many = await t.gql(`{ followups { totalCount } }`, {}, { token: noRead });
    expect(codes(many)).toEqual(["FORBIDDEN"]);
    const none = await t.gql(GET, { id: f.id }, { token: null });
    expect(codes(none)).toEqual(["UNAUTHENTICATED"]);
    expect(ok(await t.gql(GET, { id: f.id }, { token: t.token({ org, scopes: ["followups:read"] }) })).followup.id).toBe(f.id);
  });
});
