import { formatIsoUtc } from "../common/date-time";
import type { Followup } from "../followups/followup.entity";
import type { FollowUpDetail } from "../leads/follow-up-detail.entity";
import type { Lead } from "../leads/lead.entity";
import type { StatusLog } from "../leads/status-log.entity";

/**
 * An event's `data` (API.md "Change events"): an entity's fields that hold values rather than
 * other objects, as GraphQL serialises them (instants as ISO strings, enums by name).
 * The lists name the GraphQL fields of each type; test/events.test.ts checks them against the schema.
 */
export const LEAD_DATA_FIELDS = [
  "id", "userId", "type", "leadFor", "status", "subStatus", "owner", "email", "timezone", "extendedFields",
  "nextFollowUp", "lastFollowUp", "followUpStep", "followUpState", "followUpConfig", "useStrategiesForFollowUps",
  "orgSourceId", "createdOn", "createdBy", "lastUpdatedOn", "lastUpdatedBy", "version",
] as const satisfies ReadonlyArray<keyof Lead>;

export const FOLLOWUP_DATA_FIELDS = [
  "id", "leadId", "status", "type", "callDate", "scheduledAt", "summary", "notes", "callId", "recordingUrl", "durationMs",
  "phoneNumber", "direction", "disconnectionReason", "isRetry", "createdOn", "createdBy", "lastUpdatedOn", "lastUpdatedBy", "version",
] as const satisfies ReadonlyArray<keyof Followup>;

export const STATUS_LOG_DATA_FIELDS = [
  "id", "leadId", "userId", "status", "subStatus", "previousStatus", "reasonId", "reason", "createdBy", "createdOn",
] as const satisfies ReadonlyArray<keyof StatusLog>;

export const FOLLOW_UP_DETAIL_DATA_FIELDS = [
  "id", "leadId", "userId", "followedUpBy", "followedUpOn", "scheduledFollowUp", "nextFollowUp", "notes", "createdBy", "createdOn",
] as const satisfies ReadonlyArray<keyof FollowUpDetail>;

/** Fields every write changes; `changedFields` leaves them out so that it says what the write was about. */
const BOOKKEEPING = new Set(["lastUpdatedOn", "lastUpdatedBy", "version"]);

export type EventData = Record<string, unknown>;

/** `fields` of `entity`, serialised as GraphQL would. */
export function dataOf<T extends object>(entity: T, fields: ReadonlyArray<keyof T & string>): EventData {
  const data: EventData = {};
  for (const field of fields) data[field] = serialise(entity[field]);
  return data;
}

function serialise(value: unknown): unknown {
  if (value instanceof Date) return formatIsoUtc(value.getTime());
  if (value === undefined) return null;
  // JSON objects (extendedFields) and plain lists of plain objects (followUpConfig): a copy, so that later changes to the entity do not reach it.
  if (value !== null && typeof value === "object") return JSON.parse(JSON.stringify(value));
  return value;
}

/**
 * The fields whose serialised value differs between `before` and `after` (all those with a value
 * when there is no `before`: a creation), bookkeeping left out.
 */
export function changedFieldsOf(before: EventData | null, after: EventData): string[] {
  return Object.keys(after).filter((field) => {
    if (BOOKKEEPING.has(field) || field === "id") return false;
    if (!before) return after[field] !== null;
    return JSON.stringify(before[field]) !== JSON.stringify(after[field]);
  });
}
