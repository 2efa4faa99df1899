import { openAppDatabase } from "../src/database";
import type { Database } from "../src/db/data-source";
import { LeadReason } from "../src/leads/lead-reason.entity";

/**
 * The embedded database is one PostgreSQL session. These tests show that the driver lends it to
 * one caller at a time: overlapping transactions do not interleave, a rollback undoes only its
 * own writes, and a transaction left open by a released client never leaks into the next one.
 */
let db: Database;
beforeAll(async () => {
  db = await openAppDatabase({ dataDir: "memory", dbPoolSize: 10 });
  await db.dataSource.runMigrations();
});
afterAll(() => db.close());
beforeEach(() => db.dataSource.query(`DELETE FROM lead_reasons`));

const reasons = async () =>
  (await db.dataSource.getRepository(LeadReason).find({ order: { reason: "ASC" } })).map((r) => r.reason);

/** Lets every pending callback and I/O completion run a few times over. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

it("runs overlapping transactions one after the other, and a rollback undoes only its own writes", async () => {
  const events: string[] = [];
  let releaseA!: () => void;
  const aMayFinish = new Promise<void>((resolve) => (releaseA = resolve));
  let aInserted!: () => void;
  const aHasInserted = new Promise<void>((resolve) => (aInserted = resolve));

  const a = db.dataSource
    .transaction(async (tx) => {
      events.push("A begin");
      await tx.insert(LeadReason, { id: "rsn_a", orgId: "o", reason: "from A (rolled back)" });
      aInserted();
      await aMayFinish;
      events.push("A fail");
      throw new Error("A rolls back");
    })
    .catch(() => events.push("A rolled back"));

  await aHasInserted;
  const b = db.dataSource.transaction(async (tx) => {
    events.push("B begin");
    const seen = await tx.count(LeadReason);
    events.push(`B sees ${seen}`);
    await tx.insert(LeadReason, { id: "rsn_b", orgId: "o", reason: "from B" });
    events.push("B commit");
  });
  const outside = db.dataSource.query(`SELECT count(*)::int AS n FROM lead_reasons`).then((rows) => events.push(`outside sees ${rows[0].n}`));

  await settle();
  expect(events).toEqual(["A begin"]); // B and the plain query wait for A's session to be released
  releaseA();
  await Promise.all([a, b, outside]);

  expect(events.slice(0, 3)).toEqual(["A begin", "A fail", "A rolled back"]);
  expect(events).toContain("B sees 0"); // nothing of A's rolled-back insert
  expect(events).not.toContain("outside sees 1");
  expect(await reasons()).toEqual(["from B"]);
});

it("keeps many concurrent transactions whole: each commits all of its rows or none", async () => {
  const work = Array.from({ length: 30 }, (_, i) =>
    db.dataSource
      .transaction(async (tx) => {
        await tx.insert(LeadReason, { id: `rsn_${i}_1`, orgId: "o", reason: `t${String(i).padStart(2, "0")}-1` });
        await tx.insert(LeadReason, { id: `rsn_${i}_2`, orgId: "o", reason: `t${String(i).padStart(2, "0")}-2` });
        if (i % 3 === 0) throw new Error("roll back");
      })
      .then(
        () => true,
        () => false,
      ),
  );
  const committed = await Promise.all(work);
  const expected = committed.flatMap((ok, i) => (ok ? [`t${String(i).padStart(2, "0")}-1`, `t${String(i).padStart(2, "0")}-2`] : []));
  expect(committed.filter(Boolean)).toHaveLength(20);
  expect(await reasons()).toEqual(expected.sort());
});

it("rolls back a transaction that a released client left open before lending the session again", async () => {
  const runner = db.dataSource.createQueryRunner();
  await runner.connect();
  await runner.query("BEGIN");
  await runner.query(`INSERT INTO lead_reasons (id, org_id, reason) VALUES ('rsn_x', 'o', 'left open')`);
  await runner.release(); // no COMMIT, no ROLLBACK

  expect(await reasons()).toEqual([]);
  await db.dataSource.transaction((tx) => tx.insert(LeadReason, { id: "rsn_y", orgId: "o", reason: "next caller" }));
  expect(await reasons()).toEqual(["next caller"]);
});
