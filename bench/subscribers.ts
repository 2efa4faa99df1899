/**
 * The subscriber side of the bench's S case, run as a child process of bench/run.ts (so that its
 * CPU time is its own, measurable apart from autocannon's and the server's): N graphql-ws clients,
 * each its own WebSocket connection with one `events` subscription, counting what every one
 * receives and timing each event from its `occurredOn` to its receipt. Driven over IPC (see
 * bench/events.ts for the messages).
 */
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { SUBSCRIBER_SUBSCRIPTION } from "./events";

interface Sub {
  client: Client;
  connected: boolean;
  /** Events received before `reset` (the sync writes). */
  before: number;
  /** Event ids received since `reset`, with how many times each. */
  ids: Map<string, number>;
  errors: number;
  closeCode?: number;
}

export type SubscriberRequest =
  | { type: "start"; url: string; token: string; count: number }
  | { type: "status" }
  | { type: "reset" }
  | { type: "finish"; expected: string[] }
  | { type: "stop" };

export interface SubscriberStatus {
  connected: number;
  /** Subscribers that received at least one event (the subscription is live). */
  live: number;
  /** The fewest events one subscriber received since `reset`. */
  minSinceReset: number;
  totalSinceReset: number;
  errors: number;
  closed: number;
}

export interface SubscriberOutcome {
  subscribers: number;
  expected: number;
  /** Deliveries of expected events (expected × subscribers when nothing is missed). */
  delivered: number;
  misses: number;
  subscribersMissing: number;
  duplicates: number;
  unexpected: number;
  errors: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
}

const subs: Sub[] = [];
let latencies: number[] = [];
let counting = false;

const send = (message: unknown) => process.send!(message);

function start(url: string, token: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const sub: Sub = { client: undefined as unknown as Client, connected: false, before: 0, ids: new Map(), errors: 0 };
    sub.client = createClient({
      url: url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: {
        connected: () => (sub.connected = true),
        closed: (event) => (sub.closeCode = (event as { code: number }).code),
      },
    });
    sub.client.subscribe<{ events: { id: string; occurredOn: string } }>(
      { query: SUBSCRIBER_SUBSCRIPTION },
      {
        next: (result) => {
          const event = result.data?.events;
          if (result.errors || !event) {
            sub.errors++;
            return;
          }
          if (!counting) {
            sub.before++;
            return;
          }
          // Receipt minus occurredOn, on the same machine's clock (see bench/events.ts).
          latencies.push(Date.now() - Date.parse(event.occurredOn));
          sub.ids.set(event.id, (sub.ids.get(event.id) ?? 0) + 1);
        },
        error: () => sub.errors++,
        complete: () => undefined,
      },
    );
    subs.push(sub);
  }
}

function status(): SubscriberStatus {
  let min = Infinity;
  let total = 0;
  for (const s of subs) {
    let n = 0;
    for (const c of s.ids.values()) n += c;
    min = Math.min(min, n);
    total += n;
  }
  return {
    connected: subs.filter((s) => s.connected).length,
    live: subs.filter((s) => s.before > 0 || s.ids.size > 0).length,
    minSinceReset: subs.length ? min : 0,
    totalSinceReset: total,
    errors: subs.reduce((n, s) => n + s.errors, 0),
    closed: subs.filter((s) => s.closeCode !== undefined).length,
  };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);

function finish(expectedIds: string[]): SubscriberOutcome {
  const expected = new Set(expectedIds);
  let delivered = 0;
  let misses = 0;
  let subscribersMissing = 0;
  let duplicates = 0;
  let unexpected = 0;
  for (const s of subs) {
    let got = 0;
    for (const [id, n] of s.ids) {
      if (!expected.has(id)) unexpected++;
      else got++;
      duplicates += n - 1;
    }
    delivered += got;
    misses += expected.size - got;
    if (got < expected.size) subscribersMissing++;
  }
  const sorted = Float64Array.from(latencies).sort();
  const arr = Array.from(sorted);
  return {
    subscribers: subs.length,
    expected: expected.size,
    delivered,
    misses,
    subscribersMissing,
    duplicates,
    unexpected,
    errors: subs.reduce((n, s) => n + s.errors, 0),
    latencyP50Ms: percentile(arr, 50),
    latencyP99Ms: percentile(arr, 99),
    latencyMaxMs: arr.length ? arr[arr.length - 1] : 0,
  };
}

process.on("message", (message: SubscriberRequest) => {
  switch (message.type) {
    case "start":
      start(message.url, message.token, message.count);
      send({ type: "started" });
      break;
    case "status":
      send({ type: "status", status: status() });
      break;
    case "reset":
      for (const s of subs) s.ids.clear();
      latencies = [];
      counting = true;
      send({ type: "reset" });
      break;
    case "finish":
      send({ type: "finish", outcome: finish(message.expected) });
      break;
    case "stop":
      void Promise.all(subs.map((s) => s.client.dispose())).finally(() => {
        send({ type: "stopped" });
        process.exit(0);
      });
      break;
  }
});
