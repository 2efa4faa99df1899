import { formatIsoUtc } from "../common/date-time";
import { encodeEventCursor } from "../events/event-cursor";
import type { LoggedEvent } from "../events/event-feed";
import type { EventType } from "../events/event-type";

/** `LEAD_STATUS_CHANGED` → `lead.status_changed`, `FOLLOWUP_CREATED` → `followup.created`. */
export function webhookTypeName(type: EventType): string {
  return type.toLowerCase().replace("_", ".");
}

/** The Standard Webhooks body: `{ id, type, timestamp, data }`, data being the event's plus where it belongs. */
export function webhookBody(event: Pick<LoggedEvent, "id" | "type" | "occurredOn" | "leadId" | "followupId" | "data" | "position">): string {
  return JSON.stringify({
    id: event.id,
    type: webhookTypeName(event.type),
    timestamp: formatIsoUtc(event.occurredOn.getTime()),
    data: { ...event.data, leadId: event.leadId, followupId: event.followupId, cursor: encodeEventCursor(event.position) },
  });
}
