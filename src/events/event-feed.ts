import type { DataSource, EntityManager } from "typeorm";
import { DomainError } from "../common/errors";
import { SqlParams } from "../db/sql-params";
import type { EventType } from "./event-type";
import { laterPosition, type LogPosition } from "./event-cursor";
import type { EventData } from "./event-data";

/** An event as the log holds it. */
export interface LoggedEvent {
  id: string;
  org: string;
  position: LogPosition;
  type: EventType;
  occurredOn: Date;
  actor: string;
  leadId: string;
  followupId: string | null;
  changedFields: string[];
  data: EventData;
}

export interface LogQuery {
  /** One org's events; every org's when undefined (the live tail, src/events/event-stream.ts). */
  org?: string;
  /** Events after this position; from the log's beginning when null. */
  after: LogPosition | null;
  /** Only these types (every type when undefined). */
  types?: readonly EventType[];
  leadId?: string | null;
  limit: number;
}

export interface LogPage {
  events: LoggedEvent[];
  /** More events of the query are readable now beyond `events`. */
  more: boolean;
  /**
   * Where a reader of this query resumes: past every event it has been shown, and past the horizon
   * when the page reached it (every transaction below the horizon had ended when the page was read).
   */
  resumeAt: LogPosition;
  /** The first xid not yet assigned when the page was read: every transaction committed by then lies below it. */
  snapshotEnd: bigint;
}

/**
 * The horizon of the statement's snapshot: the oldest transaction still in flight that may write to
 * this database (the reader's own included, when it has an xid), or the snapshot's end when there
 * is none. A transaction of the snapshot's in-flight list (`pg_snapshot_xip`) is left out only when
 * it runs on a backend connected to another database (xids are cluster-wide, the log is not): one
 * that is no longer listed, a prepared one or one whose backend shows no database counts, so the
 * horizon errs only towards waiting. Without this, a long transaction in any database of the server
 * would hold every feed back. PostgreSQL keeps the backends' list it read for the rest of the
 * transaction, so a transaction computes the horizon once (each caller of readLog and
 * currentHorizon reads it once per transaction).
 */
const HORIZON = `SELECT least(coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(s.snap) x WHERE xid(x) NOT IN (
      SELECT a.backend_xid FROM pg_stat_get_activity(NULL) a
      WHERE a.backend_xid IS NOT NULL AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))),
    pg_snapshot_xmax(s.snap)), pg_current_xact_id_if_assigned()) AS horizon, pg_snapshot_xmax(s.snap) AS snapshot_end
  FROM (SELECT pg_current_snapshot() AS snap) s`;

/**
 * Reads the log in cursor order, below the horizon (HORIZON). Every transaction below it that
 * could write here has ended, so the statement sees all of their events, and any event that commits
 * later belongs to a transaction at or above the horizon, hence after everything returned: a reader
 * resuming at `resumeAt` never skips one. A position at or before the retention watermark is
 * CURSOR_EXPIRED. `ds` may be a transaction's manager (the webhook fan-out reads in the transaction
 * that stores its position).
 */
export async function readLog(ds: DataSource | EntityManager, query: LogQuery): Promise<LogPage> {
  const params = new SqlParams();
  const where = ["e.xid < h.horizon"];
  if (query.org !== undefined) where.push(`e.org_id = ${params.add(query.org)}`);
  if (query.leadId != null) where.push(`e.lead_id = ${params.add(query.leadId)}`);
  if (query.types) where.push(`e.type = ANY(${params.add(query.types)})`);
  let expired = "false";
  if (query.after) {
    const after = `(CAST(${params.add(query.after.xid.toString())} AS xid8), CAST(${params.add(query.after.seq.toString())} AS bigint))`;
    where.push(`(e.xid, e.seq) > ${after}`);
    expired = `EXISTS (SELECT 1 FROM event_log_watermark w WHERE ${after} <= (w.xid, w.seq))`;
  }
  const rows: RawRow[] = await ds.query(
    `WITH h AS (${HORIZON})
     SELECT h.horizon::text AS horizon, h.snapshot_end::text AS snapshot_end, ${expired} AS expired, e.* FROM h LEFT JOIN LATERAL (
       SELECT e.id, e.org_id, e.xid::text AS xid, e.seq::text AS seq, e.type, e.occurred_on, e.actor, e.lead_id, e.followup_id, e.changed_fields, e.data
       FROM events e WHERE ${where.join(" AND ")} ORDER BY e.xid, e.seq LIMIT ${params.add(query.limit + 1)}
     ) e ON true`,
    params.values,
  );
  if (rows[0].expired) throw cursorExpired();
  const events = rows.filter((r) => r.id !== null).map(toEvent);
  const more = events.length > query.limit;
  if (more) events.length = query.limit;
  const last = events.length ? events[events.length - 1].position : query.after;
  const horizon = { xid: BigInt(rows[0].horizon), seq: 0n };
  const resumeAt = more ? last! : last ? laterPosition(last, horizon) : horizon;
  return { events, more, resumeAt, snapshotEnd: BigInt(rows[0].snapshot_end) };
}

/** The first xid not yet assigned now: every transaction committed by now lies below it. */
export async function logEnd(ds: DataSource): Promise<bigint> {
  const [row] = await ds.query(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`);
  return BigInt(row.xmax);
}

/** The log's horizon now: the position before every event of a transaction still in flight or yet to start. */
export async function currentHorizon(ds: DataSource): Promise<LogPosition> {
  const [row] = await ds.query(`SELECT h.horizon::text AS horizon FROM (${HORIZON}) h`);
  return { xid: BigInt(row.horizon), seq: 0n };
}

export const cursorExpired = () =>
  new DomainError("CURSOR_EXPIRED", "This events cursor is older than the retention window (EVENTS_RETENTION_DAYS): resynchronise, then read from a new cursor");

interface RawRow {
  horizon: string;
  snapshot_end: string;
  expired: boolean;
  id: string | null;
  org_id: string;
  xid: string;
  seq: string;
  type: EventType;
  occurred_on: Date;
  actor: string;
  lead_id: string;
  followup_id: string | null;
  changed_fields: string[];
  data: EventData;
}

function toEvent(row: RawRow): LoggedEvent {
  return {
    id: row.id!,
    org: row.org_id,
    position: { xid: BigInt(row.xid), seq: BigInt(row.seq) },
    type: row.type,
    occurredOn: row.occurred_on,
    actor: row.actor,
    leadId: row.lead_id,
    followupId: row.followup_id,
    changedFields: row.changed_fields,
    data: row.data,
  };
}

/** One event of `org` by id, or null. */
export async function readEvent(ds: DataSource, org: string, id: string): Promise<LoggedEvent | null> {
  const rows: RawRow[] = await ds.query(
    `SELECT '0' AS horizon, false AS expired, e.id, e.org_id, e.xid::text AS xid, e.seq::text AS seq, e.type, e.occurred_on, e.actor, e.lead_id, e.followup_id, e.changed_fields, e.data
     FROM events e WHERE e.id = $1 AND e.org_id = $2`,
    [id, org],
  );
  return rows.length ? toEvent(rows[0]) : null;
}
