import type { EntityManager } from "typeorm";
import type { Principal } from "../auth/scopes";
import { failedPrecondition } from "../common/errors";
import { updateVersioned, type RowChange } from "../db/versioned-write";
import { dataOf, LEAD_DATA_FIELDS, type EventData } from "../events/event-data";
import { appendEvent, type NewEvent } from "../events/event-log";
import type { EventType } from "../events/event-type";
import { Lead } from "./lead.entity";
import { LeadStatus } from "./lead.enums";

export const leadData = (lead: Lead): EventData => dataOf(lead, LEAD_DATA_FIELDS);

/** What a write does to a lead: the row's change, and the rows it writes along (their data joins the event's). */
export interface LeadChange extends RowChange<Lead> {
  /** Runs once the lead is written; returns the rows it wrote, keyed by their name in the event's `data`. */
  related?: (lead: Lead, now: Date) => Promise<NewEvent["related"]>;
  /** The event's `data` instead of the lead's (a follow-up timer's). */
  eventData?: EventData;
}

export interface LeadWrite {
  id: string;
  /** The version the caller read; another one is CONFLICT. */
  expectedVersion?: number | null;
  /** The event the change appends to the org's log. */
  event: EventType;
}

/**
 * A change to one of the caller's org's leads, through the one write path (updateVersioned), with
 * its event appended in the same transaction.
 */
export async function updateLead(
  tx: EntityManager,
  principal: Pick<Principal, "org" | "actor">,
  write: LeadWrite,
  decide: (lead: Lead, now: Date) => LeadChange | Promise<LeadChange>,
): Promise<{ lead: Lead; now: Date }> {
  let before: EventData | undefined;
  let change: LeadChange | undefined;
  const { row, now } = await updateVersioned(tx, Lead, { org: principal.org, id: write.id, expectedVersion: write.expectedVersion }, principal.actor, async (lead, now) => {
    before = leadData(lead);
    return (change = await decide(lead, now));
  });
  const related = await change!.related?.(row, now);
  await appendEvent(tx, {
    org: principal.org,
    type: write.event,
    actor: principal.actor,
    occurredOn: now,
    leadId: row.id,
    before: before!,
    after: leadData(row),
    related,
    data: change!.eventData,
  });
  return { lead: row, now };
}

/**
 * `extendedFields` merged by the UPDATE itself (keys whose value is null are removed), so that
 * concurrent merges of different keys each apply to the row the other left.
 */
export function mergeExtendedFields(fields: Record<string, unknown>): Pick<RowChange<Lead>, "computed" | "params"> {
  const patch: Record<string, unknown> = {};
  const removed: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) removed.push(key);
    else patch[key] = value;
  }
  return {
    computed: { extendedFields: "(extended_fields || CAST(:efPatch AS jsonb)) - CAST(:efRemoved AS text[])" },
    params: { efPatch: JSON.stringify(patch), efRemoved: removed },
  };
}

/** A DELETED lead is final: nothing more is recorded on it (FAILED_PRECONDITION, saying what was refused). */
export function refuseIfDeleted(lead: Pick<Lead, "status">, refused: string): void {
  if (lead.status === LeadStatus.DELETED) throw failedPrecondition(deletedRefusal(refused));
}

export const deletedRefusal = (refused: string) => `The lead is DELETED; ${refused}`;
