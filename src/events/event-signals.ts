import { Client } from "pg";
import type { DataSource } from "typeorm";
import { logger } from "../common/logger";
import { connectRedis } from "../common/redis";

/**
 * "The log grew": the wake-up between instances, so that an event committed on one reaches the
 * subscribers of another within a second. At most once, like the transports under it; the log is
 * the record, and each instance also reads it on a timer (src/events/event-stream.ts).
 */
export interface EventSignal {
  /** Tells the other instances (coalesced: at most one message in flight, one more queued). */
  publish(): void;
  close(): Promise<void>;
}

const REDIS_CHANNEL = "leads-gateway:events";
const PG_CHANNEL = "leads_events";
const RECONNECT_MS = 1_000;

/**
 * Redis pub/sub with `REDIS_URL`; else PostgreSQL LISTEN/NOTIFY on PostgreSQL; else nothing (the
 * embedded database belongs to one process, whose commits wake it directly).
 */
export async function connectEventSignal(
  config: { redisUrl?: string; databaseUrl?: string },
  ds: DataSource,
  onSignal: () => void,
): Promise<EventSignal> {
  if (config.redisUrl) return redisSignal(config.redisUrl, onSignal);
  if (config.databaseUrl) return pgSignal(config.databaseUrl, ds, onSignal);
  return { publish: () => undefined, close: async () => undefined };
}

/** `send` run at most once at a time; calls meanwhile collapse into one more run. */
function coalesced(send: () => Promise<unknown>): () => void {
  let running = false;
  let pending = false;
  const run = () => {
    running = true;
    pending = false;
    send()
      // (an outage is logged once by the transport; the other instances catch up on their timer)
      .catch((err) => logger.debug({ err }, "event wake-up signal not sent"))
      .finally(() => {
        running = false;
        if (pending) run();
      });
  };
  return () => {
    if (running) pending = true;
    else run();
  };
}

async function redisSignal(url: string, onSignal: () => void): Promise<EventSignal> {
  const fallback = "event wake-ups between instances wait for the next read of the log (EVENTS_POLL_MS)";
  const [publisher, subscriber] = await Promise.all([connectRedis(url, fallback), connectRedis(url, fallback)]);
  subscriber.on("message", () => onSignal());
  // On every (re)connection, including the first if it comes after start; missed signals are caught up by a read.
  const subscribe = () => {
    subscriber.subscribe(REDIS_CHANNEL).then(onSignal, () => undefined);
  };
  subscriber.on("ready", subscribe);
  if (subscriber.status === "ready") subscribe();
  return {
    publish: coalesced(() => publisher.publish(REDIS_CHANNEL, "")),
    async close() {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

async function pgSignal(url: string, ds: DataSource, onSignal: () => void): Promise<EventSignal> {
  let client: Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const listen = async () => {
    const c = new Client({ connectionString: url, application_name: "leads-gateway:events" });
    c.on("notification", () => onSignal());
    c.on("error", (err) => {
      logger.warn({ err }, "PostgreSQL LISTEN connection lost; reconnecting");
      c.end().catch(() => undefined);
      if (client === c) client = undefined;
      if (!closed) retry = setTimeout(reconnect, RECONNECT_MS).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${PG_CHANNEL}`);
    client = c;
    // Whatever was signalled while no connection listened.
    onSignal();
  };
  const reconnect = () => listen().catch(() => !closed && (retry = setTimeout(reconnect, RECONNECT_MS).unref()));
  await listen();
  return {
    publish: coalesced(() => ds.query(`SELECT pg_notify('${PG_CHANNEL}', '')`)),
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
