import { registerEnumType } from "type-graphql";
import type { Principal, Scope } from "../auth/scopes";

/** API.md "Change events": what happened, one type per kind of write. */
export enum EventType {
  LEAD_CREATED = "LEAD_CREATED",
  LEAD_UPDATED = "LEAD_UPDATED",
  LEAD_STATUS_CHANGED = "LEAD_STATUS_CHANGED",
  LEAD_FOLLOW_UP_RECORDED = "LEAD_FOLLOW_UP_RECORDED",
  LEAD_FOLLOW_UP_DUE = "LEAD_FOLLOW_UP_DUE",
  FOLLOWUP_CREATED = "FOLLOWUP_CREATED",
  FOLLOWUP_UPDATED = "FOLLOWUP_UPDATED",
}

registerEnumType(EventType, {
  name: "EventType",
  description: "The kind of change an event records. LEAD_* events need leads:read, FOLLOWUP_* events followups:read.",
  valuesConfig: {
    LEAD_CREATED: { description: "createLead." },
    LEAD_UPDATED: { description: "updateLead." },
    LEAD_STATUS_CHANGED: { description: "updateLeadStatus; `data.statusLog` is the new StatusLog." },
    LEAD_FOLLOW_UP_RECORDED: { description: "updateLeadFollowups; `data.followUpDetail` is the new FollowUpDetail." },
    LEAD_FOLLOW_UP_DUE: { description: "A follow-up timer passed (actor `system`); `data` is `{ step, channel, voicemailEnabled, strategyIds, dueOn }`." },
    FOLLOWUP_CREATED: { description: "createFollowup." },
    FOLLOWUP_UPDATED: { description: "updateFollowup." },
  },
});

export const ALL_EVENT_TYPES: readonly EventType[] = Object.values(EventType);

/** The scope that lets a caller see events of `type`. */
export function scopeOfEventType(type: EventType): Scope {
  return type.startsWith("FOLLOWUP_") ? "followups:read" : "leads:read";
}

/** The event types `requested` (all when null or empty) that the caller's scopes let it see. */
export function visibleEventTypes(principal: Principal, requested?: readonly EventType[] | null): EventType[] {
  const wanted = requested?.length ? [...new Set(requested)] : ALL_EVENT_TYPES;
  return wanted.filter((type) => principal.scopes.has(scopeOfEventType(type)));
}
