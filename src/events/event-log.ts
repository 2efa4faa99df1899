import { AsyncResource } from "node:async_hooks";
import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent } from "typeorm";
import { EventSubscriber } from "typeorm";
import { newId } from "../common/ids";
import type { EventType } from "./event-type";
import { changedFieldsOf, type EventData } from "./event-data";

/** A change as the log records it (API.md "Change events"). */
export interface NewEvent {
  org: string;
  type: EventType;
  actor: string;
  occurredOn: Date;
  leadId: string;
  followupId?: string | null;
  /** The entity's data before the change (null for a creation), for `changedFields`. */
  before: EventData | null;
  /** The entity's data right after it. */
  after: EventData;
  /** More of what the change wrote (`statusLog`, `followUpDetail`), added to `data` and named in `changedFields`. */
  related?: Record<string, { field: string; data: EventData }>;
  /** `data` as given instead of the entity's (a follow-up timer's). */
  data?: EventData;
}

/**
 * Appends `event` to its org's log in the caller's transaction: it commits or rolls back with the
 * change it describes. Its position (`xid`, `seq`) is the transaction's id, assigned by the change's
 * own earlier statements, and the next insertion number.
 */
export async function appendEvent(tx: EntityManager, event: NewEvent): Promise<void> {
  const changedFields = changedFieldsOf(event.before, event.after);
  let data: EventData = event.data ?? event.after;
  for (const [key, { field, data: rowData }] of Object.entries(event.related ?? {})) {
    data = { ...data, [key]: rowData };
    if (!changedFields.includes(field)) changedFields.push(field);
  }
  await tx.query(
    `INSERT INTO events (id, org_id, type, occurred_on, actor, lead_id, followup_id, changed_fields, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [newId("event"), event.org, event.type, event.occurredOn, event.actor, event.leadId, event.followupId ?? null, changedFields, JSON.stringify(data)],
  );
  if (tx.queryRunner) tx.queryRunner.data = { ...tx.queryRunner.data, [WROTE_EVENTS]: true };
}

const WROTE_EVENTS = "leads:wroteEvents";
const listeners = new Map<DataSource, Set<() => void>>();

/**
 * Calls `listener` after each commit on `dataSource` that appended events; returns how to stop.
 * The listener runs in the async context it was registered in, not the committing request's (whose
 * statements the request timeout may refuse once it is abandoned).
 */
export function onEventsCommitted(dataSource: DataSource, listener: () => void): () => void {
  let set = listeners.get(dataSource);
  if (!set) listeners.set(dataSource, (set = new Set()));
  const bound = AsyncResource.bind(listener);
  set.add(bound);
  return () => {
    set.delete(bound);
    if (!set.size) listeners.delete(dataSource);
  };
}

/** Tells this process's readers of a database that its log grew, as soon as the transaction commits. */
@EventSubscriber()
export class EventsCommitted implements EntitySubscriberInterface {
  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as Record<string, unknown> | undefined;
    // A savepoint's release (a nested transaction) is not yet the commit.
    if (!data?.[WROTE_EVENTS] || event.queryRunner.isTransactionActive) return;
    delete data[WROTE_EVENTS];
    for (const listener of listeners.get(event.connection) ?? []) listener();
  }
}
