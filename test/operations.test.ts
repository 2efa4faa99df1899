import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startTestApp, type TestApp } from "./support/app";
import { startPgProxy } from "./support/pg-proxy";
import { ADMIN_DATABASE_URL } from "./support/scratch-pg";
import { describeWith } from "./support/services";

const PG_URL = ADMIN_DATABASE_URL;

describe("/healthz and /readyz", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("/healthz answers 200 {status: ok}", async () => {
    const res = await fetch(`${t.origin}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("/readyz answers 200 while the database answers", async () => {
    const res = await fetch(`${t.origin}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});

describeWith("PostgreSQL")("readiness follows the database (PostgreSQL behind a proxy)", () => {
  it("turns 503 with a reason while the database is unreachable, and back to 200 by itself", async () => {
    const target = new URL(PG_URL);
    const proxy = await startPgProxy(target);
    const t = await startTestApp({ databaseUrl: proxy.url(), migrationsRun: false });
    try {
      expect((await fetch(`${t.origin}/readyz`)).status).toBe(200);

      await proxy.cut();
      const down = await fetch(`${t.origin}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: "unavailable", reason: "database unreachable" });
      expect((await fetch(`${t.origin}/healthz`)).status).toBe(200); // the process stays up

      await proxy.restore();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${t.origin}/readyz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    } finally {
      await t.close();
      await proxy.cut();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes requests in flight, stops accepting, and leaves embedded data intact for the next start", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "leads-data-"));
    try {
      const first = await startTestApp({ databaseUrl: undefined, dataDir: dir, migrationsRun: true });
      const token = first.token({ org: "shutdown-org" });
      const create = (leadFor: string) =>
        first.gql(`mutation ($input: CreateLeadInput!) { createLead(input: $input) { lead { id } } }`, { input: { leadFor } }, { token });

      // Hold the embedded session so that the five requests are surely in flight (queued on it) at close.
      let release!: () => void;
      const held = first.app.db.dataSource.transaction(() => new Promise<void>((r) => (release = r)));
      const inFlight = Array.from({ length: 5 }, (_, i) => create(`in flight ${i}`));
      const pool = (first.app.db.dataSource.driver as unknown as { master: { waitingCount: number } }).master;
      while (pool.waitingCount < 5) await new Promise((r) => setTimeout(r, 10));
      const closing = first.close();
      release();
      await held;
      const results = await Promise.all(inFlight);
      await closing;
      for (const res of results) expect(res.body.data.createLead.lead.id).toMatch(/^lead_/);
      await expect(fetch(first.url, { method: "POST" })).rejects.toThrow();

      const second = await startTestApp({ databaseUrl: undefined, dataDir: dir, migrationsRun: true });
      try {
        const res = await second.gql(`{ leads(first: 100) { totalCount edges { node { id leadFor } } } }`, {}, { token: second.token({ org: "shutdown-org" }) });
        expect(res.body.data.leads.totalCount).toBe(5);
        expect(res.body.data.leads.edges.map((e: any) => e.node.id).sort()).toEqual(results.map((r) => r.body.data.createLead.lead.id).sort());
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
