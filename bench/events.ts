/**
 * The bench's change-event cases (session 6):
 *
 * - **S**: M1 alone, then M1 with `--subscribers` graphql-ws subscribers on the write org (each its
 *   own WebSocket connection with one `events` subscription, in a child process: bench/subscribers.ts),
 *   interleaved once per round. Reports M1's requests/s both ways, every write's event counted at
 *   every subscriber (misses), and delivery latency = receipt time − the event's `occurredOn`.
 *   occurredOn is read from the server's clock inside the write's transaction, just before commit,
 *   so the figure is commit → receipt plus the commit itself (an upper bound by a few ms); it needs
 *   no matching of events to responses, and autocannon's own response time would be late by however
 *   long its busy event loop took to read the answer (the event can even arrive first).
 * - **W**: M1 with no webhook endpoint, then with `--webhooks` endpoints on the write org, interleaved
 *   once per round (the endpoints, and their deliveries, are deleted after each run); then a burst of
 *   `--burst` writes and the time until a local receiver has every (endpoint, event) delivery.
 *   The server runs in production mode, whose webhook targets must be https: the receiver is a
 *   `node:https` server on 127.0.0.1 with a throwaway self-signed certificate that the server trusts
 *   through NODE_EXTRA_CA_CERTS (and WEBHOOK_ALLOW_PRIVATE=true lets it post to loopback).
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Client } from "pg";
import type { CaseResult } from "./report";
import { WRITE_ORG } from "./dataset";
import type { SubscriberOutcome, SubscriberRequest, SubscriberStatus } from "./subscribers";

/** The change-event cases, run after the others in each round (`--cases`). */
export const EVENT_CASE_NAMES = ["S", "W"];

/** What each subscriber subscribes to: every event of its org (only M1's writes happen meanwhile). */
export const SUBSCRIBER_SUBSCRIPTION = `subscription S { events { id type occurredOn leadId changedFields } }`;
export const CREATE_ENDPOINT = `mutation W($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id url } } }`;
export const DELETE_ENDPOINT = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
export const DISABLE_ENDPOINT = `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { id enabled } }`;
export const LIST_ENDPOINTS = `{ webhookEndpoints { id url } }`;

export interface SubscriberRound {
  round: number;
  subscribers: number;
  alone: CaseResult;
  with: CaseResult;
  /** The writes' events (from the log) and what the subscribers did with them. */
  outcome: SubscriberOutcome;
  /** From the end of the write run until every subscriber had every event (or the wait gave up). */
  drainMs: number;
  /** CPU time of the subscriber process during the run with subscribers, in % of one core. */
  subscriberCpuPct: number;
}

export interface WebhookRound {
  round: number;
  endpoints: number;
  none: CaseResult;
  with: CaseResult;
  /** Deliveries the receiver got during the run with endpoints (out of events × endpoints). */
  receivedDuringRun: number;
  eventsDuringRun: number;
}

export interface WebhookBurst {
  endpoints: number;
  writes: number;
  /** Events × endpoints. */
  expected: number;
  received: number;
  misses: number;
  duplicates: number;
  /** First write sent → last write answered. */
  burstMs: number;
  /** Deliveries already received when the last write was answered. */
  receivedByCommit: number;
  /** Last write answered → last delivery received. */
  drainMs: number;
  /** Deliveries received after the burst committed ÷ drainMs. */
  deliveriesPerSecondAfterCommit: number;
  /** Every delivery ÷ (first write sent → last delivery received). */
  deliveriesPerSecondOverall: number;
}

export interface EventsResult {
  connections: number;
  subscribers?: SubscriberRound[];
  webhooks?: WebhookRound[];
  burst?: WebhookBurst;
}

export interface EventsDeps {
  db: Client;
  serverUrl: string;
  /** A token of the write org with leads:read, leads:write and webhooks:manage. */
  token: string;
  connections: number;
  log: (line: string) => void;
  /** One measured M1 run at `connections` (the bench's usual row). */
  measureM1(label: string, round: number): Promise<CaseResult>;
  /** An M1 request body. */
  m1Body(): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gql(deps: EventsDeps, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(deps.serverUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${deps.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (res.status !== 200 || body.errors) throw new Error(`${query.slice(0, 60)}…: ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 400)}`);
  return body.data;
}

async function m1Write(deps: EventsDeps): Promise<boolean> {
  const res = await fetch(deps.serverUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${deps.token}` },
    body: deps.m1Body(),
  });
  const text = await res.text();
  return res.status === 200 && !text.includes('"errors":');
}

/** The log's newest sequence number of the write org: events after it are the next run's. */
async function logMark(db: Client): Promise<string> {
  const { rows } = await db.query<{ seq: string | null }>("SELECT max(seq)::text AS seq FROM events WHERE org_id = $1", [WRITE_ORG]);
  return rows[0].seq ?? "0";
}

async function eventIdsAfter(db: Client, mark: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM events WHERE org_id = $1 AND seq > $2", [WRITE_ORG, mark]);
  return rows.map((r) => r.id);
}

/** utime + stime of a process, in ms (0 once it is gone). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The subscriber child process, asked one thing at a time. */
class SubscriberProcess {
  private readonly child: ChildProcess;
  private waiting?: { type: string; resolve: (message: any) => void };

  constructor() {
    this.child = fork(path.join(__dirname, "subscribers.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (message: { type: string }) => {
      if (this.waiting?.type === message.type) {
        const { resolve } = this.waiting;
        this.waiting = undefined;
        resolve(message);
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  ask<T>(request: SubscriberRequest, answer: string): Promise<T> {
    return new Promise((resolve, reject) => {
      this.waiting = { type: answer, resolve };
      this.child.once("exit", (code) => reject(new Error(`the subscriber process exited (${code})`)));
      this.child.send(request);
    });
  }

  status(): Promise<SubscriberStatus> {
    return this.ask<{ status: SubscriberStatus }>({ type: "status" }, "status").then((m) => m.status);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.ask({ type: "stop" }, "stopped").catch(() => undefined);
    clearTimeout(timer);
  }
}

/** One round of S: M1 alone, then M1 with `count` subscribers connected. */
export async function subscriberRound(deps: EventsDeps, count: number, round: number): Promise<SubscriberRound> {
  const { log } = deps;
  log(`S round ${round}: M1 alone ×${deps.connections}`);
  const alone = await deps.measureM1("M1 alone", round);

  const subs = new SubscriberProcess();
  try {
    await subs.ask({ type: "start", url: deps.serverUrl, token: deps.token, count }, "started");
    // Live once every subscriber has received an event: writes until then are not counted.
    const deadline = Date.now() + 30_000;
    for (;;) {
      await m1Write(deps);
      await sleep(200);
      const s = await subs.status();
      if (s.live === count) break;
      if (Date.now() > deadline || s.closed) throw new Error(`subscribers not live: ${JSON.stringify(s)}`);
    }
    await sleep(300); // the sync writes' last events reach everyone
    const mark = await logMark(deps.db);
    await subs.ask({ type: "reset" }, "reset");
    log(`S round ${round}: M1 with ${count} subscribers ×${deps.connections}`);
    const cpuBefore = processCpuMs(subs.pid);
    const started = Date.now();
    const withSubs = await deps.measureM1(`M1 + ${count} subscribers`, round);
    const subscriberCpuPct = Math.round(((processCpuMs(subs.pid) - cpuBefore) / (Date.now() - started)) * 100);
    const ended = Date.now();

    // Writes cut off at the end of the run may still commit: wait for the log to settle, then for
    // every subscriber to have every event (giving up after 10 s without progress).
    await sleep(300);
    const expected = await eventIdsAfter(deps.db, mark);
    let last = -1;
    let progressAt = Date.now();
    for (;;) {
      const s = await subs.status();
      if (s.minSinceReset >= expected.length) break;
      if (s.totalSinceReset !== last) {
        last = s.totalSinceReset;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > 10_000) break;
      await sleep(50);
    }
    const drainMs = Date.now() - ended;
    const { outcome } = await subs.ask<{ outcome: SubscriberOutcome }>({ type: "finish", expected }, "finish");
    log(
      `    ${count} subscribers: M1 ${alone.requestsPerSecond} → ${withSubs.requestsPerSecond} req/s; ${outcome.expected} events, ` +
        `${outcome.misses} missed, delivery p50 ${outcome.latencyP50Ms} ms p99 ${outcome.latencyP99Ms} ms max ${outcome.latencyMaxMs} ms; ` +
        `drain ${drainMs} ms; subscriber process ${subscriberCpuPct}% CPU`,
    );
    return { round, subscribers: count, alone, with: withSubs, outcome, drainMs: Math.max(0, drainMs), subscriberCpuPct };
  } finally {
    await subs.stop();
  }
}

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), whose file the server trusts. */
export function makeReceiverCert(): { key: string; cert: string; certFile: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "leads-bench-tls-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", keyFile, "-out", certFile],
    { stdio: "ignore" },
  );
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

/** The webhook receiver: answers 200 to every POST and counts (endpoint, event id) deliveries. */
export class Receiver {
  private server?: https.Server;
  /** `${endpoint}:${eventId}` → times received. */
  received = new Map<string, number>();
  total = 0;
  lastAt = 0;
  port = 0;

  async start(tls: { key: string; cert: string }): Promise<void> {
    this.server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const endpoint = (req.url ?? "").split("/").pop() ?? "";
        const id = String(req.headers["webhook-id"] ?? "");
        const key = `${endpoint}:${id}`;
        this.received.set(key, (this.received.get(key) ?? 0) + 1);
        this.total++;
        this.lastAt = Date.now();
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  reset(): void {
    this.received.clear();
    this.total = 0;
    this.lastAt = 0;
  }

  url(endpoint: number): string {
    return `https://127.0.0.1:${this.port}/ep/ep${endpoint}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve()) ?? resolve();
    });
  }
}

/** Deleting an endpoint while its attempts are being recorded can fail with a deadlock (INTERNAL_SERVER_ERROR; see RESULTS.md, session 6): retried. */
export let deleteRetries = 0;
async function deleteAllEndpoints(deps: EventsDeps): Promise<void> {
  const { webhookEndpoints } = await gql(deps, LIST_ENDPOINTS);
  // Disabled first, so that no new attempt is claimed, and the attempts in flight given time to end.
  for (const e of webhookEndpoints as Array<{ id: string }>) await gql(deps, DISABLE_ENDPOINT, { id: e.id }).catch(() => undefined);
  if (webhookEndpoints.length) await sleep(1_500);
  for (const e of webhookEndpoints as Array<{ id: string }>) {
    for (let attempt = 1; ; attempt++) {
      try {
        await gql(deps, DELETE_ENDPOINT, { id: e.id });
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        deleteRetries++;
        deps.log(`    deleting webhook endpoint ${e.id} failed (attempt ${attempt}), retrying: ${(err as Error).message.slice(0, 160)}`);
        await sleep(500);
      }
    }
  }
}

async function createEndpoints(deps: EventsDeps, receiver: Receiver, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await gql(deps, CREATE_ENDPOINT, { input: { url: receiver.url(i), description: `bench receiver ${i}` } });
}

/** One round of W: M1 with no endpoint, then with `count` endpoints on the write org. */
export async function webhookRound(deps: EventsDeps, receiver: Receiver, count: number, round: number): Promise<WebhookRound> {
  const { log } = deps;
  await deleteAllEndpoints(deps);
  log(`W round ${round}: M1 with no webhook endpoint ×${deps.connections}`);
  const none = await deps.measureM1("M1, 0 endpoints", round);
  await createEndpoints(deps, receiver, count);
  await sleep(200);
  const mark = await logMark(deps.db);
  receiver.reset();
  log(`W round ${round}: M1 with ${count} webhook endpoints ×${deps.connections}`);
  const withHooks = await deps.measureM1(`M1, ${count} endpoints`, round);
  const receivedDuringRun = receiver.total;
  const eventsDuringRun = (await eventIdsAfter(deps.db, mark)).length;
  await deleteAllEndpoints(deps); // and their backlog of deliveries: the next run starts clean
  log(`    ${count} endpoints: M1 ${none.requestsPerSecond} → ${withHooks.requestsPerSecond} req/s; ${receivedDuringRun} of ${eventsDuringRun * count} deliveries received during the run`);
  return { round, endpoints: count, none, with: withHooks, receivedDuringRun, eventsDuringRun };
}

/** `writes` M1 writes at `connections` at once, then the wait for every delivery to `count` endpoints. */
export async function webhookBurst(deps: EventsDeps, receiver: Receiver, count: number, writes: number): Promise<WebhookBurst> {
  const { log } = deps;
  await deleteAllEndpoints(deps);
  await createEndpoints(deps, receiver, count);
  await sleep(500);
  const mark = await logMark(deps.db);
  receiver.reset();
  log(`W burst: ${writes} M1 writes at ${deps.connections} at once, ${count} endpoints`);
  const t0 = Date.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: deps.connections }, async () => {
      while (sent < writes) {
        sent++;
        await m1Write(deps);
      }
    }),
  );
  const tCommit = Date.now();
  const receivedByCommit = receiver.total;
  const expectedIds = await eventIdsAfter(deps.db, mark);
  const expected = expectedIds.length * count;
  const covered = () => {
    let n = 0;
    for (let i = 0; i < count; i++) for (const id of expectedIds) if (receiver.received.has(`ep${i}:${id}`)) n++;
    return n;
  };
  let progressAt = Date.now();
  let lastTotal = -1;
  for (;;) {
    if (receiver.total >= expected && covered() >= expected) break;
    if (receiver.total !== lastTotal) {
      lastTotal = receiver.total;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 15_000) break;
    await sleep(50);
  }
  const received = covered();
  let duplicates = 0;
  for (const n of receiver.received.values()) duplicates += n - 1;
  const tEnd = receiver.lastAt || Date.now();
  await deleteAllEndpoints(deps);
  const drainMs = Math.max(0, tEnd - tCommit);
  const result: WebhookBurst = {
    endpoints: count,
    writes: expectedIds.length,
    expected,
    received,
    misses: expected - received,
    duplicates,
    burstMs: tCommit - t0,
    receivedByCommit,
    drainMs,
    deliveriesPerSecondAfterCommit: drainMs ? Math.round(((received - receivedByCommit) / drainMs) * 1000) : 0,
    deliveriesPerSecondOverall: Math.round((received / Math.max(1, tEnd - t0)) * 1000),
  };
  log(
    `    burst of ${result.writes} writes in ${result.burstMs} ms; ${received}/${expected} deliveries (${result.receivedByCommit} by commit), ` +
      `drain ${drainMs} ms: ${result.deliveriesPerSecondAfterCommit}/s after commit, ${result.deliveriesPerSecondOverall}/s overall`,
  );
  return result;
}
