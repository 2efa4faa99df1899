import { startTestApp, type TestApp } from "./support/app";
import { waitFor } from "./support/wait";

/**
 * MAX_CONCURRENT_REQUESTS (src/http/concurrency-limit.ts). A request that waits for the only
 * database connection (held by the test) keeps its turn; a request that needs no database
 * (`viewer`) shows whether it had to wait for one.
 */
const PAGE = `{ leads(first: 1) { edges { node { id } } } }`;
const VIEWER = `{ viewer { actor } }`;

async function holdingTheConnection<T>(t: TestApp, body: (release: () => Promise<void>) => Promise<T>): Promise<T> {
  const holder = t.app.db.dataSource.createQueryRunner();
  await holder.connect();
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await holder.release();
  };
  try {
    return await body(release);
  } finally {
    await release();
  }
}

/** Resolves once a request of the app waits for a database connection (the test holds the only one). */
const someoneWaitsForTheDatabase = (t: TestApp) => {
  const pool = (t.app.db.dataSource.driver as unknown as { master: { waitingCount: number } }).master;
  return waitFor(() => pool.waitingCount > 0);
};

/** Resolves to "pending" if `p` has not settled within `ms`. */
const settledWithin = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => "settled" as const), new Promise<"pending">((r) => setTimeout(() => r("pending"), ms))]);

describe("MAX_CONCURRENT_REQUESTS=1", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ maxConcurrentRequests: 1, dbPoolSize: 1, requestTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("runs one request at a time: the next waits its turn, then is answered", async () => {
    await holdingTheConnection(t, async (release) => {
      const first = t.gql(PAGE);
      await someoneWaitsForTheDatabase(t);
      const second = t.gql(VIEWER);
      expect(await settledWithin(second, 500)).toBe("pending");
      await release();
      const [a, b] = await Promise.all([first, second]);
      expect(a.status).toBe(200);
      expect(a.body.data.leads.edges).toEqual([]);
      expect(b.body).toEqual({ data: { viewer: { actor: "tester" } } });
    });
  });

  it("when the request holding the turn times out (503), the waiting one gets the turn", async () => {
    await holdingTheConnection(t, async () => {
      const started = Date.now();
      const first = t.gql(PAGE);
      await someoneWaitsForTheDatabase(t);
      const waiting = t.gql(VIEWER);
      const timedOut = await first;
      expect(timedOut.status).toBe(503);
      expect(timedOut.body.errors?.[0].extensions?.code).toBe("TIMEOUT");
      expect((await waiting).body).toEqual({ data: { viewer: { actor: "tester" } } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900); // it waited for the first's end
    });
    expect((await t.gql(PAGE)).status).toBe(200);
  });

  it("a waiting request whose client goes away takes no turn", async () => {
    await holdingTheConnection(t, async (release) => {
      const first = t.gql(PAGE);
      await someoneWaitsForTheDatabase(t);
      const gone = new AbortController();
      const abandoned = fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.token()}` },
        body: JSON.stringify({ query: VIEWER }),
        signal: gone.signal,
      }).catch((err: Error) => err.name);
      await new Promise((r) => setTimeout(r, 100));
      gone.abort();
      expect(await abandoned).toBe("AbortError");
      await release();
      expect((await first).status).toBe(200);
    });
    // one turn only, and it is free: requests one after the other are all answered
    for (let i = 0; i < 3; i++) expect((await t.gql(VIEWER)).status).toBe(200);
  });
});

describe("MAX_CONCURRENT_REQUESTS=0 (no limit)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ maxConcurrentRequests: 0, dbPoolSize: 1 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers a request while another waits for the database", async () => {
    await holdingTheConnection(t, async (release) => {
      const first = t.gql(PAGE);
      await someoneWaitsForTheDatabase(t);
      const second = t.gql(VIEWER);
      expect(await settledWithin(second, 2000)).toBe("settled");
      expect((await second).body).toEqual({ data: { viewer: { actor: "tester" } } });
      await release();
      expect((await first).status).toBe(200);
    });
  });
});
