import { MAX_PREPARED_PER_CONNECTION } from "../src/db/pg-client";
import { startTestApp, type TestApp } from "./support/app";
import { createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith } from "./support/services";

/**
 * DB_PREPARED_STATEMENTS (PostgreSQL): a parameterized statement runs as a named prepared statement
 * of its connection, at most MAX_PREPARED_PER_CONNECTION per connection; turned off, none is. On a
 * scratch database of the local PostgreSQL in both suite modes, with one connection in the pool so
 * that `pg_prepared_statements` (which shows the current session's) sees every request's.
 */
const CREATE = `mutation ($leadFor: String!) { createLead(input: { leadFor: $leadFor }) { lead { id } } }`;
const PAGE = `{ leads(first: 5) { edges { node { id leadFor followUpDetails { id } statusLogDetails { status previousStatus } followups { id } } } } }`;

describeWith("PostgreSQL")("prepared statements (a scratch database of the local PostgreSQL)", () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase("prepared");
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  const preparedTexts = async (t: TestApp): Promise<string[]> =>
    (await t.app.db.dataSource.query(`SELECT statement FROM pg_prepared_statements`)).map((r: { statement: string }) => r.statement);

  describe.each([
    ["on", true],
    ["off", false],
  ])("DB_PREPARED_STATEMENTS %s", (_label, prepared) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ databaseUrl: scratch.url, migrationsRun: false, dbPoolSize: 1, dbPreparedStatements: prepared });
    });
    afterAll(async () => {
      await t?.close();
    });

    it(prepared ? "prepares the page's statements once and answers the same on every run" : "prepares nothing", async () => {
      const created = await t.gql(CREATE, { leadFor: `sku-${prepared}` });
      expect(created.body.errors).toBeUndefined();
      const id = created.body.data.createLead.lead.id;

      const runs = [];
      for (let i = 0; i < 7; i++) runs.push(await t.gql(PAGE)); // past PostgreSQL's five custom plans
      for (const run of runs) expect(run.body).toEqual(runs[0].body);
      expect(runs[0].body.data.leads.edges).toEqual([
        { node: { id, leadFor: `sku-${prepared}`, followUpDetails: [], statusLogDetails: [{ status: "OPEN", previousStatus: null }], followups: [] } },
      ]);

      const texts = await preparedTexts(t);
      if (!prepared) {
        expect(texts).toEqual([]);
        return;
      }
      for (const table of ["leads", "follow_up_details", "status_logs", "followups"]) {
        expect(texts.filter((s) => s.includes(`FROM "${table}"`) || s.includes(`FROM ${table} `))).toHaveLength(1);
      }
      // Statements without values stay unnamed.
      expect(texts.filter((s) => /^(START TRANSACTION|BEGIN|COMMIT)/i.test(s))).toEqual([]);
    });

    it("keeps a failing statement failing with its own error, and the connection usable", async () => {
      const ds = t.app.db.dataSource;
      for (let i = 0; i < 2; i++) {
        await expect(ds.query(`SELECT 10 / $1::int AS v`, [0])).rejects.toMatchObject({ driverError: { code: "22012" } });
        await expect(ds.query(`SELECT $1::no_such_type AS v`, [1])).rejects.toMatchObject({ driverError: { code: "42704" } });
      }
      expect(await ds.query(`SELECT 10 / $1::int AS v`, [5])).toEqual([{ v: 2 }]);
    });

    if (prepared) {
      it(`keeps at most ${MAX_PREPARED_PER_CONNECTION} statements per connection; the rest still run, unnamed`, async () => {
        const ds = t.app.db.dataSource;
        const n = MAX_PREPARED_PER_CONNECTION + 30;
        for (let i = 0; i < n; i++) expect(await ds.query(`SELECT $1::int + ${i} AS v`, [1])).toEqual([{ v: 1 + i }]);
        expect(await preparedTexts(t)).toHaveLength(MAX_PREPARED_PER_CONNECTION);
        // Texts prepared before the cap keep being served by their statements.
        expect(await ds.query(`SELECT $1::int + 0 AS v`, [41])).toEqual([{ v: 41 }]);
        expect(await t.gql(PAGE)).toMatchObject({ status: 200, body: { data: { leads: { edges: [expect.anything()] } } } });
      });
    }
  });
});
