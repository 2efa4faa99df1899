import type { AppConfig } from "../src/config";
import { newOrg, startTestApp, type TestApp } from "./support/app";
import { CREATE_LEAD, ok } from "./support/operations";
import { createScratchDatabase, type ScratchDatabase } from "./support/scratch-pg";
import { describeWith, LOCAL_REDIS } from "./support/services";
import { subscribeEvents, type Subscriber } from "./support/subscriptions";
import { waitFor } from "./support/wait";

/**
 * Several instances on one PostgreSQL database: a write on one reaches the subscribers of another
 * within a second, by the wake-up signal (Redis, or LISTEN/NOTIFY without it); a lost signal only
 * delays it until the next read of the log. The instances read the log on a long timer here, so
 * only the signal can be quick.
 */
const REDIS_URL = `redis://${LOCAL_REDIS.host}:${LOCAL_REDIS.port}`;
const SLOW_POLL = 60_000;

let scratch: ScratchDatabase;
const apps: TestApp[] = [];
const subs: Subscriber[] = [];

async function start(overrides: Partial<AppConfig>) {
  const app = await startTestApp({ databaseUrl: scratch.url, migrationsRun: false, ...overrides });
  apps.push(app);
  return app;
}

async function writeAndTime(app: TestApp, token: string) {
  const started = Date.now();
  const id = ok(await app.gql(CREATE_LEAD, { input: { leadFor: "SKU-x" } }, { token })).createLead.lead.id as string;
  return { id, started };
}

/** Subscribes on `reader` and waits until it is live (a write on `reader` itself reaches it). */
async function liveSubscriber(reader: TestApp, token: string) {
  const sub = subscribeEvents(reader.url, { authorization: `Bearer ${token}` });
  subs.push(sub);
  await waitFor(async () => {
    const { id } = await writeAndTime(reader, token);
    await waitFor(() => sub.events.some((e) => e.leadId === id), 500).catch(() => undefined);
    return sub.events.some((e) => e.leadId === id);
  }, 10_000);
  sub.events.length = 0;
  return sub;
}

async function expectCrossInstanceDelivery(writer: TestApp, reader: TestApp, withinMs: number) {
  const org = newOrg("instances");
  const token = writer.token({ org });
  const sub = await liveSubscriber(reader, token);
  for (let i = 0; i < 3; i++) {
    const { id, started } = await writeAndTime(writer, token);
    await waitFor(() => sub.events.some((e) => e.leadId === id), 5_000);
    expect(Date.now() - started).toBeLessThan(withinMs);
  }
}

describeWith("PostgreSQL")("several instances on one PostgreSQL database", () => {
  beforeAll(async () => {
    scratch = await createScratchDatabase("instances");
  });
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.dispose()));
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  afterAll(() => scratch?.drop());

  it("without Redis: LISTEN/NOTIFY carries the wake-up within a second", async () => {
    const a = await start({ eventsPollMs: SLOW_POLL });
    const b = await start({ eventsPollMs: SLOW_POLL });
    await expectCrossInstanceDelivery(a, b, 1000);
  });

  describeWith("Redis")("with REDIS_URL", () => {
    it("Redis pub/sub carries the wake-up within a second", async () => {
      const a = await start({ eventsPollMs: SLOW_POLL, redisUrl: REDIS_URL });
      const b = await start({ eventsPollMs: SLOW_POLL, redisUrl: REDIS_URL });
      await expectCrossInstanceDelivery(a, b, 1000);
    });
  });

  it("a lost signal delays an event until the next read of the log, never loses it", async () => {
    // The reader listens on Redis, the writer signals with NOTIFY: every signal between them is lost.
    const writer = await start({ eventsPollMs: SLOW_POLL });
    const reader = await start({ eventsPollMs: 300, redisUrl: REDIS_URL });
    const org = newOrg("lost");
    const token = writer.token({ org });
    const sub = await liveSubscriber(reader, token);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await writeAndTime(writer, token)).id);
    await waitFor(() => ids.every((id) => sub.events.some((e) => e.leadId === id)), 5_000);
    expect(sub.events.map((e) => e.leadId)).toEqual(ids);
  });
});

describe("shutdown", () => {
  it("sends the events already committed, then closes every socket with 1001", async () => {
    const app = await startTestApp({ eventsPollMs: SLOW_POLL });
    const org = newOrg("shutdown");
    const token = app.token({ org });
    const sub = subscribeEvents(app.url, { authorization: `Bearer ${token}` });
    await waitFor(async () => {
      const id = ok(await app.gql(CREATE_LEAD, { input: { leadFor: "probe" } }, { token })).createLead.lead.id;
      await waitFor(() => sub.events.some((e) => e.leadId === id), 500).catch(() => undefined);
      return sub.events.some((e) => e.leadId === id);
    }, 10_000);
    sub.events.length = 0;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(ok(await app.gql(CREATE_LEAD, { input: { leadFor: `w${i}` } }, { token })).createLead.lead.id);
    await app.close();
    await waitFor(() => sub.closeCode !== undefined, 5_000);
    expect(sub.closeCode).toBe(1001);
    expect(sub.events.map((e) => e.leadId)).toEqual(ids);
    await sub.dispose();
  });
});
