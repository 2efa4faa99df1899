import { newOrg, startTestApp, type GqlResponse, type TestApp } from "./support/app";
import { ok } from "./support/operations";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** The single error of a response: its code and field map. */
const failure = (res: GqlResponse) => {
  expect(res.body.data?.leads ?? res.body.data?.followups ?? null).toBeNull();
  expect(res.body.errors).toHaveLength(1);
  const [e] = res.body.errors!;
  return { code: e.extensions?.code, fields: e.extensions?.fields ?? {}, message: e.message };
};

interface LeadRow {
  id: string;
  status: string;
  createdOn: string;
  lastUpdatedOn: string;
  nextFollowUp: string | null;
}

const LEADS = `query($filter: LeadFilter, $orderBy: LeadOrder, $first: Int, $after: String) {
  leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { id status createdOn lastUpdatedOn nextFollowUp } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}`;

const FOLLOWUPS = `query($filter: FollowupFilter, $first: Int, $after: String) {
  followups(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id leadId status type scheduledAt createdOn } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}`;

async function createLead(token: string, input: Record<string, unknown> = {}): Promise<LeadRow & Record<string, any>> {
  const data = ok(
    await t.gql(
      `mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id status createdOn lastUpdatedOn nextFollowUp } } }`,
      { input: { leadFor: "sku-1", ...input } },
      { token },
    ),
  );
  return data.createLead.lead;
}

async function updateOwner(token: string, id: string, owner: string): Promise<LeadRow> {
  const data = ok(
    await t.gql(
      `mutation($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) { lead { id status createdOn lastUpdatedOn nextFollowUp } } }`,
      { id, input: { owner } },
      { token },
    ),
  );
  return data.updateLead.lead;
}

/** A WON lead moved to DELETED. */
async function createDeletedLead(token: string, input: Record<string, unknown> = {}): Promise<string> {
  const lead = await createLead(token, { ...input, status: "WON" });
  const reason = ok(
    await t.gql(`mutation($reason: String!) { createLeadReason(reason: $reason) { id } }`, { reason: `gone ${lead.id}` }, { token }),
  );
  ok(
    await t.gql(
      `mutation($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) { lead { status } } }`,
      { id: lead.id, input: { status: "DELETED", reasonId: reason.createLeadReason.id } },
      { token },
    ),
  );
  return lead.id;
}

async function leadsPage(token: string, variables: Record<string, unknown>) {
  return ok(await t.gql(LEADS, variables, { token })).leads;
}

const ids = (conn: { edges: Array<{ node: { id: string } }> }) => conn.edges.map((e) => e.node.id);
const sorted = (list: string[]) => [...list].sort();

/** Pages through a connection with `first`, checking each page's pageInfo; returns the ids in order. */
async function pageThrough(
  fetchPage: (after: string | null) => Promise<any>,
  first: number,
  total: number,
): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; ; page++) {
    expect(page).toBeLessThanOrEqual(Math.ceil(total / first));
    const conn = await fetchPage(after);
    expect(conn.totalCount).toBe(total);
    expect(conn.edges.length).toBeLessThanOrEqual(first);
    expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
    expect(conn.pageInfo.startCursor).toBe(conn.edges[0]?.cursor ?? null);
    expect(conn.pageInfo.endCursor).toBe(conn.edges[conn.edges.length - 1]?.cursor ?? null);
    seen.push(...ids(conn));
    if (!conn.pageInfo.hasNextPage) break;
    expect(conn.edges).toHaveLength(first);
    after = conn.pageInfo.endCursor;
  }
  return seen;
}

type Field = "CREATED_ON" | "LAST_UPDATED_ON" | "NEXT_FOLLOW_UP";
type Direction = "ASC" | "DESC";
const ORDERINGS: Array<[Field, Direction]> = [
  ["CREATED_ON", "ASC"],
  ["CREATED_ON", "DESC"],
  ["LAST_UPDATED_ON", "ASC"],
  ["LAST_UPDATED_ON", "DESC"],
  ["NEXT_FOLLOW_UP", "ASC"],
  ["NEXT_FOLLOW_UP", "DESC"],
];
const KEY: Record<Field, keyof LeadRow> = { CREATED_ON: "createdOn", LAST_UPDATED_ON: "lastUpdatedOn", NEXT_FOLLOW_UP: "nextFollowUp" };

/** The order the contract asks for: by the key, ties by id, in the direction; null keys last either way. */
function expectedOrder(rows: LeadRow[], field: Field, direction: Direction): string[] {
  const sign = direction === "ASC" ? 1 : -1;
  const key = KEY[field];
  return [...rows]
    .sort((a, b) => {
      const va = a[key] as string | null;
      const vb = b[key] as string | null;
      if (va === null && vb !== null) return 1;
      if (vb === null && va !== null) return -1;
      if (va !== null && vb !== null && va !== vb) return sign * (Date.parse(va) - Date.parse(vb));
      return sign * (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    })
    .map((r) => r.id);
}

const at = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

describe("leads: ordering and paging", () => {
  const BASE = "2030-05-01T12:00:00.000Z";
  // varied timers: nulls, ties (broken by id), past and future
  const TIMERS = [null, 3, 1, null, 3, 0, 7, null, -2, 3, 5, null].map((h) => (h === null ? null : at(BASE, h * 3_600_000)));
  let token: string;
  let rows: LeadRow[];
  let deletedId: string;

  beforeAll(async () => {
    token = t.token({ org: newOrg() });
    const created: LeadRow[] = [];
    for (const nextFollowUp of TIMERS) created.push(await createLead(token, { nextFollowUp }));
    // update some leads so that LAST_UPDATED_ON differs from CREATED_ON
    for (const i of [4, 0, 9, 2]) created[i] = await updateOwner(token, created[i].id, `owner-${i}`);
    rows = created;
    deletedId = await createDeletedLead(token, { nextFollowUp: at(BASE, 3_600_000) });
    // another org's leads, interleaved in time and in timers
    const other = t.token({ org: newOrg() });
    for (const nextFollowUp of [null, at(BASE, 1), at(BASE, 3 * 3_600_000)]) await createLead(other, { nextFollowUp });
  });

  it("stored the timers it was given", () => {
    expect(rows.map((r) => r.nextFollowUp)).toEqual(TIMERS);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it("defaults to newest created first", async () => {
    const conn = await leadsPage(token, {});
    expect(ids(conn)).toEqual(expectedOrder(rows, "CREATED_ON", "DESC"));
    // leads were created one after the other: newest first is the reverse of creation order
    expect(ids(conn)).toEqual(rows.map((r) => r.id).reverse());
    expect(conn.totalCount).toBe(rows.length);
    expect(conn.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it.each(ORDERINGS)("orders by %s %s", async (field, direction) => {
    const conn = await leadsPage(token, { orderBy: { field, direction } });
    expect(ids(conn)).toEqual(expectedOrder(rows, field, direction));
    const keys = conn.edges.map((e: any) => e.node[KEY[field]]);
    const nonNull = keys.filter((k: string | null) => k !== null);
    const monotone = [...nonNull].sort((a, b) => (direction === "ASC" ? Date.parse(a) - Date.parse(b) : Date.parse(b) - Date.parse(a)));
    expect(nonNull).toEqual(monotone);
    if (field === "NEXT_FOLLOW_UP") {
      // leads without a timer come last, in both directions
      expect(keys.slice(nonNull.length)).toEqual(TIMERS.filter((x) => x === null));
    }
  });

  it("orders NEXT_FOLLOW_UP by the timer and its ties by id", async () => {
    const asc = ids(await leadsPage(token, { orderBy: { field: "NEXT_FOLLOW_UP", direction: "ASC" } }));
    const byHours = (h: number) => rows.filter((r) => r.nextFollowUp === at(BASE, h * 3_600_000)).map((r) => r.id).sort();
    const nulls = rows.filter((r) => r.nextFollowUp === null).map((r) => r.id).sort();
    expect(asc).toEqual([...byHours(-2), ...byHours(0), ...byHours(1), ...byHours(3), ...byHours(5), ...byHours(7), ...nulls]);
    const desc = ids(await leadsPage(token, { orderBy: { field: "NEXT_FOLLOW_UP", direction: "DESC" } }));
    const rev = (l: string[]) => [...l].reverse();
    expect(desc).toEqual([...rev(byHours(7)), ...rev(byHours(5)), ...rev(byHours(3)), ...rev(byHours(1)), ...rev(byHours(0)), ...rev(byHours(-2)), ...rev(nulls)]);
  });

  it("orders LAST_UPDATED_ON by the last change", async () => {
    const desc = ids(await leadsPage(token, { orderBy: { field: "LAST_UPDATED_ON", direction: "DESC" } }));
    // the updated leads, most recently updated first, before every lead not updated since creation
    expect(desc.slice(0, 4)).toEqual([2, 9, 0, 4].map((i) => rows[i].id));
  });

  it.each(ORDERINGS)("pages through every lead exactly once ordering by %s %s", async (field, direction) => {
    const seen = await pageThrough((after) => leadsPage(token, { orderBy: { field, direction }, first: 5, after }), 5, rows.length);
    expect(seen).toEqual(expectedOrder(rows, field, direction));
    expect(new Set(seen).size).toBe(rows.length);
  });

  it.each([1, 2, 3, 4])("pages by NEXT_FOLLOW_UP with first: %i across ties and nulls", async (first) => {
    for (const direction of ["ASC", "DESC"] as const) {
      const seen = await pageThrough(
        (after) => leadsPage(token, { orderBy: { field: "NEXT_FOLLOW_UP", direction }, first, after }),
        first,
        rows.length,
      );
      expect(seen).toEqual(expectedOrder(rows, "NEXT_FOLLOW_UP", direction));
    }
  });

  it("keeps totalCount and the filter across pages", async () => {
    const filter = { nextFollowUpBefore: at(BASE, 4 * 3_600_000) };
    const expected = rows.filter((r) => r.nextFollowUp !== null && Date.parse(r.nextFollowUp) < Date.parse(filter.nextFollowUpBefore));
    expect(expected.length).toBe(6);
    const seen = await pageThrough(
      (after) => leadsPage(token, { filter, orderBy: { field: "NEXT_FOLLOW_UP", direction: "DESC" }, first: 4, after }),
      4,
      expected.length,
    );
    expect(seen).toEqual(expectedOrder(expected, "NEXT_FOLLOW_UP", "DESC"));
  });

  it("leaves the DELETED lead out of every ordering and page", async () => {
    for (const [field, direction] of ORDERINGS) {
      const conn = await leadsPage(token, { orderBy: { field, direction }, first: 100 });
      expect(ids(conn)).not.toContain(deletedId);
      expect(conn.totalCount).toBe(rows.length);
    }
  });
});

describe("leads: rows written while paging", () => {
  it("newest first: leads created after the first page neither repeat nor push older leads out", async () => {
    const token = t.token({ org: newOrg() });
    const before: string[] = [];
    for (let i = 0; i < 7; i++) before.push((await createLead(token)).id);
    const newestFirst = [...before].reverse();

    const p1 = await leadsPage(token, { first: 3 });
    expect(ids(p1)).toEqual(newestFirst.slice(0, 3));
    const added = [(await createLead(token)).id, (await createLead(token)).id];
    const p2 = await leadsPage(token, { first: 3, after: p1.pageInfo.endCursor });
    expect(ids(p2)).toEqual(newestFirst.slice(3, 6));
    expect(p2.totalCount).toBe(9);
    const p3 = await leadsPage(token, { first: 3, after: p2.pageInfo.endCursor });
    expect(ids(p3)).toEqual(newestFirst.slice(6));
    expect(p3.pageInfo.hasNextPage).toBe(false);
    // a fresh first page shows the new leads
    expect(ids(await leadsPage(token, { first: 2 }))).toEqual([...added].reverse());
  });

  it("oldest first: leads created while paging come at the end, once", async () => {
    const token = t.token({ org: newOrg() });
    const before: string[] = [];
    for (let i = 0; i < 5; i++) before.push((await createLead(token)).id);
    const orderBy = { field: "CREATED_ON", direction: "ASC" };
    const p1 = await leadsPage(token, { orderBy, first: 2 });
    expect(ids(p1)).toEqual(before.slice(0, 2));
    const added = (await createLead(token)).id;
    const p2 = await leadsPage(token, { orderBy, first: 2, after: p1.pageInfo.endCursor });
    expect(ids(p2)).toEqual(before.slice(2, 4));
    const p3 = await leadsPage(token, { orderBy, first: 2, after: p2.pageInfo.endCursor });
    expect(ids(p3)).toEqual([before[4], added]);
    expect(p3.pageInfo.hasNextPage).toBe(false);
    expect(p3.totalCount).toBe(6);
  });

  it("by LAST_UPDATED_ON: a lead updated while paging moves to the end; the others are neither repeated nor skipped", async () => {
    const token = t.token({ org: newOrg() });
    const rows: LeadRow[] = [];
    for (let i = 0; i < 6; i++) rows.push(await createLead(token));
    const orderBy = { field: "LAST_UPDATED_ON", direction: "ASC" };
    const p1 = await leadsPage(token, { orderBy, first: 3 });
    expect(ids(p1)).toEqual(rows.slice(0, 3).map((r) => r.id));
    // the first lead is updated: its key moves past the cursor, so it comes again at the end
    await updateOwner(token, rows[0].id, "moved");
    const p2 = await leadsPage(token, { orderBy, first: 10, after: p1.pageInfo.endCursor });
    expect(ids(p2)).toEqual([...rows.slice(3).map((r) => r.id), rows[0].id]);
  });
});

describe("leads: page size and cursors", () => {
  let token: string;
  let all: string[];
  beforeAll(async () => {
    token = t.token({ org: newOrg() });
    const created: string[] = [];
    for (let i = 0; i < 22; i++) created.push((await createLead(token)).id);
    all = created.reverse();
  });

  it("returns 20 by default", async () => {
    const conn = await leadsPage(token, {});
    expect(ids(conn)).toEqual(all.slice(0, 20));
    expect(conn.pageInfo.hasNextPage).toBe(true);
    expect(conn.totalCount).toBe(22);
    const next = await leadsPage(token, { after: conn.pageInfo.endCursor });
    expect(ids(next)).toEqual(all.slice(20));
    expect(next.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it("accepts first: 0 (no edges, null cursors) and first: 100", async () => {
    const zero = await leadsPage(token, { first: 0 });
    expect(zero.edges).toEqual([]);
    expect(zero.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
    expect(zero.totalCount).toBe(22);
    expect(ids(await leadsPage(token, { first: 100 }))).toEqual(all);
  });

  it("gives each edge a cursor that continues after it", async () => {
    const conn = await leadsPage(token, { first: 5 });
    const third = conn.edges[2].cursor;
    expect(ids(await leadsPage(token, { first: 3, after: third }))).toEqual(all.slice(3, 6));
    expect(new Set(conn.edges.map((e: any) => e.cursor)).size).toBe(5);
  });

  it.each([101, 1000, -1])("refuses first: %i with BAD_USER_INPUT on fields.first", async (first) => {
    const e = failure(await t.gql(LEADS, { first }, { token }));
    expect(e.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(e.fields)).toEqual(["first"]);
  });

  it.each(["garbage", "bm90LWpzb24", "eyJhIjoxfQ", "WyJDUkVBVEVEX09OOkRFU0MiLCJub3QtYS1kYXRlIiwibGVhZF94Il0", "%%%"])(
    "refuses the cursor %j with BAD_USER_INPUT on fields.after",
    async (after) => {
      const e = failure(await t.gql(LEADS, { first: 5, after }, { token }));
      expect(e.code).toBe("BAD_USER_INPUT");
      expect(Object.keys(e.fields)).toEqual(["after"]);
    },
  );

  it.each<[string, string, unknown]>([
    ["CREATED_ON DESC", "WyJDUkVBVEVEX09OOkRFU0MiLG51bGwsImxlYWRfeCJd", null],
    ["LAST_UPDATED_ON ASC", "WyJMQVNUX1VQREFURURfT046QVNDIixudWxsLCJsZWFkX3giXQ", { field: "LAST_UPDATED_ON", direction: "ASC" }],
  ])("refuses a forged cursor without a sort key for %s (a key that is never null)", async (_name, after, orderBy) => {
    const e = failure(await t.gql(LEADS, { first: 5, after, orderBy }, { token }));
    expect(e.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(e.fields)).toEqual(["after"]);
  });

  it("refuses a cursor from another ordering", async () => {
    const byCreated = await leadsPage(token, { first: 2 });
    const byUpdated = await leadsPage(token, { first: 2, orderBy: { field: "LAST_UPDATED_ON", direction: "DESC" } });
    const asc = await leadsPage(token, { first: 2, orderBy: { field: "CREATED_ON", direction: "ASC" } });
    const cases: Array<[string, unknown]> = [
      [byCreated.pageInfo.endCursor, { field: "LAST_UPDATED_ON", direction: "DESC" }],
      [byCreated.pageInfo.endCursor, { field: "CREATED_ON", direction: "ASC" }],
      [byUpdated.pageInfo.endCursor, null],
      [asc.pageInfo.endCursor, { field: "NEXT_FOLLOW_UP", direction: "ASC" }],
    ];
    for (const [after, orderBy] of cases) {
      const e = failure(await t.gql(LEADS, { first: 2, after, orderBy }, { token }));
      expect(e.code).toBe("BAD_USER_INPUT");
      expect(Object.keys(e.fields)).toEqual(["after"]);
    }
  });

  it("refuses a followups cursor, and followups refuse a leads cursor", async () => {
    const leadId = all[0];
    const fu = ok(
      await t.gql(
        `mutation($input: CreateFollowupInput!) { createFollowup(input: $input) { followup { id } } }`,
        { input: { leadId, type: "CALL" } },
        { token },
      ),
    );
    expect(fu.createFollowup.followup.id).toBeTruthy();
    ok(await t.gql(`mutation($input: CreateFollowupInput!) { createFollowup(input: $input) { followup { id } } }`, { input: { leadId, type: "SMS" } }, { token }));
    const followups = ok(await t.gql(FOLLOWUPS, { first: 1 }, { token })).followups;
    const leads = await leadsPage(token, { first: 1 });
    const e1 = failure(await t.gql(LEADS, { first: 2, after: followups.pageInfo.endCursor }, { token }));
    expect(e1).toMatchObject({ code: "BAD_USER_INPUT", fields: { after: expect.any(Array) } });
    const e2 = failure(await t.gql(FOLLOWUPS, { first: 2, after: leads.pageInfo.endCursor }, { token }));
    expect(e2).toMatchObject({ code: "BAD_USER_INPUT", fields: { after: expect.any(Array) } });
  });
});

describe("leads: filters", () => {
  const T0 = "2031-01-01T00:00:00.000Z";
  let token: string;
  let L: Record<string, LeadRow>;
  let other: string[];

  beforeAll(async () => {
    token = t.token({ org: newOrg() });
    ok(await t.gql(`mutation { createLeadSubStatus(status: OPEN, subStatus: "hot") { subStatus } }`, {}, { token }));
    ok(await t.gql(`mutation { createLeadSubStatus(status: ON_HOLD, subStatus: "hot") { subStatus } }`, {}, { token }));
    L = {};
    L.a = await createLead(token, { type: "SKU", owner: "alice", userId: "u1", orgSourceId: -1, nextFollowUp: at(T0, 0) });
    L.b = await createLead(token, { type: "BRAND", owner: "bob", userId: "u2", orgSourceId: 7, subStatus: "hot" });
    L.c = await createLead(token, { type: "CATEGORY", status: "ON_HOLD", subStatus: "hot", userId: "u1", nextFollowUp: at(T0, 2000) });
    L.d = await createLead(token, { type: "CUSTOM", status: "WON", owner: "alice", orgSourceId: 7, nextFollowUp: at(T0, 1000) });
    L.e = await createLead(token, { type: "SKU", status: "LOST", userId: "u2", orgSourceId: -1 });
    L.f = await createLead(token, { type: "BRAND", owner: "carol", nextFollowUp: at(T0, 3000) });
    L.del = { id: await createDeletedLead(token, { type: "SKU", owner: "alice", userId: "u1", orgSourceId: -1, nextFollowUp: at(T0, 0) }) } as LeadRow;
    // b is changed last
    L.b = await updateOwner(token, L.b.id, "bob");

    // the same shapes in another org: none of them may ever show up
    const o = t.token({ org: newOrg() });
    ok(await t.gql(`mutation { createLeadSubStatus(status: OPEN, subStatus: "hot") { subStatus } }`, {}, { token: o }));
    other = [
      (await createLead(o, { type: "SKU", owner: "alice", userId: "u1", orgSourceId: -1, nextFollowUp: at(T0, 0) })).id,
      (await createLead(o, { type: "BRAND", owner: "bob", userId: "u2", orgSourceId: 7, subStatus: "hot" })).id,
      await createDeletedLead(o, { owner: "alice" }),
    ];
  });

  async function expectFilter(filter: Record<string, unknown>, keys: string[]) {
    const conn = await leadsPage(token, { filter, first: 100 });
    expect(sorted(ids(conn))).toEqual(sorted(keys.map((k) => L[k].id)));
    expect(conn.totalCount).toBe(keys.length);
    for (const id of other) expect(ids(conn)).not.toContain(id);
  }

  it("without a filter: the org's leads but not the DELETED one", () => expectFilter({}, ["a", "b", "c", "d", "e", "f"]));

  it.each<[Record<string, unknown>, string[]]>([
    [{ status: ["OPEN"] }, ["a", "b", "f"]],
    [{ status: ["WON", "LOST"] }, ["d", "e"]],
    [{ status: ["ON_HOLD"] }, ["c"]],
    [{ status: ["DELETED"] }, ["del"]],
    [{ status: ["OPEN", "DELETED"] }, ["a", "b", "f", "del"]],
    [{ status: [] }, ["a", "b", "c", "d", "e", "f"]],
    [{ subStatus: "hot" }, ["b", "c"]],
    [{ subStatus: "hot", status: ["OPEN"] }, ["b"]],
    [{ subStatus: "cold" }, []],
    [{ owner: "alice" }, ["a", "d"]],
    [{ owner: "alice", status: ["DELETED", "OPEN", "WON"] }, ["a", "d", "del"]],
    [{ owner: "nobody" }, []],
    [{ type: ["SKU"] }, ["a", "e"]],
    [{ type: ["BRAND", "CUSTOM"] }, ["b", "d", "f"]],
    [{ type: ["CATEGORY"], status: ["OPEN"] }, []],
    [{ userId: "u1" }, ["a", "c"]],
    [{ userId: "u2" }, ["b", "e"]],
    [{ orgSourceId: -1 }, ["a", "e"]],
    [{ orgSourceId: 7 }, ["b", "d"]],
    [{ orgSourceId: 0 }, []],
    [{ nextFollowUpBefore: at(T0, 2000) }, ["a", "d"]],
    [{ nextFollowUpBefore: at(T0, 2001) }, ["a", "c", "d"]],
    [{ nextFollowUpBefore: at(T0, 0) }, []],
    [{ owner: "alice", type: ["SKU"], userId: "u1", orgSourceId: -1 }, ["a"]],
  ])("filter %j", (filter, keys) => expectFilter(filter, keys));

  it("createdAfter / createdBefore are strict", async () => {
    await expectFilter({ createdAfter: L.c.createdOn }, ["d", "e", "f"].filter((k) => L[k].createdOn > L.c.createdOn));
    await expectFilter({ createdBefore: L.c.createdOn }, ["a", "b"].filter((k) => L[k].createdOn < L.c.createdOn));
    await expectFilter({ createdAfter: at(L.a.createdOn, -1), createdBefore: at(L.f.createdOn, 1) }, ["a", "b", "c", "d", "e", "f"]);
    await expectFilter({ createdAfter: at(L.f.createdOn, 0) }, []);
    await expectFilter({ createdBefore: at(L.a.createdOn, 0) }, []);
    // something really is in the middle (creation is sequential)
    expect(Date.parse(L.c.createdOn)).toBeGreaterThan(Date.parse(L.a.createdOn));
    expect(Date.parse(L.f.createdOn)).toBeGreaterThan(Date.parse(L.c.createdOn));
  });

  it("updatedAfter / updatedBefore are strict and follow the last change", async () => {
    // b was created second but changed last
    expect(Date.parse(L.b.lastUpdatedOn)).toBeGreaterThan(Date.parse(L.f.lastUpdatedOn));
    await expectFilter({ updatedAfter: L.f.lastUpdatedOn }, ["b"]);
    await expectFilter({ updatedAfter: L.b.lastUpdatedOn }, []);
    await expectFilter({ updatedBefore: L.b.lastUpdatedOn }, ["a", "c", "d", "e", "f"]);
    await expectFilter({ updatedBefore: L.a.lastUpdatedOn }, []);
    // createdBefore c, updatedAfter f: only b
    await expectFilter({ createdBefore: L.c.createdOn, updatedAfter: L.f.lastUpdatedOn }, ["b"]);
  });

  it("lead(id) still returns the DELETED lead", async () => {
    const res = ok(await t.gql(`query($id: ID!) { lead(id: $id) { id status } }`, { id: L.del.id }, { token }));
    expect(res.lead).toEqual({ id: L.del.id, status: "DELETED" });
  });

  it("another org sees none of these leads", async () => {
    const stranger = t.token({ org: newOrg() });
    const conn = await leadsPage(stranger, { filter: { status: ["OPEN", "WON", "LOST", "ON_HOLD", "DELETED"] }, first: 100 });
    expect(conn.edges).toEqual([]);
    expect(conn.totalCount).toBe(0);
    expect(conn.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });
});

describe("followups connection", () => {
  const S0 = "2032-02-01T09:00:00.000Z";
  let token: string;
  let lead1: string;
  let lead2: string;
  let F: Array<{ id: string; leadId: string; status: string; type: string; scheduledAt: string | null }>;
  let foreign: string[];

  const CREATE = `mutation($input: CreateFollowupInput!) { createFollowup(input: $input) { followup { id leadId status type scheduledAt } } }`;

  beforeAll(async () => {
    token = t.token({ org: newOrg() });
    lead1 = (await createLead(token)).id;
    lead2 = (await createLead(token)).id;
    const specs = [
      { leadId: lead1, type: "CALL", status: "SCHEDULED", scheduledAt: at(S0, 0) },
      { leadId: lead2, type: "SMS", status: "SENT", scheduledAt: at(S0, 60_000) },
      { leadId: lead1, type: "EMAIL" },
      { leadId: lead1, type: "CALL", status: "NO_ANSWER", scheduledAt: at(S0, 120_000) },
      { leadId: lead2, type: "WHATSAPP", status: "SCHEDULED", scheduledAt: at(S0, 180_000) },
      { leadId: lead2, type: "CALL", status: "DEAL_FOUND" },
      { leadId: lead1, type: "POSTMAIL", status: "SCHEDULED", scheduledAt: at(S0, 60_000) },
    ];
    F = [];
    for (const input of specs) F.push(ok(await t.gql(CREATE, { input }, { token })).createFollowup.followup);
    const o = t.token({ org: newOrg() });
    const otherLead = (await createLead(o)).id;
    foreign = [];
    for (const type of ["CALL", "SMS"]) {
      foreign.push(ok(await t.gql(CREATE, { input: { leadId: otherLead, type, status: "SCHEDULED", scheduledAt: at(S0, 60_000) } }, { token: o })).createFollowup.followup.id);
    }
  });

  async function page(variables: Record<string, unknown>) {
    return ok(await t.gql(FOLLOWUPS, variables, { token })).followups;
  }
  const newestFirst = (list: typeof F) => [...list].reverse().map((f) => f.id);

  it("lists the org's followups newest created first", async () => {
    const conn = await page({});
    expect(ids(conn)).toEqual(newestFirst(F));
    expect(conn.totalCount).toBe(F.length);
    expect(conn.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    for (const id of foreign) expect(ids(conn)).not.toContain(id);
  });

  it.each<[string, (f: any) => boolean, () => Record<string, unknown>]>([
    ["leadId", (f) => f.leadId === lead1, () => ({ leadId: lead1 })],
    ["leadId of lead2", (f) => f.leadId === lead2, () => ({ leadId: lead2 })],
    ["status", (f) => f.status === "SCHEDULED", () => ({ status: ["SCHEDULED"] })],
    ["status list", (f) => ["ON_HOLD", "DEAL_FOUND"].includes(f.status), () => ({ status: ["ON_HOLD", "DEAL_FOUND"] })],
    ["type", (f) => f.type === "CALL", () => ({ type: ["CALL"] })],
    ["type list", (f) => ["SMS", "EMAIL"].includes(f.type), () => ({ type: ["SMS", "EMAIL"] })],
    ["scheduledAfter (strict)", (f) => f.scheduledAt !== null && f.scheduledAt > at(S0, 60_000), () => ({ scheduledAfter: at(S0, 60_000) })],
    ["scheduledBefore (strict)", (f) => f.scheduledAt !== null && f.scheduledAt < at(S0, 120_000), () => ({ scheduledBefore: at(S0, 120_000) })],
    [
      "a window and a lead",
      (f) => f.leadId === lead1 && f.scheduledAt !== null && f.scheduledAt >= at(S0, 0) && f.scheduledAt <= at(S0, 120_000),
      () => ({ leadId: lead1, scheduledAfter: at(S0, -1), scheduledBefore: at(S0, 120_001) }),
    ],
    ["status and type", (f) => f.status === "SCHEDULED" && f.type === "CALL", () => ({ status: ["SCHEDULED"], type: ["CALL"] })],
  ])("filters by %s", async (_name, keep, filter) => {
    const expected = F.filter(keep);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(F.length);
    const conn = await page({ filter: filter() });
    expect(ids(conn)).toEqual(newestFirst(expected));
    expect(conn.totalCount).toBe(expected.length);
  });

  it("finds nothing for another org's lead or an unknown one", async () => {
    const o = t.token({ org: newOrg() });
    const conn = ok(await t.gql(FOLLOWUPS, { filter: { leadId: lead1 } }, { token: o })).followups;
    expect(conn).toMatchObject({ edges: [], totalCount: 0 });
    expect((await page({ filter: { leadId: "lead_unknown000000000000" } })).totalCount).toBe(0);
  });

  it.each([1, 2, 3])("pages through every followup exactly once with first: %i", async (first) => {
    const seen = await pageThrough((after) => page({ first, after }), first, F.length);
    expect(seen).toEqual(newestFirst(F));
  });

  it("pages a filter with totalCount across pages", async () => {
    const expected = F.filter((f) => f.leadId === lead1);
    const seen = await pageThrough((after) => page({ filter: { leadId: lead1 }, first: 2, after }), 2, expected.length);
    expect(seen).toEqual(newestFirst(expected));
  });

  it("does not repeat a followup when new ones are created while paging", async () => {
    const p1 = await page({ first: 3 });
    expect(ids(p1)).toEqual(newestFirst(F).slice(0, 3));
    const added = ok(await t.gql(CREATE, { input: { leadId: lead2, type: "CALL" } }, { token })).createFollowup.followup;
    F.push(added);
    const p2 = await page({ first: 10, after: p1.pageInfo.endCursor });
    expect(ids(p2)).toEqual(newestFirst(F.slice(0, -1)).slice(3));
    expect(p2.totalCount).toBe(F.length);
  });

  it("checks first and after like leads", async () => {
    const zero = await page({ first: 0 });
    expect(zero.edges).toEqual([]);
    expect(zero.pageInfo.hasNextPage).toBe(true);
    for (const first of [101, -1]) {
      const e = failure(await t.gql(FOLLOWUPS, { first }, { token }));
      expect(e).toMatchObject({ code: "BAD_USER_INPUT", fields: { first: expect.any(Array) } });
    }
    const e = failure(await t.gql(FOLLOWUPS, { first: 2, after: "garbage" }, { token }));
    expect(e).toMatchObject({ code: "BAD_USER_INPUT", fields: { after: expect.any(Array) } });
  });
});
