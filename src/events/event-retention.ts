import type { DataSource } from "typeorm";
import { logger } from "../common/logger";

const BATCH = 5_000;
const HOUR_MS = 3_600_000;

/**
 * Deletes the events older than `days`, in batches, and moves the watermark (the newest position
 * deleted) forward, so that a cursor at or before it is CURSOR_EXPIRED (src/events/event-feed.ts).
 * Their webhook deliveries go with them (a foreign key ON DELETE CASCADE), so deliveries are kept as
 * long as events. Safe to run on several instances at once. Returns how many events it deleted.
 */
export async function purgeExpiredEvents(ds: DataSource, days: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [row] = await ds.query(
      `WITH gone AS (
         DELETE FROM events WHERE id IN (
           SELECT id FROM events WHERE occurred_on < now() - make_interval(days => $1) LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING xid, seq),
       newest AS (SELECT xid, seq FROM gone ORDER BY xid DESC, seq DESC LIMIT 1),
       moved AS (
         INSERT INTO event_log_watermark (id, xid, seq) SELECT 1, xid, seq FROM newest
         ON CONFLICT (id) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq
         WHERE (EXCLUDED.xid, EXCLUDED.seq) > (event_log_watermark.xid, event_log_watermark.seq))
       SELECT count(*)::int AS n FROM gone`,
      [days, BATCH],
    );
    deleted += row.n;
    if (row.n < BATCH) return deleted;
  }
}

/** Runs `purgeExpiredEvents` now and every hour until stopped. */
export function startEventRetention(ds: DataSource, days: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const run = () =>
    (running = purgeExpiredEvents(ds, days)
      .then((n) => n && logger.info({ deleted: n, days }, "expired events deleted"))
      .catch((err) => logger.warn({ err }, "deleting expired events failed; retrying in an hour")));
  run();
  const timer = setInterval(run, HOUR_MS).unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
