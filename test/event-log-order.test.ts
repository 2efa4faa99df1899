import { performance } from "node:perf_hooks";
import { Client } from "pg";
import type { DataSource, EntityManager } from "typeorm";
import { appendEvent } from "../src/events/event-log";
import { readLog } from "../src/events/event-feed";
import { comparePositions, decodeEventCursor, type LogPosition } from "../src/events/event-cursor";
import { EventType } from "../src/events/event-type";
import { newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_LEAD, ok } from "./support/operations";
import { ADMIN_DATABASE_URL, createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith } from "./support/services";
import { waitFor } from "./support/wait";

/**
 * The event log's ordering claim (src/events/event-feed.ts), under load: a reader that pages in
 * cursor order and resumes at `resumeAt` (or the feed's `endCursor`) sees every committed event
 * exactly once, in cursor order, and never a rolled-back one, although transactions that started
 * earlier (smaller xid) commit after younger ones.
 *
 * Hundreds of transactions write one org's log directly through `appendEvent`, some at once:
 * quick ones, slow ones that take their xid, wait, then append more (or append their first event
 * only after the wait, as a write whose UPDATE comes first does), ones that roll back (quickly or
 * after a wait), and ones that roll back part of their work to a savepoint. Meanwhile three readers
 * poll every few milliseconds: `readLog` itself, the GraphQL `events` feed in pages of 7, and a
 * control that reads `seq > last ORDER BY seq` without the horizon.
 *
 * On PostgreSQL the transactions really overlap: the test checks that it saw late commits (an
 * older transaction committing after a younger one had committed), and that the naive reader
 * missed events in them, so that it could fail. On the embedded database the driver lends its one
 * session to one transaction at a time: the same workload runs serialised, and must pass too.
 */

const TRANSACTIONS = 450;
/** Writers at once (on the embedded database they queue for its one session). */
const WRITERS = 16;
const CATCH_UP_MS = 30_000;

type Kind = "quick" | "slow" | "slowFirstEvent" | "rollback" | "slowRollback" | "savepoint";
/** How often each kind is drawn, out of 100. */
const MIX: Array<[Kind, number]> = [
  ["quick", 50],
  ["slow", 15],
  ["slowFirstEvent", 8],
  ["rollback", 12],
  ["slowRollback", 7],
  ["savepoint", 8],
];

interface Txn {
  i: number;
  kind: Kind;
  /** Markers (`data.n`) of the events that must be read if the transaction commits. */
  kept: number[];
  /** Markers of events that must never be read (rolled back to a savepoint, or with the transaction). */
  dropped: number[];
  xid?: bigint;
  /** When the callback returned, i.e. just before COMMIT was sent (performance.now()). */
  commitSentAt?: number;
  /** When the COMMIT had been acknowledged. */
  committedAt?: number;
  outcome?: "committed" | "rolledBack";
}

class RolledBack extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a seeded generator, so that a failing run can be replayed with EVENT_ORDER_SEED. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ReadEvent {
  n: number;
  position: LogPosition;
}

/** Runs `poll` until stopped; an error stops it and is kept for the test to throw. */
class Poller {
  read: ReadEvent[] = [];
  polls = 0;
  error: unknown;
  private stopped = false;
  private done: Promise<void>;

  constructor(poll: (self: Poller) => Promise<boolean>, idleMs: number) {
    this.done = (async () => {
      while (!this.stopped) {
        this.polls++;
        let more: boolean;
        try {
          more = await poll(this);
        } catch (err) {
          this.error = err;
          return;
        }
        if (!more) await sleep(idleMs);
      }
    })();
  }

  check() {
    if (this.error) throw this.error;
  }

  async stop() {
    this.stopped = true;
    await this.done;
    this.check();
  }
}

const EVENTS = `query ($after: String, $first: Int) {
  events(after: $after, first: $first) { edges { cursor node { data } } pageInfo { hasNextPage endCursor } }
}`;

/** The events of `txns` that committed, those that must never show, and how many committed late. */
function outcome(txns: Txn[]) {
  const committed = txns.filter((x) => x.outcome === "committed");
  const rolledBack = txns.filter((x) => x.outcome === "rolledBack");
  const kept = new Set(committed.flatMap((x) => x.kept));
  const never = new Set([...committed.flatMap((x) => x.dropped), ...rolledBack.flatMap((x) => [...x.kept, ...x.dropped])]);
  // A late commit: a transaction whose COMMIT was sent after a transaction with a larger xid had
  // committed (its COMMIT acknowledged). Walk from the largest xid down, keeping the earliest
  // acknowledged commit among the larger xids.
  const byXidDesc = [...committed].sort((a, b) => (a.xid! > b.xid! ? -1 : a.xid! < b.xid! ? 1 : 0));
  let earliestLarger = Infinity;
  let late = 0;
  let lateEvents = 0;
  for (const x of byXidDesc) {
    if (earliestLarger < x.commitSentAt!) {
      late++;
      lateEvents += x.kept.length;
    }
    earliestLarger = Math.min(earliestLarger, x.committedAt!);
  }
  const maxXid = committed.reduce((m, x) => (x.xid! > m ? x.xid! : m), 0n);
  return { committed, rolledBack, kept, never, late, lateEvents, maxXid };
}

async function proveOrder(t: TestApp, database: "PostgreSQL" | "PGlite") {
  const ds: DataSource = t.app.db.dataSource;
  const org = newOrg("evorder");
  const token = t.token({ org, scopes: ["leads:read"] });
  const seed = Number(process.env.EVENT_ORDER_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rnd = random(seed);
  // On the embedded database a waiting transaction holds the only session: shorter waits.
  const slowMs = () => (database === "PostgreSQL" ? 50 + rnd() * 350 : 1 + rnd() * 14);
  const started = performance.now();

  let nextMarker = 1;
  const txns: Txn[] = Array.from({ length: TRANSACTIONS }, (_, i) => {
    let r = rnd() * 100;
    const kind = MIX.find(([, weight]) => (r -= weight) < 0)?.[0] ?? "quick";
    return { i, kind, kept: [], dropped: [] };
  });

  // What the app knows of the commits so far, for the count of polls the horizon held back.
  let maxCommittedXid = 0n;

  async function run(x: Txn) {
    const append = async (tx: EntityManager, into: number[]) => {
      const n = nextMarker++;
      into.push(n);
      await appendEvent(tx, {
        org,
        type: EventType.LEAD_UPDATED,
        actor: "event-order",
        occurredOn: new Date(),
        leadId: `lead_order${x.i}`,
        before: null,
        after: {},
        data: { n, txn: x.i, kind: x.kind },
      });
    };
    const some = async (tx: EntityManager, into: number[], most: number) => {
      for (let k = 1 + Math.floor(rnd() * most); k > 0; k--) await append(tx, into);
    };
    try {
      await ds.transaction(async (tx) => {
        switch (x.kind) {
          case "quick":
            await some(tx, x.kept, 3);
            break;
          case "slow":
            // The first event takes the xid; the later ones commit with it after younger transactions.
            await append(tx, x.kept);
            await sleep(slowMs());
            await some(tx, x.kept, 2);
            break;
          case "slowFirstEvent":
            // The xid is taken first (as a write's UPDATE does), the event appended only after the wait.
            await tx.query(`SELECT pg_current_xact_id()`);
            await sleep(slowMs());
            await some(tx, x.kept, 2);
            break;
          case "rollback":
            await some(tx, x.dropped, 2);
            break;
          case "slowRollback":
            await append(tx, x.dropped);
            await sleep(slowMs());
            await append(tx, x.dropped);
            break;
          case "savepoint":
            await append(tx, x.kept);
            await tx.query(`SAVEPOINT partial`);
            await some(tx, x.dropped, 2);
            await tx.query(`ROLLBACK TO SAVEPOINT partial`);
            if (rnd() < 0.5) await sleep(slowMs());
            await append(tx, x.kept);
            break;
        }
        const [{ xid }] = await tx.query(`SELECT pg_current_xact_id()::text AS xid`);
        x.xid = BigInt(xid);
        if (x.kind === "rollback" || x.kind === "slowRollback") throw new RolledBack();
        x.commitSentAt = performance.now();
      });
      x.committedAt = performance.now();
      x.outcome = "committed";
      if (x.xid! > maxCommittedXid) maxCommittedXid = x.xid!;
    } catch (err) {
      if (!(err instanceof RolledBack)) throw err;
      x.outcome = "rolledBack";
    }
  }

  // Reader 1: readLog, resuming at resumeAt.
  let position: LogPosition | null = null;
  let heldBack = 0;
  const logReader = new Poller(async (self) => {
    const known = maxCommittedXid;
    const page = await readLog(ds, { org, after: position, limit: 50 });
    for (const e of page.events) self.read.push({ n: (e.data as { n: number }).n, position: e.position });
    if (position && page.events.length && comparePositions(page.events[0].position, position) <= 0) throw new Error("readLog returned an event at or before `after`");
    if (page.events.length && comparePositions(page.resumeAt, page.events[page.events.length - 1].position) < 0) throw new Error("resumeAt is before the page's last event");
    position = page.resumeAt;
    // A page that reached the horizon while a committed transaction lay at or above it: the
    // horizon kept the reader from reading past a transaction still in flight.
    if (!page.more && page.resumeAt.xid <= known) heldBack++;
    return page.more;
  }, 2);

  // Reader 2: the GraphQL feed over HTTP, pages of 7, resuming at endCursor.
  let endCursor: string | null = null;
  const feedReader = new Poller(async (self) => {
    const page = ok(await t.gql(EVENTS, { after: endCursor, first: 7 }, { token })).events;
    for (const edge of page.edges) self.read.push({ n: edge.node.data.n, position: decodeEventCursor(edge.cursor) });
    endCursor = page.pageInfo.endCursor;
    return page.pageInfo.hasNextPage;
  }, 3);

  // Reader 3, the control: by insertion number alone, without the horizon.
  let lastSeq = 0n;
  const naiveReader = new Poller(async (self) => {
    const rows: Array<{ n: number; xid: string; seq: string }> = await ds.query(
      `SELECT (data->>'n')::int AS n, xid::text AS xid, seq::text AS seq FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT 100`,
      [org, lastSeq.toString()],
    );
    for (const row of rows) self.read.push({ n: row.n, position: { xid: BigInt(row.xid), seq: BigInt(row.seq) } });
    if (rows.length) lastSeq = BigInt(rows[rows.length - 1].seq);
    return rows.length === 100;
  }, 2);
  const readers = [logReader, feedReader, naiveReader];

  try {
    // The writers: WRITERS at a time, each taking the next transaction as it finishes one.
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < txns.length) await run(txns[next++]);
      }),
    );
    const wrote = performance.now();
    const { committed, rolledBack, kept, never, late, lateEvents, maxXid } = outcome(txns);
    const [{ maxSeq }] = await ds.query(`SELECT coalesce(max(seq), 0)::text AS "maxSeq" FROM events WHERE org_id = $1`, [org]);

    // Caught up: past the horizon above every committed transaction (the naive reader: past the last seq).
    // Generous: the other suites running beside this one slow the writes and reads.
    const past = (p: LogPosition | null) => !!p && p.xid > maxXid;
    await waitFor(() => {
      readers.forEach((r) => r.check());
      return past(position) && past(endCursor ? decodeEventCursor(endCursor) : null) && lastSeq >= BigInt(maxSeq);
    }, CATCH_UP_MS);
    for (const r of readers) await r.stop();

    // Nothing more to read from where each stopped.
    expect((await readLog(ds, { org, after: position, limit: 50 })).events).toEqual([]);
    expect(ok(await t.gql(EVENTS, { after: endCursor, first: 7 }, { token })).events.edges).toEqual([]);

    // The log itself, in cursor order: exactly the committed events.
    const inLog: Array<{ n: number }> = await ds.query(`SELECT (data->>'n')::int AS n FROM events WHERE org_id = $1 ORDER BY xid, seq`, [org]);
    const logOrder = inLog.map((row) => row.n);
    const sorted = (ns: Iterable<number>) => [...ns].sort((a, b) => a - b);
    expect(sorted(logOrder)).toEqual(sorted(kept));

    for (const [name, reader] of [["readLog", logReader], ["events feed", feedReader]] as const) {
      const ns = reader.read.map((e) => e.n);
      const seen = new Set<number>();
      const duplicates = ns.filter((n) => seen.has(n) || !seen.add(n));
      const outOfOrder = reader.read.filter((e, k) => k > 0 && comparePositions(reader.read[k - 1].position, e.position) >= 0);
      expect({ reader: name, duplicates, outOfOrder, rolledBack: ns.filter((n) => never.has(n)), missing: sorted([...kept].filter((n) => !seen.has(n))) }).toEqual({
        reader: name,
        duplicates: [],
        outOfOrder: [],
        rolledBack: [],
        missing: [],
      });
      expect(ns).toHaveLength(kept.size);
      // Every committed event, in the log's cursor order.
      expect(ns).toEqual(logOrder);
    }

    const naiveSeen = new Set(naiveReader.read.map((e) => e.n));
    const naiveMissed = [...kept].filter((n) => !naiveSeen.has(n));
    expect(naiveReader.read.filter((e) => never.has(e.n))).toEqual([]);

    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    process.stdout.write(
      `event-log-order (${database}, seed ${seed}): ${txns.length} transactions (${WRITERS} at a time) → ${committed.length} committed, ${rolledBack.length} rolled back` +
        ` (+${committed.filter((x) => x.dropped.length).length} rolled back to a savepoint); ${late} late commits (${lateEvents} events);` +
        ` ${kept.size} events read once each by readLog (${logReader.polls} polls, horizon held back ${heldBack}) and by the feed (${feedReader.polls} pages of 7);` +
        ` naive reader missed ${naiveMissed.length}; writes ${seconds(wrote - started)} s, total ${seconds(performance.now() - started)} s\n`,
    );

    if (database === "PostgreSQL") {
      // The race happened: older transactions committed after younger ones…
      expect(late).toBeGreaterThan(0);
      // …and reading without the horizon skips their events: the test can fail.
      expect(naiveMissed.length).toBeGreaterThanOrEqual(1);
    }
  } finally {
    await Promise.all(readers.map((r) => r.stop().catch(() => undefined)));
  }
}

describe("the event log under concurrent writers, on the embedded database (PGlite: one transaction at a time)", () => {
  let t: TestApp;
  beforeAll(async () => {
    // Embedded in both suite modes: its serialised transactions are the case to prove here.
    t = await startTestApp({ databaseUrl: undefined, dataDir: "memory", migrationsRun: true });
  });
  afterAll(() => t?.close());

  it("a reader polling throughout sees every committed event once, in order, and no rolled-back one", async () => {
    await proveOrder(t, "PGlite");
  });
});

describeWith("PostgreSQL")("the event log under concurrent writers, on PostgreSQL (transactions overlap)", () => {
  let scratch: ScratchDatabase;
  let t: TestApp;
  beforeAll(async () => {
    // A database of its own, so that no other suite's retention run moves this log's watermark.
    scratch = await createScratchDatabase("evorder");
    // No webhook poll: its fan-out transaction would take an xid now and then, and the horizon test
    // below wants this database's only transactions in flight to be its own.
    t = await startTestApp({ databaseUrl: scratch.url, migrationsRun: false, dbPoolSize: WRITERS + 8, webhookPollMs: 3_600_000 });
  });
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
  });

  it("a reader polling throughout sees every committed event once, in order, and no rolled-back one, though older transactions commit late", async () => {
    await proveOrder(t, "PostgreSQL");
  });

  it("a transaction in flight in another database of the server does not hold the feed back; one in this database does, until it ends", async () => {
    const org = newOrg("evhorizon");
    const token = t.token({ org });
    const types = async () => ok(await t.gql(`{ events(first: 20) { edges { node { type leadId } } } }`, {}, { token })).events.edges.map((e: { node: unknown }) => e.node) as Array<{ type: string; leadId: string }>;
    const createLead = async () => ok(await t.gql(CREATE_LEAD, { input: { leadFor: "SKU-1" } }, { token })).createLead.lead.id as string;
    const holdXid = async (url: string) => {
      const client = new Client({ connectionString: url });
      await client.connect();
      await client.query("BEGIN");
      await client.query("SELECT pg_current_xact_id()");
      return client;
    };

    // Another database's transaction took its xid first: the event is readable at once.
    const elsewhere = await holdXid(ADMIN_DATABASE_URL);
    try {
      const first = await createLead();
      expect(await types()).toEqual([{ type: "LEAD_CREATED", leadId: first }]);

      // One of this database's: held back, since it could still append an event before the new one.
      const here = await holdXid(scratch.url);
      let second: string;
      try {
        second = await createLead();
        expect(await types()).toEqual([{ type: "LEAD_CREATED", leadId: first }]);
      } finally {
        await here.query("COMMIT");
        await here.end();
      }
      expect(await types()).toEqual([
        { type: "LEAD_CREATED", leadId: first },
        { type: "LEAD_CREATED", leadId: second },
      ]);
    } finally {
      await elsewhere.query("ROLLBACK");
      await elsewhere.end();
    }
  });
});
